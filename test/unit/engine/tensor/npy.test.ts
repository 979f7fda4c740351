import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LayerLensError } from '../../../../src/engine/errors';
import { HostTensor } from '../../../../src/engine/tensor/hostTensor';
import { PUBLIC_FIXTURE_SET } from '../../../support/fixtures';
import {
  NPY_MAX_ELEMENTS,
  encodeNpy,
  float16BitsToFloat32,
  float16ToNumber,
  parseNpy,
  readNpy,
  toFloat32,
  writeNpy,
} from '../../../../src/engine/tensor/npy';

/** Repo root, found from the compiled test's location (out/test/unit/...) or the source tree. */
function repoRoot(): string {
  let d = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(d, 'test', 'data', 'npy', 'make.py'))) return d;
    const up = path.dirname(d);
    if (up === d) throw new Error('cannot find repo root');
    d = up;
  }
}
const DATA = path.join(repoRoot(), 'test', 'data', 'npy');
const FIXTURES = path.join(PUBLIC_FIXTURE_SET, 'cases');

interface Expected {
  valid: Record<string, { dtype: string; shape: number[]; values: string[] }>;
  invalid: string[];
}
const expected = JSON.parse(fs.readFileSync(path.join(DATA, 'expected.json'), 'utf8')) as Expected;

const DTYPE_OF: Record<string, string> = {
  f2: 'float16',
  f4: 'float32',
  f8: 'float64',
  i1: 'int8',
  i2: 'int16',
  i4: 'int32',
  i8: 'int64',
  u1: 'uint8',
  b1: 'bool',
};

function pyFloat(s: string): number {
  if (s === 'nan') return NaN;
  if (s === 'inf') return Infinity;
  if (s === '-inf') return -Infinity;
  return Number(s);
}

/** Builds a v1.0 file around an arbitrary header string (padded like numpy) and data. */
function npyWithHeader(header: string, data: Uint8Array = new Uint8Array(0), major = 1): Uint8Array {
  const prefix = major === 1 ? 10 : 12;
  let h = header;
  const pad = 64 - ((prefix + h.length + 1) % 64);
  h += ' '.repeat(pad) + '\n';
  const hb = Buffer.from(h, major === 3 ? 'utf8' : 'latin1');
  const out = new Uint8Array(prefix + hb.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const dv = new DataView(out.buffer);
  if (major === 1) dv.setUint16(8, hb.length, true);
  else dv.setUint32(8, hb.length, true);
  out.set(hb, prefix);
  out.set(data, prefix + hb.length);
  return out;
}

function f4Header(shape: string): string {
  return `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;
}

function assertInvalid(fn: () => unknown, name: string, pattern?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof LayerLensError, `expected LayerLensError, got ${String(e)}`);
    assert.equal(e.code, 'input-invalid');
    assert.ok(e.message.includes(name), `message should name the file: ${e.message}`);
    assert.ok(!e.message.includes('\n'), 'one-line message');
    if (pattern) assert.match(e.message, pattern);
    return true;
  });
}

describe('npy: numpy-written files', () => {
  for (const [file, exp] of Object.entries(expected.valid)) {
    test(`reads ${file}`, async () => {
      const t = await readNpy(path.join(DATA, file));
      assert.equal(t.dtype, DTYPE_OF[exp.dtype.slice(1)]);
      assert.deepEqual(t.dims, exp.shape);
      assert.equal(t.data.length, exp.values.length);
      for (let i = 0; i < exp.values.length; i++) {
        const got = t.data[i];
        if (t.dtype === 'int64') {
          assert.equal(got, BigInt(exp.values[i]), `${file}[${i}]`);
        } else if (t.dtype === 'float16') {
          assert.ok(Object.is(float16ToNumber(got as number), pyFloat(exp.values[i])), `${file}[${i}]: ${float16ToNumber(got as number)} vs ${exp.values[i]}`);
        } else if (t.dtype === 'float32' || t.dtype === 'float64') {
          assert.ok(Object.is(got, pyFloat(exp.values[i])), `${file}[${i}]: ${String(got)} vs ${exp.values[i]}`);
        } else {
          assert.equal(got, Number(exp.values[i]), `${file}[${i}]`);
        }
      }
    });
  }

  test('little-endian numpy files re-encode byte-for-byte', () => {
    let n = 0;
    for (const [file, exp] of Object.entries(expected.valid)) {
      if (exp.dtype.startsWith('>') || file.startsWith('v2') || file.startsWith('v3')) continue;
      const bytes = fs.readFileSync(path.join(DATA, file));
      const again = encodeNpy(parseNpy(bytes, file));
      assert.deepEqual(Buffer.from(again), bytes, file);
      n++;
    }
    assert.ok(n >= 10);
  });

  for (const file of expected.invalid) {
    test(`refuses ${file}`, () => {
      const bytes = fs.readFileSync(path.join(DATA, file));
      assertInvalid(() => parseNpy(bytes, file), file);
    });
  }

  test('refusal messages say why', () => {
    const rd = (f: string) => fs.readFileSync(path.join(DATA, f));
    assertInvalid(() => parseNpy(rd('bad_fortran.npy'), 'x.npy'), 'x.npy', /Fortran/);
    assertInvalid(() => parseNpy(rd('bad_complex.npy'), 'x.npy'), 'x.npy', /'<c8'.*complex/);
    assertInvalid(() => parseNpy(rd('bad_object.npy'), 'x.npy'), 'x.npy', /'\|O'.*object/);
    assertInvalid(() => parseNpy(rd('bad_struct.npy'), 'x.npy'), 'x.npy', /structured/);
    assertInvalid(() => parseNpy(rd('bad_u4.npy'), 'x.npy'), 'x.npy', /'<u4'/);
  });

  test('every LGXA fixture input parses', async () => {
    const files: string[] = [];
    for (const c of fs.readdirSync(FIXTURES)) {
      const dir = path.join(FIXTURES, c);
      if (!fs.statSync(dir).isDirectory()) continue;
      for (const f of fs.readdirSync(dir)) if (/^input_.*\.npy$/.test(f)) files.push(path.join(dir, f));
    }
    assert.ok(files.length > 0, 'no fixture inputs found');
    for (const f of files) {
      const t = await readNpy(f);
      assert.ok(t.dtype === 'float32' || t.dtype === 'int64', `${f}: ${t.dtype}`);
      assert.equal(t.data.length, t.dims.reduce((a, b) => a * b, 1));
      // Parsed data re-encodes to the same file.
      assert.deepEqual(Buffer.from(encodeNpy(t)), fs.readFileSync(f), f);
    }
  });
});

describe('npy: round trip', () => {
  const cases: HostTensor[] = [
    { dtype: 'float32', dims: [2, 3], data: new Float32Array([1, -2, 3.5, NaN, Infinity, -0]) },
    { dtype: 'float64', dims: [3], data: new Float64Array([Math.PI, -1e300, 5e-324]) },
    { dtype: 'float16', dims: [2], data: new Uint16Array([0x3c00, 0xfbff]) },
    { dtype: 'int64', dims: [2, 1], data: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]) },
    { dtype: 'int32', dims: [1, 1, 2], data: new Int32Array([-5, 7]) },
    { dtype: 'int16', dims: [2], data: new Int16Array([-32768, 32767]) },
    { dtype: 'int8', dims: [2], data: new Int8Array([-128, 127]) },
    { dtype: 'uint8', dims: [3], data: new Uint8Array([0, 128, 255]) },
    { dtype: 'bool', dims: [3], data: new Uint8Array([1, 0, 1]) },
    { dtype: 'float32', dims: [], data: new Float32Array([42]) },
    { dtype: 'float32', dims: [0, 4], data: new Float32Array(0) },
    { dtype: 'int64', dims: [0], data: new BigInt64Array(0) },
    { dtype: 'float32', dims: [1, 2, 1, 1, 1, 1, 1, 2], data: new Float32Array([1, 2, 3, 4]) },
  ];
  for (const t of cases) {
    test(`${t.dtype} [${t.dims.join(',')}]`, () => {
      const bytes = encodeNpy(t);
      assert.equal(bytes[6], 1, 'v1.0');
      const headerLen = bytes[8] | (bytes[9] << 8);
      assert.equal((10 + headerLen) % 64, 0, 'data starts on a 64-byte boundary');
      assert.equal(bytes[10 + headerLen - 1], 0x0a, 'header ends with newline');
      const back = parseNpy(bytes, 'rt.npy');
      assert.equal(back.dtype, t.dtype);
      assert.deepEqual(back.dims, t.dims);
      assert.deepEqual(back.data, t.data);
    });
  }

  test('encodes data from a view with an unaligned byteOffset', () => {
    const backing = new ArrayBuffer(4 * 5);
    const view = new Float32Array(backing, 4, 3);
    view.set([1, 2, 3]);
    const back = parseNpy(encodeNpy({ dtype: 'float32', dims: [3], data: view }));
    assert.deepEqual(back.data, new Float32Array([1, 2, 3]));
  });

  test('parses from a Buffer slice at an odd offset', () => {
    const bytes = encodeNpy({ dtype: 'float64', dims: [2], data: new Float64Array([1.25, -3]) });
    const big = Buffer.alloc(bytes.length + 3);
    big.set(bytes, 3);
    const t = parseNpy(big.subarray(3), 'odd.npy');
    assert.deepEqual(t.data, new Float64Array([1.25, -3]));
  });

  test('writeNpy/readNpy through a file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'npy-'));
    try {
      const p = path.join(dir, 'a.npy');
      const t: HostTensor = { dtype: 'int32', dims: [2, 2], data: new Int32Array([1, 2, 3, 4]) };
      await writeNpy(p, t);
      const back = await readNpy(p);
      assert.deepEqual(back, t);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('encodeNpy rejects inconsistent tensors', () => {
    assert.throws(() => encodeNpy({ dtype: 'float32', dims: [3], data: new Float32Array(2) }), LayerLensError);
    assert.throws(() => encodeNpy({ dtype: 'float32', dims: [2], data: new Float64Array(2) }), LayerLensError);
    assert.throws(() => encodeNpy({ dtype: 'float32', dims: [-1], data: new Float32Array(0) }), LayerLensError);
  });
});

describe('npy: header parsing', () => {
  test('accepts header variants numpy and Python allow', () => {
    const data = new Uint8Array(new Float32Array([1, 2]).buffer);
    const variants = [
      `{"descr": "<f4", "fortran_order": False, "shape": (2,)}`,
      `{'shape': (2,), 'fortran_order': False, 'descr': '<f4'}`,
      `{'descr':'<f4','fortran_order':False,'shape':(2L,),}`,
      `{'descr': '<' 'f4', 'fortran_order': False, 'shape': (2, ), }`,
      `{'descr': 'f4', 'fortran_order': False, 'shape': (2,), }`,
      `{'descr': '<f', 'fortran_order': False, 'shape': [2], }`.replace('[2]', '(2,)'),
    ];
    for (const h of variants) {
      const t = parseNpy(npyWithHeader(h, data), 'v.npy');
      assert.equal(t.dtype, 'float32', h);
      assert.deepEqual(t.dims, [2], h);
      assert.deepEqual(t.data, new Float32Array([1, 2]), h);
    }
  });

  test('v2.0 and v3.0 (UTF-8 header) files', () => {
    const data = new Uint8Array(new Int32Array([5]).buffer);
    for (const major of [2, 3]) {
      const t = parseNpy(npyWithHeader(`{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }`, data, major));
      assert.deepEqual(t.data, new Int32Array([5]));
    }
  });

  test('bool data is normalised to 0/1', () => {
    const t = parseNpy(npyWithHeader(`{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }`, new Uint8Array([0, 7, 255])));
    assert.equal(t.dtype, 'bool');
    assert.deepEqual(t.data, new Uint8Array([0, 1, 1]));
  });
});

describe('npy: malformed files throw LayerLensError naming the file', () => {
  const good = encodeNpy({ dtype: 'float32', dims: [2, 3], data: new Float32Array(6) });
  const f4 = (shape: string, nbytes: number) => npyWithHeader(f4Header(shape), new Uint8Array(nbytes));
  const cases: [string, Uint8Array, RegExp?][] = [
    ['empty file', new Uint8Array(0), /empty/],
    ['bad magic', Buffer.from('PK\x03\x04 this is a zip file, not npy'), /magic/],
    ['magic only', good.subarray(0, 6), /magic/],
    ['unknown version', Uint8Array.from([...good.subarray(0, 6), 4, 0, 0, 0]), /version 4\.0/],
    ['v2 length cut off', Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0, 16, 0]), /truncated header/],
    ['truncated header', good.subarray(0, 40), /truncated header/],
    ['header not a dict', npyWithHeader(`['descr', '<f4']`), /not a Python dict/],
    ['unterminated string', npyWithHeader(`{'descr': '<f4, 'fortran_order': False, 'shape': (2,)}`), /dict literal/],
    ['python expression', npyWithHeader(`{'descr': '<f4', 'fortran_order': False, 'shape': (1+1,)}`), /dict literal/],
    ['function call', npyWithHeader(`{'descr': __import__('os'), 'fortran_order': False, 'shape': (2,)}`), /dict literal/],
    ['unclosed dict', npyWithHeader(`{'descr': '<f4', 'fortran_order': False, 'shape': (2,)`), /dict literal/],
    ['trailing junk', npyWithHeader(`{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} x`), /dict literal/],
    ['missing descr', npyWithHeader(`{'fortran_order': False, 'shape': (2,)}`, new Uint8Array(8)), /'descr'/],
    ['missing shape', npyWithHeader(`{'descr': '<f4', 'fortran_order': False}`), /'shape'/],
    ['missing fortran_order', npyWithHeader(`{'descr': '<f4', 'shape': (2,)}`), /'fortran_order'/],
    ['extra key', npyWithHeader(`{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}`), /unexpected key/],
    ['fortran order', npyWithHeader(`{'descr': '<f4', 'fortran_order': True, 'shape': (2,)}`, new Uint8Array(8)), /Fortran/],
    ['fortran_order not bool', npyWithHeader(`{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}`), /fortran_order/],
    ['complex dtype', npyWithHeader(`{'descr': '<c8', 'fortran_order': False, 'shape': (1,)}`, new Uint8Array(8)), /'<c8'/],
    ['object dtype', npyWithHeader(`{'descr': '|O', 'fortran_order': False, 'shape': (1,)}`, new Uint8Array(8)), /'\|O'/],
    ['string dtype', npyWithHeader(`{'descr': '<U3', 'fortran_order': False, 'shape': (1,)}`, new Uint8Array(12)), /'<U3'/],
    ['datetime dtype', npyWithHeader(`{'descr': '<M8[ns]', 'fortran_order': False, 'shape': (1,)}`, new Uint8Array(8)), /dtype/],
    ['structured dtype', npyWithHeader(`{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (1,)}`, new Uint8Array(4)), /structured/],
    ['descr not a string', npyWithHeader(`{'descr': 4, 'fortran_order': False, 'shape': (1,)}`), /descr/],
    ['shape not a tuple', npyWithHeader(f4Header('2')), /shape/],
    ['shape in parens without comma', npyWithHeader(f4Header('(2)')), /shape/],
    ['shape list', npyWithHeader(f4Header('[2]')), /shape/],
    ['shape with a string', npyWithHeader(f4Header(`(2, 'a')`)), /shape/],
    ['negative dim', f4('(2, -1)', 0), /negative/],
    ['data shorter than declared', f4('(2, 3)', 23), /truncated/],
    ['no data at all', f4('(2, 3)', 0), /truncated/],
    ['data longer than declared', f4('(2, 3)', 25), /trailing/],
    ['empty array with data', f4('(0, 3)', 4), /trailing/],
    ['huge dimension', f4('(99999999999999999999999999999,)', 0), /too large/],
    ['count above 2^31', f4('(65536, 32768)', 0), /elements/],
    ['count overflowing 2^64', f4('(2147483647, 2147483647, 2147483647, 2147483647, 2147483647)', 0), /elements/],
    ['leading-zero int', npyWithHeader(f4Header('(02,)'), new Uint8Array(8)), /dict literal/],
    ['bad utf-8 in v3 header', (() => {
      const b = npyWithHeader(f4Header('(1,)'), new Uint8Array(4), 3);
      b[12 + 2] = 0xff;
      return b;
    })(), /UTF-8/],
  ];
  for (const [label, bytes, pattern] of cases) {
    test(label, () => assertInvalid(() => parseNpy(bytes, 'case.npy'), 'case.npy', pattern));
  }

  test('the element limit is 2^31 - 1', () => {
    assert.equal(NPY_MAX_ELEMENTS, 2 ** 31 - 1);
    assertInvalid(() => parseNpy(f4(`(${2 ** 31},)`, 0), 'c.npy'), 'c.npy', /too large|elements/);
    // Exactly at the limit the shape is fine; only the data is missing.
    assertInvalid(() => parseNpy(f4(`(${2 ** 31 - 1},)`, 0), 'c.npy'), 'c.npy', /truncated/);
  });

  test('readNpy on missing file / directory names the path', async () => {
    const missing = path.join(os.tmpdir(), 'definitely-missing-layerlens.npy');
    await assert.rejects(readNpy(missing), (e: unknown) => {
      assert.ok(e instanceof LayerLensError);
      assert.equal(e.code, 'input-invalid');
      assert.ok(e.message.includes(missing));
      assert.match(e.message, /no such file/);
      return true;
    });
    await assert.rejects(readNpy(os.tmpdir()), (e: unknown) => e instanceof LayerLensError && e.message.includes(os.tmpdir()));
  });

  test('random corruption never escapes as a non-LayerLensError', () => {
    const base = encodeNpy({ dtype: 'int16', dims: [3, 2], data: new Int16Array([1, 2, 3, 4, 5, 6]) });
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let k = 0; k < 2000; k++) {
      const b = Uint8Array.from(base);
      const flips = 1 + Math.floor(rnd() * 4);
      for (let j = 0; j < flips; j++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      const cut = rnd() < 0.3 ? Math.floor(rnd() * b.length) : b.length;
      try {
        parseNpy(b.subarray(0, cut), 'fuzz.npy');
      } catch (e) {
        assert.ok(e instanceof LayerLensError, `iteration ${k}: ${String(e)}`);
        assert.equal(e.code, 'input-invalid');
      }
    }
  });
});

describe('npy: float conversion', () => {
  test('float16 bits decode', () => {
    assert.equal(float16ToNumber(0x3c00), 1);
    assert.equal(float16ToNumber(0xc000), -2);
    assert.equal(float16ToNumber(0x7bff), 65504);
    assert.equal(float16ToNumber(0x0001), 2 ** -24);
    assert.equal(float16ToNumber(0x03ff), 1023 * 2 ** -24);
    assert.equal(float16ToNumber(0x0400), 2 ** -14);
    assert.equal(float16ToNumber(0x7c00), Infinity);
    assert.equal(float16ToNumber(0xfc00), -Infinity);
    assert.ok(Number.isNaN(float16ToNumber(0x7e00)));
    assert.ok(Object.is(float16ToNumber(0x8000), -0));
    assert.deepEqual(float16BitsToFloat32(new Uint16Array([0x3555])), new Float32Array([0.333251953125]));
  });

  test('toFloat32 converts float16 and float64, leaves others alone', async () => {
    const h = await readNpy(path.join(DATA, 'f2_special.npy'));
    const f = toFloat32(h);
    assert.equal(f.dtype, 'float32');
    assert.ok(f.data instanceof Float32Array);
    assert.deepEqual(f.dims, h.dims);
    const exp = expected.valid['f2_special.npy'].values.map(pyFloat);
    exp.forEach((v, i) => assert.ok(Object.is(f.data[i], Math.fround(v)), `${i}`));

    const d = toFloat32({ dtype: 'float64', dims: [2], data: new Float64Array([0.1, 1e300]) });
    assert.deepEqual(d.data, new Float32Array([0.1, Infinity]));

    const i = { dtype: 'int64' as const, dims: [1], data: new BigInt64Array([3n]) };
    assert.equal(toFloat32(i), i);
    const s = { dtype: 'float32' as const, dims: [1], data: new Float32Array([3]) };
    assert.equal(toFloat32(s), s);
  });
});

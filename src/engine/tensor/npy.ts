/**
 * NumPy `.npy` reader/writer (format versions 1.0, 2.0 and 3.0).
 *
 * Supported dtypes: f2 (kept as float16 bits), f4, f8, i1, i2, i4, i8, u1 and b1, in either byte
 * order; C order only. Anything else — and every malformed file — is a LayerLensError with code
 * 'input-invalid' whose one-line message names the file. The header dict is parsed with a small
 * tokenizer for the Python literal subset numpy writes; nothing is ever evaluated.
 *
 * Format reference: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 */
import { promises as fs } from 'fs';
import { endianness } from 'os';
import { LayerLensError } from '../errors';
import { DTYPES, DType, HostTensor, TensorData, elementCount } from './hostTensor';
import { float16BitsToFloat32 } from './float16';
export { float16BitsToFloat32, float16ToNumber } from './float16';

/** Largest element count we accept (numpy files above this are refused, not truncated). */
export const NPY_MAX_ELEMENTS = 2 ** 31 - 1;

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
const ARRAY_ALIGN = 64;
/** numpy ≥ 1.23 leaves room in the header so the first axis can grow in place. */
const GROWTH_AXIS_MAX_DIGITS = 21;
const HOST_LE = endianness() === 'LE';

interface DTypeInfo {
  dtype: DType;
  size: number;
  /** The descr numpy writes for this dtype (little-endian where it matters). */
  descr: string;
}

const BY_KIND: Record<string, DTypeInfo> = {
  f2: { dtype: 'float16', size: 2, descr: '<f2' },
  f4: { dtype: 'float32', size: 4, descr: '<f4' },
  f8: { dtype: 'float64', size: 8, descr: '<f8' },
  i1: { dtype: 'int8', size: 1, descr: '|i1' },
  i2: { dtype: 'int16', size: 2, descr: '<i2' },
  i4: { dtype: 'int32', size: 4, descr: '<i4' },
  i8: { dtype: 'int64', size: 8, descr: '<i8' },
  u1: { dtype: 'uint8', size: 1, descr: '|u1' },
  b1: { dtype: 'bool', size: 1, descr: '|b1' },
};
const ALIASES: Record<string, string> = { '?': 'b1', b: 'i1', B: 'u1', e: 'f2', f: 'f4', d: 'f8', h: 'i2', i: 'i4', q: 'i8' };

const BY_DTYPE: Record<DType, DTypeInfo> = Object.fromEntries(
  Object.values(BY_KIND).map((d) => [d.dtype, d]),
) as Record<DType, DTypeInfo>;

function bad(name: string, what: string): LayerLensError {
  return new LayerLensError(`${name}: invalid .npy file: ${what}`, 'input-invalid');
}

// ---------------------------------------------------------------------------------------------
// Header dict: a tokenizer + recursive-descent parser for the Python literal subset numpy emits.

type PyValue = string | bigint | boolean | null | PyValue[] | PyTuple | Map<string, PyValue>;
class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

type Tok =
  | { k: 'punct'; v: string; at: number }
  | { k: 'str'; v: string; at: number }
  | { k: 'int'; v: bigint; at: number }
  | { k: 'name'; v: string; at: number }
  | { k: 'end'; at: number };

class HeaderSyntaxError extends Error {}

function tokenize(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if ('{}()[],:'.includes(c)) {
      toks.push({ k: 'punct', v: c, at: i });
      i++;
    } else if (c === "'" || c === '"') {
      const at = i;
      let out = '';
      i++;
      for (;;) {
        if (i >= src.length) throw new HeaderSyntaxError('unterminated string');
        const ch = src[i];
        if (ch === c) break;
        if (ch === '\n') throw new HeaderSyntaxError('unterminated string');
        if (ch === '\\') {
          const e = src[i + 1];
          if (e === undefined) throw new HeaderSyntaxError('unterminated string');
          const simple: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', n: '\n', t: '\t', r: '\r', '0': '\0' };
          if (e in simple) {
            out += simple[e];
            i += 2;
          } else if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(src.slice(i + 2, i + 4))) {
            out += String.fromCharCode(parseInt(src.slice(i + 2, i + 4), 16));
            i += 4;
          } else {
            out += '\\';
            i++;
          }
          continue;
        }
        out += ch;
        i++;
      }
      i++;
      toks.push({ k: 'str', v: out, at });
    } else if (/[0-9+-]/.test(c)) {
      const m = /^[+-]?[0-9]+[lL]?/.exec(src.slice(i));
      if (!m) throw new HeaderSyntaxError(`unexpected '${c}'`);
      const digits = m[0].replace(/[lL]$/, '');
      // Python 3 forbids leading zeros in decimal literals (other than 0 itself).
      if (/^[+-]?0[0-9]/.test(digits)) throw new HeaderSyntaxError(`bad integer '${m[0]}'`);
      toks.push({ k: 'int', v: BigInt(digits), at: i });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      toks.push({ k: 'name', v: m[0], at: i });
      i += m[0].length;
    } else {
      throw new HeaderSyntaxError(`unexpected character ${JSON.stringify(c)}`);
    }
  }
  toks.push({ k: 'end', at: src.length });
  return toks;
}

function parsePyLiteral(src: string): PyValue {
  const toks = tokenize(src);
  let p = 0;
  const peek = () => toks[p];
  const isPunct = (v: string) => {
    const t = toks[p];
    return t.k === 'punct' && t.v === v;
  };
  const expect = (v: string) => {
    if (!isPunct(v)) throw new HeaderSyntaxError(`expected '${v}'`);
    p++;
  };
  // Sequence items up to `close`, allowing a trailing comma. Returns items and whether any comma was seen.
  const seq = (close: string): { items: PyValue[]; comma: boolean } => {
    const items: PyValue[] = [];
    let comma = false;
    while (!isPunct(close)) {
      items.push(value());
      if (isPunct(',')) {
        comma = true;
        p++;
      } else if (!isPunct(close)) {
        throw new HeaderSyntaxError(`expected ',' or '${close}'`);
      }
    }
    p++;
    return { items, comma };
  };
  const value = (): PyValue => {
    const t = peek();
    switch (t.k) {
      case 'str': {
        p++;
        let s = t.v;
        // Adjacent string literals concatenate, as in Python.
        while (peek().k === 'str') s += (toks[p++] as { v: string }).v;
        return s;
      }
      case 'int':
        p++;
        return t.v;
      case 'name':
        p++;
        if (t.v === 'True') return true;
        if (t.v === 'False') return false;
        if (t.v === 'None') return null;
        throw new HeaderSyntaxError(`unexpected name '${t.v}'`);
      case 'punct':
        if (t.v === '(') {
          p++;
          const { items, comma } = seq(')');
          // `(x)` is just x in Python; only a comma (or `()`) makes a tuple.
          if (items.length === 1 && !comma) return items[0];
          return new PyTuple(items);
        }
        if (t.v === '[') {
          p++;
          return seq(']').items;
        }
        if (t.v === '{') {
          p++;
          const m = new Map<string, PyValue>();
          while (!isPunct('}')) {
            const k = value();
            if (typeof k !== 'string') throw new HeaderSyntaxError('dict keys must be strings');
            expect(':');
            m.set(k, value());
            if (isPunct(',')) p++;
            else if (!isPunct('}')) throw new HeaderSyntaxError("expected ',' or '}'");
          }
          p++;
          return m;
        }
        throw new HeaderSyntaxError(`unexpected '${t.v}'`);
      case 'end':
        throw new HeaderSyntaxError('unexpected end of header');
    }
  };
  const v = value();
  if (peek().k !== 'end') throw new HeaderSyntaxError('trailing characters after the dict');
  return v;
}

function reprShort(v: PyValue): string {
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'bigint') return v.toString();
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (v === null) return 'None';
  if (Array.isArray(v)) return `[${v.map(reprShort).join(', ')}]`;
  if (v instanceof PyTuple) return `(${v.items.map(reprShort).join(', ')}${v.items.length === 1 ? ',' : ''})`;
  return 'dict';
}

function clip(s: string, n = 60): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

function resolveDescr(descr: PyValue, name: string): { info: DTypeInfo; bigEndian: boolean } {
  if (typeof descr !== 'string') {
    if (Array.isArray(descr)) throw bad(name, 'structured dtypes are not supported');
    throw bad(name, `'descr' must be a string, got ${clip(reprShort(descr))}`);
  }
  const m = /^([<>|=]?)([A-Za-z?]\d*)$/.exec(descr);
  const kind = m ? (ALIASES[m[2]] ?? m[2]) : undefined;
  const info = kind !== undefined ? BY_KIND[kind] : undefined;
  if (!m || !info) {
    let what = `unsupported dtype '${clip(descr, 30)}'`;
    if (/^[<>|=]?[cG]/.test(descr)) what += ' (complex numbers are not supported)';
    else if (/^[<>|=]?O/.test(descr)) what += ' (Python objects are not supported)';
    else if (/^[<>|=]?[USa]/.test(descr)) what += ' (strings are not supported)';
    else if (/^[<>|=]?[uH]/.test(descr)) what += ' (only uint8 is supported among unsigned types)';
    throw bad(name, `${what}; supported: float16/32/64, int8/16/32/64, uint8, bool`);
  }
  const order = m[1];
  // '|' (not applicable) and '=' (native) only occur for 1-byte types in practice; read as native.
  const bigEndian = info.size > 1 && (order === '>' || ((order === '=' || order === '|' || order === '') && !HOST_LE));
  return { info, bigEndian };
}

function byteSwap(bytes: Uint8Array, size: number): void {
  for (let i = 0; i + size <= bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

function viewAs(dtype: DType, buf: ArrayBuffer, count: number): TensorData {
  return new DTYPES[dtype].ctor(buf, 0, count);
}

/**
 * Parses a whole `.npy` file held in memory. `name` (usually the path) is used in error messages.
 * The returned tensor owns a fresh, aligned copy of the data.
 */
export function parseNpy(buf: Uint8Array, name = '<npy data>'): HostTensor {
  if (buf.length < 10 || MAGIC.some((b, i) => buf[i] !== b)) {
    throw bad(name, buf.length === 0 ? 'the file is empty' : 'missing the \\x93NUMPY magic (not a NumPy .npy file)');
  }
  const major = buf[6];
  const minor = buf[7];
  if (!(major === 1 || major === 2 || major === 3) || minor !== 0) {
    throw bad(name, `unsupported format version ${major}.${minor} (supported: 1.0, 2.0, 3.0)`);
  }
  const lenBytes = major === 1 ? 2 : 4;
  if (buf.length < 8 + lenBytes) throw bad(name, 'truncated header');
  const dvLen = new DataView(buf.buffer, buf.byteOffset + 8, lenBytes);
  const headerLen = major === 1 ? dvLen.getUint16(0, true) : dvLen.getUint32(0, true);
  const headerStart = 8 + lenBytes;
  const dataStart = headerStart + headerLen;
  if (dataStart > buf.length) {
    throw bad(name, `truncated header (declares ${headerLen} bytes, file has ${buf.length - headerStart})`);
  }
  const headerBytes = buf.subarray(headerStart, dataStart);
  let header: string;
  if (major === 3) {
    try {
      header = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
    } catch {
      throw bad(name, 'header is not valid UTF-8');
    }
  } else {
    header = Buffer.from(headerBytes.buffer, headerBytes.byteOffset, headerBytes.byteLength).toString('latin1');
  }

  let dict: PyValue;
  try {
    dict = parsePyLiteral(header);
  } catch (e) {
    if (!(e instanceof HeaderSyntaxError)) throw e;
    throw bad(name, `header is not a valid Python dict literal (${e.message})`);
  }
  if (!(dict instanceof Map)) throw bad(name, 'header is not a Python dict');
  for (const key of ['descr', 'fortran_order', 'shape']) {
    if (!dict.has(key)) throw bad(name, `header is missing the '${key}' key`);
  }
  const extra = [...dict.keys()].filter((k) => k !== 'descr' && k !== 'fortran_order' && k !== 'shape');
  if (extra.length > 0) throw bad(name, `header has unexpected key '${clip(extra[0], 30)}'`);

  const fortran = dict.get('fortran_order')!;
  if (typeof fortran !== 'boolean') throw bad(name, `'fortran_order' must be True or False`);
  if (fortran) {
    throw bad(name, 'Fortran-order arrays are not supported; save a C-order array (np.ascontiguousarray) instead');
  }

  const { info, bigEndian } = resolveDescr(dict.get('descr')!, name);

  const shapeV = dict.get('shape')!;
  if (!(shapeV instanceof PyTuple)) throw bad(name, `'shape' must be a tuple of integers, got ${clip(reprShort(shapeV))}`);
  const dims: number[] = [];
  let count = 1n;
  for (const d of shapeV.items) {
    if (typeof d !== 'bigint') throw bad(name, `'shape' must be a tuple of integers, got ${clip(reprShort(shapeV))}`);
    if (d < 0n) throw bad(name, `negative dimension in shape ${clip(reprShort(shapeV))}`);
    if (d > BigInt(NPY_MAX_ELEMENTS)) {
      throw bad(name, `shape ${clip(reprShort(shapeV))} is too large (at most ${NPY_MAX_ELEMENTS} elements)`);
    }
    dims.push(Number(d));
    count *= d;
  }
  if (count > BigInt(NPY_MAX_ELEMENTS)) {
    throw bad(name, `shape ${clip(reprShort(shapeV))} has ${count} elements, more than the supported ${NPY_MAX_ELEMENTS}`);
  }
  const n = Number(count);
  const nbytes = n * info.size;
  const available = buf.length - dataStart;
  if (available < nbytes) {
    throw bad(name, `data is truncated (shape ${clip(reprShort(shapeV))} of ${info.dtype} needs ${nbytes} bytes, file has ${available})`);
  }
  if (available > nbytes) {
    throw bad(name, `${available - nbytes} unexpected trailing bytes after the data (shape ${clip(reprShort(shapeV))} of ${info.dtype} needs ${nbytes} bytes)`);
  }

  const copy = new Uint8Array(nbytes);
  copy.set(buf.subarray(dataStart, dataStart + nbytes));
  if (bigEndian === HOST_LE && info.size > 1) byteSwap(copy, info.size);
  if (info.dtype === 'bool') {
    for (let i = 0; i < copy.length; i++) copy[i] = copy[i] ? 1 : 0;
  }
  return { dtype: info.dtype, dims, data: viewAs(info.dtype, copy.buffer, n) };
}

/** Reads and parses a `.npy` file; every failure is a one-line LayerLensError naming the file. */
export async function readNpy(path: string): Promise<HostTensor> {
  let buf: Buffer;
  try {
    buf = await fs.readFile(path);
  } catch (e) {
    throw new LayerLensError(`${path}: cannot read file (${fsReason(e)})`, 'input-invalid');
  }
  return parseNpy(buf, path);
}

export function fsReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'it is a directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ERR_FS_FILE_TOO_LARGE':
      return 'file is too large';
  }
  const msg = e instanceof Error ? e.message : String(e);
  return (code ? `${code}: ` : '') + msg.split('\n')[0];
}

function dataMatches(dtype: DType, data: TensorData): boolean {
  return data instanceof DTYPES[dtype].ctor;
}

function pyShapeRepr(dims: readonly number[]): string {
  if (dims.length === 1) return `(${dims[0]},)`;
  return `(${dims.join(', ')})`;
}

/**
 * Encodes a tensor as a `.npy` v1.0 file, byte-for-byte what `np.save` (numpy ≥ 1.23) writes:
 * little-endian descr, header padded with spaces to a 64-byte boundary and ended by '\n'.
 * Falls back to v2.0 only if the header would not fit v1.0's 16-bit length.
 */
export function encodeNpy(t: HostTensor): Uint8Array {
  const info = BY_DTYPE[t.dtype];
  if (!info) throw new LayerLensError(`cannot write .npy: unknown dtype '${String(t.dtype)}'`, 'invalid-argument');
  if (!dataMatches(t.dtype, t.data)) {
    throw new LayerLensError(`cannot write .npy: ${t.dtype} tensor holds a ${t.data.constructor.name}`, 'invalid-argument');
  }
  for (const d of t.dims) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new LayerLensError(`cannot write .npy: invalid shape [${t.dims.join(', ')}]`, 'invalid-argument');
    }
  }
  const n = elementCount(t.dims);
  if (n !== t.data.length) {
    throw new LayerLensError(
      `cannot write .npy: shape [${t.dims.join(', ')}] has ${n} elements but the data has ${t.data.length}`,
      'invalid-argument',
    );
  }

  let dict = `{'descr': '${info.descr}', 'fortran_order': False, 'shape': ${pyShapeRepr(t.dims)}, }`;
  if (t.dims.length > 0) dict += ' '.repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(t.dims[0]).length));
  let major = 1;
  let prefix = 10;
  let padded = pad(dict, prefix);
  if (padded.length > 0xffff) {
    major = 2;
    prefix = 12;
    padded = pad(dict, prefix);
  }
  const headerBytes = Buffer.from(padded, 'latin1');
  const nbytes = n * info.size;
  const out = new Uint8Array(prefix + headerBytes.length + nbytes);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const dv = new DataView(out.buffer);
  if (major === 1) dv.setUint16(8, headerBytes.length, true);
  else dv.setUint32(8, headerBytes.length, true);
  out.set(headerBytes, prefix);
  const dataStart = prefix + headerBytes.length;
  out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, nbytes), dataStart);
  if (!HOST_LE && info.size > 1) byteSwap(out.subarray(dataStart), info.size);
  if (t.dtype === 'bool') {
    for (let i = dataStart; i < out.length; i++) out[i] = out[i] ? 1 : 0;
  }
  return out;
}

function pad(dict: string, prefix: number): string {
  // Like numpy, this pads by 1..64 spaces (a full 64 when the header is already aligned).
  const padLen = ARRAY_ALIGN - ((prefix + dict.length + 1) % ARRAY_ALIGN);
  return dict + ' '.repeat(padLen) + '\n';
}

/** Writes `t` as a `.npy` v1.0 file. */
export async function writeNpy(path: string, t: HostTensor): Promise<void> {
  const bytes = encodeNpy(t);
  try {
    await fs.writeFile(path, bytes);
  } catch (e) {
    throw new LayerLensError(`${path}: cannot write file (${fsReason(e)})`, 'input-invalid');
  }
}

// ---------------------------------------------------------------------------------------------
// float16

/**
 * Returns a float32 copy of a float16 or float64 tensor (float64 values are rounded to nearest
 * float32). float32 tensors and non-float tensors are returned unchanged.
 */
export function toFloat32(t: HostTensor): HostTensor {
  if (t.dtype === 'float16') {
    return { dtype: 'float32', dims: [...t.dims], data: float16BitsToFloat32(t.data as Uint16Array) };
  }
  if (t.dtype === 'float64') {
    return { dtype: 'float32', dims: [...t.dims], data: Float32Array.from(t.data as Float64Array) };
  }
  return t;
}

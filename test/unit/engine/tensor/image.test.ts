import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { LayerLensError } from '../../../../src/engine/errors';
import {
  DEFAULT_MAX_PIXELS,
  isImagePath,
  loadImageTensor,
  loadInputTensor,
} from '../../../../src/engine/tensor/image';
import { IMAGE_PRESETS } from '../../../../src/shared/preprocess';
import { writeNpy } from '../../../../src/engine/tensor/npy';
import { HostTensor } from '../../../../src/engine/tensor/hostTensor';

let dir = '';
const p = (name: string) => path.join(dir, name);

/** 2x2 RGB image: row 0 = red, green; row 1 = blue, (10, 20, 30). */
const PIX = [
  [255, 0, 0],
  [0, 255, 0],
  [0, 0, 255],
  [10, 20, 30],
];

function rawImage(w: number, h: number, channels: 1 | 2 | 3 | 4, pixels: number[]) {
  return sharp(Buffer.from(pixels), { raw: { width: w, height: h, channels } });
}

function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

function pngChunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** A PNG whose valid IHDR (correct CRC) claims width x height; the pixel data is a token IDAT. */
function bombPng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, deflate, no filter/interlace
  const idat = Uint8Array.from([0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', idat),
    pngChunk('IEND', new Uint8Array(0)),
  ]);
}

async function assertInvalidFile(promise: Promise<unknown>, file: string, pattern?: RegExp, code = 'input-invalid') {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof LayerLensError, `expected LayerLensError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.ok(e.message.includes(file), `message should name ${file}: ${e.message}`);
    assert.ok(!e.message.includes('\n'), 'one line');
    assert.ok(!/\bat .*:\d+:\d+/.test(e.message), 'no stack trace');
    if (pattern) assert.match(e.message, pattern);
    return true;
  });
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'layerlens-image-'));
  await rawImage(2, 2, 3, PIX.flat()).png().toFile(p('rgb2x2.png'));
  await rawImage(2, 2, 1, [0, 64, 128, 255]).png().toFile(p('gray2x2.png'));
  await rawImage(2, 1, 4, [200, 100, 50, 0, 1, 2, 3, 255]).png().toFile(p('rgba2x1.png'));
  // 8 wide, 2 high: columns 0-2 red, 3-4 green, 5-7 blue.
  const cols = [0, 0, 0, 1, 1, 2, 2, 2];
  const stripes: number[] = [];
  for (let y = 0; y < 2; y++) for (const c of cols) stripes.push(...[0, 1, 2].map((k) => (k === c ? 255 : 0)));
  await rawImage(8, 2, 3, stripes).png().toFile(p('stripes8x2.png'));
  const flat: number[] = [];
  for (let i = 0; i < 6 * 4; i++) flat.push(100, 150, 200);
  await rawImage(6, 4, 3, flat).png().toFile(p('flat6x4.png'));
  await rawImage(6, 4, 3, flat).jpeg({ quality: 95 }).toFile(p('flat6x4.jpg'));
  for (const ext of ['webp', 'gif', 'tiff', 'avif']) {
    await rawImage(6, 4, 3, flat).toFormat(ext as keyof sharp.FormatEnum, ext === 'webp' || ext === 'avif' ? { lossless: true } : {}).toFile(p(`flat6x4.${ext}`));
  }
  await rawImage(6, 4, 3, flat).tiff().toFile(p('flat6x4.tif'));
  await rawImage(6, 4, 3, flat).jpeg().toFile(p('FLAT.JPEG'));
  // 16-bit PNG: white and black.
  await rawImage(2, 1, 3, [255, 255, 255, 0, 0, 0]).toColourspace('rgb16').png().toFile(p('deep16.png'));
  // EXIF orientation 6 (rotate 90° clockwise to display): stored 16 wide x 8 high, left half red.
  const lr: number[] = [];
  for (let y = 0; y < 8; y++) for (let x = 0; x < 16; x++) lr.push(...(x < 8 ? [255, 0, 0] : [0, 0, 255]));
  await rawImage(16, 8, 3, lr).jpeg({ quality: 100 }).withMetadata({ orientation: 6 }).toFile(p('oriented.jpg'));
  fs.writeFileSync(p('bomb.png'), bombPng(100000, 100000));
  fs.writeFileSync(p('empty.png'), new Uint8Array(0));
  fs.writeFileSync(p('garbage.png'), Buffer.from('this is definitely not an image, just some text\n'.repeat(5)));
  fs.writeFileSync(p('text.jpg'), Buffer.from('hello'));
  const png = fs.readFileSync(p('flat6x4.png'));
  fs.writeFileSync(p('truncated.png'), png.subarray(0, Math.floor(png.length * 0.6)));
  const jpg = fs.readFileSync(p('oriented.jpg'));
  fs.writeFileSync(p('truncated.jpg'), jpg.subarray(0, Math.floor(jpg.length / 2)));
  fs.mkdirSync(p('folder.png'));
});

after(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const f = (v: number) => Math.fround(v / 255);
function f32(t: HostTensor): Float32Array {
  assert.ok(t.data instanceof Float32Array);
  return t.data;
}

describe('image: exact pixel values', () => {
  test('2x2 RGB PNG → NCHW float32 in [0,1] (default options)', async () => {
    const t = await loadImageTensor(p('rgb2x2.png'));
    assert.equal(t.dtype, 'float32');
    assert.deepEqual(t.dims, [1, 3, 2, 2]);
    const exp: number[] = [];
    for (let c = 0; c < 3; c++) for (const px of PIX) exp.push(f(px[c]));
    assert.deepEqual([...t.data], exp);
  });

  test('NHWC layout', async () => {
    const t = await loadImageTensor(p('rgb2x2.png'), { layout: 'nhwc', channels: 3 });
    assert.deepEqual(t.dims, [1, 2, 2, 3]);
    assert.deepEqual([...t.data], PIX.flat().map(f));
  });

  test('BGR channel order, NCHW and NHWC', async () => {
    const t = await loadImageTensor(p('rgb2x2.png'), { channelOrder: 'bgr' });
    const exp: number[] = [];
    for (const c of [2, 1, 0]) for (const px of PIX) exp.push(f(px[c]));
    assert.deepEqual([...t.data], exp);
    const u = await loadImageTensor(p('rgb2x2.png'), { channelOrder: 'bgr', layout: 'nhwc' });
    assert.deepEqual([...u.data], PIX.flatMap((px) => [px[2], px[1], px[0]]).map(f));
  });

  test('grayscale from RGB uses ITU-R 601-2 luma (as PIL convert("L"))', async () => {
    const t = await loadImageTensor(p('rgb2x2.png'), { channels: 1 });
    assert.deepEqual(t.dims, [1, 1, 2, 2]);
    const luma = PIX.map(([r, g, b]) => Math.round((r * 299 + g * 587 + b * 114) / 1000));
    assert.deepEqual(luma, [76, 150, 29, 18]);
    assert.deepEqual([...t.data], luma.map(f));
    const u = await loadImageTensor(p('rgb2x2.png'), { channels: 1, layout: 'nhwc' });
    assert.deepEqual(u.dims, [1, 2, 2, 1]);
  });

  test('grayscale PNG: 1 channel exact, 3 channels replicated', async () => {
    const g = await loadImageTensor(p('gray2x2.png'), { channels: 1 });
    assert.deepEqual([...g.data], [0, 64, 128, 255].map(f));
    const c = await loadImageTensor(p('gray2x2.png'));
    assert.deepEqual([...c.data], [0, 1, 2].flatMap(() => [0, 64, 128, 255].map(f)));
  });

  test('alpha is dropped, colour kept', async () => {
    const t = await loadImageTensor(p('rgba2x1.png'), { layout: 'nhwc' });
    assert.deepEqual(t.dims, [1, 1, 2, 3]);
    assert.deepEqual([...t.data], [200, 100, 50, 1, 2, 3].map(f));
  });

  test('16-bit PNG is reduced to 8 bits', async () => {
    const t = await loadImageTensor(p('deep16.png'), { layout: 'nhwc' });
    assert.deepEqual([...t.data], [1, 1, 1, 0, 0, 0]);
  });

  test('range mapping: symmetric preset and custom range', async () => {
    const s = await loadImageTensor(p('rgb2x2.png'), { ...IMAGE_PRESETS.symmetric, layout: 'nhwc' });
    assert.deepEqual([...s.data], PIX.flat().map((v) => Math.fround(-1 + (2 * v) / 255)));
    assert.equal(s.data[0], 1);
    assert.equal(s.data[1], -1);
    const r = await loadImageTensor(p('rgb2x2.png'), { range: [0, 255], layout: 'nhwc' });
    assert.deepEqual([...r.data], PIX.flat());
  });

  test('mean/std per channel (imagenet preset) and broadcast single values', async () => {
    const t = await loadImageTensor(p('rgb2x2.png'), { ...IMAGE_PRESETS.imagenet });
    const { mean, std } = IMAGE_PRESETS.imagenet;
    const exp: number[] = [];
    for (let c = 0; c < 3; c++) for (const px of PIX) exp.push(Math.fround((px[c] / 255 - mean![c]) / std![c]));
    assert.deepEqual([...t.data], exp);
    // With bgr the mean/std follow output channel order.
    const b = await loadImageTensor(p('rgb2x2.png'), { mean: [0.5], std: [0.25], channels: 3, layout: 'nhwc' });
    assert.deepEqual([...b.data], PIX.flat().map((v) => Math.fround((v / 255 - 0.5) / 0.25)));
  });

  test('presets are frozen', () => {
    assert.ok(Object.isFrozen(IMAGE_PRESETS.imagenet));
    assert.ok(Object.isFrozen(IMAGE_PRESETS.imagenet.mean));
    assert.deepEqual(IMAGE_PRESETS.unit.range, [0, 1]);
    assert.deepEqual(IMAGE_PRESETS.symmetric.range, [-1, 1]);
    assert.deepEqual(IMAGE_PRESETS.imagenet.std, [0.229, 0.224, 0.225]);
  });
});

describe('image: resize and formats', () => {
  test('stretch resize gives the requested shape', async () => {
    const t = await loadImageTensor(p('flat6x4.png'), { size: [3, 5] });
    assert.deepEqual(t.dims, [1, 3, 3, 5]);
    // A flat image stays flat (within rounding).
    for (let i = 0; i < 15; i++) assert.ok(Math.abs(f32(t)[i] * 255 - 100) <= 1, `${f32(t)[i] * 255}`);
    const u = await loadImageTensor(p('flat6x4.png'), { size: [7, 9], layout: 'nhwc', channels: 1 });
    assert.deepEqual(u.dims, [1, 7, 9, 1]);
    const big = await loadImageTensor(p('rgb2x2.png'), { size: [224, 224] });
    assert.deepEqual(big.dims, [1, 3, 224, 224]);
  });

  test('center-crop keeps the middle after scaling to cover', async () => {
    const t = await loadImageTensor(p('stripes8x2.png'), { size: [2, 2], resize: 'center-crop', layout: 'nhwc' });
    assert.deepEqual(t.dims, [1, 2, 2, 3]);
    assert.deepEqual([...t.data], [0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0]);
    const s = await loadImageTensor(p('stripes8x2.png'), { size: [2, 2], resize: 'stretch', layout: 'nhwc' });
    // Stretching squeezes all three stripes in: the left pixel is mostly red, the right mostly blue.
    assert.ok(f32(s)[0] > 0.5 && f32(s)[5] > 0.5, [...s.data].join(','));
  });

  test('JPEG decodes close to the source colours', async () => {
    const t = await loadImageTensor(p('flat6x4.jpg'), { layout: 'nhwc' });
    assert.deepEqual(t.dims, [1, 4, 6, 3]);
    for (let i = 0; i < t.data.length; i++) {
      assert.ok(Math.abs(f32(t)[i] * 255 - [100, 150, 200][i % 3]) <= 3, `${i}: ${f32(t)[i] * 255}`);
    }
  });

  test('every extension isImagePath accepts decodes here', async () => {
    for (const name of ['flat6x4.webp', 'flat6x4.gif', 'flat6x4.tiff', 'flat6x4.tif', 'flat6x4.avif', 'FLAT.JPEG', 'flat6x4.png']) {
      assert.ok(isImagePath(name), name);
      const t = await loadImageTensor(p(name), { layout: 'nhwc' });
      assert.deepEqual(t.dims, [1, 4, 6, 3], name);
      const tol = name.endsWith('.gif') ? 12 : 4; // GIF is palettised; lossy AVIF/JPEG get a few levels
      assert.ok(Math.abs(f32(t)[0] * 255 - 100) <= tol, `${name}: ${f32(t)[0] * 255}`);
    }
  });

  test('EXIF orientation is applied', async () => {
    const t = await loadImageTensor(p('oriented.jpg'), { layout: 'nhwc' });
    assert.deepEqual(t.dims, [1, 16, 8, 3], 'rotated to 8 wide x 16 high');
    // Rotated 90° clockwise: the stored left (red) half is now on top.
    assert.ok(f32(t)[0] > 0.9 && f32(t)[2] < 0.1, `top-left ${f32(t)[0]},${f32(t)[2]}`);
    const last = t.data.length - 3;
    assert.ok(f32(t)[last] < 0.1 && f32(t)[last + 2] > 0.9, 'bottom is blue');
  });

  test('isImagePath', () => {
    for (const ok of ['a.png', 'b.JPG', 'c.jpeg', '/x/y.webp', 'z.gif', 'q.tif', 'q.tiff', 'q.avif']) assert.ok(isImagePath(ok), ok);
    for (const no of ['a.npy', 'b.bmp', 'c.txt', 'png', 'a.png.bak', 'noext', 'x.svg']) assert.ok(!isImagePath(no), no);
  });
});

describe('image: refusals', () => {
  test('a PNG header claiming 100000x100000 pixels is refused before decoding, quickly', async () => {
    const t0 = Date.now();
    await assertInvalidFile(loadImageTensor(p('bomb.png')), p('bomb.png'), /100000x100000.*limit/);
    const ms = Date.now() - t0;
    assert.ok(ms < 2000, `took ${ms} ms`);
    // Also through the dispatcher, and with a resize requested.
    await assertInvalidFile(loadInputTensor(p('bomb.png'), { size: [8, 8] }), p('bomb.png'), /limit/);
  });

  test('the pixel limit is configurable', async () => {
    assert.equal(DEFAULT_MAX_PIXELS, 64_000_000);
    await assertInvalidFile(loadImageTensor(p('flat6x4.png'), { maxPixels: 23 }), p('flat6x4.png'), /6x4/);
    const t = await loadImageTensor(p('flat6x4.png'), { maxPixels: 24 });
    assert.deepEqual(t.dims, [1, 3, 4, 6]);
  });

  const broken: [string, RegExp][] = [
    ['empty.png', /empty/],
    ['garbage.png', /cannot decode image/],
    ['text.jpg', /cannot decode image/],
    ['truncated.png', /cannot decode image/],
    ['truncated.jpg', /cannot decode image/],
    ['missing.png', /no such file/],
    ['folder.png', /directory/],
  ];
  for (const [name, pattern] of broken) {
    test(`${name} → one-line LayerLensError naming the file`, async () => {
      await assertInvalidFile(loadImageTensor(p(name)), p(name), pattern);
    });
  }

  test('bad options are invalid-argument errors', async () => {
    const bad = [
      { mean: [0.1, 0.2] },
      { std: [1, 0, 1] },
      { size: [0, 4] as [number, number] },
      { size: [2.5, 4] as [number, number] },
      { channels: 2 as unknown as 3 },
      { layout: 'chw' as unknown as 'nchw' },
      { range: [0, NaN] as [number, number] },
      { maxPixels: -1 },
    ];
    for (const o of bad) {
      await assert.rejects(loadImageTensor(p('rgb2x2.png'), o), (e: unknown) => {
        assert.ok(e instanceof LayerLensError, JSON.stringify(o));
        assert.equal(e.code, 'invalid-argument');
        return true;
      });
    }
  });
});

describe('loadInputTensor', () => {
  test('dispatches .npy (float64/float16 → float32, int64 kept) and images', async () => {
    await writeNpy(p('d.npy'), { dtype: 'float64', dims: [1, 2], data: new Float64Array([0.5, 0.1]) });
    const d = await loadInputTensor(p('d.npy'));
    assert.equal(d.dtype, 'float32');
    assert.deepEqual(d.data, new Float32Array([0.5, 0.1]));
    await writeNpy(p('h.NPY'), { dtype: 'float16', dims: [1], data: new Uint16Array([0x3c00]) });
    const h = await loadInputTensor(p('h.NPY'));
    assert.equal(h.dtype, 'float32');
    assert.deepEqual(h.data, new Float32Array([1]));
    await writeNpy(p('i.npy'), { dtype: 'int64', dims: [2], data: new BigInt64Array([1n, 2n]) });
    const i = await loadInputTensor(p('i.npy'));
    assert.equal(i.dtype, 'int64');
    const img = await loadInputTensor(p('rgb2x2.png'), { layout: 'nhwc' });
    assert.deepEqual(img.dims, [1, 2, 2, 3]);
  });

  test('refuses other file types, and bad .npy files with the file name', async () => {
    fs.writeFileSync(p('x.txt'), 'hello');
    await assertInvalidFile(loadInputTensor(p('x.txt')), p('x.txt'), /unsupported input file type '\.txt'/);
    await assertInvalidFile(loadInputTensor(p('noext')), p('noext'), /unsupported input file type/);
    fs.writeFileSync(p('bad.npy'), 'not numpy');
    await assertInvalidFile(loadInputTensor(p('bad.npy')), p('bad.npy'), /magic/);
  });
});

/**
 * Image decoding and preprocessing for model inputs (CLI and host), using sharp.
 *
 * Pipeline: read file → header-only metadata (refuse decompression bombs before any pixel is
 * decoded) → decode first frame, apply EXIF orientation → sRGB, alpha dropped (like PIL's
 * `convert('RGB')`) → optional resize → optional grayscale (PIL's ITU-R 601-2 luma) → map 0..255
 * linearly onto `range` → `(x - mean[c]) / std[c]` → float32 NCHW or NHWC with N = 1.
 */
import { promises as fs } from 'fs';
import { extname } from 'path';
import type sharpNs from 'sharp';
import type { ImagePreprocess } from '../../shared/preprocess';
import { LayerLensError } from '../errors';
import { HostTensor } from './hostTensor';
import { fsReason, readNpy, toFloat32 } from './npy';

/** Preprocessing (src/shared/preprocess.ts) plus the decoder's own limit. */
export interface ImageLoadOptions extends ImagePreprocess {
  /** Largest accepted source image, in pixels (width × height). Default 64 megapixels. */
  maxPixels?: number;
}

export const DEFAULT_MAX_PIXELS = 64_000_000;
/** Largest image file we read at all. */
const MAX_IMAGE_FILE_BYTES = 512 * 1024 * 1024;
/** Largest output side we produce. */
const MAX_OUTPUT_SIDE = 16384;

/** Extensions sharp's bundled libvips decodes here (no BMP: sharp does not read it). */
const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp', '.gif', '.tif', '.tiff', '.avif']);

export function isImagePath(path: string): boolean {
  return IMAGE_EXTENSIONS.has(extname(path).toLowerCase());
}

function isNpyPath(path: string): boolean {
  return extname(path).toLowerCase() === '.npy';
}

let sharpModule: typeof sharpNs | undefined;
function loadSharp(): typeof sharpNs {
  if (!sharpModule) {
    try {
      // Loaded lazily: the native module is only needed once an image is actually read.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      sharpModule = require('sharp') as typeof sharpNs;
    } catch (e) {
      const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
      throw new LayerLensError(`cannot decode images: the sharp image library failed to load (${msg})`, 'input-invalid');
    }
  }
  return sharpModule;
}

function invalidArg(what: string): LayerLensError {
  return new LayerLensError(`invalid image preprocessing option: ${what}`, 'invalid-argument');
}

interface Resolved {
  size?: [number, number];
  fit: 'fill' | 'cover';
  channels: 1 | 3;
  bgr: boolean;
  lo: number;
  hi: number;
  mean: number[];
  std: number[];
  nhwc: boolean;
  maxPixels: number;
}

function perChannel(v: readonly number[] | undefined, fallback: number, channels: number, what: string): number[] {
  if (v === undefined) return new Array<number>(channels).fill(fallback);
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
    throw invalidArg(`${what} must be a list of finite numbers`);
  }
  if (v.length === 1) return new Array<number>(channels).fill(v[0]);
  if (v.length !== channels) throw invalidArg(`${what} has ${v.length} values but the image has ${channels} channel(s)`);
  return [...v];
}

function resolveOptions(opts: ImageLoadOptions): Resolved {
  const channels = opts.channels ?? 3;
  if (channels !== 1 && channels !== 3) throw invalidArg(`channels must be 1 or 3, got ${String(channels)}`);
  const order = opts.channelOrder ?? 'rgb';
  if (order !== 'rgb' && order !== 'bgr') throw invalidArg(`channelOrder must be 'rgb' or 'bgr', got '${String(order)}'`);
  const layout = opts.layout ?? 'nchw';
  if (layout !== 'nchw' && layout !== 'nhwc') throw invalidArg(`layout must be 'nchw' or 'nhwc', got '${String(layout)}'`);
  const mode = opts.resize ?? 'stretch';
  if (mode !== 'stretch' && mode !== 'center-crop') throw invalidArg(`resize must be 'stretch' or 'center-crop', got '${String(mode)}'`);
  const range = opts.range ?? [0, 1];
  if (!Array.isArray(range) || range.length !== 2 || !range.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw invalidArg('range must be two finite numbers [lo, hi]');
  }
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!Number.isSafeInteger(maxPixels) || maxPixels < 1) throw invalidArg('maxPixels must be a positive integer');
  let size: [number, number] | undefined;
  if (opts.size !== undefined) {
    const s = opts.size;
    if (!Array.isArray(s) || s.length !== 2 || !s.every((x) => Number.isInteger(x) && x >= 1 && x <= MAX_OUTPUT_SIDE)) {
      throw invalidArg(`size must be [height, width] with integers from 1 to ${MAX_OUTPUT_SIDE}`);
    }
    size = [s[0], s[1]];
  }
  const mean = perChannel(opts.mean, 0, channels, 'mean');
  const std = perChannel(opts.std, 1, channels, 'std');
  if (std.some((x) => x === 0)) throw invalidArg('std must not contain 0');
  return {
    size,
    fit: mode === 'center-crop' ? 'cover' : 'fill',
    channels,
    bgr: order === 'bgr',
    lo: range[0],
    hi: range[1],
    mean,
    std,
    nhwc: layout === 'nhwc',
    maxPixels,
  };
}

function decodeError(path: string, e: unknown): LayerLensError {
  if (e instanceof LayerLensError) return e;
  const raw = e instanceof Error ? e.message : String(e);
  let reason = raw.split('\n')[0].trim();
  if (/unsupported image format/i.test(reason)) reason = 'unsupported or unrecognised image format';
  else if (/exceeds pixel limit/i.test(reason)) reason = 'image is larger than the pixel limit';
  if (reason.length > 160) reason = `${reason.slice(0, 160)}…`;
  return new LayerLensError(`${path}: cannot decode image (${reason})`, 'input-invalid');
}

async function readImageFile(path: string): Promise<Buffer> {
  let size: number;
  try {
    const st = await fs.stat(path);
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    size = st.size;
  } catch (e) {
    throw new LayerLensError(`${path}: cannot read file (${fsReason(e)})`, 'input-invalid');
  }
  if (size === 0) throw new LayerLensError(`${path}: cannot decode image (the file is empty)`, 'input-invalid');
  if (size > MAX_IMAGE_FILE_BYTES) {
    throw new LayerLensError(`${path}: image file is too large (${size} bytes, at most ${MAX_IMAGE_FILE_BYTES})`, 'input-invalid');
  }
  try {
    // Decoding from a buffer (not the path) also sidesteps libvips' by-filename cache, which can
    // return stale pixels after the file is rewritten in place.
    return await fs.readFile(path);
  } catch (e) {
    throw new LayerLensError(`${path}: cannot read file (${fsReason(e)})`, 'input-invalid');
  }
}

/**
 * Decodes an image file into a float32 tensor `[1, C, H, W]` (or `[1, H, W, C]` for `nhwc`).
 * Files whose header declares more than `maxPixels` pixels are refused before any pixel is decoded.
 */
export async function loadImageTensor(path: string, opts: ImageLoadOptions = {}): Promise<HostTensor> {
  const o = resolveOptions(opts);
  const sharp = loadSharp();
  const file = await readImageFile(path);

  // 1. Header only: dimensions, no pixels.
  let width: number | undefined;
  let height: number | undefined;
  try {
    const meta = await sharp(file, { limitInputPixels: false, failOn: 'none' }).metadata();
    width = meta.width;
    height = meta.height;
  } catch (e) {
    throw decodeError(path, e);
  }
  if (!width || !height) throw new LayerLensError(`${path}: cannot decode image (no image dimensions in the header)`, 'input-invalid');
  if (width * height > o.maxPixels) {
    const mp = (n: number) => `${Math.round((n / 1e6) * 10) / 10} megapixels`;
    throw new LayerLensError(
      `${path}: image is ${width}x${height} pixels (${mp(width * height)}), above the limit of ${mp(o.maxPixels)}; refusing to decode it`,
      'input-invalid',
    );
  }

  // 2. Decode to 8-bit sRGB, alpha dropped, optionally resized.
  let pixels: Buffer;
  let w: number;
  let h: number;
  try {
    let img = sharp(file, { limitInputPixels: o.maxPixels, failOn: 'warning', autoOrient: true })
      .toColourspace('srgb')
      .removeAlpha();
    if (o.size) {
      img = img.resize({ height: o.size[0], width: o.size[1], fit: o.fit, position: 'centre', kernel: 'linear' });
    }
    const { data, info } = await img.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || data.length !== info.width * info.height * 3) {
      throw new Error(`unexpected decoded layout (${info.width}x${info.height}x${info.channels})`);
    }
    pixels = data;
    w = info.width;
    h = info.height;
  } catch (e) {
    throw decodeError(path, e);
  }

  return pixelsToTensor(pixels, w, h, o);
}

function pixelsToTensor(rgb: Uint8Array, w: number, h: number, o: Resolved): HostTensor {
  const C = o.channels;
  const hw = w * h;
  const out = new Float32Array(hw * C);
  // Per output channel: value(v) = (lo + (hi - lo) * v / 255 - mean) / std, precomputed for all 256
  // bytes in float64 and rounded once to float32 (so [0, 1] gives exactly Math.fround(v / 255)).
  const luts: Float64Array[] = [];
  for (let c = 0; c < C; c++) {
    const lut = new Float64Array(256);
    for (let v = 0; v < 256; v++) lut[v] = (o.lo + ((o.hi - o.lo) * v) / 255 - o.mean[c]) / o.std[c];
    luts.push(lut);
  }
  if (C === 1) {
    const lut = luts[0];
    for (let p = 0; p < hw; p++) {
      const r = rgb[3 * p];
      const g = rgb[3 * p + 1];
      const b = rgb[3 * p + 2];
      // PIL's convert('L'): L = R*299/1000 + G*587/1000 + B*114/1000, in fixed point, rounded.
      const l = (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
      out[p] = lut[l];
    }
  } else {
    const src = o.bgr ? [2, 1, 0] : [0, 1, 2];
    for (let c = 0; c < 3; c++) {
      const lut = luts[c];
      const s = src[c];
      if (o.nhwc) {
        for (let p = 0; p < hw; p++) out[3 * p + c] = lut[rgb[3 * p + s]];
      } else {
        const base = c * hw;
        for (let p = 0; p < hw; p++) out[base + p] = lut[rgb[3 * p + s]];
      }
    }
  }
  return { dtype: 'float32', dims: o.nhwc ? [1, h, w, C] : [1, C, h, w], data: out };
}

/**
 * Loads a model input from a file: `.npy` (float16/float64 converted to float32; integer and bool
 * tensors kept as they are) or an image (see `loadImageTensor`). Anything else is refused.
 */
export async function loadInputTensor(path: string, opts: ImageLoadOptions = {}): Promise<HostTensor> {
  if (isNpyPath(path)) return toFloat32(await readNpy(path));
  if (isImagePath(path)) return loadImageTensor(path, opts);
  const ext = extname(path);
  throw new LayerLensError(
    `${path}: unsupported input file type${ext ? ` '${ext}'` : ''} (expected .npy or an image: ${[...IMAGE_EXTENSIONS].join(', ')})`,
    'input-invalid',
  );
}

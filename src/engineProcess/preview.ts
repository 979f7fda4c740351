/**
 * RGBA previews of model inputs for the inspector's overlay: the image with the model's crop and aspect
 * (so the upsampled heatmap lands on the right pixels), or an image-like tensor rescaled to 0..255.
 */
import { promises as fs } from 'node:fs';
import type sharpNs from 'sharp';
import { LayerLensError } from '../engine/errors';
import type { HostTensor } from '../engine/tensor/hostTensor';
import type { WireInputPreview } from '../shared/engineWire';
import type { ImagePreprocess } from '../shared/preprocess';

/** The preview's size: the model's aspect when it resizes, as large as the source allows, at most `maxSide`. */
export function previewSize(src: { width: number; height: number }, pre: ImagePreprocess, maxSide: number): { width: number; height: number } {
  const cap = Math.max(1, Math.floor(maxSide));
  if (!pre.size) {
    const s = Math.min(1, cap / Math.max(src.width, src.height));
    return { width: Math.max(1, Math.round(src.width * s)), height: Math.max(1, Math.round(src.height * s)) };
  }
  const [h, w] = pre.size;
  const long = Math.min(cap, Math.max(Math.max(h, w), Math.max(src.width, src.height)));
  const s = long / Math.max(h, w);
  return { width: Math.max(1, Math.round(w * s)), height: Math.max(1, Math.round(h * s)) };
}

export async function imagePreview(file: string, pre: ImagePreprocess, maxSide: number): Promise<WireInputPreview> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sharp = require('sharp') as typeof sharpNs;
  const buf = await fs.readFile(file);
  try {
    const meta = await sharp(buf, { failOn: 'none' }).metadata();
    const oriented = (meta.orientation ?? 1) >= 5;
    const src = { width: (oriented ? meta.height : meta.width) ?? 1, height: (oriented ? meta.width : meta.height) ?? 1 };
    const size = previewSize(src, pre, maxSide);
    const { data, info } = await sharp(buf, { failOn: 'none', autoOrient: true })
      .toColourspace('srgb')
      .removeAlpha()
      .resize({ width: size.width, height: size.height, fit: pre.resize === 'center-crop' ? 'cover' : 'fill', position: 'centre', kernel: 'linear' })
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    const n = info.width * info.height;
    const rgba = Buffer.alloc(n * 4);
    const gray = pre.channels === 1;
    for (let p = 0; p < n; p++) {
      const r = data[3 * p];
      const g = data[3 * p + 1];
      const b = data[3 * p + 2];
      if (gray) {
        const l = (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
        rgba[4 * p] = rgba[4 * p + 1] = rgba[4 * p + 2] = l;
      } else {
        rgba[4 * p] = r;
        rgba[4 * p + 1] = g;
        rgba[4 * p + 2] = b;
      }
      rgba[4 * p + 3] = 255;
    }
    return { width: info.width, height: info.height, rgba: rgba.toString('base64') };
  } catch (e) {
    throw new LayerLensError(`${file}: cannot decode image (${(e as Error).message.split('\n')[0]})`, 'input-invalid');
  }
}

/** Where the image sits in a tensor shape: [H,W], [C,H,W], [N,C,H,W] or [N,H,W,C] with C in {1,3}. */
function imageLayout(dims: readonly number[]): { c: number; h: number; w: number; nhwc: boolean } | undefined {
  const d = dims.length === 2 ? [1, 1, ...dims] : dims.length === 3 ? [1, ...dims] : dims;
  if (d.length !== 4) return undefined;
  const [, a, b, c] = d;
  if ((a === 1 || a === 3) && b > 1 && c > 1) return { c: a, h: b, w: c, nhwc: false };
  if ((c === 1 || c === 3) && a > 1 && b > 1) return { c, h: a, w: b, nhwc: true };
  return undefined;
}

/** The first example of an image-like float tensor, min–max scaled to 0..255; undefined otherwise. */
export function tensorPreview(t: HostTensor): WireInputPreview | undefined {
  if (t.dtype !== 'float32') return undefined;
  const L = imageLayout(t.dims);
  if (!L) return undefined;
  const data = t.data as Float32Array;
  const hw = L.h * L.w;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < hw * L.c; i++) {
    const v = data[i];
    if (Number.isFinite(v)) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  const scale = hi > lo ? 255 / (hi - lo) : 0;
  const rgba = Buffer.alloc(hw * 4);
  for (let p = 0; p < hw; p++) {
    for (let k = 0; k < 3; k++) {
      const c = L.c === 1 ? 0 : k;
      const v = L.nhwc ? data[p * L.c + c] : data[c * hw + p];
      rgba[4 * p + k] = Number.isFinite(v) ? Math.round((v - lo) * scale) : 0;
    }
    rgba[4 * p + 3] = 255;
  }
  return { width: L.w, height: L.h, rgba: rgba.toString('base64') };
}

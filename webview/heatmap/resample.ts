/**
 * Upsampling a map to the image size with PyTorch's `F.interpolate` semantics (what Captum's
 * `LayerAttribution.interpolate` calls): `nearest` (src = floor(dst · in/out)) and `bilinear` with
 * `align_corners=False` (src = (dst + 0.5) · in/out − 0.5, clamped at 0).
 */

export type Upsampling = 'nearest' | 'bilinear';

/** Source index per destination index along one axis, PyTorch's `nearest`. */
export function nearestIndices(inSize: number, outSize: number): Int32Array {
  const scale = inSize / outSize;
  const idx = new Int32Array(outSize);
  for (let d = 0; d < outSize; d++) idx[d] = Math.min(Math.floor(d * scale), inSize - 1);
  return idx;
}

/** Per destination index: the lower source index, the upper one, and the weight of the upper one. */
export interface LinearTaps {
  lo: Int32Array;
  hi: Int32Array;
  w: Float64Array;
}

export function linearTaps(inSize: number, outSize: number): LinearTaps {
  const scale = inSize / outSize;
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const w = new Float64Array(outSize);
  for (let d = 0; d < outSize; d++) {
    const src = Math.max((d + 0.5) * scale - 0.5, 0);
    const i0 = Math.min(Math.floor(src), inSize - 1);
    lo[d] = i0;
    hi[d] = i0 < inSize - 1 ? i0 + 1 : i0;
    w[d] = src - i0;
  }
  return { lo, hi, w };
}

export function resizeNearest(src: ArrayLike<number>, sw: number, sh: number, dw: number, dh: number): Float64Array {
  const xs = nearestIndices(sw, dw);
  const ys = nearestIndices(sh, dh);
  const out = new Float64Array(dw * dh);
  for (let y = 0; y < dh; y++) {
    const row = ys[y] * sw;
    const o = y * dw;
    for (let x = 0; x < dw; x++) out[o + x] = src[row + xs[x]];
  }
  return out;
}

export function resizeBilinear(src: ArrayLike<number>, sw: number, sh: number, dw: number, dh: number): Float64Array {
  const tx = linearTaps(sw, dw);
  const ty = linearTaps(sh, dh);
  const out = new Float64Array(dw * dh);
  for (let y = 0; y < dh; y++) {
    const r0 = ty.lo[y] * sw;
    const r1 = ty.hi[y] * sw;
    const wy = ty.w[y];
    const o = y * dw;
    for (let x = 0; x < dw; x++) {
      const x0 = tx.lo[x];
      const x1 = tx.hi[x];
      const wx = tx.w[x];
      const top = (1 - wx) * src[r0 + x0] + wx * src[r0 + x1];
      const bottom = (1 - wx) * src[r1 + x0] + wx * src[r1 + x1];
      out[o + x] = (1 - wy) * top + wy * bottom;
    }
  }
  return out;
}

export function resize(mode: Upsampling, src: ArrayLike<number>, sw: number, sh: number, dw: number, dh: number): Float64Array {
  return mode === 'nearest' ? resizeNearest(src, sw, sh, dw, dh) : resizeBilinear(src, sw, sh, dw, dh);
}

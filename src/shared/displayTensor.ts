/**
 * What the inspector draws of a large layer tensor, and only that: the sum over channels (the figure), Σ|a| per
 * channel (the channel ranking and its percentages), and the top channels of each example as thumbnails (the tiles,
 * and the figure when a tile is chosen, until that channel comes at full size). A [1, 64, 224, 224] attribution is
 * 12.8 MB; this is 0.8 MB, 0.35 MB with the thumbnails packed to 8 bits. The engine process makes it and keeps the
 * whole tensor (Export .npy, a channel at full size); the extension host and the webview never receive the whole.
 */

export interface ChannelSummary {
  /** The channels whose values are sent (ascending): each example's top channels by Σ|a|. */
  channels: number[];
  /** The kept channels' size as sent (shrunk by `peakPool` for the tiles); the host sends one at full size on request. */
  thumb: { width: number; height: number };
  /** Σ over every channel: [N, positions] (the figure's map). */
  sum: Float32Array;
  /** Σ|a| per channel: [N, C]. */
  totals: Float32Array;
  /**
   * The thumbnails as 8-bit values on their way to the webview (packThumbnails), the payload's `data` empty until
   * unpackThumbnails restores it there.
   */
  packed?: PackedThumbnails;
}

/** Thumbnails as signed 8-bit steps of each one's largest |value|: [N, K, cell] values and [N, K] scales. */
export interface PackedThumbnails {
  q: Int8Array;
  scales: Float32Array;
}

/** Channels kept per example: as many as the inspector's tile grid shows. */
export const DISPLAY_CHANNELS = 12;
/** Tensors smaller than this (elements) go whole. */
export const DISPLAY_MIN_ELEMENTS = 2 ** 18;
/** Largest side of a thumbnail (a tile is drawn about 72 px wide; twice that for 2× displays). */
export const THUMB_SIDE = 144;

/** The block size `f` of peakPool and the size it gives. */
function pooledSize(width: number, height: number, maxSide: number): { f: number; width: number; height: number } {
  const f = Math.max(1, Math.ceil(Math.max(width, height) / maxSide));
  return { f, width: Math.ceil(width / f), height: Math.ceil(height / f) };
}

/**
 * A map shrunk to at most `maxSide` per side: each cell keeps the value of largest magnitude in its block (signed), so
 * the thumbnail's scale — its largest |value| — is the map's. `f` = 1 (a map within the size) copies it.
 */
export function peakPool(values: ArrayLike<number>, width: number, height: number, maxSide: number): { width: number; height: number; values: Float64Array } {
  const { f, width: w, height: h } = pooledSize(width, height, maxSide);
  const out = new Float64Array(w * h);
  for (let y = 0; y < height; y++) {
    const row = Math.floor(y / f) * w;
    for (let x = 0; x < width; x++) {
      const v = values[y * width + x];
      const i = row + Math.floor(x / f);
      if (Math.abs(v) > Math.abs(out[i])) out[i] = v;
    }
  }
  return { width: w, height: h, values: out };
}

/**
 * The display form of a rank-4 tensor ([N, C, H, W], or [N, H, W, C] with `channelsLast`): `data` holds the kept
 * channels as [N, K, positions]. Undefined when the tensor is small enough, or has few channels, to go whole.
 */
export function reduceForDisplay(dims: readonly number[], data: Float32Array, channelsLast: boolean, keep = DISPLAY_CHANNELS): { data: Float32Array; reduced: ChannelSummary } | undefined {
  if (dims.length !== 4 || data.length < DISPLAY_MIN_ELEMENTS) return undefined;
  const n = dims[0];
  const c = channelsLast ? dims[3] : dims[1];
  const [height, width] = channelsLast ? [dims[1], dims[2]] : [dims[2], dims[3]];
  const positions = height * width;
  if (c <= keep || n * c * positions !== data.length) return undefined;
  const at = channelsLast ? (e: number, ch: number, s: number) => (e * positions + s) * c + ch : (e: number, ch: number, s: number) => (e * c + ch) * positions + s;
  const totals = new Float32Array(n * c);
  const sum = new Float32Array(n * positions);
  const kept = new Set<number>();
  const acc = new Float64Array(positions);
  for (let e = 0; e < n; e++) {
    acc.fill(0);
    if (channelsLast) {
      // [N, H, W, C]: one pass over each position's channels.
      const base = e * positions * c;
      const t = new Float64Array(c);
      for (let s = 0; s < positions; s++) {
        const row = base + s * c;
        let a = 0;
        for (let ch = 0; ch < c; ch++) {
          const v = data[row + ch];
          a += v;
          t[ch] += Math.abs(v);
        }
        acc[s] = a;
      }
      for (let ch = 0; ch < c; ch++) totals[e * c + ch] = t[ch];
    } else {
      // [N, C, H, W]: each channel is one contiguous plane (the closure-free loop is 3–4× the indexed one).
      for (let ch = 0; ch < c; ch++) {
        const base = (e * c + ch) * positions;
        let t = 0;
        for (let s = 0; s < positions; s++) {
          const v = data[base + s];
          acc[s] += v;
          t += Math.abs(v);
        }
        totals[e * c + ch] = t;
      }
    }
    sum.set(acc, e * positions);
    const order = Array.from({ length: c }, (_v, i) => i).sort((a, b) => totals[e * c + b] - totals[e * c + a] || a - b);
    for (const ch of order.slice(0, keep)) kept.add(ch);
  }
  const channels = [...kept].sort((a, b) => a - b);
  const { width: tw, height: th } = pooledSize(width, height, THUMB_SIDE);
  const thumb = { width: tw, height: th };
  const cell = thumb.width * thumb.height;
  const out = new Float32Array(n * channels.length * cell);
  const plane = channelsLast ? new Float32Array(positions) : undefined;
  for (let e = 0; e < n; e++)
    channels.forEach((ch, k) => {
      let src: Float32Array;
      if (plane) {
        for (let s = 0; s < positions; s++) plane[s] = data[at(e, ch, s)];
        src = plane;
      } else src = data.subarray((e * c + ch) * positions, (e * c + ch + 1) * positions);
      out.set(peakPool(src, width, height, THUMB_SIDE).values, (e * channels.length + k) * cell);
    });
  return { data: out, reduced: { channels, thumb, sum, totals } };
}

/** One channel of one example at full size ([height * width]), from the whole tensor the host kept. */
export function channelPlane(dims: readonly number[], data: Float32Array, channelsLast: boolean, example: number, channel: number): Float32Array {
  const c = channelsLast ? dims[3] : dims[1];
  const positions = channelsLast ? dims[1] * dims[2] : dims[2] * dims[3];
  const out = new Float32Array(positions);
  for (let s = 0; s < positions; s++) out[s] = data[channelsLast ? (example * positions + s) * c + channel : (example * c + channel) * positions + s];
  return out;
}

/**
 * The thumbnails ([N, K, cell] floats) as signed 8-bit steps of each thumbnail's largest |value|: a quarter of the
 * bytes, and what the tiles draw is unchanged (a colour map has 256 steps; each thumbnail keeps its exact peak, so its
 * scale is the map's). Measured in code-server, a [1, 64, 224, 224] result's way from the engine to the screen:
 * 0.16–0.22 s with float thumbnails (0.8 MB), 0.08–0.13 s with a quarter of the bytes.
 */
export function packThumbnails(data: Float32Array, cell: number): PackedThumbnails {
  const count = cell ? data.length / cell : 0;
  const q = new Int8Array(data.length);
  const scales = new Float32Array(count);
  for (let k = 0; k < count; k++) {
    const base = k * cell;
    let peak = 0;
    for (let i = 0; i < cell; i++) peak = Math.max(peak, Math.abs(data[base + i]));
    scales[k] = peak;
    if (peak === 0) continue;
    const f = 127 / peak;
    for (let i = 0; i < cell; i++) q[base + i] = Math.round(data[base + i] * f);
  }
  return { q, scales };
}

/** The floats packThumbnails stood for (each within 1/254 of its thumbnail's peak; the peak exact). */
export function unpackThumbnails(p: PackedThumbnails): Float32Array {
  const count = p.scales.length;
  const cell = count ? p.q.length / count : 0;
  const out = new Float32Array(p.q.length);
  for (let k = 0; k < count; k++) {
    const f = p.scales[k] / 127;
    const base = k * cell;
    for (let i = 0; i < cell; i++) out[base + i] = p.q[base + i] * f;
  }
  return out;
}

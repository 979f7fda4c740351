/**
 * From an attribution tensor to the 2-D (or 1-D) map that is drawn: pick one example, sum the channels
 * (Captum's `visualize_image_attr` sums the channel axis), or pull out one channel.
 * Rank ≥ 4 is spatial: `[N, C, …, H, W]` channels-first (every axis between N and H summed) or
 * `[N, H, W, C…]` channels-last. Rank 3 `[N, C, L]` (or `[N, L, C]`) and rank 2 `[N, F]` are 1-D.
 */
import { type ChannelSummary, peakPool } from '../../src/shared/displayTensor';

export interface AttributionTensor {
  dims: readonly number[];
  data: Float32Array;
  /**
   * Set when the host sent the display form of a large tensor (src/shared/displayTensor.ts): `data` then holds only
   * the channels `reduced.channels`, as [N, K, positions], and the sum and totals come precomputed.
   */
  reduced?: ChannelSummary;
}

/**
 * How a tensor's axes are read. 'tokens': a vision transformer's [N, T, D] with T = s² patch tokens (or s² + 1 with a
 * class token first), drawn as the s × s patch grid over the image, D the channels (see `tokenGrid`).
 */
export type ChannelLayout = 'channels-first' | 'channels-last' | 'tokens';

/** Side of the patch grid when [N, T, D] looks like a vision transformer's tokens over an image of this size. */
export function tokenGrid(dims: readonly number[], image: { width: number; height: number } | undefined): number | undefined {
  if (dims.length !== 3 || !image || dims[2] < 8) return undefined;
  const t = dims[1];
  for (const skip of [0, 1]) {
    const s = Math.round(Math.sqrt(t - skip));
    if (s >= 4 && s * s === t - skip && image.width % s === 0 && image.height % s === 0) return s;
  }
  return undefined;
}

/** A map to draw: `height === 1` for 1-D (non-spatial) maps. Row-major. */
export interface AttributionMap {
  spatial: boolean;
  width: number;
  height: number;
  values: Float64Array;
}

/** How one example of a tensor is read: `example[c * spatial + s]` with channel c and spatial offset s. */
interface Geometry {
  spatial: boolean;
  width: number;
  height: number;
  channels: number;
  /** Elements per example. */
  perExample: number;
  /** Offset of (channel c, position s) within one example. */
  offset: (c: number, s: number) => number;
}

export function exampleCount(dims: readonly number[]): number {
  return dims.length >= 2 ? dims[0] : 1;
}

function geometry(dims: readonly number[], layout: ChannelLayout): Geometry {
  const rank = dims.length;
  const prod = (a: readonly number[]) => a.reduce((x, y) => x * y, 1);
  if (rank <= 1) {
    const n = rank === 0 ? 1 : dims[0];
    return { spatial: false, width: n, height: 1, channels: 1, perExample: n, offset: (_c, s) => s };
  }
  if (rank === 2) {
    const f = dims[1];
    return { spatial: false, width: f, height: 1, channels: 1, perExample: f, offset: (_c, s) => s };
  }
  if (layout === 'tokens' && rank === 3) {
    // [N, T, D]: the last s² tokens form the patch grid (a class token before them is left out), D the channels.
    const [t, d] = [dims[1], dims[2]];
    const side = Math.floor(Math.sqrt(t));
    const skip = t - side * side;
    return { spatial: true, width: side, height: side, channels: d, perExample: t * d, offset: (c, s) => (skip + s) * d + c };
  }
  if (layout === 'channels-last') {
    // [N, L, C] or [N, H, W, C, …]: position axes first, channel axes last.
    const posDims = rank === 3 ? [dims[1]] : [dims[1], dims[2]];
    const chans = prod(dims.slice(1 + posDims.length));
    const positions = prod(posDims);
    return {
      spatial: rank >= 4,
      width: rank === 3 ? dims[1] : dims[2],
      height: rank === 3 ? 1 : dims[1],
      channels: chans,
      perExample: positions * chans,
      offset: (c, s) => s * chans + c,
    };
  }
  // [N, C, L] or [N, C, D…, H, W]: the channel axes (C and any depth) come before the last two.
  const posDims = rank === 3 ? [dims[2]] : [dims[rank - 2], dims[rank - 1]];
  const positions = prod(posDims);
  const chans = prod(dims.slice(1, rank - posDims.length));
  return {
    spatial: rank >= 4,
    width: posDims[posDims.length - 1],
    height: rank === 3 ? 1 : posDims[0],
    channels: chans,
    perExample: positions * chans,
    offset: (c, s) => c * positions + s,
  };
}

/**
 * The one tensor axis the channel index of `channelMap` counts along, or undefined when there is none (rank ≤ 2)
 * or when channels span several axes (a depth axis): what a what-if ablation of "channel c" switches off.
 */
export function channelAxisOf(dims: readonly number[], layout: ChannelLayout): number | undefined {
  const rank = dims.length;
  if (rank < 3) return undefined;
  if (layout === 'tokens' && rank === 3) return 2;
  if (layout === 'channels-last') return rank <= 4 ? rank - 1 : undefined;
  return rank <= 4 ? 1 : undefined;
}

/** Channels per example (1 for rank ≤ 2). */
export function channelCount(dims: readonly number[], layout: ChannelLayout): number {
  return geometry(dims, layout).channels;
}

function checkExample(t: AttributionTensor, example: number): void {
  const n = exampleCount(t.dims);
  if (!Number.isInteger(example) || example < 0 || example >= n) throw new RangeError(`example ${example} is out of range 0..${n - 1}`);
}

/** Σ over channels for one example: the map Captum draws. */
export function summedMap(t: AttributionTensor, example: number, layout: ChannelLayout): AttributionMap {
  checkExample(t, example);
  const g = geometry(t.dims, layout);
  if (t.reduced) {
    const positions = g.width * g.height;
    return { spatial: g.spatial, width: g.width, height: g.height, values: Float64Array.from(t.reduced.sum.subarray(example * positions, (example + 1) * positions)) };
  }
  const positions = g.width * g.height;
  const out = new Float64Array(positions);
  const base = example * g.perExample;
  const d = t.data;
  if (layout === 'channels-first' || g.channels === 1) {
    for (let c = 0; c < g.channels; c++) {
      const o = base + g.offset(c, 0);
      for (let s = 0; s < positions; s++) out[s] += d[o + s];
    }
  } else {
    for (let s = 0; s < positions; s++) {
      let acc = 0;
      const o = base + g.offset(0, s);
      for (let c = 0; c < g.channels; c++) acc += d[o + c];
      out[s] = acc;
    }
  }
  return { spatial: g.spatial, width: g.width, height: g.height, values: out };
}

/** One channel of one example. */
export function channelMap(t: AttributionTensor, example: number, channel: number, layout: ChannelLayout): AttributionMap {
  checkExample(t, example);
  const g = geometry(t.dims, layout);
  if (!Number.isInteger(channel) || channel < 0 || channel >= g.channels) throw new RangeError(`channel ${channel} is out of range 0..${g.channels - 1}`);
  const positions = g.width * g.height;
  if (t.reduced) {
    // Sent as a thumbnail: the figure shows it until the full-size channel comes (channelPlane request).
    const k = t.reduced.channels.indexOf(channel);
    if (k < 0) throw new RangeError(`channel ${channel} is not among the top channels the host sent`);
    const { width, height } = t.reduced.thumb;
    const base = (example * t.reduced.channels.length + k) * width * height;
    return { spatial: g.spatial, width, height, values: Float64Array.from(t.data.subarray(base, base + width * height)) };
  }
  const out = new Float64Array(positions);
  const base = example * g.perExample;
  for (let s = 0; s < positions; s++) out[s] = t.data[base + g.offset(channel, s)];
  return { spatial: g.spatial, width: g.width, height: g.height, values: out };
}

/**
 * One bar per channel: the mean of each channel of one example. For results that are constant within a channel
 * (feature ablation per channel) this is each channel's value, which the summed map would smear into a flat picture.
 */
export function channelVector(t: AttributionTensor, example: number, layout: ChannelLayout): AttributionMap {
  checkExample(t, example);
  if (t.reduced) throw new RangeError('per-channel bars need every channel: the host sends such results whole');
  const g = geometry(t.dims, layout);
  const positions = g.width * g.height;
  const values = new Float64Array(g.channels);
  const base = example * g.perExample;
  for (let c = 0; c < g.channels; c++) {
    let acc = 0;
    for (let s = 0; s < positions; s++) acc += t.data[base + g.offset(c, s)];
    values[c] = acc / positions;
  }
  return { spatial: false, width: g.channels, height: 1, values };
}

/** Σ|attribution| per channel for one example. */
export function channelTotals(t: AttributionTensor, example: number, layout: ChannelLayout): Float64Array {
  checkExample(t, example);
  const g = geometry(t.dims, layout);
  if (t.reduced) return Float64Array.from(t.reduced.totals.subarray(example * g.channels, (example + 1) * g.channels));
  const positions = g.width * g.height;
  const totals = new Float64Array(g.channels);
  const base = example * g.perExample;
  for (let c = 0; c < g.channels; c++) {
    let acc = 0;
    for (let s = 0; s < positions; s++) acc += Math.abs(t.data[base + g.offset(c, s)]);
    totals[c] = acc;
  }
  return totals;
}

/** The `k` channels with the largest totals, largest first (ties: lower channel first). */
export function topChannels(totals: Float64Array, k: number): number[] {
  const idx = Array.from(totals, (_v, i) => i);
  idx.sort((a, b) => totals[b] - totals[a] || a - b);
  return idx.slice(0, Math.max(0, k));
}

/**
 * A map shrunk to at most `maxSide` per side for a thumbnail: each cell keeps the value of largest magnitude in its
 * block (signed), so the thumbnail's scale — its largest |value| — is the map's. Maps within the size are returned as
 * they are.
 */
export function thumbnailMap(map: AttributionMap, maxSide: number): AttributionMap {
  const small = Math.max(map.width, map.height) <= maxSide ? map : { spatial: map.spatial, ...peakPool(map.values, map.width, map.height, maxSide) };
  if (small.height !== 1 || small.width < 4) return small;
  // A 1-D map (one value per feature or token) would be a hairline in a square tile: a band a quarter as high.
  const rows = Math.ceil(small.width / 4);
  const values = new Float64Array(small.width * rows);
  for (let r = 0; r < rows; r++) values.set(small.values, r * small.width);
  return { spatial: small.spatial, width: small.width, height: rows, values };
}

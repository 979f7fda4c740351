/**
 * What the inspector draws of a large layer tensor, and only that: the sum over channels (the figure), Σ|a| per
 * channel (the channel ranking and its percentages), and the top channels of each example (the tiles, and the
 * figure when a tile is chosen). A [1, 64, 224, 224] attribution is 12.8 MB; this is 2.6 MB, and it takes the way
 * from the extension host to the webview (in code-server, a network hop) in a fifth of the time. The whole tensor
 * stays with the host for Export .npy.
 */

export interface ChannelSummary {
  /** The channels whose values are sent (ascending): each example's top channels by Σ|a|. */
  channels: number[];
  /** Σ over every channel: [N, positions] (the figure's map). */
  sum: Float32Array;
  /** Σ|a| per channel: [N, C]. */
  totals: Float32Array;
}

/** Channels kept per example: as many as the inspector's tile grid shows. */
export const DISPLAY_CHANNELS = 12;
/** Tensors smaller than this (elements) go whole. */
export const DISPLAY_MIN_ELEMENTS = 2 ** 18;

/**
 * The display form of a rank-4 tensor ([N, C, H, W], or [N, H, W, C] with `channelsLast`): `data` holds the kept
 * channels as [N, K, positions]. Undefined when the tensor is small enough, or has few channels, to go whole.
 */
export function reduceForDisplay(dims: readonly number[], data: Float32Array, channelsLast: boolean, keep = DISPLAY_CHANNELS): { data: Float32Array; reduced: ChannelSummary } | undefined {
  if (dims.length !== 4 || data.length < DISPLAY_MIN_ELEMENTS) return undefined;
  const n = dims[0];
  const c = channelsLast ? dims[3] : dims[1];
  const positions = channelsLast ? dims[1] * dims[2] : dims[2] * dims[3];
  if (c <= keep || n * c * positions !== data.length) return undefined;
  const at = channelsLast ? (e: number, ch: number, s: number) => (e * positions + s) * c + ch : (e: number, ch: number, s: number) => (e * c + ch) * positions + s;
  const totals = new Float32Array(n * c);
  const sum = new Float32Array(n * positions);
  const kept = new Set<number>();
  for (let e = 0; e < n; e++) {
    const acc = new Float64Array(positions);
    for (let ch = 0; ch < c; ch++) {
      let t = 0;
      for (let s = 0; s < positions; s++) {
        const v = data[at(e, ch, s)];
        acc[s] += v;
        t += Math.abs(v);
      }
      totals[e * c + ch] = t;
    }
    sum.set(acc, e * positions);
    const order = Array.from({ length: c }, (_v, i) => i).sort((a, b) => totals[e * c + b] - totals[e * c + a] || a - b);
    for (const ch of order.slice(0, keep)) kept.add(ch);
  }
  const channels = [...kept].sort((a, b) => a - b);
  const out = new Float32Array(n * channels.length * positions);
  for (let e = 0; e < n; e++)
    channels.forEach((ch, k) => {
      const base = (e * channels.length + k) * positions;
      for (let s = 0; s < positions; s++) out[base + s] = data[at(e, ch, s)];
    });
  return { data: out, reduced: { channels, sum, totals } };
}

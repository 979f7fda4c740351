/** NumPy broadcasting of a number or a small tensor onto a shape (masks, baselines, layer masks). */
import { HostTensor, elementCount } from './hostTensor';

/**
 * `value` (a number, or a tensor NumPy-broadcastable to `dims`) as a float32 tensor of shape `dims`.
 * `what` names it in the error when it does not broadcast.
 */
export function broadcastTo(value: number | HostTensor, dims: readonly number[], what: string, fail: (msg: string) => Error): Float32Array {
  const total = elementCount(dims);
  if (typeof value === 'number') return new Float32Array(total).fill(value);
  const src = value.data as ArrayLike<number | bigint>;
  const rank = dims.length;
  if (value.dims.length > rank) throw fail(`${what} of shape [${value.dims.join(', ')}] does not broadcast to the layer's shape [${dims.join(', ')}]`);
  const padded = [...new Array(rank - value.dims.length).fill(1), ...value.dims];
  if (padded.some((d, i) => d !== 1 && d !== dims[i])) throw fail(`${what} of shape [${value.dims.join(', ')}] does not broadcast to the layer's shape [${dims.join(', ')}]`);
  const strides = padded.map((d, i) => (d === 1 ? 0 : elementCount(padded.slice(i + 1))));
  const out = new Float32Array(total);
  const idx = new Array(rank).fill(0);
  for (let o = 0; o < total; o++) {
    let m = 0;
    for (let d = 0; d < rank; d++) m += idx[d] * strides[d];
    out[o] = Number(src[m]);
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < dims[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

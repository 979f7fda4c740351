/** Row (batch-axis) operations on host tensors: how path methods and ablations stack many evaluations into one run. */
import type { HostTensor, TensorData } from '../../tensor/hostTensor';
import { elementCount } from '../../tensor/hostTensor';

type ArrayCtor = { new (n: number): TensorData };

const ctorOf = (t: HostTensor) => t.data.constructor as ArrayCtor;

export const rowSize = (t: HostTensor): number => elementCount(t.dims.slice(1));

/** Rows `rows[r]` of `t` (an index may repeat), stacked in that order. */
export function pickRows(t: HostTensor, rows: readonly number[]): HostTensor {
  const size = rowSize(t);
  const data = new (ctorOf(t))(rows.length * size);
  rows.forEach((r, i) => (data as Float32Array).set((t.data as Float32Array).subarray(r * size, (r + 1) * size), i * size));
  return { dtype: t.dtype, dims: [rows.length, ...t.dims.slice(1)], data };
}

/** Tensors with the same row shape, stacked along the batch axis. */
export function stackRows(parts: HostTensor[]): HostTensor {
  const size = rowSize(parts[0]);
  const rows = parts.reduce((a, p) => a + p.dims[0], 0);
  const data = new (ctorOf(parts[0]))(rows * size);
  let off = 0;
  for (const p of parts) {
    (data as Float32Array).set(p.data as Float32Array, off);
    off += p.data.length;
  }
  return { dtype: parts[0].dtype, dims: [rows, ...parts[0].dims.slice(1)], data };
}

/** b + α (x − b) in float32, as Captum scales inputs (and layer values) for one integration point. */
export function interpolate(baseline: HostTensor, x: HostTensor, alpha: number): HostTensor {
  const f = Math.fround;
  const a = f(alpha);
  const bd = baseline.data as Float32Array;
  const xd = x.data as Float32Array;
  const out = new Float32Array(xd.length);
  for (let i = 0; i < xd.length; i++) out[i] = f(bd[i] + f(a * f(xd[i] - bd[i])));
  return { dtype: 'float32', dims: [...x.dims], data: out };
}

export function zerosLike(t: HostTensor): HostTensor {
  return { dtype: t.dtype, dims: [...t.dims], data: new (ctorOf(t))(t.data.length) };
}

/** HostTensor ⇄ onnxruntime tensors. */
import * as ort from 'onnxruntime-node';
import { LayerLensError } from '../errors';
import { DTYPES, DType, HostTensor, isDType } from '../tensor/hostTensor';

export function toOrt(t: HostTensor): ort.Tensor {
  const type = isDType(t.dtype) ? (t.dtype as ort.Tensor.Type) : undefined;
  if (!type) throw new LayerLensError(`unsupported tensor type ${t.dtype}`, 'input-invalid');
  return new ort.Tensor(type, t.data as never, t.dims);
}

export function fromOrt(t: ort.Tensor): HostTensor {
  const dtype = t.type as DType;
  return { dtype, dims: [...t.dims], data: t.data as HostTensor['data'] };
}

/** ONNX element type → dtype, and back (from the dtype table in tensor/hostTensor.ts). */
export const ELEM_TO_DTYPE: Record<number, DType> = Object.fromEntries(
  (Object.keys(DTYPES) as DType[]).map((d) => [DTYPES[d].elemType, d]),
) as Record<number, DType>;

export const DTYPE_TO_ELEM: Record<DType, number> = Object.fromEntries((Object.keys(DTYPES) as DType[]).map((d) => [d, DTYPES[d].elemType])) as Record<DType, number>;

/** Plain numbers from an onnxruntime tensor (for small static values such as shapes). */
export function ortNumbers(t: ort.Tensor): number[] {
  const d = t.data as ArrayLike<number | bigint>;
  const out = new Array<number>(d.length);
  for (let i = 0; i < d.length; i++) out[i] = Number(d[i]);
  return out;
}

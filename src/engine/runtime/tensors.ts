/** HostTensor ⇄ onnxruntime tensors. */
import * as ort from 'onnxruntime-node';
import { LayerLensError } from '../errors';
import { ElemType } from '../onnx/proto';
import type { DType, HostTensor } from '../tensor/hostTensor';

const ORT_TYPES: Partial<Record<DType, ort.Tensor.Type>> = {
  float32: 'float32',
  float64: 'float64',
  float16: 'float16',
  int64: 'int64',
  int32: 'int32',
  int16: 'int16',
  int8: 'int8',
  uint8: 'uint8',
  bool: 'bool',
};

export function toOrt(t: HostTensor): ort.Tensor {
  const type = ORT_TYPES[t.dtype];
  if (!type) throw new LayerLensError(`unsupported tensor type ${t.dtype}`, 'input-invalid');
  return new ort.Tensor(type, t.data as never, t.dims);
}

export function fromOrt(t: ort.Tensor): HostTensor {
  const dtype = t.type as DType;
  return { dtype, dims: [...t.dims], data: t.data as HostTensor['data'] };
}

export const ELEM_TO_DTYPE: Record<number, DType> = {
  [ElemType.FLOAT]: 'float32',
  [ElemType.DOUBLE]: 'float64',
  [ElemType.FLOAT16]: 'float16',
  [ElemType.INT64]: 'int64',
  [ElemType.INT32]: 'int32',
  [ElemType.INT16]: 'int16',
  [ElemType.INT8]: 'int8',
  [ElemType.UINT8]: 'uint8',
  [ElemType.BOOL]: 'bool',
};

export const DTYPE_TO_ELEM: Record<DType, number> = {
  float32: ElemType.FLOAT,
  float64: ElemType.DOUBLE,
  float16: ElemType.FLOAT16,
  int64: ElemType.INT64,
  int32: ElemType.INT32,
  int16: ElemType.INT16,
  int8: ElemType.INT8,
  uint8: ElemType.UINT8,
  bool: ElemType.BOOL,
};

/** Plain numbers from an onnxruntime tensor (for small static values such as shapes). */
export function ortNumbers(t: ort.Tensor): number[] {
  const d = t.data as ArrayLike<number | bigint>;
  const out = new Array<number>(d.length);
  for (let i = 0; i < d.length; i++) out[i] = Number(d[i]);
  return out;
}

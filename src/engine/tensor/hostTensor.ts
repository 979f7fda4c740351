/** A tensor held in JS memory, as read from a file or returned by the engine; and the one table of dtype facts. */
import { ElemType } from '../onnx/proto';

export type DType =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'int64'
  | 'int32'
  | 'int16'
  | 'int8'
  | 'uint8'
  | 'bool';

export type TensorData =
  | Float32Array
  | Float64Array
  | Uint16Array // float16 bits
  | BigInt64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array;

export interface HostTensor {
  dtype: DType;
  dims: number[];
  data: TensorData;
}

export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

type TypedArrayCtor = {
  new (length: number): TensorData;
  new (buffer: ArrayBuffer, byteOffset: number, length: number): TensorData;
  readonly BYTES_PER_ELEMENT: number;
};

export interface DTypeFacts {
  /** The typed array holding the elements (float16 as its bit patterns, bool as bytes). */
  ctor: TypedArrayCtor;
  bytes: number;
  /** ONNX TensorProto element type. */
  elemType: number;
  float: boolean;
}

/** Everything the code needs to know about a dtype, in one place (files, the wire, onnxruntime, ONNX). */
export const DTYPES: Readonly<Record<DType, DTypeFacts>> = Object.freeze({
  float32: { ctor: Float32Array as TypedArrayCtor, bytes: 4, elemType: ElemType.FLOAT, float: true },
  float64: { ctor: Float64Array as TypedArrayCtor, bytes: 8, elemType: ElemType.DOUBLE, float: true },
  float16: { ctor: Uint16Array as TypedArrayCtor, bytes: 2, elemType: ElemType.FLOAT16, float: true },
  int64: { ctor: BigInt64Array as TypedArrayCtor, bytes: 8, elemType: ElemType.INT64, float: false },
  int32: { ctor: Int32Array as TypedArrayCtor, bytes: 4, elemType: ElemType.INT32, float: false },
  int16: { ctor: Int16Array as TypedArrayCtor, bytes: 2, elemType: ElemType.INT16, float: false },
  int8: { ctor: Int8Array as TypedArrayCtor, bytes: 1, elemType: ElemType.INT8, float: false },
  uint8: { ctor: Uint8Array as TypedArrayCtor, bytes: 1, elemType: ElemType.UINT8, float: false },
  bool: { ctor: Uint8Array as TypedArrayCtor, bytes: 1, elemType: ElemType.BOOL, float: false },
});

export function isDType(x: unknown): x is DType {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(DTYPES, x);
}

export function isFloatDType(d: DType): boolean {
  return DTYPES[d].float;
}

/** A tensor held in JS memory, as read from a file or returned by the engine. */
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

export function isFloatDType(d: DType): boolean {
  return d === 'float32' || d === 'float64' || d === 'float16';
}

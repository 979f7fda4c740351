/** TensorProto ⇄ typed arrays. Only what the engine needs: reading integer/float initializers and making constants. */
import { LayerLensError } from '../errors';
import { ElemType, TensorProto, toNum } from './proto';
import { float16ToNumber, numberToFloat16 } from '../tensor/float16';

export function tensorDims(t: TensorProto): number[] {
  return (t.dims ?? []).map(toNum);
}

export function tensorElementCount(t: TensorProto): number {
  return tensorDims(t).reduce((a, b) => a * b, 1);
}

const BYTES: Record<number, number> = {
  [ElemType.FLOAT]: 4,
  [ElemType.DOUBLE]: 8,
  [ElemType.FLOAT16]: 2,
  [ElemType.BFLOAT16]: 2,
  [ElemType.INT64]: 8,
  [ElemType.UINT64]: 8,
  [ElemType.INT32]: 4,
  [ElemType.UINT32]: 4,
  [ElemType.INT16]: 2,
  [ElemType.UINT16]: 2,
  [ElemType.INT8]: 1,
  [ElemType.UINT8]: 1,
  [ElemType.BOOL]: 1,
};

export function elemByteSize(t: number): number | undefined {
  return BYTES[t];
}

/**
 * A float32 tensor's values without boxing each one (weights): a view of its raw bytes when they are aligned,
 * otherwise a copy. Treat it as read-only.
 */
export function tensorFloat32(t: TensorProto, what = t.name ?? 'tensor'): Float32Array {
  const n = tensorElementCount(t);
  const raw = t.rawData && t.rawData.length ? t.rawData : undefined;
  if (raw && (t.dataType ?? 0) === ElemType.FLOAT && raw.length >= n * 4) {
    const aligned = raw.byteOffset % 4 === 0 ? raw : new Uint8Array(raw);
    return new Float32Array(aligned.buffer, aligned.byteOffset, n);
  }
  return Float32Array.from(tensorToNumbers(t, what));
}

/** Reads a tensor's values as plain numbers (for small integer/float constants such as axes, pads, scales). */
export function tensorToNumbers(t: TensorProto, what = t.name ?? 'tensor'): number[] {
  const n = tensorElementCount(t);
  const type = t.dataType ?? 0;
  const raw = t.rawData && t.rawData.length ? t.rawData : undefined;
  if (raw && type === ElemType.FLOAT && raw.length >= n * 4) {
    // protobufjs hands out Node Buffers, whose slice() is a view: copy explicitly to realign.
    const aligned = raw.byteOffset % 4 === 0 ? raw : new Uint8Array(raw);
    return Array.from(new Float32Array(aligned.buffer, aligned.byteOffset, n));
  }
  if (raw) {
    const size = BYTES[type];
    if (!size) throw new LayerLensError(`tensor '${what}' has unsupported data type ${type}`, 'model-invalid');
    if (raw.length < n * size)
      throw new LayerLensError(`tensor '${what}' has ${raw.length} bytes of raw data, ${n * size} declared`, 'model-invalid');
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const o = i * size;
      switch (type) {
        case ElemType.FLOAT: out[i] = dv.getFloat32(o, true); break;
        case ElemType.DOUBLE: out[i] = dv.getFloat64(o, true); break;
        case ElemType.INT64: out[i] = Number(dv.getBigInt64(o, true)); break;
        case ElemType.UINT64: out[i] = Number(dv.getBigUint64(o, true)); break;
        case ElemType.INT32: out[i] = dv.getInt32(o, true); break;
        case ElemType.UINT32: out[i] = dv.getUint32(o, true); break;
        case ElemType.INT16: out[i] = dv.getInt16(o, true); break;
        case ElemType.UINT16: out[i] = dv.getUint16(o, true); break;
        case ElemType.INT8: out[i] = dv.getInt8(o); break;
        case ElemType.UINT8: case ElemType.BOOL: out[i] = dv.getUint8(o); break;
        case ElemType.FLOAT16: out[i] = float16ToNumber(dv.getUint16(o, true)); break;
        default: throw new LayerLensError(`tensor '${what}': cannot read data type ${type}`, 'model-invalid');
      }
    }
    return out;
  }
  let vals: ArrayLike<unknown>;
  switch (type) {
    case ElemType.FLOAT: case ElemType.COMPLEX64: vals = t.floatData ?? []; break;
    case ElemType.DOUBLE: vals = t.doubleData ?? []; break;
    case ElemType.INT64: vals = t.int64Data ?? []; break;
    case ElemType.UINT64: case ElemType.UINT32: vals = t.uint64Data ?? []; break;
    case ElemType.FLOAT16: vals = (t.int32Data ?? []).map((h) => float16ToNumber(h)); break;
    default: vals = t.int32Data ?? [];
  }
  if (vals.length < n)
    throw new LayerLensError(`tensor '${what}' holds ${vals.length} values, ${n} declared`, 'model-invalid');
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = toNum(vals[i]);
  return out;
}


/** A constant tensor of the given element type from plain numbers. */
export function makeTensor(name: string, elemType: number, dims: readonly number[], values: ArrayLike<number>): TensorProto {
  const n = dims.reduce((a, b) => a * b, 1);
  if (values.length !== n) throw new Error(`makeTensor ${name}: ${values.length} values for dims [${dims}]`);
  const size = BYTES[elemType];
  if (!size) throw new Error(`makeTensor: unsupported element type ${elemType}`);
  if (elemType === ElemType.FLOAT && values instanceof Float32Array) {
    // Weights computed once and shared (read-only): no copy at all.
    return { name, dataType: elemType, dims: [...dims], rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) };
  }
  if (elemType === ElemType.FLOAT || elemType === ElemType.DOUBLE) {
    // Weights: one typed-array copy instead of a write per element (little-endian hosts, as Node's are).
    const typed = elemType === ElemType.FLOAT ? Float32Array.from(values) : Float64Array.from(values);
    return { name, dataType: elemType, dims: [...dims], rawData: new Uint8Array(typed.buffer) };
  }
  const buf = Buffer.alloc(n * size);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    switch (elemType) {
      case ElemType.FLOAT: buf.writeFloatLE(v, i * 4); break;
      case ElemType.DOUBLE: buf.writeDoubleLE(v, i * 8); break;
      case ElemType.INT64: buf.writeBigInt64LE(BigInt(Math.trunc(v)), i * 8); break;
      case ElemType.INT32: buf.writeInt32LE(v, i * 4); break;
      case ElemType.BOOL: case ElemType.UINT8: buf.writeUInt8(v, i); break;
      case ElemType.FLOAT16: buf.writeUInt16LE(numberToFloat16(v), i * 2); break;
      default: throw new Error(`makeTensor: unsupported element type ${elemType}`);
    }
  }
  return { name, dataType: elemType, dims: [...dims], rawData: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) };
}


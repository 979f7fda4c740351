/** The ONNX protobuf schema (protobufjs-generated, from the `onnx-proto` package) and small helpers around it. */
import { onnx } from 'onnx-proto';

export { onnx };
export type ModelProto = onnx.IModelProto;
export type GraphProto = onnx.IGraphProto;
export type NodeProto = onnx.INodeProto;
export type TensorProto = onnx.ITensorProto;
export type AttributeProto = onnx.IAttributeProto;
export type ValueInfoProto = onnx.IValueInfoProto;
export type TypeProto = onnx.ITypeProto;

export const ElemType = onnx.TensorProto.DataType;
export const AttrType = onnx.AttributeProto.AttributeType;

/** protobufjs gives int64 fields as Long objects (or numbers); everything we index with fits a double. */
export function toNum(v: unknown): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  const l = v as { toNumber?: () => number; low?: number; high?: number };
  if (typeof l.toNumber === 'function') return l.toNumber();
  return Number(v);
}

const FLOAT_ELEM_TYPES: ReadonlySet<number> = new Set([
  ElemType.FLOAT,
  ElemType.DOUBLE,
  ElemType.FLOAT16,
  ElemType.BFLOAT16,
]);

export function isFloatElemType(t: number | undefined): boolean {
  return t !== undefined && FLOAT_ELEM_TYPES.has(t);
}

const ELEM_TYPE_NAMES: Record<number, string> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  16: 'bfloat16',
};

export function elemTypeName(t: number | undefined): string {
  return (t !== undefined && ELEM_TYPE_NAMES[t]) || `type#${t}`;
}

/** Attribute as a plain JS value. */
export type AttrValue = number | string | number[] | string[] | TensorProto | GraphProto | GraphProto[] | TensorProto[];

export function attrValue(a: AttributeProto): AttrValue | undefined {
  const dec = (b: Uint8Array | null | undefined) => Buffer.from(b ?? new Uint8Array()).toString('utf8');
  switch (a.type) {
    case AttrType.FLOAT:
      return a.f ?? 0;
    case AttrType.INT:
      return toNum(a.i);
    case AttrType.STRING:
      return dec(a.s);
    case AttrType.FLOATS:
      return [...(a.floats ?? [])];
    case AttrType.INTS:
      return (a.ints ?? []).map(toNum);
    case AttrType.STRINGS:
      return (a.strings ?? []).map(dec);
    case AttrType.TENSOR:
      return a.t ?? undefined;
    case AttrType.GRAPH:
      return a.g ?? undefined;
    case AttrType.GRAPHS:
      return a.graphs ?? [];
    case AttrType.TENSORS:
      return a.tensors ?? [];
    default:
      // IR < 2 models may omit `type`: infer from the populated field.
      if (a.type === undefined || a.type === AttrType.UNDEFINED) {
        if (a.ints && a.ints.length) return a.ints.map(toNum);
        if (a.floats && a.floats.length) return [...a.floats];
        if (a.s && a.s.length) return dec(a.s);
        if (a.t) return a.t;
        if (a.g) return a.g;
        if (a.i !== undefined && a.i !== null && toNum(a.i) !== 0) return toNum(a.i);
        if (a.f) return a.f;
      }
      return undefined;
  }
}

/** Typed attribute constructors for emitted nodes. */
export const attr = {
  int: (name: string, v: number): AttributeProto => ({ name, type: AttrType.INT, i: v }),
  ints: (name: string, v: readonly number[]): AttributeProto => ({ name, type: AttrType.INTS, ints: [...v] }),
  float: (name: string, v: number): AttributeProto => ({ name, type: AttrType.FLOAT, f: v }),
  floats: (name: string, v: readonly number[]): AttributeProto => ({ name, type: AttrType.FLOATS, floats: [...v] }),
  string: (name: string, v: string): AttributeProto => ({ name, type: AttrType.STRING, s: Buffer.from(v, 'utf8') }),
  tensor: (name: string, t: TensorProto): AttributeProto => ({ name, type: AttrType.TENSOR, t }),
};

export function encodeModel(m: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(m).finish();
}

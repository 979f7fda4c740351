/**
 * Element types of every value: from the file's value_info where present, otherwise propagated through
 * the graph with a table of per-op rules (exported models often carry no value_info for intermediates).
 */
import type { OnnxGraph } from './graph';
import { ElemType, TensorProto } from './proto';

type TypeRule = (inTypes: (number | undefined)[], attrs: Map<string, unknown>) => (number | undefined)[] | number | undefined;

const INT64 = ElemType.INT64;
const BOOL = ElemType.BOOL;

const RULES: Record<string, TypeRule> = {
  Shape: () => INT64,
  Size: () => INT64,
  NonZero: () => INT64,
  ArgMax: () => INT64,
  ArgMin: () => INT64,
  TopK: (t) => [t[0], INT64],
  Unique: (t) => [t[0], INT64, INT64, INT64],
  MaxPool: (t) => [t[0], INT64],
  Equal: () => BOOL,
  Less: () => BOOL,
  LessOrEqual: () => BOOL,
  Greater: () => BOOL,
  GreaterOrEqual: () => BOOL,
  Not: () => BOOL,
  And: () => BOOL,
  Or: () => BOOL,
  Xor: () => BOOL,
  IsNaN: () => BOOL,
  IsInf: () => BOOL,
  Cast: (_t, a) => a.get('to') as number,
  CastLike: (t) => t[1],
  Constant: (_t, a) => {
    const v = a.get('value') as TensorProto | undefined;
    if (v) return v.dataType ?? undefined;
    if (a.has('value_float') || a.has('value_floats')) return ElemType.FLOAT;
    if (a.has('value_int') || a.has('value_ints')) return INT64;
    return undefined;
  },
  ConstantOfShape: (_t, a) => ((a.get('value') as TensorProto | undefined)?.dataType ?? ElemType.FLOAT),
  EyeLike: (t, a) => (a.get('dtype') as number | undefined) ?? t[0],
  RandomNormalLike: (t, a) => (a.get('dtype') as number | undefined) ?? t[0],
  RandomUniformLike: (t, a) => (a.get('dtype') as number | undefined) ?? t[0],
  Where: (t) => t[1] ?? t[2],
  // Control flow: the branches declare their outputs' types.
  If: (_t, a) => {
    const g = (a.get('then_branch') ?? a.get('else_branch')) as { output?: { type?: { tensorType?: { elemType?: number } } }[] } | undefined;
    return (g?.output ?? []).map((o) => o.type?.tensorType?.elemType ?? undefined);
  },
  QuantizeLinear: (t) => t[2] ?? ElemType.UINT8,
  DequantizeLinear: () => ElemType.FLOAT,
  DynamicQuantizeLinear: () => [ElemType.UINT8, ElemType.FLOAT, ElemType.UINT8],
};

export function inferElemTypes(g: OnnxGraph): void {
  for (const node of g.nodes) {
    if (node.outputs.every((o) => !o || g.types.get(o)?.elemType !== undefined)) continue;
    const inTypes = node.inputs.map((v) => (v ? g.elemType(v) : undefined));
    const rule = RULES[node.opType];
    let out: (number | undefined)[];
    if (node.domain !== '' && node.domain !== 'ai.onnx' && !rule) out = [];
    else if (rule) {
      const r = rule(inTypes, node.attrs as Map<string, unknown>);
      out = Array.isArray(r) ? r : node.outputs.map(() => r);
    } else {
      out = node.outputs.map(() => inTypes.find((t) => t !== undefined));
    }
    node.outputs.forEach((o, i) => {
      if (!o) return;
      const known = g.types.get(o);
      if (known?.elemType !== undefined) return;
      g.types.set(o, { ...(known ?? {}), elemType: out[i] });
    });
  }
}

/**
 * Element types of every value: from the file's value_info where present, otherwise propagated through the graph
 * (exported models often carry no value_info for intermediates). An output's type comes from its operator's schema
 * (opSignatures.ts: a fixed type such as Shape's int64, or a type variable bound by the inputs that share it) or from
 * what the schema says sets it (an attribute, a subgraph). Where none of these can tell, the type stays unknown, and
 * a model made from this graph declares that value without a type rather than with a guess onnxruntime refuses.
 */
import type { GraphNode, OnnxGraph } from './graph';
import { GraphProto, TensorProto } from './proto';
import { ONNX_SIGNATURES, OpSignature, SCHEMA_ELEM_TYPES } from './opSignatures';

const { float: FLOAT, uint8: UINT8, int32: INT32, int64: INT64, string: STRING } = SCHEMA_ELEM_TYPES;

/**
 * Experimental operators of early ONNX, dropped from its schemas, that onnxruntime still runs in the default domain:
 * each output has its first input's type (checked through onnxruntime in the tests).
 */
const EXPERIMENTAL_SIGNATURES: Readonly<Record<string, readonly OpSignature[]>> = {
  Affine: [[1, 'T', 'T']],
  Crop: [[1, 'T', 'T']],
  DynamicSlice: [[1, 'T Tind Tind Tind', 'T']],
  ImageScaler: [[1, 'T', 'T']],
  ParametricSoftplus: [[1, 'T', 'T']],
  Scale: [[1, 'T', 'T']],
  ScaledTanh: [[1, 'T', 'T']],
};

/** Where a schema says an output's type comes from besides its inputs' types; the first source that tells wins. */
type TypeSource =
  /** An element-type attribute (Cast's `to`), when set and not 0 (UNDEFINED: "not given"). */
  | { attr: string }
  /** The element type of a tensor attribute (ConstantOfShape's `value`). */
  | { tensorAttr: string }
  /** A fixed type when this attribute is present (Constant's `value_ints` is int64). */
  | { present: string; elem: number }
  /** The type of that input, when it is present and known. */
  | { input: number }
  /** The type of the same-position output of a subgraph attribute (If's branches, Loop's body after `offset`). */
  | { subgraph: string; offset?: number }
  /** A default. */
  | { elem: number };

/**
 * Per op, per output index (`*`: every output): the sources the operator spec names for outputs whose type
 * variable no input binds, or that an attribute overrides. Outputs not listed follow the signature.
 */
const OUTPUT_SOURCES: Readonly<Record<string, Readonly<Record<string, readonly TypeSource[]>>>> = {
  Cast: { 0: [{ attr: 'to' }] },
  BitCast: { 0: [{ attr: 'to' }] },
  Constant: {
    0: [
      { tensorAttr: 'value' },
      { tensorAttr: 'sparse_value' },
      { present: 'value_float', elem: FLOAT },
      { present: 'value_floats', elem: FLOAT },
      { present: 'value_int', elem: INT64 },
      { present: 'value_ints', elem: INT64 },
      { present: 'value_string', elem: STRING },
      { present: 'value_strings', elem: STRING },
    ],
  },
  ConstantOfShape: { 0: [{ tensorAttr: 'value' }, { elem: FLOAT }] },
  EyeLike: { 0: [{ attr: 'dtype' }, { input: 0 }] },
  Bernoulli: { 0: [{ attr: 'dtype' }, { input: 0 }] },
  RandomNormalLike: { 0: [{ attr: 'dtype' }, { input: 0 }] },
  RandomUniformLike: { 0: [{ attr: 'dtype' }, { input: 0 }] },
  RandomNormal: { 0: [{ attr: 'dtype' }, { elem: FLOAT }] },
  RandomUniform: { 0: [{ attr: 'dtype' }, { elem: FLOAT }] },
  Multinomial: { 0: [{ attr: 'dtype' }, { elem: INT32 }] },
  BlackmanWindow: { 0: [{ attr: 'output_datatype' }, { elem: FLOAT }] },
  HammingWindow: { 0: [{ attr: 'output_datatype' }, { elem: FLOAT }] },
  HannWindow: { 0: [{ attr: 'output_datatype' }, { elem: FLOAT }] },
  MelWeightMatrix: { 0: [{ attr: 'output_datatype' }, { elem: FLOAT }] },
  // `output_dtype` (opset 21+), else y_zero_point's type, else uint8.
  QuantizeLinear: { 0: [{ attr: 'output_dtype' }, { input: 2 }, { elem: UINT8 }] },
  // `output_dtype` (opset 23+), else x_scale's type (float only before 19).
  DequantizeLinear: { 0: [{ attr: 'output_dtype' }, { input: 1 }] },
  // Mean and InvStdDev: `stash_type`, default float.
  LayerNormalization: { 1: [{ attr: 'stash_type' }, { elem: FLOAT }], 2: [{ attr: 'stash_type' }, { elem: FLOAT }] },
  If: { '*': [{ subgraph: 'then_branch' }, { subgraph: 'else_branch' }] },
  Loop: { '*': [{ subgraph: 'body', offset: 1 }] },
  Scan: { '*': [{ subgraph: 'body' }] },
};

function signatureFor(opType: string, opset: number): OpSignature | undefined {
  const rows = ONNX_SIGNATURES[opType] ?? EXPERIMENTAL_SIGNATURES[opType];
  let found: OpSignature | undefined;
  for (const row of rows ?? []) if (row[0] <= opset) found = row;
  return found;
}

/** The formal at position i of a signature's list: the last one repeats when it is variadic. */
function formalAt(formals: string[], i: number): string | undefined {
  if (i < formals.length) return formals[i];
  const last = formals[formals.length - 1];
  return last?.endsWith('*') ? last : undefined;
}

function fromSource(s: TypeSource, node: GraphNode, index: number, inTypes: (number | undefined)[]): number | undefined {
  if ('attr' in s) {
    const v = node.attrs.get(s.attr);
    return typeof v === 'number' && v > 0 ? v : undefined;
  }
  if ('tensorAttr' in s) {
    const t = node.attrs.get(s.tensorAttr) as TensorProto | undefined;
    if (t?.dataType) return t.dataType;
    // attrValue leaves sparse tensors out: read the attribute itself.
    const sparse = node.proto.attribute?.find((a) => a.name === s.tensorAttr)?.sparseTensor;
    return sparse?.values?.dataType ?? undefined;
  }
  if ('present' in s) return node.attrs.has(s.present) ? s.elem : undefined;
  if ('input' in s) return node.inputs[s.input] ? inTypes[s.input] : undefined;
  if ('subgraph' in s) {
    const g = node.attrs.get(s.subgraph) as GraphProto | undefined;
    return g?.output?.[index + (s.offset ?? 0)]?.type?.tensorType?.elemType ?? undefined;
  }
  return s.elem;
}

/**
 * The element type of each output of `node` (undefined where it cannot be known), given its inputs' types and the
 * opset of its domain. Only the default domain is known; other domains' outputs stay unknown.
 */
export function outputElemTypes(node: GraphNode, opset: number | undefined, inTypes: (number | undefined)[]): (number | undefined)[] {
  if (node.domain !== '' && node.domain !== 'ai.onnx') return node.outputs.map(() => undefined);
  const signature = opset !== undefined ? signatureFor(node.opType, opset) : undefined;
  const inputs = signature ? signature[1].split(' ').filter(Boolean) : [];
  const outputs = signature ? signature[2].split(' ').filter(Boolean) : [];
  const sources = OUTPUT_SOURCES[node.opType] ?? {};
  const bound = (variable: string): number | undefined => {
    for (let i = 0; i < node.inputs.length; i++) {
      if (node.inputs[i] && formalAt(inputs, i)?.replace('*', '') === variable && inTypes[i] !== undefined) return inTypes[i];
    }
    return undefined;
  };
  return node.outputs.map((_, i) => {
    for (const s of sources[i] ?? sources['*'] ?? []) {
      const t = fromSource(s, node, i, inTypes);
      if (t !== undefined) return t;
    }
    const formal = formalAt(outputs, i)?.replace('*', '');
    if (!formal || formal === '?') return undefined;
    return SCHEMA_ELEM_TYPES[formal] ?? bound(formal);
  });
}

export function inferElemTypes(g: OnnxGraph): void {
  for (const node of g.nodes) {
    if (node.outputs.every((o) => !o || g.types.get(o)?.elemType !== undefined)) continue;
    const inTypes = node.inputs.map((v) => (v ? g.elemType(v) : undefined));
    const out = outputElemTypes(node, g.opsetOf(node.domain), inTypes);
    node.outputs.forEach((o, i) => {
      if (!o) return;
      const known = g.types.get(o);
      if (known?.elemType !== undefined) return;
      g.types.set(o, { ...(known ?? {}), elemType: out[i] });
    });
  }
}

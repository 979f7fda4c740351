/**
 * float16 models are computed in float32: weights, constants, declared types and casts to float16 become
 * float32 when the model is loaded. Every float16 value is exact in float32, so the promoted model is the same
 * network evaluated without half-precision rounding — which a backward pass would otherwise apply to every product
 * (11-bit mantissas) — and it runs on the float32 kernels the gradient rules are checked against. float16 inputs
 * (.npy) are converted to float32 by the input loader, which before this made float16 models unusable
 * ("input must be float16, got float32").
 */
import { LayerLensError } from '../errors';
import { AttributeProto, AttrType, ElemType, GraphProto, ModelProto, NodeProto, TensorProto, TypeProto, onnx } from './proto';
import { makeTensor, tensorToNumbers } from './tensorData';

const HALF = ElemType.FLOAT16;
const FLOAT = ElemType.FLOAT;
/** Ops whose `dtype` attribute names an output element type. */
const DTYPE_ATTR_OPS = new Set(['EyeLike', 'RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Multinomial', 'Bernoulli']);

/** Rewrites `proto` in place; returns how many tensors, types and attributes it changed (0: no float16 anywhere). */
export function promoteFloat16(proto: ModelProto, file = 'model'): number {
  return proto.graph ? promoteGraph(proto.graph, file) : 0;
}

function promoteGraph(g: GraphProto, file: string): number {
  let changed = 0;
  g.initializer = (g.initializer ?? []).map((t) => {
    const p = promoteTensor(t, file);
    if (p !== t) changed++;
    return p;
  });
  for (const vi of [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])]) if (vi.type && promoteType(vi.type)) changed++;
  for (const n of g.node ?? []) changed += promoteNode(n, file);
  return changed;
}

function promoteTensor(t: TensorProto, file: string): TensorProto {
  if (t.dataType !== HALF) return t;
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL)
    throw new LayerLensError(`tensor '${t.name}' in '${file}': float16 weights in external data files are not supported`, 'unsupported-op');
  return makeTensor(t.name ?? '', FLOAT, (t.dims ?? []).map(Number), tensorToNumbers(t, t.name ?? 'tensor'));
}

/** Element types inside a TypeProto (tensors, sequences, maps, optionals). */
function promoteType(t: TypeProto): boolean {
  let changed = false;
  if (t.tensorType && t.tensorType.elemType === HALF) {
    t.tensorType.elemType = FLOAT;
    changed = true;
  }
  const inner = [t.sequenceType?.elemType, t.mapType?.valueType, t.optionalType?.elemType];
  for (const i of inner) if (i && promoteType(i)) changed = true;
  return changed;
}

function promoteNode(n: NodeProto, file: string): number {
  let changed = 0;
  for (const a of n.attribute ?? []) changed += promoteAttribute(n, a, file);
  return changed;
}

function promoteAttribute(n: NodeProto, a: AttributeProto, file: string): number {
  let changed = 0;
  const retarget = (n.opType === 'Cast' && a.name === 'to') || (DTYPE_ATTR_OPS.has(n.opType ?? '') && a.name === 'dtype');
  if (retarget && Number(a.i) === HALF) {
    a.i = FLOAT;
    changed++;
  }
  if (a.t) {
    const p = promoteTensor(a.t, file);
    if (p !== a.t) {
      a.t = p;
      changed++;
    }
  }
  if (a.tensors?.length) a.tensors = a.tensors.map((t) => promoteTensor(t, file));
  if (a.g) changed += promoteGraph(a.g, file);
  for (const sub of a.graphs ?? []) changed += promoteGraph(sub, file);
  if (a.type === AttrType.TYPE_PROTO && a.tp && promoteType(a.tp)) changed++;
  return changed;
}

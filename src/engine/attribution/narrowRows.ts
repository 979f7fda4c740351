/**
 * Row narrowing: when a value is read only through Gathers that pick the same few positions along one axis
 * (a ViT's class token, a BERT pooler's first token), compute that value at those positions only.
 *
 * The Gather moves above the node that produced the value whenever that node treats positions along the axis
 * independently — elementwise ops (with broadcasting), MatMul rows, LayerNormalization / Softmax / reductions
 * over other axes, Transpose, a Reshape that keeps the leading axes, Concat along another axis — and the move
 * repeats up the graph while every reader of a value is the same Gather. Layer activations and the target
 * output are never narrowed, so the rewritten graph computes the same output and the same activations; the
 * forward and the backward built from it both skip the rows nothing reads (for a ViT read at its class token:
 * the last block's MLP, projection and most of its attention run for one row instead of all tokens).
 *
 * Pure graph rewriting: shapes come from the compile-time probe, and every value the rewrite creates gets its
 * shape recorded, so the backward builder needs no second probe run.
 */
import type { ProbedValue } from '../autodiff/buildBackward';
import type { LoadedModel } from '../onnx/loadModel';
import { OnnxGraph, GraphNode } from '../onnx/graph';
import { AttrValue, ElemType, ModelProto, NodeProto, TensorProto, attr } from '../onnx/proto';
import { makeTensor, tensorDims, tensorToNumbers } from '../onnx/tensorData';

/** Bounds the work on pathological graphs (each move is linear in the node's arity). */
const MAX_MOVES = 20_000;

export interface NarrowResult {
  model: LoadedModel;
  /** Shapes (and element types) of every value the rewrite created, to merge into the probe. */
  newValues: Map<string, ProbedValue>;
  /** How many nodes now compute on selected rows only. */
  moves: number;
}

/** One step up: for each input of the producing node, the axis to gather it on, or 'keep' to read it whole. */
interface MovePlan {
  inputs: (number | 'keep')[];
  /** Inputs replaced by new constants (a Reshape's target shape). */
  replace?: { index: number; dims: number[]; values: number[] }[];
}

interface MoveContext {
  node: WorkNode;
  /** Axis of the node's output the Gather selects along, and how many positions it keeps. */
  axis: number;
  count: number;
  outShape: number[];
  inShape(i: number): number[] | undefined;
  numbers(v: string): number[] | undefined;
  opset: number;
}

type MoveRule = (c: MoveContext) => MovePlan | undefined;

/** A node of the graph being rewritten: GraphNode's fields, plus whether it is still part of the graph. */
interface WorkNode extends Pick<GraphNode, 'name' | 'opType' | 'domain' | 'inputs' | 'outputs' | 'attrs' | 'proto'> {
  alive: boolean;
}

// ------------------------------------------------------------------------------------------------ rules

const firstInputOnly: MoveRule = (c) => ({ inputs: c.node.inputs.map((_, i) => (i === 0 ? c.axis : 'keep')) });

/** Dropout is the identity in inference; with a training_mode input it may draw masks, which rows would change. */
const dropout: MoveRule = (c) => (c.node.inputs.length <= 2 ? firstInputOnly(c) : undefined);

/** Numpy-style broadcasting: an input gathers on its aligned axis unless it broadcasts along it (size 1 or absent). */
const broadcasting: MoveRule = (c) => {
  if (c.opset < 7 || c.node.attrs.has('broadcast') || c.node.attrs.has('axis')) return undefined; // older broadcasting
  const r = c.outShape.length;
  const inputs: (number | 'keep')[] = [];
  for (let i = 0; i < c.node.inputs.length; i++) {
    if (!c.node.inputs[i]) {
      inputs.push('keep');
      continue;
    }
    const s = c.inShape(i);
    if (!s || s.length > r) return undefined;
    const ai = c.axis - (r - s.length);
    inputs.push(ai < 0 || s[ai] === 1 ? 'keep' : ai);
  }
  return { inputs };
};

const matMul: MoveRule = (c) => {
  const [sa, sb] = [c.inShape(0), c.inShape(1)];
  if (!sa || !sb || sa.length < 2 || sb.length < 2) return undefined;
  const r = c.outShape.length;
  if (c.axis === r - 1) return undefined; // columns: would narrow the weight instead
  if (c.axis === r - 2) return { inputs: [sa.length - 2, 'keep'] };
  const ai = c.axis - (r - sa.length);
  const bi = c.axis - (r - sb.length);
  return { inputs: [ai < 0 || sa[ai] === 1 ? 'keep' : ai, bi < 0 || sb[bi] === 1 ? 'keep' : bi] };
};

const gemm: MoveRule = (c) => {
  if (c.axis !== 0) return undefined;
  const transA = Number(c.node.attrs.get('transA') ?? 0) !== 0;
  const inputs: (number | 'keep')[] = [transA ? 1 : 0, 'keep'];
  if (c.node.inputs[2]) {
    const sc = c.inShape(2);
    if (!sc) return undefined;
    inputs.push(sc.length === 2 && sc[0] !== 1 ? 0 : 'keep');
  }
  return { inputs };
};

const normalizeAxis = (a: number, rank: number) => (a < 0 ? a + rank : a);

const layerNorm: MoveRule = (c) => {
  const from = normalizeAxis(Number(c.node.attrs.get('axis') ?? -1), c.outShape.length);
  return c.axis < from ? firstInputOnly(c) : undefined;
};

const softmax: MoveRule = (c) => {
  const r = c.outShape.length;
  if (c.opset >= 13) return c.axis !== normalizeAxis(Number(c.node.attrs.get('axis') ?? -1), r) ? firstInputOnly(c) : undefined;
  // Before opset 13 the input is coerced to 2-D at `axis`: rows are the axes before it.
  return c.axis < normalizeAxis(Number(c.node.attrs.get('axis') ?? 1), r) ? firstInputOnly(c) : undefined;
};

const reduce: MoveRule = (c) => {
  if (Number(c.node.attrs.get('keepdims') ?? 1) === 0) return undefined;
  let axes = c.node.attrs.get('axes') as number[] | undefined;
  if (!axes && c.node.inputs[1]) axes = c.numbers(c.node.inputs[1]);
  if (!axes || axes.length === 0) return undefined; // all axes (or a no-op): nothing row-wise to keep
  const r = c.outShape.length;
  if (axes.map((a) => normalizeAxis(a, r)).includes(c.axis)) return undefined;
  return firstInputOnly(c);
};

const transpose: MoveRule = (c) => {
  const r = c.outShape.length;
  const perm = (c.node.attrs.get('perm') as number[] | undefined) ?? Array.from({ length: r }, (_, i) => r - 1 - i);
  return perm.length === r ? { inputs: [perm[c.axis]] } : undefined;
};

/** A Reshape that leaves every axis up to the gathered one as it was (e.g. merging attention heads). */
const reshape: MoveRule = (c) => {
  const sIn = c.inShape(0);
  if (!sIn || c.node.inputs.length < 2 || c.axis >= sIn.length) return undefined;
  for (let i = 0; i <= c.axis; i++) if (sIn[i] !== c.outShape[i]) return undefined;
  if (c.outShape.some((d) => d <= 0)) return undefined;
  const dims = [...c.outShape];
  dims[c.axis] = c.count;
  return { inputs: [c.axis, 'keep'], replace: [{ index: 1, dims: [dims.length], values: dims }] };
};

const concat: MoveRule = (c) => {
  const along = normalizeAxis(Number(c.node.attrs.get('axis') ?? 0), c.outShape.length);
  return along === c.axis ? undefined : { inputs: c.node.inputs.map(() => c.axis) };
};

const UNARY = [
  'Relu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'Erf', 'Exp', 'Log', 'Neg', 'Abs', 'Sqrt', 'Reciprocal', 'Softplus',
  'Softsign', 'Elu', 'Selu', 'Celu', 'Gelu', 'HardSigmoid', 'HardSwish', 'Mish', 'Identity', 'Cast', 'Sin', 'Cos',
  'Floor', 'Ceil', 'Round', 'Sign', 'Clip', 'ThresholdedRelu', 'Shrink',
];
const BROADCASTING = ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Sum', 'Mean', 'Where', 'PRelu'];
const REDUCTIONS = [
  'ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum',
  'ReduceLogSumExp', 'ReduceSumSquare',
];

/** Default-domain ops a row Gather may move above, keyed by op type. */
export const MOVE_RULES: ReadonlyMap<string, MoveRule> = new Map<string, MoveRule>([
  ...UNARY.map((op) => [op, firstInputOnly] as const),
  ...BROADCASTING.map((op) => [op, broadcasting] as const),
  ...REDUCTIONS.map((op) => [op, reduce] as const),
  ['MatMul', matMul],
  ['Gemm', gemm],
  ['LayerNormalization', layerNorm],
  ['Softmax', softmax],
  ['LogSoftmax', softmax],
  ['Transpose', transpose],
  ['Reshape', reshape],
  ['Concat', concat],
  ['Dropout', dropout],
]);

// ------------------------------------------------------------------------------------------------ rewriting

/**
 * Narrows `model` for an attribution whose activations and output are `keep`. `probe` must hold the shapes
 * of the values around the gradient path (what compileAttribution probed). Returns undefined when nothing
 * moved, so callers keep the original model untouched.
 */
export function narrowRows(model: LoadedModel, keep: Iterable<string>, probe: Map<string, ProbedValue>): NarrowResult | undefined {
  const g = model.graph;
  if (g.opset < 5) return undefined; // Reshape's shape is an attribute there
  // Subgraphs read outer values without listing them as inputs; dead-node removal could not see those reads.
  if (g.nodes.some((n) => [...n.attrs.values()].some(isGraphAttr))) return undefined;
  const kept = new Set<string>([...keep, ...g.outputs, ...g.inputs]);
  const w = new Workspace(g, probe);
  w.canonicalizeScalarGathers(kept);
  const queue = [...w.rowGatherSources()];
  let moves = 0;
  while (queue.length && moves < MAX_MOVES) {
    const v = queue.pop()!;
    const gathered = w.tryMove(v, kept);
    if (!gathered) continue;
    moves++;
    queue.push(...gathered);
  }
  if (moves === 0) return undefined;
  w.removeDeadNodes(kept);
  return { model: w.toModel(model), newValues: w.newValues, moves };
}

function isGraphAttr(v: AttrValue): boolean {
  const one = (x: unknown) => typeof x === 'object' && x !== null && 'node' in x;
  return one(v) || (Array.isArray(v) && v.length > 0 && one(v[0]));
}

interface RowGather {
  node: WorkNode;
  axis: number;
  indices: number[];
  key: string;
}

class Workspace {
  readonly nodes: WorkNode[];
  readonly producer = new Map<string, WorkNode>();
  readonly consumers = new Map<string, Set<WorkNode>>();
  readonly newValues = new Map<string, ProbedValue>();
  readonly newInitializers: TensorProto[] = [];
  private readonly indexConstants = new Map<string, string>();
  private counter = 0;

  constructor(
    private readonly g: OnnxGraph,
    private readonly probe: Map<string, ProbedValue>,
  ) {
    this.nodes = g.nodes.map((n: GraphNode) => ({
      name: n.name,
      opType: n.opType,
      domain: n.domain,
      inputs: [...n.inputs],
      outputs: [...n.outputs],
      attrs: n.attrs,
      proto: n.proto,
      alive: true,
    }));
    for (const n of this.nodes) this.link(n);
  }

  private link(n: WorkNode): void {
    for (const o of n.outputs) if (o) this.producer.set(o, n);
    for (const v of n.inputs) {
      if (!v) continue;
      let set = this.consumers.get(v);
      if (!set) this.consumers.set(v, (set = new Set()));
      set.add(n);
    }
  }

  private unlink(n: WorkNode): void {
    n.alive = false;
    for (const o of n.outputs) if (o && this.producer.get(o) === n) this.producer.delete(o);
    for (const v of n.inputs) if (v) this.consumers.get(v)?.delete(n);
  }

  private add(n: Omit<WorkNode, 'alive' | 'proto'> & { proto?: NodeProto }): WorkNode {
    const node: WorkNode = {
      ...n,
      alive: true,
      proto: n.proto ?? { name: n.name, opType: n.opType, domain: n.domain, input: n.inputs, output: n.outputs, attribute: [] },
    };
    this.nodes.push(node);
    this.link(node);
    return node;
  }

  shape(v: string): number[] | undefined {
    const fresh = this.newValues.get(v);
    if (fresh) return fresh.dims;
    const init = this.g.initializers.get(v);
    if (init) return tensorDims(init);
    return this.probe.get(v)?.dims;
  }

  elemType(v: string): number | undefined {
    return this.newValues.get(v)?.elemType ?? this.probe.get(v)?.elemType ?? this.g.elemType(v);
  }

  numbers(v: string): number[] | undefined {
    const fresh = this.newValues.get(v);
    if (fresh) return fresh.numbers;
    const init = this.g.initializers.get(v);
    if (init) return tensorToNumbers(init, v);
    return this.probe.get(v)?.numbers;
  }

  private fresh(base: string): string {
    return `${base}__ll_rows${++this.counter}`;
  }

  /** A Gather whose indices are known now and whose data shape is known; scalar or 1-D indices. */
  private rowGather(n: WorkNode): (RowGather & { scalar: boolean }) | undefined {
    if (!n.alive || n.opType !== 'Gather' || n.domain !== '' || n.outputs.length !== 1 || !n.inputs[0] || !n.inputs[1]) return undefined;
    const dataShape = this.shape(n.inputs[0]);
    const idxShape = this.shape(n.inputs[1]);
    const idx = this.numbers(n.inputs[1]);
    if (!dataShape || !idxShape || !idx || idxShape.length > 1 || idx.length === 0) return undefined;
    const axis = normalizeAxis(Number(n.attrs.get('axis') ?? 0), dataShape.length);
    const dim = dataShape[axis];
    if (axis < 0 || axis >= dataShape.length || !(dim > 0)) return undefined;
    const indices = idx.map((i) => (i < 0 ? i + dim : i));
    if (indices.some((i) => !Number.isInteger(i) || i < 0 || i >= dim)) return undefined;
    return { node: n, axis, indices, key: `${axis}:${indices.join(',')}`, scalar: idxShape.length === 0 };
  }

  /** Data inputs of the 1-D row Gathers, where narrowing can start. */
  rowGatherSources(): string[] {
    const out: string[] = [];
    for (const n of this.nodes) {
      const rg = this.rowGather(n);
      if (rg && !rg.scalar) out.push(n.inputs[0]);
    }
    return out;
  }

  /**
   * Gather(v, i) with a scalar index drops the axis; rewrite it as Reshape(Gather(v, [i])) so the selection
   * keeps every axis in place while it moves up. Only where the producer of v has a move rule.
   */
  canonicalizeScalarGathers(kept: Set<string>): void {
    for (const n of [...this.nodes]) {
      const rg = this.rowGather(n);
      if (!rg || !rg.scalar) continue;
      const data = n.inputs[0];
      const producer = this.producer.get(data);
      if (kept.has(data) || !producer || producer.domain !== '' || !MOVE_RULES.has(producer.opType)) continue;
      const outShape = this.shape(n.outputs[0]);
      const dataShape = this.shape(data);
      const elemType = this.elemType(data);
      if (!outShape || !dataShape || elemType === undefined || outShape.some((d) => d <= 0)) continue;
      const keptShape = [...dataShape];
      keptShape[rg.axis] = 1;
      const row = this.fresh(data);
      this.unlink(n);
      this.add({
        name: `${n.name}__ll_row`,
        opType: 'Gather',
        domain: '',
        inputs: [data, this.indexConstant(rg.indices)],
        outputs: [row],
        attrs: new Map([['axis', rg.axis]]),
        proto: { name: `${n.name}__ll_row`, opType: 'Gather', input: [data, this.indexConstant(rg.indices)], output: [row], attribute: [attr.int('axis', rg.axis)] },
      });
      this.newValues.set(row, { elemType, dims: keptShape });
      const shapeName = this.constant(`${n.name}__ll_shape`, ElemType.INT64, [outShape.length], outShape);
      this.add({ name: `${n.name}__ll_squeeze`, opType: 'Reshape', domain: '', inputs: [row, shapeName], outputs: [n.outputs[0]], attrs: new Map() });
    }
  }

  private indexConstant(indices: number[]): string {
    const key = indices.join(',');
    let name = this.indexConstants.get(key);
    if (!name) {
      name = this.constant(`ll_rows_idx`, ElemType.INT64, [indices.length], indices);
      this.indexConstants.set(key, name);
    }
    return name;
  }

  private constant(base: string, elemType: number, dims: number[], values: number[]): string {
    const name = this.fresh(base);
    this.newInitializers.push(makeTensor(name, elemType, dims, values));
    this.newValues.set(name, { elemType, dims, numbers: values });
    return name;
  }

  /**
   * If every reader of `v` is the same row Gather and v's producer has a move rule, computes v's producer on
   * gathered inputs instead; returns the values now read through new Gathers (candidates for the next move).
   */
  tryMove(v: string, kept: Set<string>): string[] | undefined {
    if (kept.has(v)) return undefined;
    const producer = this.producer.get(v);
    const readers = [...(this.consumers.get(v) ?? [])];
    if (!producer || !producer.alive || producer.domain !== '' || readers.length === 0) return undefined;
    const rule = MOVE_RULES.get(producer.opType);
    if (!rule) return undefined;
    // The row-wise result is output 0 of every op with a rule; other outputs (LayerNorm's statistics, Dropout's
    // mask) must be unused, as they are dropped.
    if (producer.outputs[0] !== v || producer.outputs.some((o) => o && o !== v && (kept.has(o) || this.consumers.get(o)?.size))) return undefined;
    const gathers = readers.map((r) => this.rowGather(r));
    const first = gathers[0];
    if (!first || first.scalar || gathers.some((rg) => !rg || rg.scalar || rg.key !== first.key || rg.node.inputs[0] !== v || rg.node.inputs[1] === v))
      return undefined;
    const outShape = this.shape(v);
    if (!outShape) return undefined;
    const plan = rule({
      node: producer,
      axis: first.axis,
      count: first.indices.length,
      outShape,
      inShape: (i) => (producer.inputs[i] ? this.shape(producer.inputs[i]) : undefined),
      numbers: (x) => this.numbers(x),
      opset: this.g.opset,
    });
    if (!plan || plan.inputs.length !== producer.inputs.length) return undefined;
    // Every input we gather needs a known shape and element type.
    for (let i = 0; i < plan.inputs.length; i++) {
      const a = plan.inputs[i];
      if (a === 'keep' || !producer.inputs[i]) continue;
      const s = this.shape(producer.inputs[i]);
      if (!s || a >= s.length || s[a] !== outShape[first.axis] || this.elemType(producer.inputs[i]) === undefined) return undefined;
    }

    const index = this.indexConstant(first.indices);
    const inputs = [...producer.inputs];
    const moved: string[] = [];
    for (let i = 0; i < plan.inputs.length; i++) {
      const a = plan.inputs[i];
      const x = producer.inputs[i];
      if (a === 'keep' || !x) continue;
      const dims = [...this.shape(x)!];
      dims[a] = first.indices.length;
      const out = this.fresh(x);
      this.add({
        name: this.fresh(`${producer.name}/gather`),
        opType: 'Gather',
        domain: '',
        inputs: [x, index],
        outputs: [out],
        attrs: new Map([['axis', a]]),
        proto: { name: `${out}/Gather`, opType: 'Gather', input: [x, index], output: [out], attribute: [attr.int('axis', a)] },
      });
      this.newValues.set(out, { elemType: this.elemType(x)!, dims });
      inputs[i] = out;
      moved.push(x);
    }
    for (const r of plan.replace ?? []) inputs[r.index] = this.constant(`${producer.name}__ll_shape`, ElemType.INT64, r.dims, r.values);

    const target = first.node.outputs[0];
    const outputs = [target];
    this.unlink(producer);
    for (const rg of gathers) this.unlink(rg!.node);
    const name = this.fresh(producer.name);
    this.add({
      name,
      opType: producer.opType,
      domain: producer.domain,
      inputs,
      outputs,
      attrs: producer.attrs,
      proto: { ...producer.proto, name, input: inputs, output: outputs },
    });
    // Other identical Gathers read the same rows: alias them.
    for (const rg of gathers.slice(1)) {
      const o = rg!.node.outputs[0];
      this.add({ name: this.fresh(`${rg!.node.name}/alias`), opType: 'Identity', domain: '', inputs: [target], outputs: [o], attrs: new Map() });
    }
    return moved;
  }

  /** Drops nodes whose outputs nothing reads any more (e.g. the shape arithmetic of a replaced Reshape). */
  removeDeadNodes(kept: Set<string>): void {
    const isDead = (n: WorkNode) => n.alive && n.outputs.every((o) => !o || (!kept.has(o) && !this.consumers.get(o)?.size));
    const queue = this.nodes.filter(isDead);
    while (queue.length) {
      const n = queue.pop()!;
      if (!isDead(n)) continue;
      const feeders = n.inputs.map((v) => this.producer.get(v)).filter((p): p is WorkNode => !!p);
      this.unlink(n);
      for (const p of feeders) if (isDead(p)) queue.push(p);
    }
  }

  toModel(model: LoadedModel): LoadedModel {
    const graph = model.proto.graph!;
    const alive = this.nodes.filter((n) => n.alive);
    const names = new Set<string>();
    for (const n of alive) for (const v of [...n.inputs, ...n.outputs]) if (v) names.add(v);
    const proto: ModelProto = {
      ...model.proto,
      graph: {
        ...graph,
        node: alive.map((n) => n.proto),
        initializer: [...(graph.initializer ?? []), ...this.newInitializers],
        // value_info of values that no longer exist would only confuse readers of the file.
        valueInfo: (graph.valueInfo ?? []).filter((vi) => vi.name && names.has(vi.name)),
      },
    };
    const g = new OnnxGraph(proto);
    // Emit nodes in the rebuilt graph's topological order (new nodes were appended).
    const sorted: ModelProto = { ...proto, graph: { ...proto.graph, node: g.nodes.map((n) => n.proto) } };
    return { ...model, proto: sorted, graph: new OnnxGraph(sorted) };
  }
}

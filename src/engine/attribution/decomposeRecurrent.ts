/**
 * Recurrent ops (LSTM, GRU, RNN) on the gradient path are rewritten, before differentiation, as their cell
 * equations unrolled over the (compile-time fixed) sequence length: per step a few MatMul / Add / Sigmoid / Tanh
 * / Mul nodes. The backward then comes from the ordinary, finite-difference-tested rules of those ops — back-
 * propagation through time without a hand-written LSTM adjoint — and the forward computes the same function
 * as onnxruntime's fused kernels (checked in the tests against them).
 *
 * Emitted ops are valid in every opset the recurrent ops exist in (Gather, Reshape, Concat, Transpose, MatMul,
 * elementwise), so the rewritten graph keeps the model's opset. Unsupported variants (clip, peepholes,
 * input_forget, non-default activations other than the RNN's Relu/Sigmoid, sequence_lens shorter than the
 * sequence) are refused with the node named, never approximated.
 */
import { LayerLensError } from '../errors';
import type { ProbedValue } from '../autodiff/buildBackward';
import type { LoadedModel } from '../onnx/loadModel';
import { GraphNode, OnnxGraph } from '../onnx/graph';
import { AttributeProto, ElemType, ModelProto, NodeProto, TensorProto, attr } from '../onnx/proto';
import { makeTensor, tensorDims, tensorToNumbers } from '../onnx/tensorData';

const RECURRENT_OPS: ReadonlySet<string> = new Set(['LSTM', 'GRU', 'RNN']);

export function isRecurrent(n: GraphNode): boolean {
  return n.domain === '' && RECURRENT_OPS.has(n.opType);
}

/** Gate count and default activations per op (ONNX gate order: LSTM i,o,f,c; GRU z,r,h; RNN one). */
const CELLS: Record<string, { gates: number; activations: string[] }> = {
  LSTM: { gates: 4, activations: ['Sigmoid', 'Tanh', 'Tanh'] },
  GRU: { gates: 3, activations: ['Sigmoid', 'Tanh'] },
  RNN: { gates: 1, activations: ['Tanh'] },
};
const RNN_ACTIVATIONS = new Set(['Tanh', 'Relu', 'Sigmoid']);

/**
 * Unrolled steps (sequence length × directions, summed over the recurrent nodes) beyond which LayerLens refuses:
 * each step keeps about seven [batch, hidden] tensors for the backward, and onnxruntime's session start-up grows
 * with nodes × kept outputs: 512 steps (a 256-token bidirectional LSTM, hidden 64) compile in ~7 s and keep ~3,600
 * tensors, under the engine's 4,000.
 */
const MAX_UNROLLED_STEPS = 512;

export interface Decomposed {
  model: LoadedModel;
  /** Shapes and element types of the values the unrolling created. */
  newValues: Map<string, ProbedValue>;
}

/** Replaces `nodes` (recurrent nodes of `model`) by their unrolled equations; values keep their names. */
export function decomposeRecurrent(model: LoadedModel, nodes: GraphNode[], probe: Map<string, ProbedValue>): Decomposed {
  const g = model.graph;
  const replaced = new Set(nodes.map((n) => n.name));
  const shape = (v: string): number[] | undefined => {
    const init = g.initializers.get(v);
    return init ? tensorDims(init) : probe.get(v)?.dims;
  };
  const numbers = (v: string): number[] | undefined => {
    const init = g.initializers.get(v);
    return init ? tensorToNumbers(init, v) : probe.get(v)?.numbers;
  };
  const steps = nodes.reduce((sum, n) => {
    const x = n.inputs[0] ? shape(n.inputs[0]) : undefined;
    const dirs = String(n.attrs.get('direction') ?? 'forward') === 'bidirectional' ? 2 : 1;
    return sum + (x?.[0] ?? 0) * dirs;
  }, 0);
  if (steps > MAX_UNROLLED_STEPS) {
    const names = nodes.map((n) => `'${n.name}' (${n.opType})`).join(', ');
    throw new LayerLensError(
      `the gradient to this layer runs back through ${names} over ${steps} time steps in all (sequence length × directions), more than LayerLens unrolls (${MAX_UNROLLED_STEPS}); choose a layer after the recurrent layer or a shorter sequence`,
      'unsupported-op',
    );
  }
  const out: NodeProto[] = [];
  const inits: TensorProto[] = [];
  const newValues = new Map<string, ProbedValue>();
  for (const n of g.nodes) {
    if (!replaced.has(n.name)) {
      out.push(n.proto);
      continue;
    }
    const elemType = g.elemType(n.inputs[0]) ?? ElemType.FLOAT;
    const u = new Unroller(n, elemType, shape);
    unroll(u, n, shape, numbers);
    out.push(...u.nodes);
    inits.push(...u.inits);
    const isInt = new Set(u.inits.filter((t) => t.dataType === ElemType.INT64).map((t) => t.name));
    for (const [v, dims] of u.shapes) newValues.set(v, { elemType: isInt.has(v) ? ElemType.INT64 : elemType, dims });
  }
  const graph = model.proto.graph!;
  const proto: ModelProto = { ...model.proto, graph: { ...graph, node: out, initializer: [...(graph.initializer ?? []), ...inits] } };
  return { model: { ...model, proto, graph: new OnnxGraph(proto) }, newValues };
}

class Unroller {
  readonly nodes: NodeProto[] = [];
  readonly inits: TensorProto[] = [];
  /** Shape of every value emitted (so the compile needs no second probe run over the unrolled graph). */
  readonly shapes = new Map<string, number[]>();
  private count = 0;
  private readonly consts = new Map<string, string>();

  constructor(
    readonly node: GraphNode,
    readonly elemType: number,
    private readonly known: (v: string) => number[] | undefined,
  ) {}

  private fresh(tag: string): string {
    return `${this.node.name}/ll_unroll/${tag}_${++this.count}`;
  }

  op(opType: string, inputs: string[], dims: number[], attrs: AttributeProto[] = [], output?: string): string {
    const o = output ?? this.fresh(opType);
    this.nodes.push({ name: `${o}/node`, opType, input: inputs, output: [o], attribute: attrs });
    this.shapes.set(o, dims);
    return o;
  }

  /** An elementwise op on operands of one shape (scalars broadcast). */
  ew(opType: string, inputs: string[]): string {
    const dims = inputs.map((v) => this.shapes.get(v)).find((d) => d && d.length > 0) ?? [];
    return this.op(opType, inputs, dims);
  }

  dims(v: string): number[] {
    const d = this.shapes.get(v) ?? this.known(v);
    if (!d) throw new Error(`internal: unroller has no shape for '${v}'`);
    return d;
  }

  private constant(key: string, make: (name: string) => TensorProto): string {
    let name = this.consts.get(key);
    if (!name) {
      name = this.fresh('const');
      const t = make(name);
      this.inits.push(t);
      this.shapes.set(name, tensorDims(t));
      this.consts.set(key, name);
    }
    return name;
  }

  i64(values: number[], dims: number[] = [values.length]): string {
    return this.constant(`i64:${dims}:${values}`, (name) => makeTensor(name, ElemType.INT64, dims, values));
  }

  zeros(dims: number[]): string {
    return this.constant(`zeros:${dims}`, (name) => makeTensor(name, this.elemType, dims, new Array(dims.reduce((a, b) => a * b, 1)).fill(0)));
  }

  ones(): string {
    return this.constant('one', (name) => makeTensor(name, this.elemType, [], [1]));
  }

  /** x[index] along `axis` (the axis disappears). */
  pick(x: string, index: number, axis: number): string {
    const dims = this.dims(x).filter((_, i) => i !== axis);
    return this.op('Gather', [x, this.i64([index], [])], dims, [attr.int('axis', axis)]);
  }

  /** x[start:start+len] along `axis`. */
  range(x: string, start: number, len: number, axis: number): string {
    const dims = [...this.dims(x)];
    dims[axis] = len;
    return this.op('Gather', [x, this.i64(Array.from({ length: len }, (_, i) => start + i))], dims, [attr.int('axis', axis)]);
  }

  reshape(x: string, dims: number[], output?: string): string {
    return this.op('Reshape', [x, this.i64(dims)], dims, [], output);
  }

  transpose(x: string, perm: number[]): string {
    const d = this.dims(x);
    return this.op('Transpose', [x], perm.map((p) => d[p]), [attr.ints('perm', perm)]);
  }

  /** a [..., K] × b [K, M] */
  matmul(a: string, b: string): string {
    const [da, db] = [this.dims(a), this.dims(b)];
    return this.op('MatMul', [a, b], [...da.slice(0, -1), db[db.length - 1]]);
  }

  concat(xs: string[], axis: number, output?: string): string {
    if (xs.length === 1 && !output) return xs[0];
    const dims = [...this.dims(xs[0])];
    dims[axis] = xs.reduce((sum, x) => sum + this.dims(x)[axis], 0);
    return this.op('Concat', xs, dims, [attr.int('axis', axis)], output);
  }

  act(kind: string, x: string): string {
    return this.op(kind, [x], this.dims(x));
  }
}

function fail(n: GraphNode, why: string): never {
  throw new LayerLensError(`node '${n.name}' (${n.opType}): ${why}; the gradient through it cannot be computed`, 'unsupported-op');
}

function unroll(u: Unroller, n: GraphNode, shape: (v: string) => number[] | undefined, numbers: (v: string) => number[] | undefined): void {
  const cell = CELLS[n.opType];
  const input = (i: number) => (n.inputs[i] ? n.inputs[i] : undefined);
  const [X, W, R, B, seqLens, initH, initC, P] = [0, 1, 2, 3, 4, 5, 6, 7].map(input);
  // onnxruntime's CPU kernels refuse layout=1 (batch-first) too, so such a model never runs this far.
  if (Number(n.attrs.get('layout') ?? 0) !== 0) fail(n, 'layout=1 (batch-first) is not supported');
  const direction = String(n.attrs.get('direction') ?? 'forward');
  const dirs = direction === 'bidirectional' ? ['forward', 'reverse'] : [direction];
  if (!['forward', 'reverse'].includes(dirs[0])) fail(n, `unknown direction '${direction}'`);
  if (n.attrs.has('clip')) fail(n, 'the clip attribute is not supported');
  if (Number(n.attrs.get('input_forget') ?? 0) !== 0) fail(n, 'input_forget=1 is not supported');
  if (P) fail(n, 'peephole weights (input P) are not supported');
  if (n.attrs.has('activation_alpha') || n.attrs.has('activation_beta')) fail(n, 'activation_alpha/beta are not supported');
  const xDims = X && shape(X);
  const wDims = W && shape(W);
  if (!X || !W || !R || !xDims || xDims.length !== 3 || !wDims || wDims.length !== 3) fail(n, 'X, W and R must be present with static 3-D shapes');
  const [T, batch, inSize] = xDims;
  const H = Number(n.attrs.get('hidden_size') ?? wDims[1] / cell.gates);
  if (wDims[0] !== dirs.length || wDims[1] !== cell.gates * H || wDims[2] !== inSize) fail(n, `W has shape [${wDims}], expected [${dirs.length}, ${cell.gates * H}, ${inSize}]`);

  const acts = (n.attrs.get('activations') as string[] | undefined)?.map(String);
  const perDir = cell.activations.length;
  for (let d = 0; d < dirs.length; d++) {
    const mine = acts?.slice(d * perDir, (d + 1) * perDir);
    if (!mine) continue;
    const ok = n.opType === 'RNN' ? mine.length === 1 && RNN_ACTIVATIONS.has(mine[0]) : mine.every((a, i) => a === cell.activations[i]);
    if (!ok) fail(n, `activations [${acts}] are not supported`);
  }
  const rnnAct = n.opType === 'RNN' ? acts?.[0] ?? 'Tanh' : 'Tanh';
  if (seqLens) {
    const lens = numbers(seqLens);
    if (!lens || lens.some((l) => l !== T))
      fail(n, 'sequence_lens shorter than the sequence (packed or padded sequences) are not supported');
  }
  if (T <= 0 || batch <= 0) fail(n, 'empty sequence or batch');

  const xt = X; // [T, batch, inSize]
  const lbr = Number(n.attrs.get('linear_before_reset') ?? 0) !== 0;
  const G = cell.gates;
  const ys: string[] = [];
  const hs: string[] = [];
  const cs: string[] = [];
  for (const [d, dir] of dirs.entries()) {
    // Per direction: one input projection for all steps and all gates ([T, batch, G·H]), and per step one
    // recurrent MatMul for all gates; GRU's candidate gate with linear_before_reset=0 reads r ⊙ h, so its
    // recurrent weight stays apart.
    const Wd = u.pick(W, d, 0); // [G·H, I]
    const Rd = u.pick(R, d, 0); // [G·H, H]
    const Bd = B ? u.pick(B, d, 0) : undefined; // [2·G·H]
    const gruApart = n.opType === 'GRU';
    const rGates = gruApart ? 2 : G; // gates whose recurrent product is taken together
    let xw = u.matmul(xt, u.transpose(Wd, [1, 0]));
    if (Bd) {
      // W biases of every gate; R biases of the gates whose recurrent product is not kept apart.
      xw = u.ew('Add', [xw, u.range(Bd, 0, G * H, 0)]);
      xw = u.ew('Add', [xw, gruApart ? u.concat([u.range(Bd, G * H, 2 * H, 0), u.zeros([H])], 0) : u.range(Bd, G * H, G * H, 0)]);
    }
    const rT = u.transpose(u.range(Rd, 0, rGates * H, 0), [1, 0]); // [H, rGates·H]
    const rhT = gruApart ? u.transpose(u.range(Rd, 2 * H, H, 0), [1, 0]) : undefined; // GRU candidate [H, H]
    const rbh = gruApart && Bd ? u.range(Bd, 5 * H, H, 0) : undefined;
    const stateOf = (init: string | undefined) => (init ? u.pick(init, d, 0) : u.zeros([batch, H]));
    let h = stateOf(initH);
    let c = n.opType === 'LSTM' ? stateOf(initC) : undefined;
    const steps = new Array<string>(T);
    for (let s = 0; s < T; s++) {
      const t = dir === 'forward' ? s : T - 1 - s;
      const xwt = u.pick(xw, t, 0); // [batch, G·H]
      const rec = u.matmul(h, rT); // [batch, rGates·H]
      if (n.opType === 'LSTM') {
        const pre = u.ew('Add', [xwt, rec]);
        const sig = u.act('Sigmoid', u.range(pre, 0, 3 * H, 1)); // i, o, f
        const [i, o, f] = [0, 1, 2].map((k) => u.range(sig, k * H, H, 1));
        const cc = u.act('Tanh', u.range(pre, 3 * H, H, 1));
        c = u.ew('Add', [u.ew('Mul', [f, c!]), u.ew('Mul', [i, cc])]);
        h = u.ew('Mul', [o, u.act('Tanh', c)]);
      } else if (n.opType === 'GRU') {
        const zr = u.act('Sigmoid', u.ew('Add', [u.range(xwt, 0, 2 * H, 1), rec]));
        const [z, r] = [u.range(zr, 0, H, 1), u.range(zr, H, H, 1)];
        const xh = u.range(xwt, 2 * H, H, 1);
        let hh: string;
        if (lbr) {
          let hr = u.matmul(h, rhT!);
          if (rbh) hr = u.ew('Add', [hr, rbh]);
          hh = u.act('Tanh', u.ew('Add', [xh, u.ew('Mul', [r, hr])]));
        } else {
          let hr = u.matmul(u.ew('Mul', [r, h]), rhT!);
          if (rbh) hr = u.ew('Add', [hr, rbh]);
          hh = u.act('Tanh', u.ew('Add', [xh, hr]));
        }
        // (1 − z) ⊙ h̃ + z ⊙ h
        h = u.ew('Add', [u.ew('Mul', [u.ew('Sub', [u.ones(), z]), hh]), u.ew('Mul', [z, h])]);
      } else {
        h = u.act(rnnAct, u.ew('Add', [xwt, rec]));
      }
      steps[t] = u.reshape(h, [1, 1, batch, H]);
    }
    ys.push(u.concat(steps, 0)); // [T, 1, batch, H]
    hs.push(u.reshape(h, [1, batch, H]));
    if (c) cs.push(u.reshape(c, [1, batch, H]));
  }
  const [yName, yhName, ycName] = [n.outputs[0], n.outputs[1], n.outputs[2]];
  if (yName) u.concat(ys, 1, yName); // [T, D, batch, H]
  if (yhName) u.concat(hs, 0, yhName); // [D, batch, H]
  if (ycName && n.opType === 'LSTM') u.concat(cs, 0, ycName);
}

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

export const RECURRENT_OPS: ReadonlySet<string> = new Set(['LSTM', 'GRU', 'RNN']);

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

/** Replaces `nodes` (recurrent nodes of `model`) by their unrolled equations; values keep their names. */
export function decomposeRecurrent(model: LoadedModel, nodes: GraphNode[], probe: Map<string, ProbedValue>): LoadedModel {
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
  const out: NodeProto[] = [];
  const inits: TensorProto[] = [];
  for (const n of g.nodes) {
    if (!replaced.has(n.name)) {
      out.push(n.proto);
      continue;
    }
    const u = new Unroller(n, g.elemType(n.inputs[0]) ?? ElemType.FLOAT);
    unroll(u, n, shape, numbers);
    out.push(...u.nodes);
    inits.push(...u.inits);
  }
  const graph = model.proto.graph!;
  const proto: ModelProto = { ...model.proto, graph: { ...graph, node: out, initializer: [...(graph.initializer ?? []), ...inits] } };
  return { ...model, proto, graph: new OnnxGraph(proto) };
}

class Unroller {
  readonly nodes: NodeProto[] = [];
  readonly inits: TensorProto[] = [];
  private count = 0;
  private readonly consts = new Map<string, string>();

  constructor(
    readonly node: GraphNode,
    readonly elemType: number,
  ) {}

  private fresh(tag: string): string {
    return `${this.node.name}/ll_unroll/${tag}_${++this.count}`;
  }

  op(opType: string, inputs: string[], attrs: AttributeProto[] = [], output?: string): string {
    const o = output ?? this.fresh(opType);
    this.nodes.push({ name: `${o}/node`, opType, input: inputs, output: [o], attribute: attrs });
    return o;
  }

  private constant(key: string, make: (name: string) => TensorProto): string {
    let name = this.consts.get(key);
    if (!name) {
      name = this.fresh('const');
      this.inits.push(make(name));
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
    return this.op('Gather', [x, this.i64([index], [])], [attr.int('axis', axis)]);
  }

  /** x[start:start+len] along `axis`. */
  range(x: string, start: number, len: number, axis: number): string {
    return this.op('Gather', [x, this.i64(Array.from({ length: len }, (_, i) => start + i))], [attr.int('axis', axis)]);
  }

  reshape(x: string, dims: number[], output?: string): string {
    return this.op('Reshape', [x, this.i64(dims)], [], output);
  }

  transpose(x: string, perm: number[]): string {
    return this.op('Transpose', [x], [attr.ints('perm', perm)]);
  }

  concat(xs: string[], axis: number, output?: string): string {
    if (xs.length === 1 && !output) return xs[0];
    return this.op('Concat', xs, [attr.int('axis', axis)], output);
  }

  act(kind: string, x: string): string {
    return this.op(kind, [x]);
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
  const ys: string[] = [];
  const hs: string[] = [];
  const cs: string[] = [];
  for (const [d, dir] of dirs.entries()) {
    const Wd = u.pick(W, d, 0); // [G·H, I]
    const Rd = u.pick(R, d, 0); // [G·H, H]
    const Bd = B ? u.pick(B, d, 0) : undefined; // [2·G·H]
    const gate = (k: number) => {
      const wT = u.transpose(u.range(Wd, k * H, H, 0), [1, 0]); // [I, H]
      const rT = u.transpose(u.range(Rd, k * H, H, 0), [1, 0]); // [H, H]
      const wb = Bd ? u.range(Bd, k * H, H, 0) : undefined;
      const rb = Bd ? u.range(Bd, (cell.gates + k) * H, H, 0) : undefined;
      return { wT, rT, wb, rb };
    };
    const gates = Array.from({ length: cell.gates }, (_, k) => gate(k));
    // Input projections for all steps at once: [T, batch, H] per gate (with the biases that add outside).
    const xw = gates.map((gt, k) => {
      let v = u.op('MatMul', [xt, gt.wT]);
      const keepRbApart = n.opType === 'GRU' && k === 2 && lbr;
      if (gt.wb) v = u.op('Add', [v, gt.wb]);
      if (gt.rb && !keepRbApart) v = u.op('Add', [v, gt.rb]);
      return v;
    });
    const stateOf = (init: string | undefined) => (init ? u.pick(init, d, 0) : u.zeros([batch, H]));
    let h = stateOf(initH);
    let c = n.opType === 'LSTM' ? stateOf(initC) : undefined;
    const steps = new Array<string>(T);
    for (let s = 0; s < T; s++) {
      const t = dir === 'forward' ? s : T - 1 - s;
      const pre = (k: number, hIn = h) => u.op('Add', [u.pick(xw[k], t, 0), u.op('MatMul', [hIn, gates[k].rT])]);
      if (n.opType === 'LSTM') {
        const i = u.act('Sigmoid', pre(0));
        const o = u.act('Sigmoid', pre(1));
        const f = u.act('Sigmoid', pre(2));
        const cc = u.act('Tanh', pre(3));
        c = u.op('Add', [u.op('Mul', [f, c!]), u.op('Mul', [i, cc])]);
        h = u.op('Mul', [o, u.act('Tanh', c)]);
      } else if (n.opType === 'GRU') {
        const z = u.act('Sigmoid', pre(0));
        const r = u.act('Sigmoid', pre(1));
        let hh: string;
        if (lbr) {
          let hr = u.op('MatMul', [h, gates[2].rT]);
          if (gates[2].rb) hr = u.op('Add', [hr, gates[2].rb]);
          hh = u.act('Tanh', u.op('Add', [u.pick(xw[2], t, 0), u.op('Mul', [r, hr])]));
        } else {
          hh = u.act('Tanh', pre(2, u.op('Mul', [r, h])));
        }
        // (1 − z) ⊙ h̃ + z ⊙ h
        h = u.op('Add', [u.op('Mul', [u.op('Sub', [u.ones(), z]), hh]), u.op('Mul', [z, h])]);
      } else {
        h = u.act(rnnAct, pre(0));
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

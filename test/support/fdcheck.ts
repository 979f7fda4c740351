/**
 * Finite-difference reference for a layer gradient anywhere in a real model: the model is cut at the chosen
 * value (it becomes a graph input, its producer's result unused), and ⟨seed, output⟩ is differentiated by
 * central differences along random directions, through onnxruntime.
 */
import * as ort from 'onnxruntime-node';
import type { TargetSpec } from '../../src/engine/api';
import { buildSeed } from '../../src/engine/attribution/targets';
import type { LoadedModel } from '../../src/engine/onnx/loadModel';
import { ElemType, ModelProto, TensorProto, encodeModel } from '../../src/engine/onnx/proto';
import { makeTensor } from '../../src/engine/onnx/tensorData';
import { toOrt } from '../../src/engine/runtime/tensors';
import type { HostTensor } from '../../src/engine/tensor/hostTensor';
import { withOutputs } from '../../src/engine/attribution/compile';
import { rng } from './gradcheck';

export async function valueOf(model: LoadedModel, inputs: HostTensor[], value: string): Promise<ort.Tensor> {
  const s = await ort.InferenceSession.create(encodeModel(withOutputs(model, [value])), { intraOpNumThreads: 1 });
  const feeds: Record<string, ort.Tensor> = {};
  model.graph.inputs.forEach((n, i) => (feeds[n] = toOrt(inputs[i])));
  const r = await s.run(feeds, [value]);
  await s.release();
  return r[value];
}

/** A piecewise-linear node frozen at the base point: y = x·scale + offset (elementwise, same shape as x). */
interface FrozenPiece {
  scale: TensorProto;
  offset: TensorProto;
}

/**
 * The model cut at `value` (it becomes a graph input). Piecewise-linear activations downstream (Relu, Clip,
 * HardSigmoid, LeakyRelu) are replaced by the linear piece they are on at the base point: the gradient at x is
 * the gradient of that piece, and finite differences no longer jump across the thousands of kinks of a deep net.
 */
function cutAt(model: LoadedModel, value: string, output: string, dims: readonly number[], frozen = new Map<string, FrozenPiece>()): ModelProto {
  const g = model.proto.graph!;
  const producer = model.graph.producer.get(value);
  const nodes = (g.node ?? []).flatMap((n) => {
    if (n === producer?.node.proto) return [{ ...n, output: (n.output ?? []).map((o) => (o === value ? `${value}__cut` : o)) }];
    const piece = frozen.get(n.output?.[0] ?? '');
    if (!piece) return [n];
    const mid = `${n.output![0]}__scaled`;
    return [
      { name: `${n.output![0]}__mul`, opType: 'Mul', input: [n.input![0], piece.scale.name!], output: [mid] },
      { name: `${n.output![0]}__add`, opType: 'Add', input: [mid, piece.offset.name!], output: [n.output![0]] },
    ];
  });
  const extra = [...frozen.values()].flatMap((p) => [p.scale, p.offset]);
  const isInput = model.graph.inputs.includes(value);
  const input = isInput
    ? g.input
    : [...(g.input ?? []), { name: value, type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } }];
  return {
    ...model.proto,
    graph: { ...g, node: nodes, input, initializer: [...(g.initializer ?? []), ...extra], output: (g.output ?? []).filter((o) => o.name === output) },
  } as ModelProto;
}

type PieceRule = (x: number, y: number, attrs: Map<string, unknown>) => [scale: number, offset: number];

const PIECES: Record<string, PieceRule> = {
  Relu: (x) => (x > 0 ? [1, 0] : [0, 0]),
  LeakyRelu: (x, _y, a) => (x > 0 ? [1, 0] : [(a.get('alpha') as number | undefined) ?? 0.01, 0]),
  Clip: (x, y) => (x === y ? [1, 0] : [0, y]),
  HardSigmoid: (_x, y, a) => {
    const alpha = (a.get('alpha') as number | undefined) ?? 0.2;
    const beta = (a.get('beta') as number | undefined) ?? 0.5;
    return y > 0 && y < 1 ? [alpha, beta] : [0, y];
  },
};

async function freezePieces(model: LoadedModel, inputs: HostTensor[], value: string): Promise<Map<string, FrozenPiece>> {
  const frozen = new Map<string, FrozenPiece>();
  const downstream = new Set([value]);
  const nodes = [];
  for (const n of model.graph.nodes) {
    if (!n.inputs.some((v) => downstream.has(v))) continue;
    n.outputs.forEach((o) => downstream.add(o));
    if (PIECES[n.opType] && n.outputs.length === 1) nodes.push(n);
  }
  if (!nodes.length) return frozen;
  const names = [...new Set(nodes.flatMap((n) => [n.inputs[0], n.outputs[0]]))].filter((v) => !model.graph.inputs.includes(v));
  const s = await ort.InferenceSession.create(encodeModel(withOutputs(model, names)), { intraOpNumThreads: 1 });
  const feeds: Record<string, ort.Tensor> = {};
  model.graph.inputs.forEach((n, i) => (feeds[n] = toOrt(inputs[i])));
  const vals = await s.run(feeds, names);
  await s.release();
  const read = (v: string) => (vals[v] ?? feeds[v]);
  for (const n of nodes) {
    const x = read(n.inputs[0]);
    const y = read(n.outputs[0]);
    const xd = x.data as Float32Array;
    const yd = y.data as Float32Array;
    if (xd.length !== yd.length) continue;
    const scale = new Array<number>(xd.length);
    const offset = new Array<number>(xd.length);
    for (let i = 0; i < xd.length; i++) [scale[i], offset[i]] = PIECES[n.opType](xd[i], yd[i], n.attrs as Map<string, unknown>);
    const out = n.outputs[0];
    frozen.set(out, {
      scale: makeTensor(`${out}__scale`, ElemType.FLOAT, [...x.dims], scale),
      offset: makeTensor(`${out}__offset`, ElemType.FLOAT, [...x.dims], offset),
    });
  }
  return frozen;
}

export interface FdResult {
  directions: number;
  worstRelErr: number;
}

/** Compares ⟨G, v⟩ with the central difference of s along v for several random directions v. */
export async function fdCheckValue(
  model: LoadedModel,
  inputs: HostTensor[],
  value: string,
  output: string,
  target: TargetSpec,
  gradient: HostTensor,
  opts: { directions?: number; seed?: number; rtol?: number; epsScale?: number } = {},
): Promise<FdResult> {
  const a = await valueOf(model, inputs, value);
  const frozen = await freezePieces(model, inputs, value);
  const cut = await ort.InferenceSession.create(encodeModel(cutAt(model, value, output, a.dims, frozen)), { intraOpNumThreads: 1 });
  const feeds: Record<string, ort.Tensor> = {};
  model.graph.inputs.forEach((n, i) => (feeds[n] = toOrt(inputs[i])));
  const base = Float32Array.from(a.data as Float32Array);
  const outRun = await cut.run({ ...feeds, [value]: new ort.Tensor('float32', base, a.dims) }, [output]);
  const seed = buildSeed(target, [...outRun[output].dims]);
  const s = async (x: Float32Array) => {
    const r = await cut.run({ ...feeds, [value]: new ort.Tensor('float32', x, a.dims) }, [output]);
    const y = r[output].data as Float32Array;
    let acc = 0;
    for (let k = 0; k < y.length; k++) if (seed[k]) acc += seed[k] * y[k];
    return acc;
  };
  const rand = rng(opts.seed ?? 7);
  const g = gradient.data as Float32Array;
  let rms = 0;
  for (const x of base) rms += x * x;
  rms = Math.sqrt(rms / Math.max(1, base.length)) || 1;
  let worst = 0;
  let n = opts.directions ?? 6;
  let skipped = 0;
  for (let d = 0; d < n; d++) {
    // Half the directions are dense random, half concentrate on the largest-gradient elements.
    const v = new Float32Array(base.length);
    // "Dense" directions touch a random 5% of the elements (at least 16): enough to mix many gradient entries,
    // few enough that a deep ReLU net's kinks rarely fall inside the step.
    const density = Math.min(1, Math.max(16 / v.length, 0.05));
    if (d % 2 === 0) for (let k = 0; k < v.length; k++) v[k] = rand() < density ? rand() * 2 - 1 : 0;
    else {
      const idx = Array.from(g.keys()).sort((i, j) => Math.abs(g[j]) - Math.abs(g[i])).slice(0, 8);
      for (const k of idx) v[k] = rand() < 0.5 ? -1 : 1;
    }
    // Exact zeros (ReLU outputs) tie inside MaxPool windows: finite differences would pick a different
    // arg-max than the forward did, so those elements are left unperturbed.
    for (let k = 0; k < v.length; k++) if (base[k] === 0) v[k] = 0;
    let analytic = 0;
    let gnorm = 0;
    for (let k = 0; k < v.length; k++) {
      analytic += g[k] * v[k];
      gnorm += Math.abs(g[k] * v[k]);
    }
    // A dense direction sums thousands of float32 contributions, so its difference quotient is noisier.
    const rtol = (opts.rtol ?? 2e-2) * (d % 2 === 0 ? 3 : 1);
    // Piecewise-linear nets (ReLU, MaxPool) have kinks: a step too large crosses them, one too small drowns in
    // float32 rounding. The gradient is right when one of a few step sizes agrees.
    // A dense direction whose contributions cancel to under 2 % of Σ|G·v| cannot be judged in float32: the
    // difference quotient's rounding is of that size (seen on a deep PReLU net). Another direction replaces it.
    if (d % 2 === 0 && Math.abs(analytic) < 2e-2 * gnorm && skipped < 8) {
      skipped++;
      n += 2; // the next dense direction comes two steps on (odd steps are the sparse ones)
      continue;
    }
    const allowed = (numeric: number) => rtol * Math.max(Math.abs(numeric), 1e-3 * gnorm, 1e-6);
    let best = { err: Infinity, numeric: NaN };
    for (const scale of opts.epsScale ? [opts.epsScale] : [1e-3, 1e-4, 3e-5, 1e-2, 3e-2, 1e-1]) {
      const eps = scale * rms;
      const plus = new Float32Array(base.length);
      const minus = new Float32Array(base.length);
      for (let k = 0; k < v.length; k++) {
        plus[k] = base[k] + eps * v[k];
        minus[k] = base[k] - eps * v[k];
      }
      const numeric = ((await s(plus)) - (await s(minus))) / (2 * eps);
      const err = Math.abs(numeric - analytic);
      if (err < best.err) best = { err, numeric };
      if (err <= allowed(numeric)) break;
    }
    worst = Math.max(worst, best.err / allowed(best.numeric));
    if (best.err > allowed(best.numeric))
      throw new Error(`gradient at '${value}' disagrees with finite differences along direction ${d}: analytic ${analytic}, numeric ${best.numeric} (gnorm ${gnorm})`);
  }
  await cut.release();
  return { directions: n - 2 * skipped, worstRelErr: worst };
}

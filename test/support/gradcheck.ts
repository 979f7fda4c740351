/**
 * Checks a VJP rule against central finite differences computed through onnxruntime: a one-node model is
 * differentiated by the real engine (path pruning → backward builder → two sessions) with a random cotangent
 * w, and ⟨w, f(x ± εe_j)⟩ is evaluated by onnxruntime itself.
 */
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { compileAttribution } from '../../src/engine/attribution/compile';
import { OnnxGraph } from '../../src/engine/onnx/graph';
import type { LoadedModel } from '../../src/engine/onnx/loadModel';
import { AttrType, AttributeProto, ElemType, ModelProto, NodeProto, TensorProto, attr, encodeModel } from '../../src/engine/onnx/proto';
import { makeTensor } from '../../src/engine/onnx/tensorData';
import { DTYPE_TO_ELEM, fromOrt } from '../../src/engine/runtime/tensors';

export type FloatDType = 'float32' | 'float64';

export interface GradInput {
  /** Float data to differentiate (random in [lo, hi] when `data` is absent). */
  dims: number[];
  data?: number[];
  range?: [number, number];
  /** A constant (initializer): not differentiated. `int64` for axes/shapes/indices, `float` for weights. */
  constant?: 'int64' | 'float' | 'bool' | 'int32';
  /** Leave this input name empty (an absent optional input). */
  absent?: boolean;
}

export interface GradCase {
  op: string;
  opset: number;
  inputs: GradInput[];
  attrs?: Record<string, number | number[] | string | { f: number } | { fs: number[] } | { ss: string[] }>;
  /** Number of node outputs (default 1). */
  outputs?: number;
  /** Which outputs get a cotangent, one at a time (default: all; leave out integer outputs such as indices). */
  checkOutputs?: number[];
  /** Which output the cotangent is applied to (default: all of them, each with its own random w). */
  dtype?: FloatDType;
  seed?: number;
  /** Override tolerances. */
  rtol?: number;
  atol?: number;
  eps?: number;
  /** Extra nodes after the op (e.g. to use only some outputs); receives the op's outputs, must produce 'y*'. */
}

export { rng } from './random';
import { rng } from './random';

function toAttrs(a: GradCase['attrs'] = {}): AttributeProto[] {
  return Object.entries(a).map(([k, v]) => {
    if (typeof v === 'number') return attr.int(k, v);
    if (typeof v === 'string') return attr.string(k, v);
    if (Array.isArray(v)) return attr.ints(k, v);
    if ('f' in v) return attr.float(k, v.f);
    if ('ss' in v) return { name: k, type: AttrType.STRINGS, strings: v.ss.map((x) => Buffer.from(x, 'utf8')) };
    return attr.floats(k, v.fs);
  });
}

interface Built {
  proto: ModelProto;
  diffNames: string[];
  diffValues: number[][];
  diffDims: number[][];
  outputs: string[];
}

function build(c: GradCase, dtype: FloatDType): Built {
  const rand = rng(c.seed ?? 1234);
  const elem = DTYPE_TO_ELEM[dtype];
  const inputs: string[] = [];
  const graphInputs: ModelProto['graph'] extends infer G ? NonNullable<G> extends { input?: infer I } ? I : never : never = [];
  const initializers: TensorProto[] = [];
  const diffNames: string[] = [];
  const diffValues: number[][] = [];
  const diffDims: number[][] = [];
  c.inputs.forEach((inp, i) => {
    if (inp.absent) {
      inputs.push('');
      return;
    }
    const name = `x${i}`;
    inputs.push(name);
    const n = inp.dims.reduce((a, b) => a * b, 1);
    const [lo, hi] = inp.range ?? [-1, 1];
    const data = inp.data ?? Array.from({ length: n }, () => lo + (hi - lo) * rand());
    if (inp.constant) {
      const t =
        inp.constant === 'int64' ? ElemType.INT64 : inp.constant === 'int32' ? ElemType.INT32 : inp.constant === 'bool' ? ElemType.BOOL : elem;
      initializers.push(makeTensor(name, t, inp.dims, data));
    } else {
      graphInputs!.push({ name, type: { tensorType: { elemType: elem, shape: { dim: inp.dims.map((d) => ({ dimValue: d })) } } } });
      diffNames.push(name);
      diffValues.push(data);
      diffDims.push(inp.dims);
    }
  });
  const nOut = c.outputs ?? 1;
  const outputs = Array.from({ length: nOut }, (_, i) => `y${i}`);
  const node: NodeProto = { name: `/test/${c.op}`, opType: c.op, input: inputs, output: outputs, attribute: toAttrs(c.attrs) };
  // A final Identity per output keeps every output a distinct, consumable graph output.
  const proto: ModelProto = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: c.opset }],
    graph: {
      name: 'gradcheck',
      node: [node],
      input: graphInputs,
      initializer: initializers,
      output: outputs.map((name) => ({ name })),
    },
  };
  return { proto, diffNames, diffValues, diffDims, outputs };
}

function hostOf(dtype: FloatDType, dims: number[], data: number[]): ort.Tensor {
  return new ort.Tensor(dtype, dtype === 'float64' ? Float64Array.from(data) : Float32Array.from(data), dims);
}

/** Supported on onnxruntime's CPU provider in float64? (else the check falls back to float32). */
async function sessionFor(proto: ModelProto): Promise<ort.InferenceSession | undefined> {
  try {
    return await ort.InferenceSession.create(encodeModel(proto), { intraOpNumThreads: 1 });
  } catch {
    return undefined;
  }
}

/**
 * The engine's exact VJP for an in-memory model: compiles it for `wrt` → `output` through the real code path
 * (path pruning, backward builder, forward and backward sessions) and returns ∂⟨seed, output⟩/∂wrt, one tensor
 * per name in `wrt`. `seed` gets the output's shape (a function receives it, for seeds that depend on it).
 */
export async function engineVjp(
  proto: ModelProto,
  feeds: Record<string, ort.Tensor>,
  wrt: string[],
  output: string,
  seed: number[] | ((outDims: number[]) => number[]),
): Promise<ort.Tensor[]> {
  const model: LoadedModel = { path: '<memory>', dir: '.', bytes: 0, mtimeMs: 0, proto, graph: new OnnxGraph(proto) };
  const host = model.graph.inputs.map((n) => fromOrt(feeds[n]));
  const compiled = await compileAttribution(model, wrt, output, host, { provider: 'cpu', threads: 1 });
  try {
    const fw = await compiled.forward.session.run(feeds, compiled.forwardOutputs);
    const y = fw[output];
    const w = typeof seed === 'function' ? seed([...y.dims]) : seed;
    const bwFeeds: Record<string, ort.Tensor> = { [compiled.seedName]: hostOf(y.type as FloatDType, [...y.dims], w) };
    for (const v of compiled.backwardForwardFeeds) bwFeeds[v] = fw[v];
    for (const v of compiled.backwardInputFeeds) bwFeeds[v] = feeds[v];
    const bw = await compiled.backward.session.run(bwFeeds, compiled.gradOutputs);
    return compiled.gradOutputs.map((g) => bw[g]);
  } finally {
    await compiled.dispose();
  }
}

/** The one-node model of a case and its differentiable inputs as float32 feeds (for tests of refusals). */
export function buildForTest(c: GradCase): { proto: ModelProto; feeds: Record<string, ort.Tensor> } {
  const b = build(c, 'float32');
  const feeds: Record<string, ort.Tensor> = {};
  b.diffNames.forEach((n, i) => (feeds[n] = hostOf('float32', b.diffDims[i], b.diffValues[i])));
  return { proto: b.proto, feeds };
}

export interface GradCheckResult {
  dtype: FloatDType;
  maxAbsErr: number;
  maxRelErr: number;
  checked: number;
}

/**
 * Runs the check for one output at a time (cotangent on output k only), over every differentiable input.
 * Throws an assertion error naming the element on mismatch.
 */
export async function gradCheck(c: GradCase): Promise<void> {
  await gradCheckDetailed(c);
}

export async function gradCheckDetailed(c: GradCase): Promise<GradCheckResult> {
  let dtype: FloatDType = c.dtype ?? 'float64';
  let b = build(c, dtype);
  let fwd = await sessionFor(b.proto);
  if (!fwd && dtype === 'float64' && !c.dtype) {
    dtype = 'float32';
    b = build(c, dtype);
    fwd = await sessionFor(b.proto);
  }
  if (!fwd) throw new Error(`onnxruntime cannot run ${c.op} (opset ${c.opset}) in ${dtype}; fix the test case`);
  const rand = rng((c.seed ?? 1234) + 99);
  const eps = c.eps ?? (dtype === 'float64' ? 1e-6 : 1e-2);
  const rtol = c.rtol ?? (dtype === 'float64' ? 1e-5 : 2e-2);
  const feeds: Record<string, ort.Tensor> = {};
  b.diffNames.forEach((n, i) => (feeds[n] = hostOf(dtype, b.diffDims[i], b.diffValues[i])));
  const base = await fwd.run(feeds);

  let maxAbsErr = 0;
  let maxRelErr = 0;
  let checked = 0;
  for (const out of c.checkOutputs ? c.checkOutputs.map((i) => b.outputs[i]) : b.outputs) {
    const w = Array.from({ length: base[out].size }, () => rand() * 2 - 1);
    const grads = await engineVjp(b.proto, feeds, b.diffNames, out, w);
    const f = async (name: string, values: number[]) => {
      const r = await fwd!.run({ ...feeds, [name]: hostOf(dtype, b.diffDims[b.diffNames.indexOf(name)], values) }, [out]);
      const y = r[out].data as Float64Array;
      let s = 0;
      for (let k = 0; k < y.length; k++) s += w[k] * y[k];
      return s;
    };
    for (const [i, name] of b.diffNames.entries()) {
      const g = grads[i];
      assert.deepEqual([...g.dims], b.diffDims[i], `${c.op}: gradient of ${name} has shape [${g.dims}], input is [${b.diffDims[i]}]`);
      const gd = g.data as Float64Array;
      const x = b.diffValues[i];
      const gmax = Math.max(1e-12, ...Array.from(gd, Math.abs));
      const atol = c.atol ?? (dtype === 'float64' ? 1e-6 * Math.max(1, gmax) : 3e-3 * Math.max(1, gmax));
      const directions: number[][] = [];
      if (x.length <= 300) {
        for (let j = 0; j < x.length; j++) directions.push(x.map((_, k) => (k === j ? 1 : 0)));
      } else {
        for (let d = 0; d < 24; d++) directions.push(x.map(() => rand() * 2 - 1));
      }
      for (const [di, v] of directions.entries()) {
        const plus = await f(name, x.map((xv, k) => xv + eps * v[k]));
        const minus = await f(name, x.map((xv, k) => xv - eps * v[k]));
        const numeric = (plus - minus) / (2 * eps);
        let analytic = 0;
        for (let k = 0; k < v.length; k++) analytic += gd[k] * v[k];
        const err = Math.abs(numeric - analytic);
        maxAbsErr = Math.max(maxAbsErr, err);
        maxRelErr = Math.max(maxRelErr, err / Math.max(1e-12, Math.abs(numeric)));
        checked++;
        assert.ok(
          Number.isFinite(analytic) && err <= atol + rtol * Math.abs(numeric),
          `${c.op} opset ${c.opset} ${dtype}: d<w,${out}>/d${name} along ${x.length <= 300 ? `element ${di}` : `direction ${di}`}: analytic ${analytic}, finite difference ${numeric} (err ${err.toExponential(2)})`,
        );
      }
    }
  }
  await fwd.release();
  return { dtype, maxAbsErr, maxRelErr, checked };
}

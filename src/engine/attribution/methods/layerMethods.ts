/**
 * Captum's layer methods other than Layer Gradient × Activation, as a table: each entry turns a request into
 * forward runs and gradient runs of the engine (batched: many integration points or ablated groups per run),
 * with Captum's exact semantics (captum/attr/_core/layer/*.py; test/data/fixtures/layer_methods/README.md).
 */
import type { AttributeRequest, AttributionTarget, IntegrationRule, MethodName, MethodSpec } from '../../api';
import { findGradientPath } from '../../autodiff/paths';
import { LayerLensError } from '../../errors';
import type { GraphNode } from '../../onnx/graph';
import type { LoadedModel } from '../../onnx/loadModel';
import { broadcastTo } from '../../tensor/broadcast';
import { HostTensor, elementCount, isFloatDType } from '../../tensor/hostTensor';
import { buildSeed } from '../targets';
import { integrationPoints } from './integration';
import type { Swap } from './patchLayers';
import { interpolate, pickRows, rowSize, stackRows, zerosLike } from './rows';

/** A model the engine can run: the opened one, or a patched copy of it. */
export interface ModelRef {
  key: string;
  model: LoadedModel;
}

export interface GradientRun {
  /** ∂(Σ seed ⊙ output)/∂v for each requested value v. */
  grads: HostTensor[];
  /** The requested values themselves. */
  values: HostTensor[];
  output: HostTensor;
}

/** What the methods need from an opened model (ModelSession provides it). */
export interface MethodEngine {
  readonly original: ModelRef;
  /** The model with these values replaced by new graph inputs (after its own inputs, in swap order). */
  patched(swaps: Swap[]): { ref: ModelRef; inputs: string[] };
  /** Values of one forward run (graph inputs among them come back as given). */
  run(ref: ModelRef, inputs: HostTensor[], fetches: string[]): Promise<HostTensor[]>;
  /** One forward and one backward run; `seedFor` gets the output's shape and returns ∂s/∂output. */
  gradients(ref: ModelRef, inputs: HostTensor[], wrt: string[], output: string, seedFor: (outDims: number[]) => Float32Array): Promise<GradientRun>;
  /** Nodes of a layer's last call (undefined: every reader of its values). */
  nodesOf(layerId: string): GraphNode[] | undefined;
  /** Largest batch the model takes (a fixed batch dimension), if any. */
  maxRows?: number;
  signal?: AbortSignal;
}

export interface MethodResult {
  /** One attribution per activation value. */
  byValue: Map<string, HostTensor>;
  output: HostTensor;
  delta?: HostTensor;
}

interface Call {
  engine: MethodEngine;
  req: AttributeRequest;
  spec: MethodSpec;
  layerIds: string[];
  perLayer: string[][];
  values: string[];
  output: string;
  /** Examples in the batch. */
  n: number;
}

export const METHOD_NAMES: MethodName[] = ['lgxa', 'activation', 'gradcam', 'internal-influence', 'conductance', 'integrated-gradients', 'feature-ablation'];

/** Input elements a run holds at most when neither the user nor the model fixes the batch (~8 MB of float32). */
const ROW_BUDGET = 2 ** 21;

export async function runLayerMethod(engine: MethodEngine, req: AttributeRequest, perLayer: string[][], output: string): Promise<MethodResult> {
  const spec = req.method!;
  const impl = METHODS[spec.name as Exclude<MethodName, 'lgxa'>];
  if (!impl) throw new LayerLensError(`unknown method '${spec.name}' (use ${METHOD_NAMES.join(', ')})`, 'invalid-argument');
  const n = req.inputs[0]?.dims[0] ?? 1;
  return impl({ engine, req, spec, layerIds: req.layers, perLayer, values: [...new Set(perLayer.flat())], output, n });
}

const METHODS: Record<Exclude<MethodName, 'lgxa'>, (c: Call) => Promise<MethodResult>> = {
  activation: async (c) => {
    const [out, ...vals] = await c.engine.run(c.engine.original, c.req.inputs, [c.output, ...c.values]);
    return { byValue: new Map(c.values.map((v, i) => [v, vals[i]])), output: out };
  },

  gradcam: async (c) => {
    const r = await c.engine.gradients(c.engine.original, c.req.inputs, c.values, c.output, (dims) => seedOf(c.req.target, dims));
    const byValue = new Map(c.values.map((v, i) => [v, gradCam(r.grads[i], r.values[i], c.spec, v)]));
    return { byValue, output: r.output };
  },

  'internal-influence': async (c) => {
    refuseTokenInputs(c, 'internal influence');
    const { alphas, weights } = integrationPoints(rule(c.spec), nSteps(c.spec));
    const baselines = inputBaselines(c);
    const sums = new Map<string, Float64Array>();
    await alongPath(c, c.engine.original, c.values, alphas.length, (k) => c.req.inputs.map((x, i) => interpolate(baselines[i], x, alphas[k])), (k, grads) => {
      c.values.forEach((v, i) => addScaled(sums, v, grads[i], weights[k]));
    });
    const [outX, ...valsX] = await c.engine.run(c.engine.original, c.req.inputs, [c.output, ...c.values]);
    return { byValue: toTensors(sums, c, valsX.map((t) => t.dims)), output: outX };
  },

  conductance: async (c) => {
    refuseTokenInputs(c, 'conductance');
    // n_steps + 1 points of the rule, weights ignored: Σ_k G(x_k) · (A(x_{k+1}) − A(x_k)).
    const { alphas } = integrationPoints(rule(c.spec), nSteps(c.spec) + 1);
    const baselines = inputBaselines(c);
    const sums = new Map<string, Float64Array>();
    let prev: { grads: HostTensor[]; values: HostTensor[] } | undefined;
    await alongPath(c, c.engine.original, c.values, alphas.length, (k) => c.req.inputs.map((x, i) => interpolate(baselines[i], x, alphas[k])), (_k, grads, values) => {
      if (prev) {
        const p = prev;
        c.values.forEach((v, i) => {
          const g = p.grads[i].data as Float32Array;
          const a1 = values[i].data as Float32Array;
          const a0 = p.values[i].data as Float32Array;
          const s = sumsFor(sums, v, g.length);
          for (let e = 0; e < g.length; e++) s[e] += Math.fround(Math.fround(a1[e] - a0[e]) * g[e]);
        });
      }
      prev = { grads, values };
    });
    const [outX, ...valsX] = await c.engine.run(c.engine.original, c.req.inputs, [c.output, ...c.values]);
    const byValue = toTensors(sums, c, valsX.map((t) => t.dims));
    return { byValue, output: outX, ...(c.spec.convergenceDelta ? { delta: await convergenceDelta(c, byValue, outX, baselines) } : {}) };
  },

  'integrated-gradients': async (c) => {
    const { alphas, weights } = integrationPoints(rule(c.spec), nSteps(c.spec));
    const baselines = inputBaselines(c);
    const [outX, ...ax] = await c.engine.run(c.engine.original, c.req.inputs, [c.output, ...c.values]);
    const [outB, ...ab] = await c.engine.run(c.engine.original, baselines, [c.output, ...c.values]);
    const patched = c.engine.patched(swapsOf(c));
    refuseSequentialLayers(c, patched);
    const sums = new Map<string, Float64Array>();
    await alongPath(
      c,
      patched.ref,
      patched.inputs,
      alphas.length,
      (k) => [...c.req.inputs, ...c.values.map((_, i) => interpolate(ab[i], ax[i], alphas[k]))],
      (k, grads) => c.values.forEach((v, i) => addScaled(sums, v, grads[i], weights[k])),
    );
    const byValue = toTensors(sums, c, ax.map((t) => t.dims));
    if (c.spec.multiplyByInputs !== false)
      c.values.forEach((v, i) => {
        const r = byValue.get(v)!.data as Float32Array;
        const x = ax[i].data as Float32Array;
        const b = ab[i].data as Float32Array;
        for (let e = 0; e < r.length; e++) r[e] = Math.fround(r[e] * Math.fround(x[e] - b[e]));
      });
    return { byValue, output: outX, ...(c.spec.convergenceDelta ? { delta: deltaOf(c, byValue, outX, outB) } : {}) };
  },

  'feature-ablation': async (c) => {
    const [outX, ...ax] = await c.engine.run(c.engine.original, c.req.inputs, [c.output, ...c.values]);
    const seedN = seedOf(c.req.target, outX.dims);
    const fx = perExample(seedN, outX);
    const patched = c.engine.patched(swapsOf(c));
    const byValue = new Map<string, HostTensor>();
    for (const [vi, v] of c.values.entries()) {
      const a = ax[vi];
      const fail = (msg: string) => new LayerLensError(`feature ablation: ${msg}`, 'invalid-argument');
      const baseline = broadcastTo(c.spec.layerBaseline ?? 0, a.dims, 'the layer baseline', fail);
      const per = rowSize(a);
      // Group of each element: the layer mask's ids, or each element of an example on its own.
      const members = groupMembers(c.spec.layerMask ? broadcastTo(c.spec.layerMask, a.dims, 'the layer mask', fail) : undefined, a.dims);
      const result = new Float64Array(a.data.length);
      // A · (1 − m_g) + B · m_g: the group's elements take the baseline.
      const ablated = (elements: number[]): HostTensor => {
        const d = Float32Array.from(a.data as Float32Array);
        for (const e of elements) d[e] = baseline[e];
        return { dtype: 'float32', dims: a.dims, data: d };
      };
      const perRun = Math.max(c.spec.perturbationsPerEval ?? 1, autoPointsPerRun(c));
      await inChunks(c, members.length, perRun, async (chunk) => {
        const inputs = [
          ...c.req.inputs.map((x) => tile(x, chunk.length)),
          ...c.values.map((u, ui) => (u === v ? stackRows(chunk.map((gi) => ablated(members[gi]))) : tile(ax[ui], chunk.length))),
        ];
        const [out] = await c.engine.run(patched.ref, inputs, [c.output]);
        return (slot: number, gi: number) => {
          const f = perExample(seedN, pickRows(out, range(slot * c.n, c.n)));
          for (const e of members[gi]) result[e] += fx[Math.floor(e / per)] - f[Math.floor(e / per)];
        };
      });
      byValue.set(v, { dtype: 'float32', dims: a.dims, data: Float32Array.from(result) });
    }
    return { byValue, output: outX };
  },
};

// ---- path methods -------------------------------------------------------------------------------------------

/**
 * Evaluates gradients at `count` points, several points (each a block of `n` rows) per run, and hands each point's
 * gradients and values to `onPoint` in point order. A model that will not take the stacked batch (a fixed batch
 * size inside the graph) is run one point at a time.
 */
async function alongPath(
  c: Call,
  ref: ModelRef,
  wrt: string[],
  count: number,
  inputsAt: (k: number) => HostTensor[],
  onPoint: (k: number, grads: HostTensor[], values: HostTensor[]) => void,
): Promise<void> {
  const ibs = c.spec.internalBatchSize;
  if (ibs !== undefined && (!Number.isInteger(ibs) || ibs < 1)) throw new LayerLensError(`internal batch size must be a positive integer, got ${ibs}`, 'invalid-argument');
  const perRun = ibs ? Math.max(1, Math.floor(ibs / c.n)) : autoPointsPerRun(c);
  let seedN: Float32Array | undefined;
  await inChunks(c, count, perRun, async (chunk) => {
    const points = chunk.map(inputsAt);
    const inputs = points[0].map((_, i) => stackRows(points.map((p) => p[i])));
    const real = chunk.length;
    const r = await c.engine.gradients(ref, inputs, wrt, c.output, (dims) => {
      seedN ??= seedOf(c.req.target, [c.n, ...dims.slice(1)]);
      const seed = new Float32Array(elementCount(dims));
      for (let p = 0; p < real; p++) seed.set(seedN, p * seedN.length);
      return seed;
    });
    return (slot: number, k: number) =>
      onPoint(
        k,
        r.grads.map((t) => pickRows(t, range(slot * c.n, c.n))),
        r.values.map((t) => pickRows(t, range(slot * c.n, c.n))),
      );
  });
}

/**
 * Runs `count` points `perRun` at a time, in order. `run` gets the chunk's point indices (the last chunk padded by
 * repeating its last point, so every run has one shape and one compiled graph) and returns a function that
 * consumes one slot's results. Falls back to one point per run when a stacked batch fails.
 */
async function inChunks(c: Call, count: number, perRun: number, run: (chunk: number[]) => Promise<(slot: number, point: number) => void>): Promise<void> {
  perRun = Math.max(1, Math.min(perRun, count));
  if (c.engine.maxRows !== undefined) perRun = Math.max(1, Math.min(perRun, Math.floor(c.engine.maxRows / c.n)));
  const attempt = async (per: number) => {
    for (let start = 0; start < count; start += per) {
      if (c.engine.signal?.aborted) throw new LayerLensError('cancelled', 'cancelled');
      const real = range(start, Math.min(per, count - start));
      const chunk = [...real, ...new Array(per - real.length).fill(real[real.length - 1])];
      const consume = await run(chunk);
      real.forEach((k, slot) => consume(slot, k));
    }
  };
  try {
    await attempt(perRun);
  } catch (e) {
    if (perRun === 1 || (e instanceof LayerLensError && e.code !== 'model-invalid')) throw e;
    await attempt(1);
  }
}

function autoPointsPerRun(c: Call): number {
  const perPoint = c.req.inputs.reduce((a, t) => a + t.data.length, 0);
  return Math.max(1, Math.floor(ROW_BUDGET / Math.max(1, perPoint)));
}

function rule(spec: MethodSpec): IntegrationRule {
  return spec.integration ?? 'gausslegendre';
}

function nSteps(spec: MethodSpec): number {
  return spec.nSteps ?? 50;
}

function refuseTokenInputs(c: Call, what: string): void {
  c.req.inputs.forEach((t, i) => {
    if (!isFloatDType(t.dtype))
      throw new LayerLensError(
        `${what} interpolates the model's inputs, and input ${i} is ${t.dtype} (token ids cannot be interpolated; Captum raises here too) — use integrated-gradients, which interpolates in the layer`,
        'invalid-argument',
      );
  });
}

/** One baseline per graph input: the user's (broadcast to the input), or zeros (token id 0 for integer inputs). */
function inputBaselines(c: Call): HostTensor[] {
  const given = c.spec.baselines;
  if (given && given.length !== c.req.inputs.length)
    throw new LayerLensError(`${given.length} baseline(s) given for ${c.req.inputs.length} model input(s); give one per input`, 'invalid-argument');
  return c.req.inputs.map((x, i) => {
    const b = given?.[i];
    if (!b) return zerosLike(x);
    if (isFloatDType(x.dtype) !== isFloatDType(b.dtype))
      throw new LayerLensError(`baseline ${i} is ${b.dtype} but input ${i} is ${x.dtype}`, 'input-invalid');
    if (b.dims.join(',') === x.dims.join(',')) return isFloatDType(b.dtype) && b.dtype !== 'float32' ? { ...b, dtype: 'float32', data: Float32Array.from(b.data as Float64Array) } : b;
    if (!isFloatDType(x.dtype)) throw new LayerLensError(`baseline ${i} has shape [${b.dims}] but input ${i} has shape [${x.dims}]`, 'input-invalid');
    const data = broadcastTo(b, x.dims, `baseline ${i}`, (msg) => new LayerLensError(msg.replace("the layer's shape", `input ${i}'s shape`), 'input-invalid'));
    return { dtype: 'float32', dims: [...x.dims], data };
  });
}

/**
 * With every listed layer replaced at once, a layer whose value reaches the output only through another listed
 * layer has no gradient: Captum raises, and so do we, naming both.
 */
function refuseSequentialLayers(c: Call, patched: { ref: ModelRef; inputs: string[] }): void {
  const g = patched.ref.model.graph;
  patched.inputs.forEach((name, i) => {
    try {
      findGradientPath(g, [name], c.output);
    } catch (e) {
      if (!(e instanceof LayerLensError)) throw e;
      const layer = c.layerIds[c.perLayer.findIndex((vals) => vals.includes(c.values[i]))];
      const others = c.layerIds.filter((id) => id !== layer);
      throw new LayerLensError(
        `integrated gradients: layer '${layer}' reaches output '${c.output}' only through ${others.length ? `the other listed layer(s) ${others.map((o) => `'${o}'`).join(', ')}` : 'values the method replaces'}; with all of them replaced it has no gradient (Captum raises here too) — attribute the layers one at a time`,
        'invalid-argument',
      );
    }
  });
}

/** Where each value is swapped: layer outputs for every reader, layer inputs for the layer's own nodes only. */
function swapsOf(c: Call): Swap[] {
  return c.values.map((value) => {
    if (!c.req.layerInput) return { value };
    const readers = new Set<GraphNode>();
    let everyone = false;
    c.layerIds.forEach((id, L) => {
      if (!c.perLayer[L].includes(value)) return;
      const nodes = c.engine.nodesOf(id);
      if (!nodes) everyone = true;
      else nodes.forEach((n) => readers.add(n));
    });
    return everyone ? { value } : { value, readers: [...readers] };
  });
}

async function convergenceDelta(c: Call, byValue: Map<string, HostTensor>, outX: HostTensor, baselines: HostTensor[]): Promise<HostTensor> {
  const [outB] = await c.engine.run(c.engine.original, baselines, [c.output]);
  return deltaOf(c, byValue, outX, outB);
}

/** Σ (every element of every result tensor of example i) − (F_i(x) − F_i(baseline)). */
function deltaOf(c: Call, byValue: Map<string, HostTensor>, outX: HostTensor, outB: HostTensor): HostTensor {
  const seedN = seedOf(c.req.target, outX.dims);
  const fx = perExample(seedN, outX);
  const fb = perExample(seedN, outB);
  const delta = new Float32Array(c.n);
  for (let i = 0; i < c.n; i++) {
    let s = 0;
    for (const vals of c.perLayer)
      for (const v of vals) {
        const t = byValue.get(v)!;
        const per = rowSize(t);
        const d = t.data as Float32Array;
        for (let e = i * per; e < (i + 1) * per; e++) s += d[e];
      }
    delta[i] = s - (fx[i] - fb[i]);
  }
  return { dtype: 'float32', dims: [c.n], data: delta };
}

// ---- Grad-CAM ----------------------------------------------------------------------------------------------

/**
 * w = mean of G over the axes after the channel axis (none for a rank-2 value); R = Σ_channels w·A (kept as a
 * size-1 axis) or w·A; then max(R, 0) with relu_attributions. No upsampling (Captum's interpolate is separate).
 */
function gradCam(g: HostTensor, a: HostTensor, spec: MethodSpec, name: string): HostTensor {
  const dims = a.dims;
  if (dims.length < 2) throw new LayerLensError(`Grad-CAM needs a layer value with a channel axis (rank ≥ 2); '${name}' has shape [${dims}]`, 'invalid-argument');
  const [n, ch] = dims;
  const inner = elementCount(dims.slice(2));
  const gd = g.data as Float32Array;
  const ad = a.data as Float32Array;
  const w = new Float64Array(n * ch);
  for (let nc = 0; nc < n * ch; nc++) {
    let s = 0;
    for (let e = 0; e < inner; e++) s += gd[nc * inner + e];
    w[nc] = s / inner;
  }
  const wAt = (idx: number) => (dims.length > 2 ? w[Math.floor(idx / inner)] : gd[idx]);
  const relu = spec.reluAttributions ? (x: number) => Math.max(x, 0) : (x: number) => x;
  if (spec.dimSum === false) {
    const out = new Float32Array(ad.length);
    for (let e = 0; e < ad.length; e++) out[e] = relu(wAt(e) * ad[e]);
    return { dtype: 'float32', dims: [...dims], data: out };
  }
  const out = new Float32Array(n * inner);
  for (let i = 0; i < n; i++)
    for (let e = 0; e < inner; e++) {
      let s = 0;
      for (let k = 0; k < ch; k++) {
        const idx = (i * ch + k) * inner + e;
        s += wAt(idx) * ad[idx];
      }
      out[i * inner + e] = relu(s);
    }
  return { dtype: 'float32', dims: [n, 1, ...dims.slice(2)], data: out };
}

// ---- small helpers ------------------------------------------------------------------------------------------

/** Flat element indices of each ablation group: the mask's distinct ids in ascending order, or one group per element of an example. */
function groupMembers(groupOf: Float32Array | undefined, dims: number[]): number[][] {
  const n = dims[0];
  const per = elementCount(dims.slice(1));
  if (!groupOf) return Array.from({ length: per }, (_, j) => Array.from({ length: n }, (_, i) => i * per + j));
  const byId = new Map<number, number[]>();
  groupOf.forEach((g, e) => {
    let m = byId.get(g);
    if (!m) byId.set(g, (m = []));
    m.push(e);
  });
  return [...byId.keys()].sort((p, q) => p - q).map((g) => byId.get(g)!);
}

function seedOf(target: AttributionTarget, outDims: readonly number[]): Float32Array {
  return buildSeed(target, outDims) as Float32Array;
}

/** F_i = Σ_j seed[i, j] · out[i, j]: each example's target-selected output. */
function perExample(seedN: Float32Array, out: HostTensor): Float64Array {
  const n = out.dims[0];
  const per = rowSize(out);
  const d = out.data as Float32Array;
  const f = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < per; j++) {
      const w = seedN[i * per + j];
      if (w !== 0) s += w * d[i * per + j];
    }
    f[i] = s;
  }
  return f;
}

function sumsFor(sums: Map<string, Float64Array>, v: string, length: number): Float64Array {
  let s = sums.get(v);
  if (!s) sums.set(v, (s = new Float64Array(length)));
  return s;
}

function addScaled(sums: Map<string, Float64Array>, v: string, t: HostTensor, w: number): void {
  const d = t.data as Float32Array;
  const s = sumsFor(sums, v, d.length);
  for (let e = 0; e < d.length; e++) s[e] += Math.fround(d[e] * w);
}

function toTensors(sums: Map<string, Float64Array>, c: Call, shapes: number[][]): Map<string, HostTensor> {
  return new Map(c.values.map((v, i) => [v, { dtype: 'float32', dims: shapes[i], data: Float32Array.from(sums.get(v)!) } as HostTensor]));
}

function tile(t: HostTensor, times: number): HostTensor {
  const n = t.dims[0];
  return pickRows(t, Array.from({ length: times * n }, (_, r) => r % n));
}

function range(start: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => start + i);
}

/**
 * Compiling an attribution: prune the graph, probe static shapes with one forward run at the given input
 * shapes, build the backward model, and open the two sessions (forward with exactly the values the backward
 * needs as outputs; backward fed by them and by the seed).
 */
import type * as ort from 'onnxruntime-node';
import type { RuntimeOptions } from '../api';
import { LayerLensError } from '../errors';
import { buildBackward, ProbedValue } from '../autodiff/buildBackward';
import { GradientPath, findGradientPath } from '../autodiff/paths';
import type { LoadedModel } from '../onnx/loadModel';
import { ModelProto, ValueInfoProto } from '../onnx/proto';
import { encodeForSession } from '../onnx/sessionModel';
import { OpenedSession, SessionFactory, createOrtSession, openSession, optimizationFor } from '../runtime/session';
import { DTYPE_TO_ELEM, ortNumbers, toOrt } from '../runtime/tensors';
import type { HostTensor } from '../tensor/hostTensor';
import { decomposeRecurrent, isRecurrent } from './decomposeRecurrent';
import { inlineStaticIfs } from './inlineIf';
import { narrowRows } from './narrowRows';

const PROBE_CHUNK = 3000;
/** Intermediates kept from the forward pass for the backward; beyond this onnxruntime's start-up time explodes. */
const MAX_FORWARD_FETCHES = 4000;

export interface CompileOptions {
  /** Row narrowing (see narrowRows.ts); on unless turned off for comparisons. */
  narrow?: boolean;
  /** Stops the compile at its next stage (probe, rewrites, backward, each session) when nobody waits for it. */
  signal?: AbortSignal;
}

function stopIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new LayerLensError('cancelled', 'cancelled');
}

export interface CompiledAttribution {
  activations: string[];
  output: string;
  forward: OpenedSession;
  /** Names the forward session returns: the output, the activations that are not graph inputs, and backward's needs. */
  forwardOutputs: string[];
  backward: OpenedSession;
  backwardForwardFeeds: string[];
  backwardInputFeeds: string[];
  seedName: string;
  gradOutputs: string[];
  compileMs: number;
  /** Nodes row narrowing rewrote to compute on selected rows only (0: the graph as it was). */
  narrowedNodes: number;
  dispose(): Promise<void>;
}

/** The model with its graph outputs replaced, so onnxruntime keeps (and returns) exactly those values. */
export function withOutputs(model: LoadedModel, outputs: string[]): ModelProto {
  const g = model.graph;
  const graph = model.proto.graph!;
  const declared = new Map((graph.output ?? []).map((o) => [o.name ?? '', o]));
  const out: ValueInfoProto[] = outputs.map((name) => {
    const existing = declared.get(name);
    if (existing) return existing;
    const elemType = g.elemType(name);
    return elemType !== undefined ? { name, type: { tensorType: { elemType } } } : { name };
  });
  return { ...model.proto, graph: { ...graph, output: out } } as ModelProto;
}

/**
 * Probed shapes (and small static values) per model and input shapes: they depend on the input shapes only, so a
 * later compile at the same shapes reuses them instead of starting another onnxruntime session.
 */
const PROBED = new WeakMap<LoadedModel, Map<string, Map<string, ProbedValue>>>();

function probeCache(model: LoadedModel, feeds: Record<string, ort.Tensor>): Map<string, ProbedValue> {
  let byShapes = PROBED.get(model);
  if (!byShapes) PROBED.set(model, (byShapes = new Map()));
  const shapesKey = JSON.stringify(model.graph.inputs.map((n) => [feeds[n]?.type, feeds[n]?.dims]));
  let known = byShapes.get(shapesKey);
  if (!known) byShapes.set(shapesKey, (known = new Map()));
  return known;
}

/**
 * Tells the probe cache of `model` (a part of a model already probed) what its values are at these feeds' shapes,
 * so compiling it starts no probe session of its own.
 */
export function rememberProbe(model: LoadedModel, feeds: Record<string, ort.Tensor>, values: Map<string, ProbedValue>): void {
  const known = probeCache(model, feeds);
  for (const [name, p] of values) if (!known.has(name)) known.set(name, p);
}

/** Shapes of `names` at the feeds' input shapes: from the cache, else from one probe run (see probeValuesNow). */
export async function probeValues(
  model: LoadedModel,
  names: string[],
  feeds: Record<string, ort.Tensor>,
  runtime: RuntimeOptions,
  factory: SessionFactory = createOrtSession,
): Promise<Map<string, ProbedValue>> {
  const g = model.graph;
  const known = probeCache(model, feeds);
  const missing = names.filter((n) => !known!.has(n) && !g.initializers.has(n));
  if (missing.length) {
    // One probe for every value the model computes when that fits in one session, so later layers hit the cache.
    const all = g.nodes.flatMap((n) => n.outputs).filter((v) => v && !known!.has(v));
    const wanted = all.length <= PROBE_CHUNK ? [...new Set([...missing, ...all])] : missing;
    for (const [name, p] of await probeValuesNow(model, wanted, feeds, runtime, factory)) known.set(name, p);
  }
  const out = new Map<string, ProbedValue>();
  for (const n of [...g.inputs, ...names]) {
    const p = known.get(n);
    if (p) out.set(n, p);
  }
  for (const name of g.inputs) {
    const t = feeds[name];
    if (t && !out.has(name)) out.set(name, { elemType: DTYPE_TO_ELEM[t.type as keyof typeof DTYPE_TO_ELEM], dims: [...t.dims] });
  }
  return out;
}

/**
 * Consecutive parts of a model (a split plan's segments: each reads only the value the previous one ends at) that
 * a probe of that model runs one after another, so it holds one part's weights and values at a time instead of
 * every weight and every intermediate of the model at once. ViT-B/16's whole-model probe held 1.27 GB above the
 * opened model (its 330 MB of weights and ~950 MB of intermediates, returned and copied): its peak was the
 * process's peak.
 */
export interface ProbePart {
  model: LoadedModel;
  from: string[];
  to: string;
}

const PROBE_PARTS = new WeakMap<LoadedModel, ProbePart[]>();

/** Probes of `model` run part by part from now on (see ProbePart). */
export function probeInParts(model: LoadedModel, parts: ProbePart[]): void {
  PROBE_PARTS.set(model, parts);
}

/** One probe session: `model` with `fetch` as its outputs, run once at `feeds`; returns the shapes and the fetched values. */
async function probeRun(
  model: LoadedModel,
  fetch: string[],
  feeds: Record<string, ort.Tensor>,
  runtime: RuntimeOptions,
  factory: SessionFactory,
  probe: Map<string, ProbedValue>,
): Promise<Record<string, ort.Tensor>> {
  const g = model.graph;
  // Shapes only: no optimisation (see optimizationFor).
  const opened = await openSession(encodeForSession(withOutputs(model, fetch)), {
    provider: 'cpu',
    threads: runtime.threads,
    externalDataDir: model.dir,
    optimization: 'disabled',
  }, factory);
  try {
    const res = await opened.session.run(feeds, fetch);
    for (const name of fetch) {
      const t = res[name];
      const elemType = DTYPE_TO_ELEM[t.type as keyof typeof DTYPE_TO_ELEM];
      const isStatic = g.staticValues.has(name) && t.size <= 4096 && t.type !== 'string';
      probe.set(name, { elemType, dims: [...t.dims], numbers: isStatic ? ortNumbers(t) : undefined });
    }
    return res;
  } finally {
    await opened.session.release();
  }
}

async function probeValuesNow(
  model: LoadedModel,
  names: string[],
  feeds: Record<string, ort.Tensor>,
  runtime: RuntimeOptions,
  factory: SessionFactory,
): Promise<Map<string, ProbedValue>> {
  const g = model.graph;
  let fetch = names.filter((n) => !g.inputs.includes(n) && !g.initializers.has(n));
  const probe = new Map<string, ProbedValue>();
  for (const name of g.inputs) {
    const t = feeds[name];
    if (t) probe.set(name, { elemType: DTYPE_TO_ELEM[t.type as keyof typeof DTYPE_TO_ELEM], dims: [...t.dims] });
  }
  const parts = PROBE_PARTS.get(model);
  if (parts && fetch.length) {
    // Part by part, each fed the value the previous one ended at; what no part computes is probed whole below.
    const wanted = new Set(fetch);
    const at: Record<string, ort.Tensor> = { ...feeds };
    for (const part of parts) {
      if (!part.from.every((v) => at[v])) break;
      const produced = part.model.graph.nodes.flatMap((n) => n.outputs).filter((v) => v && wanted.has(v));
      const partFetch = [...new Set([...produced, part.to])];
      const partFeeds = Object.fromEntries(part.from.map((v) => [v, at[v]]));
      const res = await probeRun(part.model, partFetch, partFeeds, runtime, factory, probe);
      for (const v of part.from) if (!g.inputs.includes(v)) delete at[v];
      at[part.to] = res[part.to];
      for (const v of partFetch) wanted.delete(v);
    }
    fetch = fetch.filter((v) => wanted.has(v));
  }
  // At most PROBE_CHUNK outputs per session (see optimizationFor).
  for (let start = 0; start < fetch.length; start += PROBE_CHUNK) await probeRun(model, fetch.slice(start, start + PROBE_CHUNK), feeds, runtime, factory, probe);
  return probe;
}

/** What a graph rewrite before differentiation returns: the new model and the values whose shapes it knows. */
interface Rewritten {
  model: LoadedModel;
  newValues?: Map<string, ProbedValue>;
  /** How many nodes now compute on selected rows only (row narrowing). */
  narrowed?: number;
}

/**
 * Rewrites applied, in order, before the backward model is built: each sees the current gradient path and shapes;
 * what it adds is probed again only when it did not state the new shapes itself. An optional one is an
 * optimisation: if it fails, or leaves a shape unknown, the graph stays as it was.
 */
const REWRITES: {
  name: string;
  optional?: boolean;
  apply(model: LoadedModel, path: GradientPath, probe: Map<string, ProbedValue>, keep: string[], options: CompileOptions): Rewritten | undefined;
}[] = [
  {
    // Shape-decided Ifs on the path become the branch they take.
    name: 'inline If',
    apply: (model, path, probe) => {
      const inlined = path.nodes.some((n) => n.opType === 'If') ? inlineStaticIfs(model, path.nodes, probe) : undefined;
      return inlined && { model: inlined };
    },
  },
  {
    // LSTM/GRU/RNN between the layer and the output: unrolled over the (now fixed) sequence length.
    name: 'unroll recurrent',
    apply: (model, path, probe) => {
      const recurrent = path.nodes.filter(isRecurrent);
      return recurrent.length ? decomposeRecurrent(model, recurrent, probe) : undefined;
    },
  },
  {
    name: 'narrow rows',
    optional: true,
    apply: (model, _path, probe, keep, options) => {
      if (options.narrow === false) return undefined;
      const r = narrowRows(model, keep, probe);
      return r && { model: r.model, newValues: r.newValues, narrowed: r.moves };
    },
  },
];

export async function compileAttribution(
  model: LoadedModel,
  activations: string[],
  output: string,
  inputs: HostTensor[],
  runtime: RuntimeOptions,
  factory: SessionFactory = createOrtSession,
  options: CompileOptions = {},
): Promise<CompiledAttribution> {
  const t0 = performance.now();
  let path = findGradientPath(model.graph, activations, output);
  const feeds: Record<string, ort.Tensor> = {};
  model.graph.inputs.forEach((name, i) => (feeds[name] = toOrt(inputs[i])));
  let probe = await probeValues(model, [...path.touched], feeds, runtime, factory);
  let narrowedNodes = 0;
  for (const rw of REWRITES) {
    stopIfAborted(options.signal);
    let res: Rewritten | undefined;
    let next: GradientPath;
    try {
      res = rw.apply(model, path, probe, [output, ...activations], options);
      if (!res) continue;
      next = findGradientPath(res.model.graph, activations, output);
    } catch (e) {
      if (rw.optional) continue; // an optimisation only: the graph as it was is always correct
      throw e;
    }
    let known = new Map([...probe, ...(res.newValues ?? [])]);
    if ([...next.touched].some((v) => !known.has(v) && !res.model.graph.initializers.has(v))) {
      if (rw.optional) continue;
      known = await probeValues(res.model, [...next.touched], feeds, runtime, factory);
    }
    model = res.model;
    path = next;
    probe = known;
    narrowedNodes += res.narrowed ?? 0;
  }
  stopIfAborted(options.signal);
  const g = model.graph;
  const bw = buildBackward(g, path, activations, output, probe);
  if (bw.forwardFetches.length > MAX_FORWARD_FETCHES)
    throw new LayerLensError(
      `the gradient from '${output}' back to this layer needs ${bw.forwardFetches.length} intermediate tensors of the forward pass (at most ${MAX_FORWARD_FETCHES}); choose a layer closer to the output`,
      'unsupported-op',
    );

  const forwardOutputs = unique([output, ...activations, ...bw.forwardFetches].filter((v) => !g.inputs.includes(v)));
  const forward = await openSession(
    encodeForSession(withOutputs(model, forwardOutputs)),
    { ...runtime, externalDataDir: model.dir, optimization: atMostExtended(optimizationFor(forwardOutputs.length)) },
    factory,
  );
  let backward: OpenedSession | undefined;
  try {
    stopIfAborted(options.signal);
    backward = await openSession(
      encodeForSession(bw.model),
      // Its graph inputs are the forward's extra outputs: the same scaling applies.
      { ...runtime, provider: forward.provider, externalDataDir: model.dir, optimization: atMostExtended(optimizationFor(bw.forwardFetches.length + bw.graphInputs.length)) },
      factory,
    );
    stopIfAborted(options.signal);
  } catch (e) {
    await forward.session.release();
    await backward?.session.release().catch(() => undefined);
    throw e;
  }
  return {
    activations,
    output,
    forward,
    forwardOutputs,
    backward,
    backwardForwardFeeds: bw.forwardFetches,
    backwardInputFeeds: bw.graphInputs,
    seedName: bw.seedName,
    gradOutputs: bw.gradOutputs,
    compileMs: performance.now() - t0,
    narrowedNodes,
    dispose: async () => {
      await forward.session.release();
      await backward.session.release();
    },
  };
}

/**
 * Attribution sessions optimise at most at 'extended': the layout pass of 'all' reorders every weight (and flipped
 * weight) into blocked layouts when a session opens. On ResNet-50's first click (35 sessions) that was 296–325 ms of
 * session opening against 179–192 ms without it, and the runs were as fast either way (a fresh forward + backward at
 * conv1: 153–209 ms both; this machine, 2 cores, no AVX-512).
 */
function atMostExtended(level: ReturnType<typeof optimizationFor>): ReturnType<typeof optimizationFor> {
  return level === 'all' ? 'extended' : level;
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

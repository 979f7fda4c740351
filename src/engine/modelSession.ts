/**
 * One opened model: its layer tree, predictions, and Layer Gradient × Activation attributions, with
 * compiled forward/backward sessions cached per (layers, direction, output, input shapes, provider).
 */
import type * as ort from 'onnxruntime-node';
import type { AttributeRequest, AttributeResult, ChannelAblation, PredictResult, Prediction, RuntimeOptions } from './api';
import { CompiledAttribution, compileAttribution, probeInParts, probeValues, withOutputs } from './attribution/compile';
import { buildSeed } from './attribution/targets';
import { MethodEngine, ModelRef, runLayerMethod } from './attribution/methods/layerMethods';
import { Swap, patchLayers } from './attribution/methods/patchLayers';
import { ablateChannels } from './attribution/methods/ablateChannels';
import { type SegmentPlan, type SplitState, planSegments, segmentedGradients } from './attribution/segmentedRun';
import { LayerLensError } from './errors';
import { findLabels } from './labels';
import { type OutputRoleInfo, outputRole } from './predictions/role';
import { outputView } from './predictions/view';
import { LayerTree } from './onnx/layerTree';
import { LoadedModel, loadModel } from './onnx/loadModel';
import { ElemType, elemTypeName, isFloatElemType } from './onnx/proto';
import { encodeForSession } from './onnx/sessionModel';
import { OpenedSession, SessionFactory, createOrtSession, openSession, optimizationFor } from './runtime/session';
import { ELEM_TO_DTYPE, fromOrt, toOrt } from './runtime/tensors';
import { DTYPES, HostTensor, elementCount } from './tensor/hostTensor';

const MAX_COMPILED = 6;
/** Compiled pieces of split models (segmentedRun.ts) kept: small, and shared by every layer of their segment. */
const MAX_SEGMENT_PIECES = 160;
/**
 * When attributions run on the model split at its cuts: 'auto' for models whose weights make a whole-graph compile
 * slow (≥ SPLIT_MIN_WEIGHT_BYTES), 'always' (tests), 'never' (the whole graph, always).
 */
export type SplitMode = 'auto' | 'always' | 'never';
const SPLIT_MIN_WEIGHT_BYTES = 4 * 2 ** 20;
/** Forward sessions kept for the layer methods (per model variant and fetch list). */
const MAX_VALUE_SESSIONS = 8;

export interface InputInfo {
  name: string;
  dtype: string;
  shape: (number | string | null)[] | undefined;
}

export class ModelSession {
  private tree?: LayerTree;
  private readonly compiled = new Map<string, Promise<CompiledAttribution>>();
  private readonly predictSessions = new Map<string, Promise<OpenedSession>>();
  private readonly roles = new Map<string, OutputRoleInfo>();
  private readonly valueSessions = new Map<string, Promise<OpenedSession>>();
  private readonly patchedModels = new Map<string, { ref: ModelRef; inputs: string[] }>();
  private readonly original: ModelRef;

  /** Set when a GPU provider's first result disagreed with CPU: later runs use CPU. */
  private gpuRejected?: string;
  private gpuValidated = false;
  /** The last forward pass (one is kept: it is what a target switch reuses). */
  private lastForward?: { compiled: CompiledAttribution; key: string; fwd: Record<string, ort.Tensor>; feeds: Record<string, ort.Tensor> };

  /** Split plans per output (undefined: no cut worth splitting at). */
  private readonly splitPlans = new Map<string, SegmentPlan | undefined>();
  /** What the last input computed on a split plan (the next layer or target on it starts from there). */
  private lastSplit?: SplitState;

  private constructor(
    readonly model: LoadedModel,
    readonly loadMs: number,
    private readonly factory: SessionFactory,
    readonly split: SplitMode,
  ) {
    this.original = { key: 'original', model };
  }

  static async open(file: string, opts: { sessionFactory?: SessionFactory; split?: SplitMode } = {}): Promise<ModelSession> {
    const t0 = performance.now();
    const model = await loadModel(file);
    return new ModelSession(model, performance.now() - t0, opts.sessionFactory ?? createOrtSession, opts.split ?? (process.env.LAYERLENS_SPLIT as SplitMode | undefined) ?? 'auto');
  }

  /**
   * A model that runs split is also probed segment by segment (compile.ts, ProbePart), on the plan of its first
   * float output: a probe then holds one segment's weights and values at a time.
   */
  private probePartsChosen = false;
  private chooseProbeParts(): void {
    if (this.probePartsChosen) return;
    this.probePartsChosen = true;
    const g = this.model.graph;
    const output = g.outputs.find((o) => g.elemType(o) === ElemType.FLOAT);
    const plan = output !== undefined ? this.splitPlan(output) : undefined;
    if (plan) probeInParts(this.model, plan.segments.map(({ model, from, to }) => ({ model, from, to })));
  }

  /** The split plan for `output` when this request should run on it. */
  private splitPlan(output: string): SegmentPlan | undefined {
    if (this.split === 'never' || this.model.graph.elemType(output) !== ElemType.FLOAT) return undefined;
    if (this.split === 'auto' && weightBytes(this.model) < SPLIT_MIN_WEIGHT_BYTES) return undefined;
    if (!this.splitPlans.has(output)) {
      let plan: SegmentPlan | undefined;
      try {
        plan = planSegments(this.model, output);
      } catch {
        plan = undefined; // a model whose parts cannot stand alone runs as a whole
      }
      this.splitPlans.set(output, plan);
    }
    return this.splitPlans.get(output);
  }

  get layers(): LayerTree {
    if (!this.tree) this.tree = new LayerTree(this.model.graph);
    return this.tree;
  }

  get inputs(): InputInfo[] {
    const g = this.model.graph;
    return g.inputs.map((name) => ({ name, dtype: elemTypeName(g.elemType(name)), shape: g.type(name)?.dims }));
  }

  get outputs(): InputInfo[] {
    const g = this.model.graph;
    return g.outputs.map((name) => ({ name, dtype: elemTypeName(g.elemType(name)), shape: g.type(name)?.dims }));
  }

  /**
   * Fills in the shapes the file leaves out (exporters often write no value_info for intermediates) with one
   * forward run at batch 1, when every input dimension but the batch is known. Returns how many shapes it added.
   */
  async inferShapes(runtime: RuntimeOptions = {}): Promise<number> {
    const g = this.model.graph;
    const inputs: HostTensor[] = [];
    for (const name of g.inputs) {
      const dims = g.type(name)?.dims;
      const elem = g.elemType(name);
      const dtype = elem !== undefined ? ELEM_TO_DTYPE[elem] : undefined;
      if (!dims || !dtype || dims.slice(1).some((d) => typeof d !== 'number' || d <= 0)) return 0;
      const shape = dims.map((d, i) => (i === 0 ? (typeof d === 'number' && d > 0 ? d : 1) : (d as number)));
      const n = shape.reduce((a, b) => a * b, 1);
      if (n > 64 * 2 ** 20) return 0;
      inputs.push({ dtype, dims: shape, data: new DTYPES[dtype].ctor(n) });
    }
    const unknown = g.nodes.flatMap((n) => n.outputs).filter((v) => v && !g.type(v)?.dims && !g.isConstant(v));
    if (!unknown.length) return 0;
    try {
      const feeds: Record<string, ort.Tensor> = {};
      g.inputs.forEach((name, i) => (feeds[name] = toOrt(inputs[i])));
      this.chooseProbeParts();
      const probed = await probeValues(this.model, unknown, feeds, { threads: runtime.threads }, this.factory);
      for (const [name, p] of probed) {
        const known = g.types.get(name);
        if (known?.dims) continue;
        // The batch dimension stays symbolic when it scales with the input's batch.
        const batchSym = g.type(g.inputs[0])?.dims?.[0];
        const dims = p.dims.map((d, i) => (i === 0 && typeof batchSym === 'string' && d === 1 ? batchSym : d));
        g.types.set(name, { elemType: known?.elemType ?? p.elemType, dims });
      }
      return probed.size;
    } catch {
      return 0; // shapes are a convenience: a model that cannot run at batch 1 keeps its unknown shapes
    }
  }

  resolveOutput(spec: string | number | undefined): string {
    const outs = this.model.graph.outputs;
    if (spec === undefined) return outs[0];
    if (typeof spec === 'number' || /^\d+$/.test(spec)) {
      const i = Number(spec);
      if (i < 0 || i >= outs.length) throw new LayerLensError(`output index ${i} is out of range: the model has ${outs.length} output(s)`, 'invalid-argument');
      return outs[i];
    }
    if (!outs.includes(spec)) throw new LayerLensError(`the model has no output '${spec}' (outputs: ${outs.join(', ')})`, 'invalid-argument');
    return spec;
  }

  /** Checks count, element type and static dimensions of the inputs against the graph's declared inputs. */
  validateInputs(inputs: HostTensor[]): void {
    const g = this.model.graph;
    if (inputs.length !== g.inputs.length)
      throw new LayerLensError(`the model takes ${g.inputs.length} input(s) (${g.inputs.join(', ')}), ${inputs.length} given`, 'input-invalid');
    inputs.forEach((t, i) => {
      const name = g.inputs[i];
      const want = g.elemType(name);
      const wantName = want !== undefined ? ELEM_TO_DTYPE[want] : undefined;
      if (wantName && t.dtype !== wantName)
        throw new LayerLensError(`input ${i} ('${name}') must be ${wantName}, got ${t.dtype}`, 'input-invalid');
      if (elementCount(t.dims) !== t.data.length)
        throw new LayerLensError(`input ${i} ('${name}') has ${t.data.length} values for shape [${t.dims}]`, 'input-invalid');
      const dims = g.type(name)?.dims;
      if (!dims) return;
      const shown = `[${dims.map((d) => d ?? '?').join(', ')}]`;
      if (dims.length !== t.dims.length)
        throw new LayerLensError(`input ${i} ('${name}') must have shape ${shown}, got [${t.dims.join(', ')}]`, 'input-invalid');
      dims.forEach((d, k) => {
        if (typeof d === 'number' && d !== t.dims[k])
          throw new LayerLensError(`input ${i} ('${name}') must have shape ${shown}, got [${t.dims.join(', ')}]`, 'input-invalid');
      });
    });
  }

  async attribute(req: AttributeRequest): Promise<AttributeResult> {
    if (this.gpuRejected && (req.provider ?? 'auto') === 'auto') {
      const res = await this.attributeOnce({ ...req, provider: 'cpu' });
      return { ...res, providerNotes: [...res.providerNotes, this.gpuRejected] };
    }
    const res = await this.attributeOnce(req);
    if (res.provider === 'cpu' || this.gpuValidated) return res;
    // First GPU result for this model: check it against CPU with the fixtures' tolerance rule.
    const cpu = await this.attributeOnce({ ...req, provider: 'cpu' });
    const mismatch = firstMismatch(res.attributions, cpu.attributions);
    if (!mismatch) {
      this.gpuValidated = true;
      return { ...res, providerNotes: [...res.providerNotes, `${res.provider}: checked against cpu on the first attribution`] };
    }
    this.gpuRejected = `${res.provider} results disagreed with cpu (${mismatch}); using cpu for this model`;
    if ((req.provider ?? 'auto') !== 'auto') throw new LayerLensError(this.gpuRejected.replace('; using cpu for this model', ''), 'provider-unavailable');
    return { ...cpu, providerNotes: [...cpu.providerNotes, this.gpuRejected] };
  }

  private async attributeOnce(req: AttributeRequest): Promise<AttributeResult> {
    if (req.method && req.method.name !== 'lgxa') return this.attributeWithMethod(req);
    return (await this.attributeEach(req, [req.target]))[0];
  }

  /** Captum's other layer methods (attribution/methods/layerMethods.ts), on this model's runs. */
  private async attributeWithMethod(req: AttributeRequest): Promise<AttributeResult> {
    const t0 = performance.now();
    if (!req.layers.length) throw new LayerLensError('no layer given', 'invalid-argument');
    this.validateInputs(req.inputs);
    const output = this.resolveOutput(req.output);
    const perLayer = req.layers.map((id) => this.layers.activations(id, !!req.layerInput));
    const used = { provider: 'cpu', notes: [] as string[], compileMs: 0 };
    const timed = async <T>(p: Promise<T>): Promise<T> => {
      const tc = performance.now();
      try {
        return await p;
      } finally {
        used.compileMs += performance.now() - tc;
        req.onStage?.('run');
      }
    };
    const noteSession = (s: OpenedSession) => {
      used.provider = s.provider;
      used.notes = s.notes;
      return s;
    };
    const fixedBatch = this.model.graph.inputs.map((name) => this.model.graph.type(name)?.dims?.[0]).find((d) => typeof d === 'number' && d > 0) as number | undefined;
    const engine: MethodEngine = {
      original: this.original,
      maxRows: fixedBatch,
      signal: req.signal,
      nodesOf: (id) => this.layers.nodesOf(id),
      patched: (swaps) => this.patchedModel(swaps),
      run: async (ref, inputs, fetches) => {
        const g = ref.model.graph;
        const fetched = [...new Set(fetches.filter((v) => !g.inputs.includes(v)))];
        const opened = noteSession(await timed(this.valueSession(ref, fetched, req)));
        const feeds: Record<string, ort.Tensor> = {};
        g.inputs.forEach((name, i) => (feeds[name] = toOrt(inputs[i])));
        const res = fetched.length ? await opened.session.run(feeds, fetched) : {};
        return fetches.map((v) => (g.inputs.includes(v) ? inputs[g.inputs.indexOf(v)] : fromOrt(res[v])));
      },
      gradients: async (ref, inputs, wrt, out, seedFor) => {
        const compiled = await timed(this.getCompiled(ref, wrt, out, inputs, req));
        noteSession(compiled.forward);
        const feeds: Record<string, ort.Tensor> = {};
        ref.model.graph.inputs.forEach((name, i) => (feeds[name] = toOrt(inputs[i])));
        const fwd = await compiled.forward.session.run(feeds, compiled.forwardOutputs);
        const o = fwd[out];
        const bwFeeds: Record<string, ort.Tensor> = { [compiled.seedName]: toOrt({ dtype: 'float32', dims: [...o.dims], data: seedFor([...o.dims]) }) };
        for (const v of compiled.backwardForwardFeeds) bwFeeds[v] = fwd[v];
        for (const v of compiled.backwardInputFeeds) bwFeeds[v] = feeds[v];
        const bw = await compiled.backward.session.run(bwFeeds, compiled.gradOutputs);
        return {
          grads: wrt.map((_, i) => fromOrt(bw[compiled.gradOutputs[i]])),
          values: wrt.map((v) => fromOrt(feeds[v] ?? fwd[v])),
          output: fromOrt(o),
        };
      },
    };
    req.onStage?.('run');
    const res = await runLayerMethod(engine, req, perLayer, output);
    throwIfAborted(req.signal);
    return {
      attributions: perLayer.map((vals) => vals.map((v) => res.byValue.get(v)!)),
      valueNames: perLayer,
      ...(res.delta ? { delta: res.delta } : {}),
      output: res.output,
      outputName: output,
      provider: used.provider,
      providerNotes: this.model.promotedFromFloat16 ? [...used.notes, FLOAT16_NOTE] : used.notes,
      timings: { load: this.loadMs, compile: used.compileMs, run: performance.now() - t0 - used.compileMs, doneAt: Date.now() },
    };
  }

  /** The model with layer values swapped for graph inputs (layer methods' patched forward), built once per swap set. */
  private patchedModel(swaps: Swap[]): { ref: ModelRef; inputs: string[] } {
    const key = JSON.stringify(swaps.map((s) => [s.value, s.readers?.map((n) => n.name)]));
    let p = this.patchedModels.get(key);
    if (!p) {
      const patched = patchLayers(this.model, swaps);
      p = { ref: { key: `patched:${key}`, model: patched.model }, inputs: patched.inputs };
      this.patchedModels.set(key, p);
    }
    return p;
  }

  /** A forward session of `ref` returning exactly `fetches`, kept for reuse (onnxruntime sessions take any batch size). */
  private valueSession(ref: ModelRef, fetches: string[], rt: RuntimeOptions): Promise<OpenedSession> {
    const key = JSON.stringify([ref.key, fetches, this.gpuRejected ? 'cpu' : rt.provider ?? 'auto', rt.threads ?? 0]);
    let p = this.valueSessions.get(key);
    if (p) {
      this.valueSessions.delete(key);
      this.valueSessions.set(key, p);
      return p;
    }
    rt.onStage?.('compile');
    p = openSession(
      encodeForSession(withOutputs(ref.model, fetches)),
      { ...rt, externalDataDir: this.model.dir, optimization: optimizationFor(fetches.length) },
      this.factory,
    );
    this.valueSessions.set(key, p);
    p.catch(() => this.valueSessions.delete(key));
    // Split pieces' forward sessions have their own bound (one per segment).
    for (const [piece, limit] of [
      [false, MAX_VALUE_SESSIONS],
      [true, MAX_SEGMENT_PIECES],
    ] as const) {
      const keys = [...this.valueSessions.keys()].filter((k) => k.startsWith('["segment:') === piece);
      for (const oldKey of keys.slice(0, Math.max(0, keys.length - limit))) {
        const old = this.valueSessions.get(oldKey)!;
        this.valueSessions.delete(oldKey);
        old.then((s) => s.session.release()).catch(() => undefined);
      }
    }
    return p;
  }

  /**
   * One attribution per target, sharing one forward pass: the backward model takes the target as its seed
   * input, so switching targets (or computing top-k targets) costs only backward runs.
   */
  async attributeTargets(req: AttributeRequest, targets: AttributeRequest['target'][]): Promise<AttributeResult[]> {
    if (!targets.length) return [];
    const [first] = await Promise.all([this.attribute({ ...req, target: targets[0] })]);
    const rest = targets.length > 1 ? await this.attributeEach({ ...req, provider: first.provider as AttributeRequest['provider'] }, targets.slice(1)) : [];
    return [first, ...rest];
  }

  /**
   * Attributions to each example's `k` highest-scoring classes — result r targets, per example, its r-th class —
   * from one forward pass and `k` backward runs. For outputs with one score vector per example ([N, C]).
   * `classes[r][i]` is example i's r-th class.
   */
  async attributeTopK(req: Omit<AttributeRequest, 'target'>, k: number): Promise<{ classes: number[][]; results: AttributeResult[] }> {
    if (!Number.isInteger(k) || k < 1) throw new LayerLensError(`top-k needs k ≥ 1, got ${k}`, 'invalid-argument');
    let classes: number[][] = [];
    const pick = (out: HostTensor): AttributeRequest['target'][] => {
      if (out.dims.length !== 2) throw new LayerLensError(`top-k targets need an output of shape [N, classes]; '${this.resolveOutput(req.output)}' is [${out.dims}]`, 'target-invalid');
      const [n, c] = out.dims;
      if (k > c) throw new LayerLensError(`top-${k} targets: the output has only ${c} classes`, 'target-invalid');
      const rows = Array.from({ length: n }, (_, i) => {
        const row = Array.from(out.data.subarray(i * c, (i + 1) * c) as ArrayLike<number>);
        return row.map((_, j) => j).sort((a, b) => row[b] - row[a] || a - b).slice(0, k);
      });
      classes = Array.from({ length: k }, (_, r) => rows.map((row) => row[r]));
      return classes.map((indices) => ({ kind: 'perExample', indices }));
    };
    const full = { ...req, target: { kind: 'none' } as const };
    let results = await this.attributeEach({ ...full, ...(this.gpuRejected ? { provider: 'cpu' as const } : {}) }, pick);
    if (results[0].provider !== 'cpu' && !this.gpuValidated) {
      // First GPU result for this model: the usual check against CPU, on the first rank.
      await this.attribute({ ...req, target: { kind: 'perExample', indices: classes[0] } });
      if (this.gpuRejected) results = await this.attributeEach({ ...full, provider: 'cpu' }, pick);
    }
    return { classes, results };
  }

  /** `targets`, or a function choosing them from the output of the (shared) forward pass. */
  private async attributeEach(
    req: AttributeRequest,
    targets: AttributeRequest['target'][] | ((output: HostTensor) => AttributeRequest['target'][]),
  ): Promise<AttributeResult[]> {
    if (!req.layers.length) throw new LayerLensError('no layer given', 'invalid-argument');
    this.validateInputs(req.inputs);
    const output = this.resolveOutput(req.output);
    if (!isFloatElemType(this.model.graph.elemType(output)) && this.model.graph.elemType(output) !== undefined)
      throw new LayerLensError(`output '${output}' is ${elemTypeName(this.model.graph.elemType(output))}, not a float tensor`, 'target-invalid');
    const perLayer = req.layers.map((id) => this.layers.activations(id, !!req.layerInput));
    const activations = [...new Set(perLayer.flat())];
    const plan = this.splitPlan(output);
    if (plan) {
      const split = await this.attributeSplit(req, plan, perLayer, activations, targets);
      if (split) return split;
    }
    // What this request waited for compiling: 0 when the compiled graphs were cached (not the original compile's time).
    const tc = performance.now();
    const compiled = await this.getCompiled(this.original, activations, output, req.inputs, req);
    const compileMs = performance.now() - tc;
    throwIfAborted(req.signal);
    req.onStage?.('run');

    const g = this.model.graph;
    const results: AttributeResult[] = [];
    // One forward pass for all targets (its input fingerprint alone is ~3 ms at 8×3×224×224).
    let t0 = performance.now();
    const { fwd, feeds } = await this.forward(compiled, req.inputs, !!req.fresh);
    throwIfAborted(req.signal);
    const out = fwd[output];
    if (out.type === 'float16') throw new LayerLensError('float16 model outputs are not supported yet', 'unsupported-op');
    const list = typeof targets === 'function' ? targets(fromOrt(out)) : targets;
    for (const [ti, target] of list.entries()) {
      if (ti > 0) t0 = performance.now();
      const seed = buildSeed(target, [...out.dims], out.type === 'float64');
      const seedTensor = toOrt({ dtype: out.type === 'float64' ? 'float64' : 'float32', dims: [...out.dims], data: seed });
      const bwFeeds: Record<string, ort.Tensor> = { [compiled.seedName]: seedTensor };
      for (const v of compiled.backwardForwardFeeds) bwFeeds[v] = fwd[v];
      for (const v of compiled.backwardInputFeeds) bwFeeds[v] = feeds[v];
      const bw = await compiled.backward.session.run(bwFeeds, compiled.gradOutputs);
      throwIfAborted(req.signal);

      const attributionOf = new Map<string, HostTensor>();
      activations.forEach((a, i) => {
        const grad = fromOrt(bw[compiled.gradOutputs[i]]);
        if (req.gradientOnly) {
          attributionOf.set(a, grad);
          return;
        }
        attributionOf.set(a, gradientTimesActivation(grad, g.inputs.includes(a) ? fromOrt(feeds[a]) : fromOrt(fwd[a])));
      });
      results.push({
        attributions: perLayer.map((vals) => vals.map((v) => attributionOf.get(v)!)),
        valueNames: perLayer,
        output: fromOrt(out),
        outputName: output,
        provider: compiled.forward.provider,
        providerNotes: this.model.promotedFromFloat16 ? [...compiled.forward.notes, FLOAT16_NOTE] : compiled.forward.notes,
        timings: { load: this.loadMs, compile: compileMs, run: performance.now() - t0, doneAt: Date.now() },
      });
    }
    return results;
  }

  /** The forward pass for these inputs, reused while the inputs and the compiled graph stay the same. */
  private async forward(compiled: CompiledAttribution, inputs: HostTensor[], fresh: boolean): Promise<{ fwd: Record<string, ort.Tensor>; feeds: Record<string, ort.Tensor> }> {
    const key = inputsFingerprint(inputs);
    if (!fresh && this.lastForward && this.lastForward.compiled === compiled && this.lastForward.key === key) return this.lastForward;
    const feeds: Record<string, ort.Tensor> = {};
    this.model.graph.inputs.forEach((name, i) => (feeds[name] = toOrt(inputs[i])));
    const fwd = await compiled.forward.session.run(feeds, compiled.forwardOutputs);
    this.lastForward = { compiled, key, fwd, feeds };
    return this.lastForward;
  }

  /** attributeEach on the model split at its cuts (segmentedRun.ts); undefined when the plan does not cover a layer. */
  private async attributeSplit(
    req: AttributeRequest,
    plan: SegmentPlan,
    perLayer: string[][],
    activations: string[],
    targets: AttributeRequest['target'][] | ((output: HostTensor) => AttributeRequest['target'][]),
  ): Promise<AttributeResult[] | undefined> {
    const t0 = performance.now();
    let compileMs = 0;
    const timed = async <T>(p: Promise<T>): Promise<T> => {
      const tc = performance.now();
      try {
        return await p;
      } finally {
        compileMs += performance.now() - tc;
      }
    };
    const g = this.model.graph;
    const res = await segmentedGradients(
      plan,
      {
        compile: (s, acts, out, inputs) => timed(this.getCompiled({ key: s.key, model: s.model }, acts, out, inputs, req)),
        values: (s, fetches) => timed(this.valueSession({ key: s.key, model: s.model }, fetches, req)),
        probe: (inputs) => {
          const feeds: Record<string, ort.Tensor> = {};
          g.inputs.forEach((name, i) => (feeds[name] = toOrt(inputs[i])));
          const all = g.nodes.flatMap((n) => n.outputs).filter((v) => v);
          this.chooseProbeParts();
          return timed(probeValues(this.model, all, feeds, req, this.factory));
        },
        state: () => {
          const key = JSON.stringify([plan.output, inputsFingerprint(req.inputs), req.provider ?? 'auto', req.threads ?? 0]);
          if (req.fresh || !this.lastSplit || this.lastSplit.key !== key)
            this.lastSplit = { key, values: new Map(), unitRuns: new Map(), localRuns: new Map(), grads: new Map(), provider: 'cpu', notes: [] };
          return this.lastSplit;
        },
        signal: req.signal,
      },
      req.inputs,
      activations,
      targets,
    );
    if (!res) return undefined;
    throwIfAborted(req.signal);
    req.onStage?.('run');
    const runMs = performance.now() - t0 - compileMs;
    return res.grads.map((grads) => {
      const attributionOf = new Map<string, HostTensor>();
      for (const a of activations) {
        const grad = grads.get(a)!;
        attributionOf.set(a, req.gradientOnly ? grad : gradientTimesActivation(grad, res.values.get(a)!));
      }
      return {
        attributions: perLayer.map((vals) => vals.map((v) => attributionOf.get(v)!)),
        valueNames: perLayer,
        output: res.output,
        outputName: plan.output,
        provider: res.provider,
        providerNotes: this.model.promotedFromFloat16 ? [...res.notes, FLOAT16_NOTE] : res.notes,
        timings: { load: this.loadMs, compile: compileMs, run: runMs / res.grads.length, doneAt: Date.now() },
      };
    });
  }

  /**
   * The best `top` scores of each example. With `ablate`, the model runs with those channels of one layer value
   * set to a constant (the patched forward of feature ablation, one run): the predictions without them.
   */
  async predict(inputs: HostTensor[], opts: RuntimeOptions & { top?: number; output?: string | number; ablate?: ChannelAblation } = {}): Promise<PredictResult> {
    this.validateInputs(inputs);
    const output = this.resolveOutput(opts.output);
    const role = this.outputRole(output);
    // A detector's boxes come from the same run as its scores.
    const boxes = role.role === 'detector' && !opts.ablate ? role.companion : undefined;
    const run = opts.ablate ? await this.ablatedOutput(inputs, output, opts.ablate, opts) : await this.plainOutput(inputs, output, opts, boxes);
    const { out, reference, provider, compileMs, runMs } = run;
    const companion = 'companion' in run ? run.companion : undefined;
    const labels = findLabels(this.model)?.labels;
    const dims = [...out.dims];
    const n = dims[0] ?? 1;
    const per = n ? elementCount(dims) / n : 0;
    const data = out.data as Float32Array;
    const k = Math.max(1, Math.min(opts.top ?? 5, per));
    const top: Prediction[][] = [];
    const before: Prediction[][] = [];
    for (let i = 0; i < n; i++) {
      const row = Array.from(data.subarray(i * per, (i + 1) * per));
      const order = row.map((_, j) => j).sort((a, b) => row[b] - row[a]).slice(0, k);
      top.push(order.map((j) => ({ index: j, score: row[j], label: labels?.[j] })));
      if (reference) before.push(order.map((j) => ({ index: j, score: (reference.data as Float32Array)[i * per + j], label: labels?.[j] })));
    }
    const view = outputView(role, out, { top: k, companion });
    return { outputName: output, outputShape: dims, top, role, ...(view ? { view } : {}), ...(reference ? { reference: before } : {}), provider, timings: { load: this.loadMs, compile: compileMs, run: runMs } };
  }

  /** What an output is for (classifier, detector, segmentation, image, …), read from the graph and the labels. */
  outputRole(output: string): OutputRoleInfo {
    let role = this.roles.get(output);
    if (!role) {
      const g = this.model.graph;
      role = outputRole(g, output, { dims: (name) => g.type(name)?.dims, labels: findLabels(this.model)?.labels, metadata: this.model.proto.metadataProps ?? [] });
      this.roles.set(output, role);
    }
    return role;
  }

  /** The output (and `also`, another output of the same run) on the original model. */
  private async plainOutput(
    inputs: HostTensor[],
    output: string,
    opts: RuntimeOptions,
    also?: string,
  ): Promise<{ out: HostTensor; reference?: undefined; companion?: HostTensor; provider: string; compileMs: number; runMs: number }> {
    const fetches = also ? [output, also] : [output];
    const key = `${fetches.join('\u0000')}|${opts.provider ?? 'auto'}|${opts.threads ?? 0}`;
    let sessionP = this.predictSessions.get(key);
    const tc = performance.now();
    if (!sessionP) {
      opts.onStage?.('compile');
      sessionP = openSession(
        encodeForSession(withOutputs(this.model, fetches)),
        { ...opts, ...(this.gpuRejected ? { provider: 'cpu' as const } : {}), externalDataDir: this.model.dir },
        this.factory,
      );
      this.predictSessions.set(key, sessionP);
      sessionP.catch(() => this.predictSessions.delete(key));
    }
    const opened = await sessionP;
    const compileMs = performance.now() - tc;
    opts.onStage?.('run');
    const t0 = performance.now();
    const feeds: Record<string, ort.Tensor> = {};
    this.model.graph.inputs.forEach((name, i) => (feeds[name] = toOrt(inputs[i])));
    const res = await opened.session.run(feeds, fetches);
    return { out: fromOrt(res[output]), ...(also ? { companion: fromOrt(res[also]) } : {}), provider: opened.provider, compileMs, runMs: performance.now() - t0 };
  }

  /** The output with some channels of a layer value replaced: original forward to the layer, then the patched forward. */
  private async ablatedOutput(
    inputs: HostTensor[],
    output: string,
    a: ChannelAblation,
    rt: RuntimeOptions,
  ): Promise<{ out: HostTensor; reference: HostTensor; provider: string; compileMs: number; runMs: number }> {
    const g = this.model.graph;
    const values = this.layers.activations(a.layer, !!a.layerInput);
    const vi = a.value ?? 0;
    if (!Number.isInteger(vi) || vi < 0 || vi >= values.length)
      throw new LayerLensError(`layer '${a.layer}' has ${values.length} ${a.layerInput ? 'input' : 'output'} tensor(s); tensor ${vi} does not exist`, 'invalid-argument');
    const value = values[vi];
    const readers = a.layerInput ? this.layers.nodesOf(a.layer) : undefined;
    const patched = this.patchedModel([readers ? { value, readers } : { value }]);
    let compileMs = 0;
    const session = async (ref: ModelRef, fetches: string[]) => {
      const tc = performance.now();
      const s = await this.valueSession(ref, fetches, rt);
      compileMs += performance.now() - tc;
      return s;
    };
    const feeds: Record<string, ort.Tensor> = {};
    g.inputs.forEach((name, i) => (feeds[name] = toOrt(inputs[i])));
    // The original forward gives the layer's value and the unablated output (the reference scores) in one run.
    const fetches = g.inputs.includes(value) ? [output] : [value, output];
    const first = await session(this.original, fetches);
    const patchedSession = await session(patched.ref, [output]);
    rt.onStage?.('run');
    const t0 = performance.now();
    const original = await first.session.run(feeds, fetches);
    const reference = fromOrt(original[output]);
    const layerValue = g.inputs.includes(value) ? inputs[g.inputs.indexOf(value)] : fromOrt(original[value]);
    const ablated = ablateChannels(layerValue, a.channelAxis, a.channels, a.baseline ?? 0);
    const patchedFeeds: Record<string, ort.Tensor> = { [patched.inputs[0]]: toOrt(ablated) };
    for (const name of patched.ref.model.graph.inputs) if (feeds[name]) patchedFeeds[name] = feeds[name];
    const res = await patchedSession.session.run(patchedFeeds, [output]);
    return { out: fromOrt(res[output]), reference, provider: patchedSession.provider, compileMs, runMs: performance.now() - t0 };
  }

  /**
   * The compiled graphs for a request, shared by every request that needs them. A compile that every waiting request
   * has given up on (superseded by a newer click) stops at its next stage instead of running to the end.
   */
  private async getCompiled(ref: ModelRef, activations: string[], output: string, inputs: HostTensor[], rt: RuntimeOptions & { signal?: AbortSignal }): Promise<CompiledAttribution> {
    const key = JSON.stringify([ref.key, activations, output, inputs.map((t) => [t.dtype, t.dims]), rt.provider ?? 'auto', rt.threads ?? 0]);
    let p = this.compiled.get(key);
    // A compile every earlier request gave up on is stopping (it rejects at its next stage): not one to join.
    if (p && this.waiters.get(p)?.stop.signal.aborted) p = undefined;
    if (p) {
      // Refresh LRU position.
      this.compiled.delete(key);
      this.compiled.set(key, p);
      if (this.waiters.has(p)) rt.onStage?.('compile'); // still compiling for an earlier request
    } else {
      throwIfAborted(rt.signal); // nobody waits for it: do not start it
      rt.onStage?.('compile');
      const stop = new AbortController();
      const waiting = { count: 0, stop };
      this.chooseProbeParts();
      p = compileAttribution(ref.model, activations, output, inputs, rt, this.factory, { signal: stop.signal });
      this.waiters.set(p, waiting);
      this.compiled.set(key, p);
      this.evictCompiled();
      const entry = p;
      p.catch(() => this.compiled.get(key) === entry && this.compiled.delete(key)).finally(() => this.waiters.delete(entry));
    }
    return this.waitFor(p, rt.signal);
  }

  /** Waits for a shared compile on behalf of one request; the last request to give up stops it. */
  private waitFor(p: Promise<CompiledAttribution>, signal: AbortSignal | undefined): Promise<CompiledAttribution> {
    const waiting = this.waiters.get(p);
    if (!waiting || !signal) {
      if (waiting) waiting.count = Infinity; // a request that cannot be cancelled keeps the compile alive
      return p;
    }
    waiting.count++;
    return new Promise<CompiledAttribution>((resolve, reject) => {
      const onAbort = () => {
        if (--waiting.count === 0) waiting.stop.abort();
        reject(new LayerLensError('cancelled', 'cancelled'));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  private readonly waiters = new WeakMap<Promise<CompiledAttribution>, { count: number; stop: AbortController }>();

  /** Least recently used first, each kind within its own bound: whole-graph compiles and split pieces. */
  private evictCompiled(): void {
    const isPiece = (key: string) => key.startsWith('["segment:');
    for (const [piece, limit] of [
      [false, MAX_COMPILED],
      [true, MAX_SEGMENT_PIECES],
    ] as const) {
      const keys = [...this.compiled.keys()].filter((k) => isPiece(k) === piece);
      for (const oldKey of keys.slice(0, Math.max(0, keys.length - limit))) {
        const old = this.compiled.get(oldKey)!;
        this.compiled.delete(oldKey);
        old.then((c) => c.dispose()).catch(() => undefined);
      }
    }
  }

  async dispose(): Promise<void> {
    this.lastForward = undefined;
    this.lastSplit = undefined;
    const all = [...this.compiled.values()];
    this.compiled.clear();
    for (const p of all) await p.then((c) => c.dispose()).catch(() => undefined);
    for (const p of [...this.predictSessions.values(), ...this.valueSessions.values()]) await p.then((s) => s.session.release()).catch(() => undefined);
    this.predictSessions.clear();
    this.valueSessions.clear();
    this.patchedModels.clear();
  }
}

/** Identifies input contents cheaply (FNV-1a over the raw bytes, plus shapes and types). */
/** Reported with attributions of a float16 model (loaded as float32, see onnx/promoteHalf.ts). */
export const FLOAT16_NOTE = 'float16 model: weights and activations computed in float32';

/** ∂s/∂A ⊙ A, in the gradient's precision. */
function gradientTimesActivation(grad: HostTensor, act: HostTensor): HostTensor {
  const gd = grad.data as Float32Array | Float64Array;
  const ad = act.data as Float32Array | Float64Array;
  const prod = gd instanceof Float64Array ? new Float64Array(gd.length) : new Float32Array(gd.length);
  for (let k = 0; k < gd.length; k++) prod[k] = gd[k] * ad[k];
  return { dtype: grad.dtype, dims: grad.dims, data: prod };
}

/** Bytes of the model's weights (initializers, raw or external). */
function weightBytes(model: LoadedModel): number {
  let n = 0;
  for (const t of model.graph.initializers.values()) {
    const elems = (t.dims ?? []).reduce((a: number, d) => a * Number(d), 1);
    n += elems * 4;
  }
  return n;
}

export function inputsFingerprint(inputs: HostTensor[]): string {
  const parts: string[] = [];
  for (const t of inputs) {
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    const aligned = bytes.byteOffset % 4 === 0 ? bytes : new Uint8Array(bytes);
    const words = new Uint32Array(aligned.buffer, aligned.byteOffset, Math.floor(aligned.byteLength / 4));
    // Two independent 32-bit lanes: a collision would silently reuse another input's forward pass.
    let h1 = 0x811c9dc5;
    let h2 = 0x01234567;
    for (let i = 0; i < words.length; i++) {
      h1 = Math.imul(h1 ^ words[i], 0x01000193);
      h2 = Math.imul(h2 ^ words[i], 0x5bd1e995) ^ (h2 >>> 15);
    }
    for (let i = words.length * 4; i < aligned.length; i++) h1 = Math.imul(h1 ^ aligned[i], 0x01000193);
    parts.push(`${t.dtype}[${t.dims.join(',')}]#${(h1 >>> 0).toString(16)}${(h2 >>> 0).toString(16)}`);
  }
  return parts.join('|');
}

/** Same tolerance rule as the Captum fixtures, loosened to 1e-3 relative for GPU arithmetic. */
function firstMismatch(a: HostTensor[][], b: HostTensor[][]): string | undefined {
  for (let L = 0; L < b.length; L++) {
    for (let K = 0; K < b[L].length; K++) {
      const x = a[L]?.[K]?.data as Float32Array | undefined;
      const y = b[L][K].data as Float32Array;
      if (!x || x.length !== y.length) return `layer ${L} tensor ${K}: shape differs`;
      let max = 0;
      for (let i = 0; i < y.length; i++) max = Math.max(max, Math.abs(y[i]));
      const atol = Math.max(1e-5 * max, 1e-9);
      for (let i = 0; i < y.length; i++) {
        const d = Math.abs(x[i] - y[i]);
        if (!(d <= atol * 10 + 1e-3 * Math.abs(y[i]))) return `layer ${L} tensor ${K} element ${i}: ${x[i]} vs ${y[i]}`;
      }
    }
  }
  return undefined;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new LayerLensError('cancelled', 'cancelled');
}

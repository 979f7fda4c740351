/**
 * Layer Gradient × Activation on a model split at its single-tensor cuts (segments.ts): the forward pass runs
 * segment by segment, the backward pass is chained from the output down to the deepest cut a request needs, and a
 * layer inside a segment gets its gradient from a small "local" graph of that segment alone, seeded with the
 * gradient at the segment's end. Every piece is compiled once per (segment, shapes) and shared by every layer, so a
 * layer never seen before costs the compile of one segment's local graph — or nothing at all when it is a cut
 * (a ResNet block, a transformer block) — instead of a backward graph of the whole network.
 *
 * The gradient is the same as the whole-graph one: the chain rule through a value every path passes through.
 */
import type * as ort from 'onnxruntime-node';
import type { AttributionTarget } from '../api';
import type { ProbedValue } from '../autodiff/buildBackward';
import { LayerLensError } from '../errors';
import type { LoadedModel } from '../onnx/loadModel';
import type { OpenedSession } from '../runtime/session';
import { fromOrt, toOrt } from '../runtime/tensors';
import type { HostTensor } from '../tensor/hostTensor';
import { type CompiledAttribution, rememberProbe } from './compile';
import { findCuts, segmentModel } from './segments';
import { buildSeed } from './targets';

/** A segment shorter than this (in nodes) joins the next one: each piece costs a session run. */
const MIN_SEGMENT_NODES = 4;
/** Forward runs of local graphs one input keeps (the chain's runs are one per segment). */
const MAX_KEPT_RUNS = 64;

export interface Segment {
  index: number;
  /** Graph inputs for the first segment, else the cut it starts at. */
  from: string[];
  /** The cut it ends at, or the output for the last segment. */
  to: string;
  model: LoadedModel;
  key: string;
}

export interface SegmentPlan {
  output: string;
  segments: Segment[];
}

/**
 * What one input has computed on a plan so far: the values at the cuts, the pieces' forward runs, and per target the
 * gradients at the cuts. The next layer on the same input and target starts from here.
 */
export interface SplitState {
  key: string;
  values: Map<string, HostTensor>;
  unitRuns: Map<number, PieceRun>;
  localRuns: Map<string, PieceRun>;
  /** Per target: gradients at the cuts reached so far (the output's is the seed), with the forward run each came from. */
  grads: Map<string, Map<string, CutGradient>>;
  provider: string;
  notes: string[];
}

interface CutGradient {
  grad: ort.Tensor;
  /** The piece's forward run it was computed with (a recompiled piece has a new one, and the gradient is redone). */
  run?: PieceRun;
}

interface PieceRun {
  unit: CompiledAttribution;
  fwd: Record<string, ort.Tensor>;
  feeds: Record<string, ort.Tensor>;
}

/** What the plan runs with: the session's caches for compiled pieces and plain forward sessions, and the probe. */
export interface SegmentHost {
  /** The state to continue from for this input (a fresh one when the input changed). */
  state(): SplitState;
  compile(segment: Segment, activations: string[], output: string, inputs: HostTensor[]): Promise<CompiledAttribution>;
  values(segment: Segment, fetches: string[]): Promise<OpenedSession>;
  /** Shapes of every value of the whole model at these inputs (one probe per input shapes). */
  probe(inputs: HostTensor[]): Promise<Map<string, ProbedValue>>;
  signal?: AbortSignal;
}

/** The model's segments towards `output`; undefined when it has no cut worth splitting at. */
export function planSegments(model: LoadedModel, output: string): SegmentPlan | undefined {
  const g = model.graph;
  const outIndex = g.producer.get(output)?.node.index;
  if (outIndex === undefined) return undefined;
  // From the output back: of cuts closer than MIN_SEGMENT_NODES, the later one stays — a block's output (after its
  // activation) rather than the residual sum just before it: block outputs are what users pick.
  const kept: string[] = [];
  let next = outIndex;
  for (const c of findCuts(g, output).reverse()) {
    const i = g.producer.get(c)!.node.index;
    if (next - i >= MIN_SEGMENT_NODES && i >= MIN_SEGMENT_NODES - 1) {
      kept.unshift(c);
      next = i;
    }
  }
  if (!kept.length) return undefined;
  const bounds: [string[], string][] = [];
  let from = [...g.inputs];
  for (const c of kept) {
    bounds.push([from, c]);
    from = [c];
  }
  bounds.push([from, output]);
  const segments = bounds.map(([f, to], index) => ({ index, from: f, to, model: segmentModel(model, f, to), key: `segment:${output}:${f.join(',')}→${to}` }));
  return { output, segments };
}

export interface SegmentedResult {
  /** Per target: each activation's gradient. */
  grads: Map<string, HostTensor>[];
  /** Each activation's value. */
  values: Map<string, HostTensor>;
  output: HostTensor;
  provider: string;
  notes: string[];
}

type Place = { kind: 'cut'; at: string } | { kind: 'local'; segment: number };

function stop(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new LayerLensError('cancelled', 'cancelled');
}

/**
 * Gradients of `targets` (one backward chain each) with respect to `activations`, and their values, on the plan's
 * segments. Returns undefined when an activation is not on the plan's path (the caller uses the whole graph).
 */
export async function segmentedGradients(
  plan: SegmentPlan,
  host: SegmentHost,
  inputs: HostTensor[],
  activations: string[],
  targets: AttributionTarget[] | ((output: HostTensor) => AttributionTarget[]),
): Promise<SegmentedResult | undefined> {
  const segs = plan.segments;
  const last = segs.length - 1;
  // Where each activation is: a cut (its gradient comes from the chain), or inside a segment (a local graph).
  const place = new Map<string, Place>();
  for (const a of activations) {
    if (a === plan.output || segs.some((s, j) => j > 0 && s.from[0] === a)) place.set(a, { kind: 'cut', at: a });
    else {
      const j = segs.findIndex((s) => s.model.graph.producer.has(a) || (s.index === 0 && s.from.includes(a)));
      if (j < 0) return undefined;
      place.set(a, { kind: 'local', segment: j });
    }
  }
  // The chain runs from the output down to segment `lowest` (whose backward gives the gradient at its start).
  let lowest = last + 1;
  for (const p of place.values()) {
    if (p.kind === 'cut') lowest = Math.min(lowest, p.at === plan.output ? last + 1 : segs.findIndex((s) => s.from[0] === p.at));
    else lowest = Math.min(lowest, p.segment + 1);
  }
  const state = host.state();
  const { values, unitRuns } = state;
  if (!values.size) segs[0].from.forEach((name, i) => values.set(name, inputs[i]));
  const feedsOf = (s: Segment) => {
    const feeds: Record<string, ort.Tensor> = {};
    for (const v of s.from) feeds[v] = toOrt(values.get(v)!);
    return feeds;
  };
  let probe: Map<string, ProbedValue> | undefined;
  /** A compiled piece of segment s, with the probe remembered for it first (compiling it then starts no probe session). */
  const piece = async (s: Segment, acts: string[]) => {
    probe ??= await host.probe(inputs);
    rememberProbe(s.model, feedsOf(s), probe);
    const unit = await host.compile(s, acts, s.to, s.from.map((v) => values.get(v)!));
    stop(host.signal);
    return unit;
  };
  /** The piece's forward run, from the state when it was made by this very piece (not evicted and recompiled since). */
  const run = async (runs: Map<number | string, PieceRun>, key: number | string, unit: CompiledAttribution, s: Segment): Promise<PieceRun> => {
    const known = runs.get(key);
    if (known && known.unit === unit) return known;
    const feeds = feedsOf(s);
    const fwd = await unit.forward.session.run(feeds, unit.forwardOutputs);
    stop(host.signal);
    const r = { unit, fwd, feeds };
    runs.delete(key);
    runs.set(key, r);
    // Local runs of earlier layers are kept for going back to them, not without end (each holds a segment's values).
    while (runs.size > MAX_KEPT_RUNS) runs.delete(runs.keys().next().value as number | string);
    state.provider = unit.forward.provider;
    state.notes = unit.forward.notes;
    return r;
  };

  // ---- forward, segment by segment (what the state lacks) -------------------------------------------------
  for (const s of segs) {
    if (s.index >= lowest && s.index > 0) {
      const r = await run(unitRuns as Map<number | string, PieceRun>, s.index, await piece(s, [s.from[0]]), s);
      values.set(s.to, fromOrt(r.fwd[s.to]));
    } else if (!values.has(s.to)) {
      const session = await host.values(s, [s.to]);
      stop(host.signal);
      const res = await session.session.run(feedsOf(s), [s.to]);
      values.set(s.to, fromOrt(res[s.to]));
      state.provider = session.provider;
      state.notes = session.notes;
    }
  }
  const output = values.get(plan.output)!;
  if (output.dtype !== 'float32') throw new LayerLensError(`output '${plan.output}' is ${output.dtype}; the split backward takes float32 outputs`, 'unsupported-op');

  // ---- local graphs: one per segment holding activations that are not cuts (forward once, backward per target)
  const locals = new Map<number, string[]>();
  for (const [a, p] of place) if (p.kind === 'local') locals.set(p.segment, [...(locals.get(p.segment) ?? []), a]);
  const localRuns = new Map<number, PieceRun & { acts: string[] }>();
  for (const [j, acts] of locals) {
    const r = await run(state.localRuns as Map<number | string, PieceRun>, JSON.stringify([j, acts]), await piece(segs[j], acts), segs[j]);
    localRuns.set(j, { ...r, acts });
  }
  const actValues = new Map<string, HostTensor>();
  for (const a of activations) {
    const p = place.get(a)!;
    if (p.kind === 'cut') actValues.set(a, values.get(a)!);
    else {
      const r = localRuns.get(p.segment)!;
      actValues.set(a, fromOrt(r.feeds[a] ?? r.fwd[a]));
    }
  }

  // ---- backward, per target: the chain from the output, then the local graphs ---------------------------
  const list = typeof targets === 'function' ? targets(output) : targets;
  const grads: Map<string, HostTensor>[] = [];
  for (const target of list) {
    // A mask target is not remembered (its key would be the whole mask).
    const targetKey = target.kind === 'mask' ? undefined : JSON.stringify(target);
    let gradAt = targetKey ? state.grads.get(targetKey) : undefined;
    if (!gradAt) {
      gradAt = new Map<string, CutGradient>();
      gradAt.set(plan.output, { grad: toOrt({ dtype: 'float32', dims: [...output.dims], data: buildSeed(target, [...output.dims]) }) });
      if (targetKey) {
        // One target's chain is kept besides the current one's (switching back and forth stays cheap).
        if (state.grads.size >= 2) state.grads.delete(state.grads.keys().next().value as string);
        state.grads.set(targetKey, gradAt);
      }
    }
    for (let k = last; k >= lowest; k--) {
      const s = segs[k];
      const r = unitRuns.get(k)!;
      // Known unless the piece was recompiled since (its forward run then is new, and so is this gradient).
      if (gradAt.get(s.from[0])?.run === r) continue;
      const bw = await backward(r.unit, r.fwd, r.feeds, gradAt.get(s.to)!.grad);
      stop(host.signal);
      gradAt.set(s.from[0], { grad: bw[r.unit.gradOutputs[0]], run: r });
    }
    const out = new Map<string, HostTensor>();
    for (const [j, r] of localRuns) {
      const bw = await backward(r.unit, r.fwd, r.feeds, gradAt.get(segs[j].to)!.grad);
      stop(host.signal);
      r.acts.forEach((a, i) => out.set(a, fromOrt(bw[r.unit.gradOutputs[i]])));
    }
    for (const [a, p] of place) if (p.kind === 'cut') out.set(a, fromOrt(gradAt.get(a)!.grad));
    grads.push(out);
  }
  return { grads, values: actValues, output, provider: state.provider, notes: state.notes };
}

function backward(unit: CompiledAttribution, fwd: Record<string, ort.Tensor>, feeds: Record<string, ort.Tensor>, seed: ort.Tensor): Promise<Record<string, ort.Tensor>> {
  const bwFeeds: Record<string, ort.Tensor> = { [unit.seedName]: seed };
  for (const v of unit.backwardForwardFeeds) bwFeeds[v] = fwd[v];
  for (const v of unit.backwardInputFeeds) bwFeeds[v] = feeds[v];
  return unit.backward.session.run(bwFeeds, unit.gradOutputs);
}

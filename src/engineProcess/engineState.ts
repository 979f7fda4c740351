/**
 * What the engine process holds between requests: opened models (by absolute path, reopened when the
 * file changes) and recently loaded inputs. Each public method answers one RPC request; the JSON-RPC
 * wiring lives in main.ts so this class can be tested without a child process.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LayerLensError } from '../engine/errors';
import { findLabels } from '../engine/labels';
import { ModelSession } from '../engine/modelSession';
import type { LayerEntry, LayerTree, ValueSummary } from '../engine/onnx/layerTree';
import { outputKind } from '../engine/onnx/outputKind';
import { modelPreprocess } from '../engine/preprocess';
import type { HostTensor } from '../engine/tensor/hostTensor';
import type { EngineStage, MethodSpec, PredictResult } from '../engine/api';
import { isImagePath, loadInputTensor } from '../engine/tensor/image';
import type { ImagePreprocess } from '../shared/preprocess';
import { toFloat32 } from '../engine/tensor/npy';
import { packThumbnails, reduceForDisplay } from '../shared/displayTensor';
import { KeptResults } from './keptResults';
import { imagePreview, tensorPreview } from './preview';
import type {
  WireAttributeParams,
  WireAttributeResult,
  WireChannelPlane,
  WireInputRef,
  WireLayerSummary,
  WireLayersParams,
  WireLayersResult,
  WireLoadInputParams,
  WireLoadInputResult,
  WireLocateLayerResult,
  WireMethodSpec,
  WireModelInfo,
  WireModelTreeResult,
  WirePredictParams,
  WireResultChannelParams,
  WireResultTensorParams,
  WireShownTensor,
  WireTensor,
} from '../shared/engineWire';
import { fromWire, ownBuffer, toWire } from './wire';

/** A tensor argument from the wire, with what it is in the error when it is malformed. */
function wireArgument(what: string, w: WireTensor): HostTensor {
  try {
    return fromWire(w);
  } catch (e) {
    throw new LayerLensError(`${what}: ${(e as Error).message}`, 'invalid-argument');
  }
}

/**
 * What the inspector draws of one attribution: the display form of a large rank-4 tensor, else the tensor (always
 * the tensor when `whole`: feature ablation's per-channel values are drawn as a bar for every channel).
 */
function shownTensor(t: HostTensor, channelsLast: boolean, whole: boolean): WireShownTensor {
  const data = t.data as Float32Array;
  const small = whole ? undefined : reduceForDisplay(t.dims, data, channelsLast);
  if (small) {
    // The thumbnails travel as 8 bits each (packThumbnails); the webview unpacks them.
    const { width, height } = small.reduced.thumb;
    return { dims: [...t.dims], data: new Float32Array(0), reduced: { ...small.reduced, packed: packThumbnails(small.data, width * height) } };
  }
  return { dims: [...t.dims], data: ownBuffer(data) };
}

const MAX_OPEN_MODELS = 4;
const MAX_CACHED_INPUTS = 8;
const MAX_LAYER_PAGE = 5000;

interface OpenModel {
  key: string;
  session: Promise<ModelSession>;
  /** Index of each listed layer among its parent's children (or the roots); built on first use. */
  positions?: Map<string, number>;
}

export class EngineState {
  private readonly models = new Map<string, OpenModel>();
  private readonly inputs = new Map<string, Promise<HostTensor>>();
  /** Whole tensors of results answered in their display form. */
  readonly kept = new KeptResults();

  async openModel(file: string): Promise<WireModelInfo> {
    const session = await this.session(file);
    const g = session.model.graph;
    const labels = findLabels(session.model);
    const pre = modelPreprocess(session);
    return {
      path: session.model.path,
      bytes: session.model.bytes,
      opset: g.opset,
      producer: [session.model.proto.producerName, session.model.proto.producerVersion].filter(Boolean).join(' '),
      inputs: session.inputs.map((v) => ({ name: v.name, dtype: v.dtype, shape: v.shape })),
      outputs: session.outputs.map((v) => ({ name: v.name, dtype: v.dtype, shape: v.shape, kind: outputKind(g, v.name, session.model.proto.metadataProps ?? []), role: session.outputRole(v.name) })),
      labels: labels?.labels,
      labelsSource: labels?.source,
      preprocess: pre.preprocess,
      preprocessSource: pre.source,
      layerCount: session.layers.size,
      rootCount: session.layers.roots.length,
      loadMs: session.loadMs,
    };
  }

  async layers(p: WireLayersParams): Promise<WireLayersResult> {
    const tree = (await this.session(p.model)).layers;
    let ids: string[];
    if (p.parent === undefined || p.parent === null) ids = tree.roots;
    else {
      const e = tree.get(p.parent);
      if (!e) throw new LayerLensError(`unknown layer '${p.parent}'`, 'unknown-layer');
      ids = e.children;
    }
    const offset = Math.max(0, Math.floor(p.offset ?? 0));
    const limit = Math.min(MAX_LAYER_PAGE, Math.max(0, Math.floor(p.limit ?? MAX_LAYER_PAGE)));
    const entries = ids.slice(offset, offset + limit).map((id, i) => summarize(tree, tree.get(id)!, offset + i));
    return { total: ids.length, offset, entries };
  }

  async modelTree(file: string): Promise<WireModelTreeResult> {
    const tree = (await this.session(file)).layers;
    const layers: LayerEntry[] = [];
    const values = new Map<string, ValueSummary>();
    const stack = [...tree.roots].reverse();
    while (stack.length) {
      const e = tree.get(stack.pop()!)!;
      layers.push(e);
      for (const v of [...e.outputs, ...e.inputs]) if (!values.has(v)) values.set(v, tree.describeValue(v));
      for (let i = e.children.length - 1; i >= 0; i--) stack.push(e.children[i]);
    }
    return { layers, roots: tree.roots, values: [...values.values()] };
  }

  async locateLayer(file: string, id: string): Promise<WireLocateLayerResult> {
    const { session, open } = await this.opened(file);
    const tree = session.layers;
    const positions = (open.positions ??= positionsOf(tree));
    const chain: WireLayerSummary[] = [];
    let e = tree.get(id);
    if (!e) throw new LayerLensError(`unknown layer '${id}'`, 'unknown-layer');
    const seen = new Set<string>();
    while (e && !seen.has(e.id)) {
      seen.add(e.id);
      chain.unshift(summarize(tree, e, positions.get(e.id) ?? 0));
      e = e.parent ? tree.get(e.parent) : undefined;
    }
    return { chain };
  }

  async predict(p: WirePredictParams, signal: AbortSignal, onStage?: (stage: EngineStage) => void): Promise<PredictResult> {
    const session = await this.session(p.model);
    const inputs = await this.resolveInputs(session, p.inputs);
    throwIfAborted(signal);
    const res = await session.predict(inputs, { top: p.top, output: p.output, provider: p.provider, threads: p.threads, ...(p.ablate ? { ablate: p.ablate } : {}), ...(onStage ? { onStage } : {}) });
    throwIfAborted(signal);
    return res;
  }

  async attribute(p: WireAttributeParams, signal: AbortSignal, onStage?: (stage: EngineStage) => void): Promise<WireAttributeResult> {
    const { model, inputs: refs, target, method, progressId, ...request } = p;
    void progressId; // the process main handles stage notifications; the engine does not take the id
    const session = await this.session(model);
    const inputs = await this.resolveInputs(session, refs);
    throwIfAborted(signal);
    // The wire request is the engine's request with input files (or wire tensors) instead of tensors.
    const res = await session.attribute({
      ...request,
      inputs,
      target: target?.kind === 'mask' ? { kind: 'mask', mask: wireArgument('target mask', target.mask) } : target,
      ...(method ? { method: await this.methodSpec(session, method) } : {}),
      signal,
      ...(onStage ? { onStage } : {}),
    });
    throwIfAborted(signal);
    const whole = res.attributions.map((ts) => ts.map(toFloat32));
    const display = p.display;
    return {
      ...(display
        ? { attributions: [], shown: whole.map((ts) => ts.map((t) => shownTensor(t, display.channelsLast, method?.name === 'feature-ablation'))), kept: this.kept.keep(whole) }
        : { attributions: whole.map((ts) => ts.map(toWire)) }),
      valueNames: res.valueNames,
      ...(res.delta ? { delta: toWire(toFloat32(res.delta)) } : {}),
      output: toWire(toFloat32(res.output)),
      outputName: res.outputName,
      provider: res.provider,
      providerNotes: res.providerNotes,
      timings: res.timings,
    };
  }

  resultTensor(p: WireResultTensorParams): WireTensor {
    return toWire(this.kept.tensor(p.kept, p.layer, p.tensor));
  }

  resultChannel(p: WireResultChannelParams): WireChannelPlane {
    return this.kept.channel(p.kept, p.layer, p.tensor, p.example, p.channel, p.channelsLast);
  }

  async loadInput(p: WireLoadInputParams): Promise<WireLoadInputResult> {
    requireAbsolute(p.file, 'input');
    let pre: ImagePreprocess | undefined = p.preprocess;
    if (!pre && p.model && isImagePath(p.file)) pre = modelPreprocess(await this.session(p.model), p.inputIndex ?? 0).preprocess;
    const tensor = await this.input(p.file, pre);
    const maxSide = p.previewMaxSide ?? 512;
    const preview = isImagePath(p.file) ? await imagePreview(p.file, pre ?? {}, maxSide) : tensorPreview(tensor);
    return { tensor: toWire(tensor), preprocess: isImagePath(p.file) ? pre : undefined, preview };
  }

  async disposeModel(file: string): Promise<void> {
    const key = path.resolve(file);
    const open = this.models.get(key);
    if (!open) return;
    this.models.delete(key);
    await (await open.session.catch(() => undefined))?.dispose();
  }

  async disposeAll(): Promise<void> {
    for (const key of [...this.models.keys()]) await this.disposeModel(key);
  }

  /** A wire method spec with its tensors decoded (baselines resolved like inputs). */
  private async methodSpec(session: ModelSession, m: WireMethodSpec): Promise<MethodSpec> {
    if (!m || typeof m !== 'object') throw new LayerLensError('method must be an object', 'invalid-argument');
    const { baselines, layerBaseline, layerMask, ...plain } = m;
    return {
      ...plain,
      ...(baselines ? { baselines: await this.resolveInputs(session, baselines) } : {}),
      ...(layerBaseline !== undefined ? { layerBaseline: typeof layerBaseline === 'number' ? layerBaseline : wireArgument('layer baseline', layerBaseline) } : {}),
      ...(layerMask ? { layerMask: wireArgument('layer mask', layerMask) } : {}),
    };
  }

  private async resolveInputs(session: ModelSession, refs: WireInputRef[]): Promise<HostTensor[]> {
    if (!Array.isArray(refs)) throw new LayerLensError('inputs must be a list', 'invalid-argument');
    return Promise.all(
      refs.map(async (r, i) => {
        if ('tensor' in r) {
          try {
            return toFloat32(fromWire(r.tensor));
          } catch (e) {
            throw new LayerLensError(`input ${i}: ${(e as Error).message}`, 'input-invalid');
          }
        }
        requireAbsolute(r.file, 'input');
        const pre = isImagePath(r.file) ? (r.preprocess ?? modelPreprocess(session, i).preprocess) : undefined;
        return this.input(r.file, pre);
      }),
    );
  }

  /** Loads (or reuses) an input tensor; keyed by file identity and preprocessing. */
  private async input(file: string, pre: ImagePreprocess | undefined): Promise<HostTensor> {
    let st: fs.Stats;
    try {
      st = await fs.promises.stat(file);
    } catch {
      throw new LayerLensError(`cannot read input '${file}': no such file`, 'input-invalid');
    }
    const key = JSON.stringify([file, st.mtimeMs, st.size, pre ?? null]);
    let p = this.inputs.get(key);
    if (p) {
      this.inputs.delete(key);
      this.inputs.set(key, p);
      return p;
    }
    p = loadInputTensor(file, pre ?? {}).then(toFloat32);
    this.inputs.set(key, p);
    p.catch(() => this.inputs.delete(key));
    while (this.inputs.size > MAX_CACHED_INPUTS) this.inputs.delete(this.inputs.keys().next().value as string);
    return p;
  }

  private async session(file: string): Promise<ModelSession> {
    return (await this.opened(file)).session;
  }

  /** The cached session for a model file, reopened when the file changed on disk. */
  private async opened(file: string): Promise<{ session: ModelSession; open: OpenModel }> {
    requireAbsolute(file, 'model');
    const abs = path.resolve(file);
    let key: string;
    try {
      const st = await fs.promises.stat(abs);
      key = `${st.mtimeMs}:${st.size}`;
    } catch {
      key = 'missing'; // ModelSession.open words the error
    }
    let open = this.models.get(abs);
    if (open && open.key !== key) {
      this.models.delete(abs);
      void open.session.then((s) => s.dispose()).catch(() => undefined);
      open = undefined;
    }
    if (!open) {
      open = { key, session: ModelSession.open(abs).then(withShapes) };
      this.models.set(abs, open);
      const mine = open;
      open.session.catch(() => {
        if (this.models.get(abs) === mine) this.models.delete(abs);
      });
      while (this.models.size > MAX_OPEN_MODELS) {
        const [oldKey, old] = this.models.entries().next().value as [string, OpenModel];
        this.models.delete(oldKey);
        void old.session.then((s) => s.dispose()).catch(() => undefined);
      }
    } else {
      this.models.delete(abs);
      this.models.set(abs, open);
    }
    return { session: await open.session, open };
  }
}

function summarize(tree: LayerTree, e: LayerEntry, index: number): WireLayerSummary {
  return {
    id: e.id,
    label: e.label,
    kind: e.kind,
    parent: e.parent && tree.get(e.parent) ? e.parent : undefined,
    index,
    childCount: e.children.length,
    opTypes: e.opTypes,
    outputs: e.outputs.map((v) => tree.describeValue(v)),
    inputs: e.inputs.map((v) => tree.describeValue(v)),
    invocations: e.invocations,
    nodeCount: e.nodeCount,
    paramCount: e.paramCount,
  };
}

function positionsOf(tree: LayerTree): Map<string, number> {
  const m = new Map<string, number>();
  tree.roots.forEach((id, i) => m.set(id, i));
  for (const e of tree.entries.values()) e.children.forEach((id, i) => m.set(id, i));
  return m;
}

function requireAbsolute(file: unknown, what: string): void {
  if (typeof file !== 'string' || !path.isAbsolute(file)) throw new LayerLensError(`${what} path must be absolute, got '${String(file)}'`, 'invalid-argument');
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new LayerLensError('cancelled', 'cancelled');
}

/** Exporters often write no intermediate shapes: one batch-1 run fills them in for the tree (small models only). */
async function withShapes(session: ModelSession): Promise<ModelSession> {
  if (session.model.graph.nodes.length <= 5000) await session.inferShapes({ threads: 1 });
  return session;
}

/**
 * What crosses between the extension host and the engine child process (JSON-RPC over Node's IPC channel,
 * src/engineProcess/rpc.ts holds the request descriptors): the engine's public types (src/engine/api.ts) with
 * tensors as bytes and models addressed by path. Every type here is named `Wire…`; the webview protocol
 * (src/shared/protocol.ts) keeps the plain names and derives its types from these where they mean the same thing.
 * Predictions (`PredictResult`) cross as the engine returns them. Types only: no runtime code, no `vscode`.
 *
 * Tensors cross as their little-endian bytes (`WireTensor`: a Uint8Array over Node's 'advanced' IPC serialization,
 * base64 where a JSON channel carries them), never as JSON number lists.
 * Models are addressed by absolute path: the engine opens and caches them itself, so a restarted engine
 * serves the same requests without the host re-registering anything.
 */
import type { AttributeRequest, AttributeResult, AttributionTarget, ChannelAblation, DType, EngineStage, LayerEntry, MethodSpec, ValueSummary } from '../engine/api';
import type { OutputKindInfo } from './outputKind';
import type { OutputRoleInfo } from './outputRole';
import type { ChannelSummary } from './displayTensor';
import type { ImagePreprocess } from './preprocess';

export interface WireTensor {
  dtype: DType;
  dims: number[];
  /** The element bytes, little-endian: binary over the engine's IPC channel; base64 text is accepted too. */
  data: Uint8Array | string;
}

export interface WireHelloResult {
  pid: number;
  node: string;
  /** The V8 heap ceiling the process was started with, in MB (0 = Node's default). */
  memoryLimitMb: number;
  /** Execution providers worth trying here for 'auto', in order (the last is always cpu). */
  providers: string[];
}

export interface WireModelInfo {
  path: string;
  bytes: number;
  opset: number;
  producer: string;
  inputs: ValueSummary[];
  /** With what the graph says their values are (decided by the engine from the graph, never from values). */
  outputs: (ValueSummary & { kind: OutputKindInfo; role: OutputRoleInfo })[];
  labels?: string[];
  labelsSource?: string;
  preprocess: ImagePreprocess;
  /** Where `preprocess` came from: 'sidecar', 'model metadata' or 'input shape'. */
  preprocessSource: string;
  /** Entries in the layer tree (modules and nodes). */
  layerCount: number;
  rootCount: number;
  loadMs: number;
}

/** One layer tree entry with its children counted instead of listed and its tensors described. */
export interface WireLayerSummary extends Omit<LayerEntry, 'children' | 'outputs' | 'inputs'> {
  /** Position among the parent's children (or among the roots). */
  index: number;
  childCount: number;
  outputs: ValueSummary[];
  inputs: ValueSummary[];
}

export interface WireLayersParams {
  model: string;
  /** Whose children: a layer id, or absent for the roots. */
  parent?: string;
  offset?: number;
  limit?: number;
}

export interface WireLayersResult {
  total: number;
  offset: number;
  entries: WireLayerSummary[];
}

/** The whole listed layer tree (depth first) with the values it mentions: for quick picks and the inspector. */
export interface WireModelTreeResult {
  layers: LayerEntry[];
  /** Ids of the tree's top-level entries, in display order. */
  roots: string[];
  /** Shapes and dtypes of the tensors the layers read and return. */
  values: ValueSummary[];
}

export interface WireLocateLayerResult {
  /** The layer and its ancestors, root first. */
  chain: WireLayerSummary[];
}

/** A model input: a file the engine reads (image with preprocessing, or `.npy`), or a tensor. */
export type WireInputRef = { file: string; preprocess?: ImagePreprocess } | { tensor: WireTensor };

/** Where and how a request runs: provider, threads, and which graph output it reads. */
export type WireRunOptions = Pick<AttributeRequest, 'provider' | 'threads' | 'output'> & {
  /** Set by a host that wants `layerlens/stage` notifications for this request (compile, run, transfer). */
  progressId?: string;
};

/** The engine's `layerlens/stage` notification: request `progressId` is now at `stage`. */
export interface WireStage {
  progressId: string;
  stage: EngineStage;
}

export interface WirePredictParams extends WireRunOptions {
  model: string;
  inputs: WireInputRef[];
  /** How many classes per example. */
  top?: number;
  /** What-if ablation: predictions with some channels of a layer set to a constant (one patched forward). */
  ablate?: ChannelAblation;
}

/** The engine's targets with tensors as wire tensors (a mask target's mask). */
export type WireTarget = Exclude<AttributionTarget, { kind: 'mask' }> | { kind: 'mask'; mask: WireTensor };

/** A layer method's arguments with tensors as wire tensors or input references (baselines are inputs). */
export interface WireMethodSpec extends Omit<MethodSpec, 'baselines' | 'layerBaseline' | 'layerMask'> {
  baselines?: WireInputRef[];
  layerBaseline?: number | WireTensor;
  layerMask?: WireTensor;
}

export interface WireAttributeParams extends WireRunOptions, Pick<AttributeRequest, 'layers' | 'layerInput' | 'gradientOnly'> {
  model: string;
  inputs: WireInputRef[];
  target: WireTarget;
  /** Captum's layer method and its arguments (default Layer Gradient × Activation). */
  method?: WireMethodSpec;
  /**
   * Answer with what the inspector draws (`shown`: large rank-4 tensors in their display form, displayTensor.ts)
   * instead of the whole tensors; the engine keeps those (`kept`) for ResultTensor and ResultChannel.
   */
  display?: { channelsLast: boolean };
}

/** One attribution as the inspector draws it: whole (`reduced` absent) or in its display form. */
export interface WireShownTensor {
  dims: number[];
  data: Float32Array;
  reduced?: ChannelSummary;
}

/** The engine's result with float32 wire tensors: attributions[L][K] is layer L in request order, tensor K of that layer. */
export interface WireAttributeResult extends Omit<AttributeResult, 'attributions' | 'delta' | 'output'> {
  /** Empty ([]) when the request asked for `display`: `shown` holds the tensors then. */
  attributions: WireTensor[][];
  shown?: WireShownTensor[][];
  /** With `display`: the id under which the engine keeps the whole tensors, while it keeps them. */
  kept?: number;
  delta?: WireTensor;
  output: WireTensor;
}

/** One whole tensor of a result the engine kept (see WireAttributeParams.display). */
export interface WireResultTensorParams {
  kept: number;
  layer: number;
  tensor: number;
}

/** One channel of one example of a kept rank-4 result, at full size. */
export interface WireResultChannelParams extends WireResultTensorParams {
  example: number;
  channel: number;
  channelsLast: boolean;
}

/** One channel of one example at full size: [height, width] and its values. */
export interface WireChannelPlane {
  dims: number[];
  data: Float32Array;
}

export interface WireLoadInputParams {
  file: string;
  /** Explicit preprocessing; absent: the model's (sidecar, metadata, input shape) when `model` is given. */
  preprocess?: ImagePreprocess;
  model?: string;
  inputIndex?: number;
  /** Longest side of the RGBA preview (default 512). */
  previewMaxSide?: number;
}

/** The image as the model sees it (same crop and aspect), RGBA 8-bit, row-major. */
export interface WireInputPreview {
  width: number;
  height: number;
  /** base64 of width × height × 4 RGBA bytes. */
  rgba: string;
}

export interface WireLoadInputResult {
  tensor: WireTensor;
  preprocess?: ImagePreprocess;
  /** For the heatmap overlay; absent when the tensor is not image-like. */
  preview?: WireInputPreview;
}

/** The `data` of a JSON-RPC error the engine answers with: the engine's own error category. */
export interface WireErrorData {
  /** The engine's machine-readable category ('unsupported-op', 'cancelled', …). */
  code: string;
  /** The ONNX node and op the error is at, when the engine knows them (fields, never parsed from the text). */
  node?: string;
  op?: string;
}

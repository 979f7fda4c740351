/**
 * The JSON-RPC contract between the extension host and the engine child process (vscode-jsonrpc over
 * Node's IPC channel). Pure types and request descriptors: imported by both sides, never imports `vscode`.
 *
 * Tensors cross as their little-endian bytes (`WireTensor`: a Uint8Array over Node's 'advanced' IPC serialization,
 * base64 where a JSON channel carries them), never as JSON number lists.
 * Models are addressed by absolute path: the engine opens and caches them itself, so a restarted engine
 * serves the same requests without the host re-registering anything.
 */
import { RequestType } from 'vscode-jsonrpc';
import type { AttributionTarget, ChannelAblation, MethodSpec, PredictResult, ProviderName, Timings } from '../engine/api';
import type { LayerEntry, ValueSummary } from '../engine/onnx/layerTree';
import type { OutputKindInfo } from '../engine/onnx/outputKind';
import type { ImagePreprocess } from '../engine/tensor/image';
import type { DType } from '../engine/tensor/hostTensor';

export interface WireTensor {
  dtype: DType;
  dims: number[];
  /** The element bytes, little-endian: binary over the engine's IPC channel; base64 text is accepted too. */
  data: Uint8Array | string;
}

export interface WireValue {
  name: string;
  dtype: string;
  shape?: (number | string | null)[];
}

export interface HelloResult {
  pid: number;
  node: string;
  /** The V8 heap ceiling the process was started with, in MB (0 = Node's default). */
  memoryLimitMb: number;
  /** Execution providers worth trying here for 'auto', in order (the last is always cpu). */
  providers: string[];
}

export interface ModelInfo {
  path: string;
  bytes: number;
  opset: number;
  producer: string;
  inputs: WireValue[];
  /** With what the graph says their values are (probabilities, logits, …). */
  outputs: (WireValue & { kind: OutputKindInfo })[];
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

export interface LayerSummary {
  id: string;
  label: string;
  kind: 'module' | 'node';
  parent?: string;
  /** Position among the parent's children (or among the roots). */
  index: number;
  childCount: number;
  opTypes: string[];
  outputs: WireValue[];
  inputs: WireValue[];
  invocations: number;
  nodeCount: number;
  paramCount: number;
}

export interface LayersParams {
  model: string;
  /** Whose children: a layer id, or absent for the roots. */
  parent?: string;
  offset?: number;
  limit?: number;
}

export interface LayersResult {
  total: number;
  offset: number;
  entries: LayerSummary[];
}

/** The whole listed layer tree (depth first) with the values it mentions: for quick picks and the inspector. */
export interface ModelTreeResult {
  layers: LayerEntry[];
  roots: string[];
  values: ValueSummary[];
}

export interface LocateLayerResult {
  /** The layer and its ancestors, root first. */
  chain: LayerSummary[];
}

/** A model input: a file the engine reads (image with preprocessing, or `.npy`), or a tensor. */
export type InputRef = { file: string; preprocess?: ImagePreprocess } | { tensor: WireTensor };

export interface RunOptions {
  provider?: ProviderName;
  threads?: number;
  output?: string | number;
}

export interface PredictParams extends RunOptions {
  model: string;
  inputs: InputRef[];
  top?: number;
  /** What-if ablation: predictions with some channels of a layer set to a constant. */
  ablate?: ChannelAblation;
}

/** Predictions cross the wire as the engine returns them (plain numbers and strings). */
export type { PredictResult };

/** The engine's targets with tensors as wire tensors (a mask target's mask). */
export type WireTarget = Exclude<AttributionTarget, { kind: 'mask' }> | { kind: 'mask'; mask: WireTensor };

/** A layer method's arguments with tensors as wire tensors or input references (baselines are inputs). */
export interface WireMethodSpec extends Omit<MethodSpec, 'baselines' | 'layerBaseline' | 'layerMask'> {
  baselines?: InputRef[];
  layerBaseline?: number | WireTensor;
  layerMask?: WireTensor;
}

export interface AttributeParams extends RunOptions {
  model: string;
  layers: string[];
  inputs: InputRef[];
  target: WireTarget;
  /** Captum's layer method and its arguments (default Layer Gradient × Activation). */
  method?: WireMethodSpec;
  layerInput?: boolean;
  gradientOnly?: boolean;
}

export interface AttributeResult {
  /** attributions[L][K]: layer L in request order, tensor K of that layer. float32. */
  attributions: WireTensor[][];
  valueNames: string[][];
  /** Convergence delta per example (conductance, integrated gradients), when asked for. */
  delta?: WireTensor;
  output: WireTensor;
  outputName: string;
  provider: string;
  providerNotes: string[];
  timings: Timings;
}

export interface LoadInputParams {
  file: string;
  /** Explicit preprocessing; absent: the model's (sidecar, metadata, input shape) when `model` is given. */
  preprocess?: ImagePreprocess;
  model?: string;
  inputIndex?: number;
  /** Longest side of the RGBA preview (default 512). */
  previewMaxSide?: number;
}

export interface InputPreview {
  width: number;
  height: number;
  /** base64 of width × height × 4 RGBA bytes. */
  rgba: string;
}

export interface LoadInputResult {
  tensor: WireTensor;
  preprocess?: ImagePreprocess;
  /** The image as the model sees it (same crop and aspect), for the heatmap overlay; absent when the tensor is not image-like. */
  preview?: InputPreview;
}

/** The `data` of a JSON-RPC error the engine answers with: the engine's own error category. */
export interface EngineErrorData {
  code: string;
  /** The ONNX node and op the error is at, when the engine knows them (fields, never parsed from the text). */
  node?: string;
  op?: string;
}

export const Hello = new RequestType<void, HelloResult, void>('layerlens/hello');
export const OpenModel = new RequestType<{ model: string }, ModelInfo, EngineErrorData>('layerlens/openModel');
export const Layers = new RequestType<LayersParams, LayersResult, EngineErrorData>('layerlens/layers');
export const ModelTree = new RequestType<{ model: string }, ModelTreeResult, EngineErrorData>('layerlens/modelTree');
export const LocateLayer = new RequestType<{ model: string; id: string }, LocateLayerResult, EngineErrorData>('layerlens/locateLayer');
export const Predict = new RequestType<PredictParams, PredictResult, EngineErrorData>('layerlens/predict');
export const Attribute = new RequestType<AttributeParams, AttributeResult, EngineErrorData>('layerlens/attribute');
export const LoadInput = new RequestType<LoadInputParams, LoadInputResult, EngineErrorData>('layerlens/loadInput');
export const DisposeModel = new RequestType<{ model: string }, void, EngineErrorData>('layerlens/disposeModel');

/** JSON-RPC error code for an error the engine reports on purpose (ServerNotInitialized..-32000 are reserved). */
export const ENGINE_ERROR = -32001;
/** JSON-RPC's RequestCancelled. */
export const REQUEST_CANCELLED = -32800;

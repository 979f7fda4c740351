/**
 * The engine's public surface: what the CLI, the engine process and the tests call.
 * Pure Node — never imports `vscode`.
 */
import type { HostTensor } from './tensor/hostTensor';
import type { OutputRoleInfo } from '../shared/outputRole';
import type { OutputView } from '../shared/outputView';

import type { TextTarget } from '../shared/targetSpec';
/** Captum's target forms, boxes and their text syntax: src/shared/targetSpec.ts (one module for every side). */
export type { BoxEntry, TargetSpec, TextTarget } from '../shared/targetSpec';
/** Element types and the layer tree as the engine describes them (for src/shared: the engine-process wire and the webview protocol). */
export type { DType } from './tensor/hostTensor';
export type { LayerEntry, ValueSummary } from './onnx/layerTree';

/**
 * What the engine accepts as a target: Captum's forms, plus the region targets Captum users write wrappers for.
 * `s = Σ_i Σ_j out[i, j] · mask[i, j]` for a box (ones on the box, summed) or a mask (broadcast to the output:
 * one example's shape, or with the batch axis for one mask per example).
 */
export type AttributionTarget = TextTarget | { kind: 'mask'; mask: HostTensor };

/** Captum's layer methods (`--method` on the command line). */
export type MethodName = 'lgxa' | 'activation' | 'gradcam' | 'internal-influence' | 'conductance' | 'integrated-gradients' | 'feature-ablation';

/** Integration rules of Captum's path methods (`approximation_methods.py`). */
export type IntegrationRule = 'gausslegendre' | 'riemann_left' | 'riemann_right' | 'riemann_middle' | 'riemann_trapezoid';

/** A method and its arguments; absent fields take Captum's defaults. */
export interface MethodSpec {
  name: MethodName;
  /** Path methods: one per graph input (absent: zeros). */
  baselines?: HostTensor[];
  /** Path methods: number of integration points (default 50). */
  nSteps?: number;
  integration?: IntegrationRule;
  /** Path methods: rows per run (Captum's internal_batch_size); the result does not depend on it. */
  internalBatchSize?: number;
  /** Conductance and integrated gradients: also return the convergence delta. */
  convergenceDelta?: boolean;
  /** Integrated gradients: multiply by (A(x) − A(baseline)) (default true). */
  multiplyByInputs?: boolean;
  /** Grad-CAM. */
  reluAttributions?: boolean;
  /** Grad-CAM: sum over the channel axis (default true). */
  dimSum?: boolean;
  /** Feature ablation: what replaces an ablated group (a number or a tensor broadcast to the layer; default 0). */
  layerBaseline?: number | HostTensor;
  /** Feature ablation: group ids broadcast to the layer (default: every element of an example its own group). */
  layerMask?: HostTensor;
  /** Feature ablation: groups ablated per run (the result does not depend on it). */
  perturbationsPerEval?: number;
}

export type ProviderName = 'auto' | 'cpu' | 'webgpu' | 'cuda' | 'dml' | 'coreml';

/** What a request is doing now: compiling (graphs, sessions), running them, or sending the result back. */
export type EngineStage = 'compile' | 'run' | 'transfer';

export interface RuntimeOptions {
  /** Told when the request moves to another stage (the status line: "Attributing layer3 · Compiling (graphs and sessions) · 1.2 s"). */
  onStage?: (stage: EngineStage) => void;
  provider?: ProviderName;
  /** Intra-op threads; 0 or undefined = onnxruntime's default. */
  threads?: number;
  /** Overrides which providers count as installed (tests and diagnostics). */
  probes?: { cuda: () => boolean; vulkan: () => boolean; starts?: (provider: string) => { ok: boolean; reason?: string } };
}

export interface AttributeRequest extends RuntimeOptions {
  /** Layer ids: module paths, `node:<name>` or `value:<name>`. */
  layers: string[];
  /** One tensor per graph input, in graph-input order. */
  inputs: HostTensor[];
  target: AttributionTarget;
  /** Captum's layer method (default Layer Gradient × Activation). */
  method?: MethodSpec;
  /** attribute_to_layer_input */
  layerInput?: boolean;
  /** multiply_by_inputs = false */
  gradientOnly?: boolean;
  /** Which graph output the target indexes: name or index; default the first. */
  output?: string | number;
  /** Recompute the forward pass even when the inputs equal the previous request's (honest timings). */
  fresh?: boolean;
  /** Cancels the request between stages (and drops its result). */
  signal?: AbortSignal;
}

export interface Timings {
  load: number;
  compile: number;
  run: number;
  /** When the engine finished (ms since the epoch): the host and the webview measure the way back from it. */
  doneAt?: number;
  /** When the extension host had the engine's answer, and when it had made the webview's (ms since the epoch). */
  hostReceivedAt?: number;
  hostSentAt?: number;
}

export interface AttributeResult {
  /** result[L][K]: layer L (in request order), tensor K of that layer's tuple. */
  attributions: HostTensor[][];
  /** The ONNX value names behind result[L][K]. */
  valueNames: string[][];
  /** Convergence delta per example (conductance and integrated gradients when asked for). */
  delta?: HostTensor;
  /** The model output the target indexed, computed on the request's inputs. */
  output: HostTensor;
  outputName: string;
  provider: string;
  /** Why other providers were not used (empty when the requested one ran). */
  providerNotes: string[];
  timings: Timings;
}

/**
 * What-if ablation: the model run with some channels of one layer value set to a constant (Captum's feature
 * ablation with a number as `layer_baselines`, as one forward), to see the predictions without them.
 */
export interface ChannelAblation {
  /** Layer id (as in AttributeRequest.layers). */
  layer: string;
  /** Ablate the layer's input (only the module's own nodes see it, as Captum's pre-hook) instead of its output. */
  layerInput?: boolean;
  /** Which of the layer's tensors (default 0). */
  value?: number;
  /** The channel axis of that tensor (negative counts from the end; 1 for NCHW). */
  channelAxis: number;
  /** Channels set to `baseline`, in every example. */
  channels: number[];
  /** What an ablated channel holds (default 0). */
  baseline?: number;
}

export interface Prediction {
  index: number;
  score: number;
  label?: string;
}

export interface PredictResult {
  outputName: string;
  outputShape: number[];
  /** One list per example, best first. */
  top: Prediction[][];
  provider: string;
  timings: Timings;
  /** What the output is for, read from the graph (classifier, detector, segmentation, image, embedding, …). */
  role?: OutputRoleInfo;
  /** Beyond the top values, by role: ranked detections, the class map, the output as an image, the norm. */
  view?: OutputView<HostTensor>;
  /** With a what-if ablation: the scores of the same classes, in the same order, without it. */
  reference?: Prediction[][];
}

/**
 * The engine's public surface: what the CLI, the engine process and the tests call.
 * Pure Node — never imports `vscode`.
 */
import type { HostTensor } from './tensor/hostTensor';

/** Where the target selects one scalar per example from the chosen model output (Captum's forms). */
export type TargetSpec =
  | { kind: 'none' }
  | { kind: 'index'; index: number } // out[:, t] (negative counts from the end)
  | { kind: 'perExample'; indices: number[] } // out[i, t_i]
  | { kind: 'tuple'; tuple: number[] } // out[:, a, b, c]
  | { kind: 'tuples'; tuples: number[][] }; // out[i, a_i, b_i, c_i]

export type ProviderName = 'auto' | 'cpu' | 'webgpu' | 'cuda' | 'dml' | 'coreml';

export interface RuntimeOptions {
  provider?: ProviderName;
  /** Intra-op threads; 0 or undefined = onnxruntime's default. */
  threads?: number;
  /** Overrides which providers count as installed (tests and diagnostics). */
  probes?: { cuda: () => boolean; vulkan: () => boolean };
}

export interface AttributeRequest extends RuntimeOptions {
  /** Layer ids: module paths, `node:<name>` or `value:<name>`. */
  layers: string[];
  /** Captum's list form (result is always one entry per layer either way). */
  layerList?: boolean;
  /** One tensor per graph input, in graph-input order. */
  inputs: HostTensor[];
  target: TargetSpec;
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
}

export interface AttributeResult {
  /** result[L][K]: layer L (in request order), tensor K of that layer's tuple. */
  attributions: HostTensor[][];
  /** The ONNX value names behind result[L][K]. */
  valueNames: string[][];
  /** The model output the target indexed, as computed in the same forward pass. */
  output: HostTensor;
  outputName: string;
  provider: string;
  /** Why other providers were not used (empty when the requested one ran). */
  providerNotes: string[];
  timings: Timings;
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
}

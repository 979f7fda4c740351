/**
 * The words for what a model output's values are (probabilities, logits, …), shared by the engine, which decides
 * them from the graph (src/engine/onnx/outputKind.ts), and the inspector, which shows them. Pure: no Node, no DOM.
 */

export type OutputKind =
  /** Softmax: non-negative, summing to 1 over the classes. */
  | 'probabilities'
  | 'log-probabilities'
  /** Sigmoid: one independent probability per class (multi-label). */
  | 'class-probabilities'
  /** An affine layer's raw output. */
  | 'logits'
  /** One prediction per position (a segmentation map, a detector's grid). */
  | 'dense-map'
  /** Anything else: a value the graph says nothing more about. */
  | 'scores';

export const OUTPUT_KINDS: readonly OutputKind[] = ['probabilities', 'log-probabilities', 'class-probabilities', 'logits', 'dense-map', 'scores'];

export interface OutputKindInfo {
  kind: OutputKind;
  /** Why: the op that decided it (`Softmax node '/Softmax'`), `model metadata`, or `output rank 4`. */
  basis: string;
}

/** For the user: what the numbers in the predictions list are. */
export const OUTPUT_KIND_LABELS: Record<OutputKind, string> = {
  probabilities: 'probabilities',
  'log-probabilities': 'log-probabilities',
  'class-probabilities': 'probabilities per class',
  logits: 'logits',
  'dense-map': 'dense map',
  scores: 'scores',
};

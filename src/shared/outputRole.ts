/**
 * The words for what a model output is *for* — a classifier's classes, a detector's per-anchor scores and boxes, a
 * segmentation map, an image, an embedding — shared by the engine, which decides the role from the graph
 * (src/engine/predictions/role.ts), and the inspector, whose Predictions panel and target controls adapt to it. Pure.
 */

export type OutputRole = 'classifier' | 'detector' | 'boxes' | 'segmentation' | 'image' | 'embedding' | 'other';

export const OUTPUT_ROLES: readonly OutputRole[] = ['classifier', 'detector', 'boxes', 'segmentation', 'image', 'embedding', 'other'];

/** For the user: what the inspector calls each role. */
export const OUTPUT_ROLE_LABELS: Record<OutputRole, string> = {
  classifier: 'classifier',
  detector: 'detector',
  boxes: 'detector boxes',
  segmentation: 'segmentation',
  image: 'image',
  embedding: 'embedding',
  other: 'other output',
};

export interface OutputRoleInfo {
  role: OutputRole;
  /** Why, in words: `Softmax node '/Softmax' over 4 channels`, `per-anchor scores [1, 256, 4] beside the box output 'boxes'`, `model metadata`. */
  basis: string;
  /** detector: the output with each anchor's box; boxes: the output with each anchor's scores. */
  companion?: string;
  /** detector: the class that means "nothing here" (never listed as a detection). */
  background?: number;
  /** segmentation, image: where the class (colour) axis is. */
  layout?: 'channels-first' | 'channels-last';
}

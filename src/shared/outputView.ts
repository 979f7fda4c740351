/**
 * What the Predictions panel shows for an output beyond its top values, by role: a detector's ranked detections,
 * a segmentation's class map with pixel counts per class, an image output as RGBA pixels, an embedding's norm.
 * The engine computes it (src/engine/predictions/view.ts) where the whole output is; types only here.
 */

/** `[x0, y0, x1, y1]`, in the units the view's `boxUnits` says. */
export type Box = [number, number, number, number];

export interface Detection {
  /** Row of the score output (the first target index). */
  anchor: number;
  /** Best class of the anchor that is not the background (the second target index). */
  class: number;
  score: number;
  box?: Box;
}

/** `T`: how a tensor travels (the engine's HostTensor, bytes between processes, typed arrays in the webview). */
export type OutputView<T> =
  | {
      role: 'detector';
      /** Per example, best first, after non-maximum suppression (`iou`). */
      detections: Detection[][];
      /** Box coordinates: fractions of the input image, or pixels of the model input. */
      boxUnits?: 'fractions' | 'pixels';
      /** Suppression threshold used (boxes of one class overlapping a better one by more were dropped). */
      iou: number;
      background?: number;
    }
  | {
      role: 'segmentation';
      /** `[N, …spatial]`: the winning class at each position (uint8, or int32 beyond 256 classes). */
      classMap: T;
      /** pixels[i][c]: positions of example i where class c wins. */
      pixels: number[][];
      layout: 'channels-first' | 'channels-last';
    }
  | {
      role: 'image';
      /** `[N, H, W, 4]` uint8: the output as a picture. */
      rgba: T;
      /** The output values drawn as black … white. */
      range: [number, number];
      /** Why that range. */
      rangeBasis: string;
      layout: 'channels-first' | 'channels-last';
    }
  | {
      role: 'embedding';
      /** ‖v‖₂ per example. */
      norms: number[];
    };

/** The same view with its tensors converted (for the wire, or for the webview). */
export function mapViewTensors<A, B>(view: OutputView<A>, f: (t: A) => B): OutputView<B> {
  switch (view.role) {
    case 'segmentation':
      return { ...view, classMap: f(view.classMap) };
    case 'image':
      return { ...view, rgba: f(view.rgba) };
    default:
      return view;
  }
}

/**
 * A detector's ranked detections: for each anchor (row of a `[N, anchors, classes]` score output) its best class
 * that is not the background, ranked by that score, with the anchor's box when a `[N, anchors, 4]` box output
 * exists; overlapping boxes of the same class are suppressed (greedy non-maximum suppression), so one object is
 * one row rather than the dozen anchors that all see it. The anchor index is what a target needs: `(anchor, class)`.
 */

import type { Box, Detection } from '../../shared/outputView';

export type { Box, Detection };

export interface RankOptions {
  /** How many detections per example. */
  top: number;
  /** The class that means "nothing here"; never reported. */
  background?: number;
  /** Boxes of one class overlapping a better one by more than this IoU are dropped (default 0.5; ≥ 1: keep all). */
  iou?: number;
}

interface Tensor {
  dims: readonly number[];
  data: ArrayLike<number>;
}

/** Intersection over union of two corner boxes (0 for empty or inverted ones). */
export function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = ix * iy;
  const area = (r: Box) => Math.max(0, r[2] - r[0]) * Math.max(0, r[3] - r[1]);
  const union = area(a) + area(b) - inter;
  return union > 0 ? inter / union : 0;
}

/** Ranked detections per example. `scores`: `[N, A, C]`; `boxes` (optional): `[N, A, 4]` as x0, y0, x1, y1. */
export function rankDetections(scores: Tensor, boxes: Tensor | undefined, opts: RankOptions): Detection[][] {
  const [n, anchors, classes] = scores.dims;
  if (scores.dims.length !== 3) throw new Error(`detections need scores of shape [N, anchors, classes]; got [${scores.dims.join(', ')}]`);
  if (boxes && (boxes.dims.length !== 3 || boxes.dims[0] !== n || boxes.dims[1] !== anchors || boxes.dims[2] !== 4))
    throw new Error(`the boxes [${boxes.dims.join(', ')}] do not match the scores [${scores.dims.join(', ')}] (expected [${n}, ${anchors}, 4])`);
  if (opts.background !== undefined && classes < 2) throw new Error('a background class needs at least two classes');
  const threshold = opts.iou ?? 0.5;
  const out: Detection[][] = [];
  for (let i = 0; i < n; i++) {
    const best: Detection[] = [];
    for (let a = 0; a < anchors; a++) {
      const row = (i * anchors + a) * classes;
      let cls = -1;
      let score = -Infinity;
      for (let c = 0; c < classes; c++) {
        if (c === opts.background) continue;
        const v = scores.data[row + c];
        if (v > score) {
          score = v;
          cls = c;
        }
      }
      if (cls < 0 || !(score === score)) continue;
      const d: Detection = { anchor: a, class: cls, score };
      if (boxes) {
        const b = (i * anchors + a) * 4;
        d.box = [boxes.data[b], boxes.data[b + 1], boxes.data[b + 2], boxes.data[b + 3]];
      }
      best.push(d);
    }
    best.sort((x, y) => y.score - x.score || x.anchor - y.anchor);
    const kept: Detection[] = [];
    for (const d of best) {
      if (kept.length >= opts.top) break;
      if (d.box && threshold < 1 && kept.some((k) => k.class === d.class && iou(k.box!, d.box!) > threshold)) continue;
      kept.push(d);
    }
    out.push(kept);
  }
  return out;
}

/**
 * What box coordinates are measured in: fractions of the input image when every coordinate of the listed boxes
 * lies in [-0.5, 1.5] (normalised detectors), else pixels of the model input.
 */
export function boxUnits(detections: Detection[][]): 'fractions' | 'pixels' {
  const coords = detections.flat().flatMap((d) => d.box ?? []);
  return coords.every((v) => v >= -0.5 && v <= 1.5) ? 'fractions' : 'pixels';
}

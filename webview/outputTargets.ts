/**
 * Targets the output's own controls make, by role: a detection → `(anchor, class)`; a pixel or a dragged box on an
 * image output → an index tuple or a box in the SPEC syntax; "class c where it wins" on a segmentation → a mask.
 * Also the automatic target each role starts from, and where a target lies on the input (to outline it on the
 * heat map). Pure: no DOM.
 */
import type { OutputRoleInfo } from '../src/shared/outputRole';
import type { Box, Detection, OutputView } from '../src/shared/outputView';
import type { PredictResponse, TextTarget } from '../src/shared/protocol';
import { winsMask } from '../src/shared/segmentation';
import { formatTarget } from './targetSpec';

/** A tensor as the webview holds it. */
export interface ViewTensor {
  dtype: string;
  dims: number[];
  data: Uint8Array | Int32Array | Float32Array;
}

export type WebviewView = OutputView<ViewTensor>;

/** What the automatic target is for a role: SPEC text, "class c where it wins", or nothing (the user says). */
export type AutoTarget = { text: string } | { wins: number } | undefined;

/** A rectangle of the output image in its pixels, half-open: rows y0..y1, columns x0..x1. */
export interface PixelBox {
  y0: number;
  y1: number;
  x0: number;
  x1: number;
}

/** The channel count, height and width of an image output `[N, C, H, W]` (or `[N, H, W, C]`). */
export function imageGeometry(dims: readonly number[], layout: 'channels-first' | 'channels-last' = 'channels-first'): { channels: number; height: number; width: number } {
  const [, a, b, c] = dims;
  return layout === 'channels-first' ? { channels: a, height: b, width: c } : { channels: c, height: a, width: b };
}

/**
 * The SPEC for a box of an image output: one pixel of a one-channel image is an index tuple `(0, y, x)`; anything
 * else a box summed over, all channels of a colour image: `(0, 10:40, 20:60)`, `(:, 10:40, 20:60)`.
 */
export function imageBoxText(dims: readonly number[], layout: 'channels-first' | 'channels-last', box: PixelBox): string {
  const { channels } = imageGeometry(dims, layout);
  const pixel = box.y1 - box.y0 === 1 && box.x1 - box.x0 === 1;
  const channel = channels === 1 ? 0 : {};
  const rows = pixel ? box.y0 : { start: box.y0, stop: box.y1 };
  const cols = pixel ? box.x0 : { start: box.x0, stop: box.x1 };
  const entries = layout === 'channels-first' ? [channel, rows, cols] : [rows, cols, channel];
  if (entries.every((e) => typeof e === 'number')) return formatTarget({ kind: 'tuple', tuple: entries as number[] });
  return formatTarget({ kind: 'box', box: entries });
}

/** The pixel box a target selects on an image output (undefined when it is not one box or index over its pixels). */
export function imageBoxOf(t: TextTarget, dims: readonly number[], layout: 'channels-first' | 'channels-last'): PixelBox | undefined {
  const { height, width } = imageGeometry(dims, layout);
  const entries = t.kind === 'tuple' ? t.tuple : t.kind === 'box' ? t.box : undefined;
  if (!entries || entries.length !== 3) return undefined;
  const [rows, cols] = layout === 'channels-first' ? [entries[1], entries[2]] : [entries[0], entries[1]];
  const span = (e: (typeof entries)[number], size: number): [number, number] => {
    if (typeof e === 'number') {
      const k = e < 0 ? e + size : e;
      return [k, k + 1];
    }
    const at = (v: number | undefined, dflt: number) => (v === undefined ? dflt : Math.min(size, Math.max(0, v < 0 ? v + size : v)));
    return [at(e.start, 0), at(e.stop, size)];
  };
  const [y0, y1] = span(rows, height);
  const [x0, x1] = span(cols, width);
  return y1 > y0 && x1 > x0 ? { y0, y1, x0, x1 } : undefined;
}

/** One `(anchor, class)` per example: a tuple for one example, a tuple per example for a batch. */
export function detectionText(picks: readonly Pick<Detection, 'anchor' | 'class'>[]): string {
  const tuples = picks.map((d) => [d.anchor, d.class]);
  return formatTarget(tuples.length === 1 ? { kind: 'tuple', tuple: tuples[0] } : { kind: 'tuples', tuples });
}

/** The detection a target picks in an example's list (its anchor and class), if it is one of them. */
export function detectionOf(t: TextTarget, detections: readonly Detection[], example: number): Detection | undefined {
  const tuple = t.kind === 'tuple' ? t.tuple : t.kind === 'tuples' ? t.tuples[example] : undefined;
  if (!tuple || tuple.length !== 2) return undefined;
  return detections.find((d) => d.anchor === tuple[0] && d.class === tuple[1]);
}

/** Labels that mean "no object": a segmentation's automatic target skips such a class. */
const BACKGROUND = /^(background|__background__|bg|void|unlabeled|unlabelled|none)$/i;

/** The class a segmentation starts from: the one covering most pixels of example 0, background labels aside. */
export function largestClass(pixels: readonly number[], labels: readonly string[]): number | undefined {
  let best: number | undefined;
  pixels.forEach((count, c) => {
    if (count > 0 && !BACKGROUND.test(labels[c]?.trim() ?? '') && (best === undefined || count > pixels[best])) best = c;
  });
  return best ?? (pixels.some((p) => p > 0) ? pixels.indexOf(Math.max(...pixels)) : undefined);
}

/** The automatic target of an output, from its role and its predictions. */
export function autoTarget(role: OutputRoleInfo['role'] | undefined, resp: PredictResponse | undefined, view: WebviewView | undefined, labels: readonly string[], examples: number): AutoTarget {
  if (!resp) return undefined;
  if (view?.role === 'detector') {
    const picks = view.detections.map((list) => list[0]);
    return picks.length && picks.every(Boolean) ? { text: detectionText(picks.length === 1 || examples === 1 ? picks.slice(0, 1) : picks) } : undefined;
  }
  if (view?.role === 'segmentation') {
    const cls = largestClass(view.pixels[0] ?? [], labels);
    return cls === undefined ? undefined : { wins: cls };
  }
  if (view?.role === 'image') return { text: formatTarget({ kind: 'box', box: resp.outputShape.slice(1).map(() => ({})) }) };
  if (role === 'boxes' || resp.outputShape.length > 2) return undefined;
  const tops = resp.top.map((list) => list[0]?.index).filter((x): x is number => x !== undefined);
  if (!tops.length) return undefined;
  return { text: tops.length === 1 || examples === 1 ? String(tops[0]) : tops.join(',') };
}

/** The mask of "class `cls` where it wins" for a segmentation view, and the pixels it selects per example. */
export function winsTarget(view: Extract<WebviewView, { role: 'segmentation' }>, cls: number, classes: number): { mask: { dims: number[]; data: Uint8Array }; pixels: number[] } {
  const map = { dims: view.classMap.dims, data: view.classMap.data as Uint8Array | Int32Array, classes };
  const m = winsMask(map, cls, view.layout);
  return { mask: { dims: m.dims, data: m.data }, pixels: m.pixels };
}

/** A box on the input image, as fractions of its width and height. */
export type FractionBox = Box;

/** Where a detection's box lies on the input, as fractions (boxes in pixels are measured on the model input). */
export function detectionOnInput(d: Detection, units: 'fractions' | 'pixels' | undefined, inputSize: { width: number; height: number } | undefined): FractionBox | undefined {
  if (!d.box) return undefined;
  if (units !== 'pixels') return d.box;
  if (!inputSize) return undefined;
  return [d.box[0] / inputSize.width, d.box[1] / inputSize.height, d.box[2] / inputSize.width, d.box[3] / inputSize.height];
}

/**
 * The Predictions panel's view of an output (src/shared/outputView.ts), computed in the engine, where the whole
 * output is: a 21-class 512² map is 22 MB of floats, its class map 262 kB.
 */
import { classMapOf } from '../../shared/segmentation';
import type { OutputRoleInfo } from '../../shared/outputRole';
import type { OutputView as View } from '../../shared/outputView';
import type { HostTensor } from '../tensor/hostTensor';
import { boxUnits, rankDetections } from './detections';

type OutputView = View<HostTensor>;

export const DETECTION_IOU = 0.5;

/**
 * The view of an output for its role (undefined for classifiers and other outputs: the top list says it all).
 * `companion`: the detector's box output, fetched in the same run.
 */
export function outputView(role: OutputRoleInfo, out: HostTensor, opts: { top: number; companion?: HostTensor }): OutputView | undefined {
  const values = out.data as ArrayLike<number>;
  switch (role.role) {
    case 'detector': {
      if (out.dims.length !== 3) return undefined;
      const boxes = opts.companion && opts.companion.dims.length === 3 ? { dims: opts.companion.dims, data: opts.companion.data as ArrayLike<number> } : undefined;
      const detections = rankDetections({ dims: out.dims, data: values }, boxes, { top: opts.top, background: role.background, iou: DETECTION_IOU });
      return { role: 'detector', detections, ...(boxes ? { boxUnits: boxUnits(detections) } : {}), iou: DETECTION_IOU, ...(role.background !== undefined ? { background: role.background } : {}) };
    }
    case 'segmentation': {
      if (out.dims.length < 3) return undefined;
      const layout = role.layout ?? 'channels-first';
      const map = classMapOf(values, out.dims, layout);
      // HostTensor has no uint16 (Uint16Array holds float16 bits): more than 256 classes travel as int32.
      const data = map.data instanceof Uint8Array ? map.data : Int32Array.from(map.data);
      return { role: 'segmentation', classMap: { dtype: data instanceof Uint8Array ? 'uint8' : 'int32', dims: map.dims, data }, pixels: map.pixels, layout };
    }
    case 'image':
      return out.dims.length === 4 ? imageView(values, out.dims, role.layout ?? 'channels-first') : undefined;
    case 'embedding': {
      if (out.dims.length !== 2) return undefined;
      const [n, d] = out.dims;
      const norms = Array.from({ length: n }, (_, i) => {
        let s = 0;
        for (let j = 0; j < d; j++) s += values[i * d + j] ** 2;
        return Math.sqrt(s);
      });
      return { role: 'embedding', norms };
    }
    default:
      return undefined;
  }
}

/** Ranges an image output is usually in, tried in order: the first holding 99.5 % of the values is drawn. */
const IMAGE_RANGES: { range: [number, number]; basis: string }[] = [
  { range: [0, 1], basis: 'values in [0, 1]' },
  { range: [-1, 1], basis: 'values in [-1, 1]' },
  { range: [0, 255], basis: 'values in [0, 255]' },
];

function imageView(values: ArrayLike<number>, dims: readonly number[], layout: 'channels-first' | 'channels-last'): OutputView {
  const [n, a, b, c] = dims;
  const [channels, height, width] = layout === 'channels-first' ? [a, b, c] : [c, a, b];
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const share = (r: [number, number]) => {
    let inside = 0;
    const slack = (r[1] - r[0]) * 0.02;
    for (let i = 0; i < values.length; i++) if (values[i] >= r[0] - slack && values[i] <= r[1] + slack) inside++;
    return inside / Math.max(1, values.length);
  };
  const known = IMAGE_RANGES.find((r) => share(r.range) >= 0.995);
  const range: [number, number] = known ? known.range : [Number.isFinite(lo) ? lo : 0, Number.isFinite(hi) && hi > lo ? hi : lo + 1];
  const rangeBasis = known ? known.basis : `the output's own range`;
  const rgba = new Uint8Array(n * height * width * 4);
  const scale = 255 / (range[1] - range[0]);
  const plane = height * width;
  for (let i = 0; i < n; i++)
    for (let p = 0; p < plane; p++) {
      const at = (ch: number) => values[layout === 'channels-first' ? (i * channels + ch) * plane + p : (i * plane + p) * channels + ch];
      const o = (i * plane + p) * 4;
      for (let k = 0; k < 3; k++) rgba[o + k] = Math.max(0, Math.min(255, Math.round((at(channels === 3 ? k : 0) - range[0]) * scale)));
      rgba[o + 3] = 255;
    }
  return { role: 'image', rgba: { dtype: 'uint8', dims: [n, height, width, 4], data: rgba }, range, rangeBasis, layout };
}

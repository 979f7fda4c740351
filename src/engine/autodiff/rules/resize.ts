/**
 * VJP rules: Resize (opsets 10, 11–17, 18+) and Upsample (opsets 7–8, 9).
 *
 * For fixed scales/sizes the op is linear in X and separable per axis: y = (W_0 ⊗ W_1 ⊗ …) x, where W_a is
 * the (out_a × in_a) interpolation matrix of axis a. The matrices are built here exactly as onnxruntime's CPU
 * kernels compute them (float32 coordinate arithmetic, nearest rounding, linear/cubic weights, exclude_outside
 * renormalisation, antialias kernel stretching, tf_crop_and_resize extrapolation rows), and the backward applies
 * W_aᵀ along every axis whose W_a is not the identity. Only X gets a gradient: roi/scales/sizes are static.
 */
import type { VjpContext } from '../context';
import { singleInput } from './common';

type Mode = 'nearest' | 'linear' | 'cubic';
type CoordMode =
  | 'half_pixel'
  | 'half_pixel_symmetric'
  | 'pytorch_half_pixel'
  | 'align_corners'
  | 'asymmetric'
  | 'tf_half_pixel_for_nn'
  | 'tf_crop_and_resize';
/** `simple` is the pre-opset-11 rounding (truncate when upsampling, ceil when downsampling). */
type NearestMode = 'simple' | 'round_prefer_floor' | 'round_prefer_ceil' | 'floor' | 'ceil';

/** Everything that determines the interpolation matrices, normalised to full rank. */
export interface ResizeSpec {
  mode: Mode;
  coord: CoordMode;
  nearest: NearestMode;
  cubicA: number;
  excludeOutside: boolean;
  /** Whether onnxruntime's antialias kernel computes it (antialias=1, or a cubic NHWC-like resize). */
  antialias: boolean;
  /** Per-axis scale used by the coordinate transform (float32 values). */
  scales: number[];
  /** [starts…, ends…] per axis (only read by tf_crop_and_resize). */
  roi: number[];
  inShape: number[];
  outShape: number[];
}

/** The subset of VjpContext the planner reads (so tests can drive it without a backward graph). */
export type ResizeNodeView = Pick<VjpContext, 'opset' | 'attr' | 'hasInput' | 'maybeValues' | 'inShape' | 'outShape' | 'fail'>;

const f = Math.fround;

const COORD_MODES: readonly string[] = [
  'half_pixel',
  'half_pixel_symmetric',
  'pytorch_half_pixel',
  'align_corners',
  'asymmetric',
  'tf_half_pixel_for_nn',
  'tf_crop_and_resize',
];
const NEAREST_MODES: readonly string[] = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];

/** Reads the node's attributes and static inputs into a ResizeSpec (per onnxruntime's UpsampleBase). */
function resizeSpec(c: ResizeNodeView, op: 'Resize' | 'Upsample'): ResizeSpec {
  const inShape = c.inShape(0);
  const outShape = c.outShape(0);
  const rank = inShape.length;
  const mode = c.attr<string>('mode', 'nearest');
  if (mode !== 'nearest' && mode !== 'linear' && mode !== 'cubic') c.fail(`attribute mode=${mode} is not supported`);
  if (op === 'Upsample' && mode === 'cubic') c.fail('attribute mode=cubic is not supported by Upsample');
  const modern = op === 'Resize' && c.opset >= 11;
  const coord = modern ? c.attr<string>('coordinate_transformation_mode', 'half_pixel') : 'asymmetric';
  // The ONNX schema and onnxruntime spell the opset-11 mode tf_half_pixel_for_nn (deprecated, still accepted).
  if (!COORD_MODES.includes(coord)) c.fail(`attribute coordinate_transformation_mode=${coord} is not supported`);
  const nearest = mode === 'nearest' && modern ? c.attr<string>('nearest_mode', 'round_prefer_floor') : 'simple';
  if (nearest !== 'simple' && !NEAREST_MODES.includes(nearest)) c.fail(`attribute nearest_mode=${nearest} is not supported`);
  const v18 = op === 'Resize' && c.opset >= 18;
  // onnxruntime runs 4-D cubic resizes along axes 1-2 (NHWC) through its antialias kernel even without
  // antialias: same weights when upsampling, but an axis whose size is unchanged is copied.
  const nhwcCubic = mode === 'cubic' && rank === 4;
  const antialiasAttr = v18 && c.attr<number>('antialias', 0) !== 0 && mode !== 'nearest';
  const excludeOutside = modern && c.attr<number>('exclude_outside', 0) !== 0;
  const cubicA = c.attr<number>('cubic_coeff_a', -0.75);
  const axes = (v18 ? c.attr<number[]>('axes', []) : []).map((a) => (a < 0 ? a + rank : a));
  if (axes.some((a) => a < 0 || a >= rank)) c.fail(`attribute axes=[${axes}] is out of range for rank ${rank}`);
  const policy = v18 ? c.attr<string>('keep_aspect_ratio_policy', 'stretch') : 'stretch';
  if (!['stretch', 'not_larger', 'not_smaller'].includes(policy)) c.fail(`attribute keep_aspect_ratio_policy=${policy} is not supported`);

  // Spread a per-`axes` list over all axes (opset 18); without `axes` it must already cover every axis.
  const full = (vals: number[], fill: number, what: string): number[] => {
    if (!axes.length) {
      if (vals.length !== rank) c.fail(`${what} has ${vals.length} values for a rank-${rank} input`);
      return vals;
    }
    if (vals.length !== axes.length) c.fail(`${what} has ${vals.length} values for ${axes.length} axes`);
    const out = new Array<number>(rank).fill(fill);
    axes.forEach((a, i) => (out[a] = vals[i]));
    return out;
  };

  let scales: number[];
  if (op === 'Upsample' && c.opset < 9) {
    scales = c.attr<number[]>('scales', []);
    if (scales.length !== rank) c.fail(`attribute scales has ${scales.length} values for a rank-${rank} input`);
  } else if (!modern) {
    scales = full(c.maybeValues(1) ?? [], 1, 'input scales');
  } else {
    const given = c.hasInput(2) ? c.maybeValues(2) : undefined;
    const sizes = c.hasInput(3) ? c.maybeValues(3) : undefined;
    if (given && given.length) {
      scales = full(given, 1, 'input scales');
    } else if (sizes && sizes.length) {
      // Only sizes given: the transform uses out/in (float32), then the aspect-ratio policy (opset 18).
      const outDims = full(sizes, NaN, 'input sizes').map((s, i) => (Number.isNaN(s) ? inShape[i] : s));
      scales = outDims.map((o, i) => (inShape[i] === 0 ? 1 : f(o / inShape[i])));
      if (policy !== 'stretch') {
        const on = (i: number) => !axes.length || axes.includes(i);
        const picked = scales.filter((_, i) => on(i));
        const s = policy === 'not_larger' ? Math.min(...picked) : Math.max(...picked);
        scales = scales.map((_, i) => (on(i) ? s : 1));
      }
    } else {
      return c.fail('one of the inputs scales or sizes must be given');
    }
  }
  scales = scales.map(f);
  const antialias = antialiasAttr || (nhwcCubic && scales[1] !== 1);

  let roi = [...new Array<number>(rank).fill(0), ...new Array<number>(rank).fill(1)];
  if (coord === 'tf_crop_and_resize' && c.hasInput(1)) {
    const r = c.maybeValues(1) ?? [];
    if (r.length) {
      const n = axes.length || rank;
      if (r.length !== 2 * n) c.fail(`input roi has ${r.length} values, expected ${2 * n}`);
      roi = [...full(r.slice(0, n), 0, 'input roi'), ...full(r.slice(n), 1, 'input roi')].map(f);
    }
  }
  return { mode, coord: coord as CoordMode, nearest: nearest as NearestMode, cubicA: f(cubicA), excludeOutside, antialias, scales, roi, inShape, outShape };
}

/** onnxruntime's GetOriginalCoordinateFromResizedCoordinate, with its float32 arithmetic. */
function originalCoordinate(coord: CoordMode, x: number, scale: number, lenR: number, lenO: number, rs: number, re: number): number {
  switch (coord) {
    case 'asymmetric':
      return f(x / scale);
    case 'pytorch_half_pixel':
      return lenR > 1 ? f(f(f(x + 0.5) / scale) - 0.5) : 0;
    case 'tf_half_pixel_for_nn':
      return f(f(x + 0.5) / scale);
    case 'align_corners':
      return lenR === 1 ? 0 : f(f(x * (lenO - 1)) / (lenR - 1));
    case 'tf_crop_and_resize':
      return lenR > 1
        ? f(f(rs * (lenO - 1)) + f(f(f(x * f(re - rs)) * (lenO - 1)) / (lenR - 1)))
        : f(0.5 * f(rs + re) * (lenO - 1));
    case 'half_pixel_symmetric': {
      const adjustment = f(lenR / f(scale * lenO));
      const offset = f(f(lenO / 2) * f(1 - adjustment));
      return f(offset + (x + 0.5) / scale - 0.5); // this part is evaluated in double by onnxruntime
    }
    default:
      return f(f(f(x + 0.5) / scale) - 0.5);
  }
}

/** C's std::round (halves away from zero). */
const roundAway = (x: number) => Math.sign(x) * Math.floor(Math.abs(x) + 0.5);

function nearestPixel(mode: NearestMode, x: number, downsample: boolean): number {
  switch (mode) {
    case 'simple':
      return downsample ? Math.ceil(x) : Math.trunc(x);
    case 'round_prefer_ceil':
      return roundAway(x);
    case 'floor':
      return Math.floor(x);
    case 'ceil':
      return Math.ceil(x);
    default:
      return x === f(Math.trunc(x) + 0.5) ? Math.floor(x) : roundAway(x);
  }
}

/** Keys cubic convolution coefficients for the 4 taps around a fractional offset s (GetCubicCoeffs). */
function cubicCoeffs(s: number, a: number): number[] {
  const k = (d: number) => {
    const t = Math.abs(d);
    if (t <= 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
    if (t < 2) return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a;
    return 0;
  };
  return [k(s + 1), k(s), k(1 - s), k(2 - s)];
}

/** Antialias filters (Pillow's, as used by onnxruntime's upsample_aa.h). */
function aaFilter(mode: Mode, a: number, x: number): number {
  const t = Math.abs(x);
  if (mode === 'linear') return t < 1 ? 1 - t : 0;
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
}

/**
 * The (out × in) interpolation matrix of one axis, row-major, or undefined when the axis is passed through
 * unchanged: onnxruntime skips the transform for scale 1 (rank > 1 for nearest), and its antialias kernel
 * copies any axis whose size is unchanged.
 */
function axisMatrix(spec: ResizeSpec, axis: number): Float64Array | undefined {
  const { mode, coord, inShape, outShape } = spec;
  const rank = inShape.length;
  const lenO = inShape[axis];
  const lenR = outShape[axis];
  const scale = spec.scales[axis];
  const antialias = spec.antialias && mode !== 'nearest';
  if (antialias ? lenR === lenO : scale === 1 && (mode !== 'nearest' || rank > 1)) return undefined;
  const extrapolate = coord === 'tf_crop_and_resize';
  const rs = spec.roi[axis];
  const re = spec.roi[rank + axis];
  const orig = (i: number) => originalCoordinate(coord, i, scale, lenR, lenO, rs, re);
  const W = new Float64Array(lenR * lenO);
  const clampIdx = (j: number) => Math.max(0, Math.min(j, lenO - 1));

  for (let i = 0; i < lenR; i++) {
    const row = i * lenO;
    if (antialias) {
      // upsample_aa.h: a (stretched when downsampling) filter centred on the source coordinate, normalised.
      const sc = f(1 / scale);
      const supportSize = mode === 'cubic' ? 4 : 2;
      const support = sc >= 1 ? f(supportSize * 0.5 * sc) : supportSize * 0.5;
      const inv = sc >= 1 ? f(1 / sc) : 1;
      const center = f(0.5 + (sc === 1 ? i : orig(i)));
      if (extrapolate && (f(center - 0.5) < 0 || f(center - 0.5) > lenO - 1)) continue; // extrapolation_value: no gradient
      const lo = Math.floor(f(f(center - support) + 0.5));
      const hi = Math.floor(f(f(center + support) + 0.5));
      const from = spec.excludeOutside ? Math.max(lo, 0) : lo;
      const to = spec.excludeOutside ? Math.min(hi, lenO) : hi;
      let total = 0;
      const taps: [number, number][] = [];
      for (let j = from; j < to; j++) {
        const w = aaFilter(mode, spec.cubicA, f(f(f(j - center) + 0.5) * inv));
        total += w;
        taps.push([clampIdx(j), w]); // without exclude_outside, outside taps fold onto the edge samples
      }
      const norm = total === 0 ? 1 : 1 / total;
      for (const [j, w] of taps) W[row + j] += w * norm;
      continue;
    }
    const x = orig(i);
    if (extrapolate && (x < 0 || x > lenO - 1)) continue; // extrapolation_value: no gradient
    if (mode === 'nearest') {
      W[row + clampIdx(nearestPixel(spec.nearest, x, scale < 1))] = 1;
    } else if (mode === 'linear') {
      const xc = Math.max(0, Math.min(x, lenO - 1));
      const x1 = Math.min(Math.trunc(xc), lenO - 1);
      const x2 = Math.min(x1 + 1, lenO - 1);
      if (x1 === x2) W[row + x1] += 1;
      else {
        W[row + x1] += Math.abs(xc - x2);
        W[row + x2] += Math.abs(xc - x1);
      }
    } else {
      const xi = Math.floor(x);
      const coeffs = cubicCoeffs(f(x - xi), spec.cubicA);
      let sum = 1;
      if (spec.excludeOutside) {
        // Taps outside the input get weight 0 and the rest are renormalised to sum to 1.
        sum = 0;
        coeffs.forEach((w, k) => {
          const j = xi - 1 + k;
          if (j < 0 || j >= lenO) coeffs[k] = 0;
          else sum += w;
        });
      }
      coeffs.forEach((w, k) => (W[row + clampIdx(xi - 1 + k)] += w / sum)); // edge padding outside
    }
  }
  return W;
}

/** Interpolation matrix per axis (undefined = identity), for the node's static configuration. */
export function resizeMatrices(c: ResizeNodeView, op: 'Resize' | 'Upsample'): (Float64Array | undefined)[] {
  const spec = resizeSpec(c, op);
  // onnxruntime's antialias kernel for NHWC-like 4-D inputs (scales [1, h, w, 1]) writes extrapolation_value
  // at NCHW offsets, so its output is not the documented tf_crop_and_resize result: decline rather than guess.
  if (spec.antialias && spec.coord === 'tf_crop_and_resize' && spec.inShape.length === 4 && spec.scales[1] !== 1)
    c.fail(`mode=${spec.mode}${spec.mode === 'linear' ? ' with antialias=1' : ''} and coordinate_transformation_mode=tf_crop_and_resize on a 4-D input resized along axis 1 is not supported`);
  const same = spec.inShape.every((d, i) => d === spec.outShape[i]);
  // onnxruntime copies the input when no dimension changes, whatever the mode or roi.
  return spec.inShape.map((_, a) => (same ? undefined : axisMatrix(spec, a)));
}

function transposed(W: Float64Array, rows: number, cols: number): Float64Array {
  const t = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = W[i * cols + j];
  return t;
}

/** dx = dy contracted with W_a along every resized axis: MatMul against a constant (transposes for outer axes). */
function resizeVjp(op: 'Resize' | 'Upsample') {
  return (c: VjpContext, dy: string) => {
    const mats = resizeMatrices(c, op);
    const inShape = c.inShape(0);
    const outShape = c.outShape(0);
    const rank = inShape.length;
    let g = dy;
    for (let a = rank - 1; a >= 0; a--) {
      const W = mats[a];
      if (!W) continue;
      const o = outShape[a];
      const n = inShape[a];
      if (a === rank - 1) {
        g = c.op('MatMul', [g, c.constant([o, n], W)]);
      } else if (a === rank - 2) {
        g = c.op('MatMul', [c.constant([n, o], transposed(W, o, n)), g]);
      } else {
        // Swap axis a with the last one (a self-inverse permutation), contract, swap back.
        const perm = [...Array(rank).keys()];
        perm[a] = rank - 1;
        perm[rank - 1] = a;
        const t = c.op('Transpose', [g], { perm });
        g = c.op('Transpose', [c.op('MatMul', [t, c.constant([o, n], W)])], { perm });
      }
    }
    return g;
  };
}

// Upsample-7 takes scales as an attribute, Upsample-9 as input 1; both use asymmetric coordinates and
// pre-opset-11 nearest rounding. Upsample was removed at opset 10.
singleInput('Upsample', { since: 7, until: 8 }, resizeVjp('Upsample'));
singleInput('Upsample', { since: 9, until: 9 }, resizeVjp('Upsample'));
// Resize-10: (X, scales), asymmetric coordinates only.
singleInput('Resize', { since: 10, until: 10 }, resizeVjp('Resize'));
// Resize-11..17: (X, roi, scales, sizes) with coordinate_transformation_mode, nearest_mode, cubic options.
singleInput('Resize', { since: 11, until: 17 }, resizeVjp('Resize'));
// Resize-18+: adds antialias, axes, keep_aspect_ratio_policy (and half_pixel_symmetric at 19).
singleInput('Resize', { since: 18 }, resizeVjp('Resize'));

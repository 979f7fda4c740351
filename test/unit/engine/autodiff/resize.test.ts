import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { resizeMatrices, type ResizeNodeView } from '../../../../src/engine/autodiff/rules/resize';
import { ElemType, ModelProto, attr, encodeModel } from '../../../../src/engine/onnx/proto';
import { makeTensor } from '../../../../src/engine/onnx/tensorData';
import { GradCase, gradCheck, rng } from '../../../support/gradcheck';

ort.env.logLevel = 'error';

type Attrs = Record<string, number | number[] | string | { f: number } | { fs: number[] }>;

/** A Resize/Upsample configuration: X's dims plus the static inputs (absent when undefined). */
interface Cfg {
  op?: 'Resize' | 'Upsample';
  opset: number;
  x: number[];
  roi?: number[];
  scales?: number[];
  sizes?: number[];
  attrs?: Attrs;
}

/** The node's inputs in gradCheck's form, laid out per opset (Resize-10/Upsample-9: X, scales). */
function inputs(c: Cfg): GradCase['inputs'] {
  const op = c.op ?? 'Resize';
  if (op === 'Upsample' && c.opset < 9) return [{ dims: c.x }];
  if (c.opset < 11) return [{ dims: c.x }, { dims: [c.scales!.length], data: c.scales!, constant: 'float' }];
  const list: GradCase['inputs'] = [
    { dims: c.x },
    c.roi ? { dims: [c.roi.length], data: c.roi, constant: 'float' } : c.opset < 13 ? { dims: [0], data: [], constant: 'float' } : { dims: [0], absent: true },
    c.scales ? { dims: [c.scales.length], data: c.scales, constant: 'float' } : c.opset < 13 ? { dims: [0], data: [], constant: 'float' } : { dims: [0], absent: true },
  ];
  if (c.sizes) list.push({ dims: [c.sizes.length], data: c.sizes, constant: 'int64' });
  return list;
}

function toAttr(k: string, v: Attrs[string]) {
  if (typeof v === 'number') return attr.int(k, v);
  if (typeof v === 'string') return attr.string(k, v);
  if (Array.isArray(v)) return attr.ints(k, v);
  if ('f' in v) return attr.float(k, v.f);
  return attr.floats(k, v.fs);
}

/** Runs the op in onnxruntime (float32) on x; undefined when onnxruntime refuses the configuration. */
async function runOrt(c: Cfg, x: Float32Array): Promise<ort.Tensor | undefined> {
  const names: string[] = [];
  const initializer = inputs(c).flatMap((inp, i) => {
    if (inp.absent) {
      names.push('');
      return [];
    }
    names.push(`x${i}`);
    if (i === 0) return [];
    return [makeTensor(`x${i}`, inp.constant === 'int64' ? ElemType.INT64 : ElemType.FLOAT, inp.dims, inp.data!)];
  });
  const proto: ModelProto = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: c.opset }],
    graph: {
      name: 'resize',
      node: [{ name: 'n', opType: c.op ?? 'Resize', input: names, output: ['y'], attribute: Object.entries(c.attrs ?? {}).map(([k, v]) => toAttr(k, v)) }],
      input: [{ name: 'x0', type: { tensorType: { elemType: ElemType.FLOAT, shape: { dim: c.x.map((d) => ({ dimValue: d })) } } } }],
      initializer,
      output: [{ name: 'y' }],
    },
  };
  let s: ort.InferenceSession;
  try {
    s = await ort.InferenceSession.create(encodeModel(proto), { intraOpNumThreads: 1, logSeverityLevel: 3 });
  } catch {
    return undefined;
  }
  try {
    return (await s.run({ x0: new ort.Tensor('float32', x, c.x) }))['y'];
  } catch {
    return undefined;
  } finally {
    await s.release();
  }
}

/** The planner's view of the node, as the backward builder would give it. */
function view(c: Cfg, outShape: number[]): ResizeNodeView {
  const inp = inputs(c);
  return {
    opset: c.opset,
    attr: <T>(name: string, fallback: T) => ((c.attrs ?? {})[name] === undefined ? fallback : (unwrap(c.attrs![name]) as T)),
    hasInput: (i) => !!inp[i] && !inp[i].absent,
    maybeValues: (i) => (inp[i] && !inp[i].absent ? inp[i].data : undefined),
    inShape: () => c.x,
    outShape: () => outShape,
    fail: (m) => {
      throw new Error(m);
    },
  };
}
const unwrap = (v: Attrs[string]) => (typeof v === 'object' && !Array.isArray(v) ? ('f' in v ? v.f : v.fs) : v);

/** y = (W_0 ⊗ W_1 ⊗ …) x, one axis at a time. */
function applyMatrices(x: Float64Array, dims: number[], mats: (Float64Array | undefined)[], outDims: number[]): Float64Array {
  let data = x;
  const cur = [...dims];
  mats.forEach((W, a) => {
    if (!W) return;
    const n = cur[a];
    const o = outDims[a];
    const outer = cur.slice(0, a).reduce((p, q) => p * q, 1);
    const inner = cur.slice(a + 1).reduce((p, q) => p * q, 1);
    const next = new Float64Array(outer * o * inner);
    for (let p = 0; p < outer; p++)
      for (let i = 0; i < o; i++)
        for (let j = 0; j < n; j++) {
          const w = W[i * n + j];
          if (w === 0) continue;
          for (let q = 0; q < inner; q++) next[(p * o + i) * inner + q] += w * data[(p * n + j) * inner + q];
        }
    data = next;
    cur[a] = o;
  });
  return data;
}

/**
 * Compares the planner's interpolation matrices with onnxruntime's forward on random data: 'ok', 'refused'
 * (onnxruntime rejects the configuration), or a description of the first mismatch.
 */
async function compareWithOrt(c: Cfg): Promise<string> {
  const n = c.x.reduce((a, b) => a * b, 1);
  const r = rng(7);
  const x = Float32Array.from({ length: n }, () => r() * 2 - 1);
  const y = await runOrt(c, x);
  if (!y) return 'refused';
  const outDims = [...y.dims];
  let mats: (Float64Array | undefined)[];
  try {
    mats = resizeMatrices(view(c, outDims), c.op ?? 'Resize');
  } catch (e) {
    return `unsupported: ${(e as Error).message}`;
  }
  const ours = applyMatrices(Float64Array.from(x), c.x, mats, outDims);
  const theirs = y.data as Float32Array;
  assert.equal(ours.length, theirs.length);
  // Outputs whose matrix row is empty are extrapolated: onnxruntime writes extrapolation_value there.
  const crop = c.attrs?.coordinate_transformation_mode === 'tf_crop_and_resize';
  const ev = crop ? (unwrap(c.attrs!.extrapolation_value ?? { f: 0 }) as number) : 0;
  const reach = crop ? applyMatrices(new Float64Array(n).fill(1), c.x, mats, outDims) : undefined;
  for (let k = 0; k < ours.length; k++) {
    const expect = reach && reach[k] === 0 ? ev : ours[k];
    if (!(Math.abs(expect - theirs[k]) <= 2e-5)) return `${JSON.stringify(c)}: output ${k} of [${outDims}]: ours ${expect}, onnxruntime ${theirs[k]}`;
  }
  return 'ok';
}

/**
 * Checks configurations against onnxruntime. Returns those onnxruntime refuses and those the rule declines
 * (the caller says which it expects); any other difference fails.
 */
async function expectMatches(cfgs: Cfg[]): Promise<{ refused: Cfg[]; unsupported: Cfg[] }> {
  const refused: Cfg[] = [];
  const unsupported: Cfg[] = [];
  const wrong: string[] = [];
  for (const c of cfgs) {
    const r = await compareWithOrt(c);
    if (r === 'refused') refused.push(c);
    else if (r.startsWith('unsupported')) unsupported.push(c);
    else if (r !== 'ok') wrong.push(r);
  }
  assert.deepEqual(wrong, [], `${wrong.length} of ${cfgs.length} configurations differ from onnxruntime`);
  return { refused, unsupported };
}

const NONE = { refused: [], unsupported: [] };

const COORDS_11 = ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn', 'tf_crop_and_resize'];
const COORDS_19 = [...COORDS_11, 'half_pixel_symmetric'];
const NEAREST = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];
/** A crop that cuts into the start and reaches past the end of every resized axis (so some outputs extrapolate). */
const roiFor = (scales: number[]): number[] => [...scales.map((s) => (s === 1 ? 0 : 0.1)), ...scales.map((s) => (s === 1 ? 1 : 1.1))];
const ROI4 = [0, 0, 0.2, -0.1, 1, 1, 0.9, 1.15];

/** Scales exercising up/down, integer and non-integer factors on a [1,2,3,4] NCHW input. */
const SCALES4 = [
  [1, 1, 2, 2],
  [1, 1, 0.5, 0.5],
  [1, 1, 1.7, 0.6],
  [1, 1, 0.75, 2.5],
  [1, 1, 1, 1.5],
];

const withCrop = (cm: string, scales: number[], attrs: Attrs): Pick<Cfg, 'roi' | 'attrs'> =>
  cm === 'tf_crop_and_resize' ? { roi: roiFor(scales), attrs: { ...attrs, extrapolation_value: { f: 3 } } } : { attrs };

describe('Resize/Upsample interpolation matrices match onnxruntime', () => {
  test('nearest: every coordinate_transformation_mode × nearest_mode, up/down/non-integer, 4-D', async () => {
    const cfgs: Cfg[] = [];
    for (const cm of COORDS_19)
      for (const nm of NEAREST)
        for (const scales of SCALES4)
          cfgs.push({ opset: 19, x: [1, 2, 3, 4], scales, ...withCrop(cm, scales, { mode: 'nearest', coordinate_transformation_mode: cm, nearest_mode: nm }) });
    assert.deepEqual(await expectMatches(cfgs), NONE);
  });

  test('linear and cubic: every coordinate_transformation_mode × exclude_outside × cubic_coeff_a, 4-D NCHW', async () => {
    const cfgs: Cfg[] = [];
    for (const cm of COORDS_19)
      for (const extra of [
        { mode: 'linear' },
        { mode: 'cubic' },
        { mode: 'cubic', exclude_outside: 1 },
        { mode: 'cubic', cubic_coeff_a: { f: -0.5 } },
        { mode: 'cubic', exclude_outside: 1, cubic_coeff_a: { f: -0.6 } },
      ] as Attrs[])
        for (const scales of SCALES4) cfgs.push({ opset: 19, x: [1, 2, 3, 4], scales, ...withCrop(cm, scales, { ...extra, coordinate_transformation_mode: cm }) });
    assert.deepEqual(await expectMatches(cfgs), NONE);
  });

  test('antialias (opset 18/19): linear/cubic × exclude_outside × coordinate modes, down/up/non-integer', async () => {
    const cfgs: Cfg[] = [];
    const cases: [number[], number[]][] = [
      [[1, 2, 7, 9], [1, 1, 0.5, 0.5]],
      [[1, 2, 7, 9], [1, 1, 0.3, 0.6]],
      [[1, 2, 7, 9], [1, 1, 0.45, 1.6]],
      [[1, 2, 7, 9], [1, 1, 2, 1.5]],
      [[1, 2, 7, 9], [1, 1, 1, 0.4]],
      [[7, 9], [0.5, 0.35]],
      [[7, 9], [1.5, 0.7]],
      [[1, 7, 9, 2], [1, 0.5, 0.6, 1]],
      [[1, 7, 9, 2], [1, 1.5, 0.4, 1]],
    ];
    for (const [x, scales] of cases)
      for (const mode of ['linear', 'cubic'])
        for (const eo of [0, 1])
          for (const cm of COORDS_19)
            cfgs.push({ opset: 19, x, scales, ...withCrop(cm, scales, { mode, antialias: 1, exclude_outside: eo, coordinate_transformation_mode: cm }) });
    // Trilinear (3-D, 5-D NCDHW): linear only.
    for (const [x, scales] of [
      [[5, 6, 7], [0.6, 0.5, 0.45]],
      [[1, 1, 5, 6, 7], [1, 1, 0.4, 1.5, 0.5]],
    ])
      for (const eo of [0, 1])
        for (const cm of COORDS_19)
          cfgs.push({ opset: 19, x, scales, ...withCrop(cm, scales, { mode: 'linear', antialias: 1, exclude_outside: eo, coordinate_transformation_mode: cm }) });
    // onnxruntime's NHWC antialias kernel misplaces extrapolated outputs; the rule declines those.
    const { refused, unsupported } = await expectMatches(cfgs);
    assert.deepEqual(refused, []);
    assert.deepEqual(
      unsupported,
      cfgs.filter((c) => c.x.length === 4 && c.scales![1] !== 1 && c.attrs!.coordinate_transformation_mode === 'tf_crop_and_resize'),
    );
  });

  test('other ranks and layouts: 1-D, 2-D, 3-D, 5-D, NHWC, outer axes, unchanged sizes', async () => {
    const cfgs: Cfg[] = [];
    const add = (x: number[], scales: number[], modes: Attrs[], coords = ['half_pixel', 'align_corners', 'asymmetric', 'pytorch_half_pixel']) => {
      for (const m of modes) for (const cm of coords) cfgs.push({ opset: 13, x, scales, ...withCrop(cm, scales, { ...m, coordinate_transformation_mode: cm }) });
    };
    const N = { mode: 'nearest' };
    const NC = { mode: 'nearest', nearest_mode: 'ceil' };
    const L = { mode: 'linear' };
    const C = { mode: 'cubic' };
    add([5], [1.6], [N, NC]);
    add([5], [0.5], [N, NC]);
    add([5], [1.1], [N]); // output 5: no dimension changes
    add([5], [1.3], [N]); // output 6
    add([3, 4], [1.5, 0.6], [N, L, C], [...COORDS_11, 'half_pixel_symmetric']);
    add([3, 4], [2, 3], [L, C]);
    add([2, 3, 4], [1.5, 0.7, 2], [N, L]);
    add([2, 3, 4], [2, 1, 1], [N, L]);
    add([1, 1, 2, 3, 4], [1, 1, 1.5, 0.7, 2], [N, L]);
    add([2, 3, 2, 2], [1.5, 0.7, 1, 2], [N]);
    add([1, 3, 4, 2], [1, 1.5, 0.6, 1], [N, L], COORDS_11);
    add([1, 3, 4, 2], [1, 2, 2.5, 1], [C], COORDS_11);
    add([1, 2, 3, 4], [1, 1, 1.2, 2], [N, L, C]); // axis 2 keeps its size with a scale ≠ 1
    add([1, 3, 4, 2], [1, 1.2, 2, 1], [N, L, C], COORDS_11); // same on axis 1 (NHWC cubic copies it)
    const { refused, unsupported } = await expectMatches(cfgs);
    // onnxruntime computes NHWC cubic with its antialias kernel, whose extrapolation is misplaced.
    assert.deepEqual(
      unsupported,
      cfgs.filter((c) => c.x.length === 4 && c.scales![1] !== 1 && c.attrs!.mode === 'cubic' && c.attrs!.coordinate_transformation_mode === 'tf_crop_and_resize'),
    );
    assert.deepEqual(refused, []);
  });

  test('configurations onnxruntime refuses (no gradient to match)', async () => {
    const cfgs: Cfg[] = [
      { opset: 13, x: [2, 3, 4], scales: [1.5, 0.7, 2], attrs: { mode: 'cubic' } },
      { opset: 13, x: [1, 3, 4, 2], scales: [1, 0.5, 0.6, 1], attrs: { mode: 'cubic' } },
      { opset: 13, x: [2, 3, 2, 2], scales: [1.5, 0.7, 1, 2], attrs: { mode: 'linear' } },
      { opset: 13, x: [1, 2, 3, 4], scales: [1, 1, 2, 2], attrs: { mode: 'linear', exclude_outside: 1 } },
      { opset: 18, x: [1, 2, 3, 4], scales: [1, 1, 2, 0.5], attrs: { mode: 'nearest', antialias: 1 } },
      { opset: 13, x: [1, 2, 3, 4], scales: [1, 1, 2, 2], attrs: { coordinate_transformation_mode: 'tf_half_pixel_for_nearest' } },
      { op: 'Upsample', opset: 9, x: [1, 2, 3, 4], scales: [1, 1, 2, 0.5] },
    ];
    const { refused } = await expectMatches(cfgs);
    assert.deepEqual(refused, cfgs);
  });

  test('sizes instead of scales, axes and keep_aspect_ratio_policy (opset 18), roi with axes', async () => {
    const cfgs: Cfg[] = [];
    for (const mode of ['nearest', 'linear', 'cubic'])
      for (const cm of ['half_pixel', 'align_corners', 'asymmetric', 'tf_crop_and_resize']) {
        const crop = cm === 'tf_crop_and_resize';
        const attrs: Attrs = { mode, coordinate_transformation_mode: cm, extrapolation_value: { f: 3 } };
        for (const sizes of [
          [1, 2, 5, 7],
          [1, 2, 2, 3],
          [1, 2, 7, 3],
        ])
          cfgs.push({ opset: 13, x: [1, 2, 3, 4], sizes, roi: crop ? roiFor(sizes.map((s, i) => s / [1, 2, 3, 4][i])) : undefined, attrs });
        cfgs.push({ opset: 11, x: [1, 2, 3, 4], sizes: [1, 2, 5, 3], roi: crop ? ROI4 : undefined, attrs });
        cfgs.push({ opset: 18, x: [1, 2, 3, 4], scales: [1.7, 0.6], roi: crop ? [0.1, -0.1, 0.8, 1.2] : undefined, attrs: { ...attrs, axes: [2, 3] } });
        cfgs.push({ opset: 18, x: [1, 2, 3, 4], sizes: [7, 5], roi: crop ? [0.1, -0.1, 0.8, 1.2] : undefined, attrs: { ...attrs, axes: [3, -2] } });
        cfgs.push({ opset: 18, x: [1, 2, 3, 4], scales: [0.6], attrs: { ...attrs, axes: [-1] } });
        for (const policy of ['stretch', 'not_larger', 'not_smaller'])
          cfgs.push({ opset: 18, x: [1, 2, 3, 4], sizes: [5, 7], attrs: { ...attrs, axes: [2, 3], keep_aspect_ratio_policy: policy } });
        // A crop whose output keeps the input's shape is a plain copy in onnxruntime.
        cfgs.push({ opset: 18, x: [1, 2, 3, 4], sizes: [1, 2, 3, 4], roi: crop ? ROI4 : undefined, attrs });
      }
    // Without axes the policy's common scale also applies to N and C (nearest handles any axis).
    cfgs.push({ opset: 18, x: [1, 2, 3, 4], sizes: [1, 2, 5, 7], attrs: { mode: 'nearest', keep_aspect_ratio_policy: 'not_smaller' } });
    cfgs.push({ opset: 18, x: [1, 2, 3, 4], sizes: [1, 2, 5, 7], attrs: { mode: 'nearest', keep_aspect_ratio_policy: 'not_larger' } });
    // Antialias with sizes.
    for (const mode of ['linear', 'cubic']) cfgs.push({ opset: 18, x: [1, 2, 7, 9], sizes: [1, 2, 3, 4], attrs: { mode, antialias: 1 } });
    assert.deepEqual(await expectMatches(cfgs), NONE);
  });

  test('Resize-10, Upsample-7 and Upsample-9: asymmetric coordinates, pre-opset-11 nearest rounding', async () => {
    const cfgs: Cfg[] = [];
    for (const mode of ['nearest', 'linear']) {
      for (const scales of [
        [1, 1, 2, 2],
        [1, 1, 0.5, 0.5],
        [1, 1, 1.5, 0.6],
        [1, 1, 0.7, 2.5],
      ])
        cfgs.push({ opset: 10, x: [1, 2, 3, 4], scales, attrs: { mode } });
      for (const scales of [
        [1, 1, 2, 2],
        [1, 1, 1.5, 2.5],
        [1, 1, 1, 3],
      ]) {
        cfgs.push({ op: 'Upsample', opset: 7, x: [1, 2, 3, 4], attrs: { mode, scales: { fs: scales } } });
        cfgs.push({ op: 'Upsample', opset: 9, x: [1, 2, 3, 4], scales, attrs: { mode } });
      }
    }
    cfgs.push({ opset: 10, x: [2, 3, 4], scales: [1.5, 0.5, 2], attrs: { mode: 'nearest' } });
    cfgs.push({ op: 'Upsample', opset: 8, x: [3, 4], attrs: { mode: 'linear', scales: { fs: [2, 1.5] } } });
    assert.deepEqual(await expectMatches(cfgs), NONE);
  });
});

/** Finite-difference check of the VJP through the real engine (float32: onnxruntime has no float64 Resize). */
const grad = (c: Cfg) => gradCheck({ op: c.op ?? 'Resize', opset: c.opset, inputs: inputs(c), attrs: c.attrs });

describe('VJP rules: Resize/Upsample (finite differences)', () => {
  const X = [1, 1, 3, 4];
  const S = [1, 1, 1.7, 0.6]; // 3 → 5 rows (upsampling), 4 → 2 columns (downsampling), non-integer factors
  for (const cm of COORDS_19) {
    for (const nm of NEAREST)
      test(`nearest ${cm} ${nm}`, () => grad({ opset: 19, x: X, scales: S, ...withCrop(cm, S, { mode: 'nearest', coordinate_transformation_mode: cm, nearest_mode: nm }) }));
    test(`linear ${cm}`, () => grad({ opset: 19, x: X, scales: S, ...withCrop(cm, S, { mode: 'linear', coordinate_transformation_mode: cm }) }));
    for (const eo of [0, 1])
      test(`cubic ${cm} exclude_outside=${eo}`, () =>
        grad({ opset: 19, x: X, scales: S, ...withCrop(cm, S, { mode: 'cubic', coordinate_transformation_mode: cm, exclude_outside: eo, cubic_coeff_a: { f: -0.5 } }) }));
  }

  test('opset 11: tf_half_pixel_for_nn, empty scales with sizes', () =>
    grad({ opset: 11, x: [1, 2, 3, 4], sizes: [1, 2, 5, 3], attrs: { mode: 'nearest', coordinate_transformation_mode: 'tf_half_pixel_for_nn' } }));
  test('opset 11: cubic tf_crop_and_resize with roi', () =>
    grad({ opset: 11, x: [1, 2, 3, 4], scales: [1, 1, 2, 1.5], roi: ROI4, attrs: { mode: 'cubic', coordinate_transformation_mode: 'tf_crop_and_resize', extrapolation_value: { f: 1 } } }));
  test('opset 13: linear with sizes only', () => grad({ opset: 13, x: [1, 2, 3, 4], sizes: [1, 2, 5, 3], attrs: { mode: 'linear' } }));
  test('opset 13: cubic downsampling 2-D', () => grad({ opset: 13, x: [5, 6], scales: [0.6, 0.5], attrs: { mode: 'cubic' } }));
  test('3-D trilinear (outer axis)', () => grad({ opset: 13, x: [2, 3, 4], scales: [1.5, 0.7, 2], attrs: { mode: 'linear', coordinate_transformation_mode: 'align_corners' } }));
  test('5-D trilinear', () => grad({ opset: 13, x: [1, 1, 2, 3, 4], scales: [1, 1, 1.5, 0.7, 2], attrs: { mode: 'linear' } }));
  test('1-D nearest', () => grad({ opset: 13, x: [5], scales: [1.6], attrs: { mode: 'nearest', nearest_mode: 'ceil' } }));
  test('nearest along N and C', () => grad({ opset: 13, x: [2, 3, 2, 2], scales: [1.5, 0.7, 1, 2], attrs: { mode: 'nearest' } }));
  test('NHWC linear', () => grad({ opset: 13, x: [1, 3, 4, 2], scales: [1, 1.5, 0.6, 1], attrs: { mode: 'linear', coordinate_transformation_mode: 'pytorch_half_pixel' } }));
  test('NHWC cubic, an axis keeping its size', () => grad({ opset: 13, x: [1, 3, 4, 2], scales: [1, 1.2, 2, 1], attrs: { mode: 'cubic' } }));
  test('unchanged shape with a crop: identity', () =>
    grad({ opset: 13, x: [1, 2, 3, 4], sizes: [1, 2, 3, 4], roi: ROI4, attrs: { mode: 'linear', coordinate_transformation_mode: 'tf_crop_and_resize' } }));

  test('opset 18: antialias linear downsampling', () => grad({ opset: 18, x: [1, 1, 7, 9], scales: [1, 1, 0.5, 0.6], attrs: { mode: 'linear', antialias: 1 } }));
  test('opset 18: antialias linear exclude_outside, mixed', () =>
    grad({ opset: 18, x: [1, 1, 7, 9], scales: [1, 1, 0.45, 1.6], attrs: { mode: 'linear', antialias: 1, exclude_outside: 1 } }));
  test('opset 18: antialias cubic downsampling', () =>
    grad({ opset: 18, x: [1, 1, 7, 9], scales: [1, 1, 0.3, 0.45], attrs: { mode: 'cubic', antialias: 1, cubic_coeff_a: { f: -0.5 } } }));
  test('opset 18: antialias cubic exclude_outside, tf_crop_and_resize', () =>
    grad({
      opset: 18,
      x: [1, 1, 7, 9],
      scales: [1, 1, 0.5, 0.6],
      roi: roiFor([1, 1, 0.5, 0.6]),
      attrs: { mode: 'cubic', antialias: 1, exclude_outside: 1, coordinate_transformation_mode: 'tf_crop_and_resize', extrapolation_value: { f: 2 } },
    }));
  test('opset 18: antialias 2-D cubic', () => grad({ opset: 18, x: [7, 9], scales: [0.5, 0.35], attrs: { mode: 'cubic', antialias: 1 } }));
  test('opset 18: antialias NHWC linear', () => grad({ opset: 18, x: [1, 7, 9, 2], scales: [1, 0.5, 0.6, 1], attrs: { mode: 'linear', antialias: 1 } }));
  test('opset 18: antialias trilinear 3-D', () => grad({ opset: 18, x: [3, 5, 6], scales: [0.6, 0.5, 0.5], attrs: { mode: 'linear', antialias: 1 } }));
  test('opset 18: axes with scales', () => grad({ opset: 18, x: [1, 2, 3, 4], scales: [1.7, 0.6], attrs: { mode: 'cubic', axes: [2, 3] } }));
  for (const policy of ['not_larger', 'not_smaller'])
    test(`opset 18: sizes with axes, keep_aspect_ratio_policy=${policy}`, () =>
      grad({ opset: 18, x: [1, 2, 3, 4], sizes: [5, 7], attrs: { mode: 'linear', axes: [2, 3], keep_aspect_ratio_policy: policy } }));
  test('opset 18: roi with axes', () =>
    grad({ opset: 18, x: [1, 2, 3, 4], sizes: [7, 5], roi: [0.1, -0.1, 0.8, 1.2], attrs: { mode: 'linear', axes: [3, 2], coordinate_transformation_mode: 'tf_crop_and_resize' } }));

  for (const mode of ['nearest', 'linear']) {
    test(`Resize-10 ${mode}`, () => grad({ opset: 10, x: [1, 2, 3, 4], scales: [1, 1, 1.5, 0.6], attrs: { mode } }));
    test(`Upsample-7 ${mode}`, () => grad({ op: 'Upsample', opset: 7, x: [1, 2, 3, 4], attrs: { mode, scales: { fs: [1, 1, 2, 1.5] } } }));
    test(`Upsample-9 ${mode}`, () => grad({ op: 'Upsample', opset: 9, x: [1, 2, 3, 4], scales: [1, 1, 1.5, 2.5], attrs: { mode } }));
  }
  test('Resize-10 nearest downsampling (ceil)', () => grad({ opset: 10, x: [1, 2, 5, 4], scales: [1, 1, 0.5, 0.7], attrs: { mode: 'nearest' } }));

  test('declines NHWC antialias with tf_crop_and_resize', () =>
    assert.rejects(
      grad({ opset: 18, x: [1, 7, 9, 2], scales: [1, 0.5, 0.6, 1], roi: roiFor([1, 0.5, 0.6, 1]), attrs: { mode: 'linear', antialias: 1, coordinate_transformation_mode: 'tf_crop_and_resize' } }),
      /tf_crop_and_resize on a 4-D input resized along axis 1 is not supported/,
    ));
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { PadMode, padIndexMap, sliceIndices } from '../../../../src/engine/autodiff/rules/shape';
import { ElemType, ModelProto, NodeProto, TensorProto, attr, encodeModel } from '../../../../src/engine/onnx/proto';
import { makeTensor } from '../../../../src/engine/onnx/tensorData';
import { GradInput, gradCheck } from '../../../support/gradcheck';

const I64 = 'int64' as const;
const INT32_MAX = 2147483647;
const INT64_MIN = -(2 ** 63);
const BIG = 2 ** 62;
const ints = (data: number[]): GradInput => ({ dims: [data.length], data, constant: I64 });

/** Runs many one-axis nodes on arange(dim) in one session and returns each output's values. */
async function runMany(opset: number, dim: number, nodes: NodeProto[], inits: TensorProto[]): Promise<number[][]> {
  const proto: ModelProto = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: 'semantics',
      node: nodes,
      input: [{ name: 'x', type: { tensorType: { elemType: ElemType.FLOAT, shape: { dim: [{ dimValue: dim }] } } } }],
      initializer: inits,
      output: nodes.map((n) => ({ name: n.output![0] })),
    },
  };
  // Severity 3: onnx's static shape inference disagrees with the kernel for INT_MAX ends with negative steps.
  const s = await ort.InferenceSession.create(encodeModel(proto), { logSeverityLevel: 3 });
  const r = await s.run({ x: new ort.Tensor('float32', Float32Array.from({ length: dim }, (_, i) => i), [dim]) });
  await s.release();
  return nodes.map((n) => Array.from(r[n.output![0]].data as Float32Array));
}

describe('VJP rules: shape — index semantics match onnxruntime', () => {
  test('Slice start/end/step clamping (opset 9 and 13)', async () => {
    const vals = [INT64_MIN, -INT32_MAX - 1, -7, -5, -4, -2, -1, 0, 1, 2, 3, 4, 5, 7, BIG, INT32_MAX];
    for (const dim of [1, 4]) {
      for (const opset of [9, 13]) {
        const steps = opset === 9 ? [1] : [1, 2, 5, -1, -2, -5];
        const nodes: NodeProto[] = [];
        const inits: TensorProto[] = [];
        const cases: number[][] = [];
        for (const s of vals)
          for (const e of vals)
            for (const st of steps) {
              const i = cases.length;
              cases.push([s, e, st]);
              if (opset === 9) {
                nodes.push({ opType: 'Slice', input: ['x'], output: [`y${i}`], attribute: [attr.ints('starts', [s]), attr.ints('ends', [e])] });
              } else {
                inits.push(makeTensor(`s${i}`, ElemType.INT64, [1], [s]), makeTensor(`e${i}`, ElemType.INT64, [1], [e]));
                inits.push(makeTensor(`t${i}`, ElemType.INT64, [1], [st]));
                nodes.push({ opType: 'Slice', input: ['x', `s${i}`, `e${i}`, '', `t${i}`], output: [`y${i}`] });
              }
            }
        const got = await runMany(opset, dim, nodes, inits);
        cases.forEach(([s, e, st], i) => assert.deepEqual(sliceIndices(dim, s, e, st), got[i], `dim ${dim} slice(${s}, ${e}, ${st})`));
      }
    }
  });

  test('Pad index maps for every mode, with crops (opset 19)', async () => {
    for (const dim of [1, 2, 4]) {
      const nodes: NodeProto[] = [];
      const inits: TensorProto[] = [makeTensor('cv', ElemType.FLOAT, [], [-1])];
      const expected: number[][] = [];
      for (const mode of ['constant', 'reflect', 'edge', 'wrap'] as PadMode[])
        for (let b = -3; b <= 4; b++)
          for (let e = -3; e <= 4; e++) {
            let map: number[];
            try {
              map = padIndexMap(dim, b, e, mode);
            } catch {
              continue; // refused (the rule then fails clearly)
            }
            if (dim + b + e < 0) continue; // onnxruntime rejects a negative output length
            const i = expected.length;
            expected.push(map);
            inits.push(makeTensor(`p${i}`, ElemType.INT64, [2], [b, e]));
            nodes.push({ opType: 'Pad', input: ['x', `p${i}`, 'cv'], output: [`y${i}`], attribute: [attr.string('mode', mode)] });
          }
      const got = await runMany(19, dim, nodes, inits);
      // The map's -1 (the constant) is exactly what the constant value -1 produces on arange data.
      expected.forEach((map, i) => assert.deepEqual(got[i], map, `dim ${dim}: ${nodes[i].attribute![0].s} pads ${inits[i + 1].rawData}`));
    }
  });
});

describe('VJP rules: shape — reshaping', () => {
  test('Reshape opset 5 with 0 and -1', () =>
    gradCheck({ op: 'Reshape', opset: 5, inputs: [{ dims: [2, 3, 4] }, { dims: [3], data: [0, -1, 2], constant: I64 }] }));
  test('Reshape opset 14 (allowzero=0)', () =>
    gradCheck({ op: 'Reshape', opset: 14, inputs: [{ dims: [6, 4] }, { dims: [2], data: [4, 6], constant: I64 }], attrs: { allowzero: 0 } }));
  test('Reshape opset 21', () => gradCheck({ op: 'Reshape', opset: 21, inputs: [{ dims: [2, 6] }, { dims: [3], data: [3, 2, 2], constant: I64 }] }));
  for (const axis of [0, 2, -1])
    test(`Flatten axis=${axis}`, () => gradCheck({ op: 'Flatten', opset: 13, inputs: [{ dims: [2, 3, 4] }], attrs: { axis } }));
  test('Flatten opset 9 default axis', () => gradCheck({ op: 'Flatten', opset: 9, inputs: [{ dims: [2, 3, 2] }] }));
  test('Squeeze opset 11 (axes attribute, negative)', () =>
    gradCheck({ op: 'Squeeze', opset: 11, inputs: [{ dims: [2, 1, 3, 1] }], attrs: { axes: [1, -1] } }));
  test('Squeeze opset 11 without axes', () => gradCheck({ op: 'Squeeze', opset: 11, inputs: [{ dims: [1, 3, 1] }] }));
  test('Squeeze opset 13 (axes input)', () =>
    gradCheck({ op: 'Squeeze', opset: 13, inputs: [{ dims: [2, 1, 3] }, { dims: [1], data: [1], constant: I64 }] }));
  test('Squeeze opset 21 without axes', () => gradCheck({ op: 'Squeeze', opset: 21, inputs: [{ dims: [1, 4, 1] }] }));
  test('Unsqueeze opset 11 (axes attribute)', () =>
    gradCheck({ op: 'Unsqueeze', opset: 11, inputs: [{ dims: [2, 3] }], attrs: { axes: [0, -1] } }));
  test('Unsqueeze opset 13 (axes input)', () =>
    gradCheck({ op: 'Unsqueeze', opset: 13, inputs: [{ dims: [2, 3] }, { dims: [2], data: [1, 3], constant: I64 }] }));
  test('Unsqueeze opset 21 (negative axes input)', () =>
    gradCheck({ op: 'Unsqueeze', opset: 21, inputs: [{ dims: [3, 2] }, ints([-1, 0])] }));
  test('Transpose default (reverse)', () => gradCheck({ op: 'Transpose', opset: 13, inputs: [{ dims: [2, 3, 4] }] }));
  test('Transpose perm', () => gradCheck({ op: 'Transpose', opset: 7, inputs: [{ dims: [2, 3, 4, 2] }], attrs: { perm: [2, 0, 3, 1] } }));
});

describe('VJP rules: shape — copies', () => {
  test('Expand opset 8 to a higher rank', () =>
    gradCheck({ op: 'Expand', opset: 8, inputs: [{ dims: [3, 1] }, { dims: [3], data: [2, 3, 4], constant: I64 }] }));
  test('Expand opset 13 with ones in the shape', () =>
    gradCheck({ op: 'Expand', opset: 13, inputs: [{ dims: [2, 1, 4] }, { dims: [2], data: [3, 1], constant: I64 }] }));
  test('Tile opset 13', () => gradCheck({ op: 'Tile', opset: 13, inputs: [{ dims: [2, 3, 2] }, { dims: [3], data: [2, 1, 3], constant: I64 }] }));
  test('Tile opset 6, all ones', () => gradCheck({ op: 'Tile', opset: 6, inputs: [{ dims: [2, 3] }, { dims: [2], data: [1, 1], constant: I64 }] }));
  test('DepthToSpace DCR (default, opset 11)', () =>
    gradCheck({ op: 'DepthToSpace', opset: 11, inputs: [{ dims: [1, 8, 2, 3] }], attrs: { blocksize: 2 } }));
  test('DepthToSpace DCR opset 7', () => gradCheck({ op: 'DepthToSpace', opset: 7, inputs: [{ dims: [2, 4, 2, 2] }], attrs: { blocksize: 2 } }));
  test('DepthToSpace CRD (opset 13)', () =>
    gradCheck({ op: 'DepthToSpace', opset: 13, inputs: [{ dims: [2, 8, 2, 3] }], attrs: { blocksize: 2, mode: 'CRD' } }));
  test('SpaceToDepth', () => gradCheck({ op: 'SpaceToDepth', opset: 13, inputs: [{ dims: [2, 2, 4, 6] }], attrs: { blocksize: 2 } }));
});

describe('VJP rules: shape — Concat and Split', () => {
  test('Concat opset 4 axis 1, three inputs', () =>
    gradCheck({ op: 'Concat', opset: 4, inputs: [{ dims: [2, 1, 3] }, { dims: [2, 3, 3] }, { dims: [2, 2, 3] }], attrs: { axis: 1 } }));
  test('Concat opset 13 negative axis with a constant input', () =>
    gradCheck({ op: 'Concat', opset: 13, inputs: [{ dims: [2, 3] }, { dims: [2, 2], constant: 'float' }, { dims: [2, 1] }], attrs: { axis: -1 } }));
  test('Concat opset 11 axis 0, a length-1 first input', () =>
    gradCheck({ op: 'Concat', opset: 11, inputs: [{ dims: [1, 4] }, { dims: [3, 4] }], attrs: { axis: 0 } }));
  test('Split opset 7 equal parts', () => gradCheck({ op: 'Split', opset: 7, inputs: [{ dims: [4, 3] }], outputs: 2 }));
  test('Split opset 11 split attribute, negative axis', () =>
    gradCheck({ op: 'Split', opset: 11, inputs: [{ dims: [2, 6] }], attrs: { axis: -1, split: [1, 3, 2] }, outputs: 3 }));
  test('Split opset 13 split input', () =>
    gradCheck({ op: 'Split', opset: 13, inputs: [{ dims: [2, 5, 2] }, { dims: [2], data: [4, 1], constant: I64 }], attrs: { axis: 1 }, outputs: 2 }));
  test('Split opset 13 without split', () => gradCheck({ op: 'Split', opset: 13, inputs: [{ dims: [6] }], outputs: 3 }));
  test('Split opset 18 num_outputs (uneven)', () =>
    gradCheck({ op: 'Split', opset: 18, inputs: [{ dims: [2, 7] }], attrs: { axis: 1, num_outputs: 3 }, outputs: 3 }));
});

describe('VJP rules: shape — Slice', () => {
  const slice = (opset: number, dims: number[], starts: number[], ends: number[], axes?: number[], steps?: number[]) => {
    const inputs: GradInput[] = [{ dims }, ints(starts), ints(ends)];
    if (axes || steps) inputs.push(axes ? ints(axes) : { dims: [], absent: true });
    if (steps) inputs.push(ints(steps));
    return gradCheck({ op: 'Slice', opset, inputs });
  };
  test('opset 9 attributes with negative starts and clamped ends', () =>
    gradCheck({ op: 'Slice', opset: 9, inputs: [{ dims: [4, 5] }], attrs: { starts: [-3, 1], ends: [100, -1] } }));
  test('opset 9 with axes', () =>
    gradCheck({ op: 'Slice', opset: 9, inputs: [{ dims: [3, 4, 5] }], attrs: { starts: [1], ends: [INT32_MAX], axes: [2] } }));
  test('opset 7 whole axis (identity)', () =>
    gradCheck({ op: 'Slice', opset: 7, inputs: [{ dims: [3, 4] }], attrs: { starts: [0, -100], ends: [3, 100] } }));
  test('opset 10 inputs, step 2', () => slice(10, [6, 4], [1, 0], [6, 3], [0, 1], [2, 1]));
  test('opset 13 no axes, step 1 crop on every axis', () => slice(13, [4, 5, 3], [1, -4, 0], [3, 4, 2]));
  test('opset 13 negative step with INT32_MAX end (reverse to the start)', () => slice(13, [5, 3], [-1], [INT32_MAX], [0], [-1]));
  test('opset 13 negative step -2 with INT64_MIN end, negative axis', () => slice(13, [3, 7], [5], [INT64_MIN], [-1], [-2]));
  test('opset 13 huge end and step 3 mixed with a reversed axis', () => slice(13, [5, 6, 2], [0, 4], [BIG, -100], [1, 0], [3, -1]));
  test('opset 13 negative step with clamped start', () => slice(13, [4, 4], [100, 2], [0, -100], [0, 1], [-3, -1]));
  test('opset 13 step larger than the axis', () => slice(13, [3, 5], [1], [5], [1], [7]));
  test('opset 18 step 1 and step 2 on different axes', () => slice(18, [4, 6], [1, 1], [3, 6], [0, 1], [1, 2]));
  test('opset 13 empty selection gives a zero gradient', () => slice(13, [3, 4], [0, 3], [3, 1], [0, 1]));
});

describe('VJP rules: shape — Pad', () => {
  const pad = (opset: number, dims: number[], pads: number[], mode: string, axes?: number[], value?: 'diff' | 'const') => {
    const inputs: GradInput[] = [{ dims }, ints(pads)];
    if (value === 'diff') inputs.push({ dims: [] });
    else if (value === 'const') inputs.push({ dims: [], data: [0.5], constant: 'float' });
    else if (axes) inputs.push({ dims: [], absent: true });
    if (axes) inputs.push(ints(axes));
    return gradCheck({ op: 'Pad', opset, inputs, attrs: { mode } });
  };
  test('opset 2 constant (attributes)', () =>
    gradCheck({ op: 'Pad', opset: 2, inputs: [{ dims: [2, 3] }], attrs: { pads: [1, 0, 2, 3], value: { f: 0.5 } } }));
  test('opset 2 reflect', () => gradCheck({ op: 'Pad', opset: 2, inputs: [{ dims: [3, 4] }], attrs: { pads: [2, 1, 1, 3], mode: 'reflect' } }));
  test('opset 10 edge with cropping', () =>
    gradCheck({ op: 'Pad', opset: 10, inputs: [{ dims: [3, 4] }], attrs: { pads: [-1, 2, 3, -2], mode: 'edge' } }));
  test('opset 11 constant with a differentiable constant_value and crops', () => pad(11, [3, 4], [1, -1, 2, 2], 'constant', undefined, 'diff'));
  test('opset 11 constant, constant_value a constant', () => pad(11, [2, 2, 3], [0, 1, 1, 1, 0, 2], 'constant', undefined, 'const'));
  test('opset 11 reflect', () => pad(11, [1, 2, 4, 3], [0, 0, 3, 2, 0, 0, 1, 2], 'reflect'));
  test('opset 13 edge with large pads', () => pad(13, [2, 3], [0, 5, 1, 4], 'edge'));
  test('opset 13 reflect with a differentiable (unused) constant_value', () => pad(13, [3, 3], [1, 2, 2, 1], 'reflect', undefined, 'diff'));
  test('opset 18 axes input (negative) constant', () => pad(18, [2, 3, 4], [1, 2, 0, 3], 'constant', [-1, 1]));
  test('opset 18 axes input edge', () => pad(18, [2, 3, 4], [2, 1], 'edge', [1]));
  test('opset 18 reflect crop on one side, pad the other', () => pad(18, [5, 2], [-1, 2], 'reflect', [0]));
  test('opset 19 wrap with a crop', () => pad(19, [3, 4], [2, -1, 3, 3], 'wrap'));
  test('opset 19 wrap wider than the axis fails clearly', () =>
    assert.rejects(pad(19, [3, 4], [0, 0, 0, 5], 'wrap'), /Pad node .* wrap padding larger than the axis \(axis 1\) is not supported/));
  test('CenterCropPad crop and pad (opset 18)', () =>
    gradCheck({ op: 'CenterCropPad', opset: 18, inputs: [{ dims: [5, 4, 3] }, ints([2, 7, 3])] }));
  test('CenterCropPad with axes (opset 18, odd differences)', () =>
    gradCheck({ op: 'CenterCropPad', opset: 18, inputs: [{ dims: [3, 6, 5] }, ints([3, 6])], attrs: { axes: [-1, 0] } }));
  test('reflect and edge in float32 (the usual model dtype)', async () => {
    await gradCheck({ op: 'Pad', opset: 13, inputs: [{ dims: [3, 4] }, ints([2, 1, 1, 3])], attrs: { mode: 'reflect' }, dtype: 'float32' });
    await gradCheck({ op: 'Pad', opset: 13, inputs: [{ dims: [3, 4] }, ints([0, 3, 2, 1])], attrs: { mode: 'edge' }, dtype: 'float32' });
  });
  test('opset 21 constant, pure crop', () => pad(21, [4, 5], [-1, -2, -1, 0], 'constant'));
});

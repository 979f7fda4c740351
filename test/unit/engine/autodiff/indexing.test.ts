import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { ElemType, ModelProto, attr, encodeModel } from '../../../../src/engine/onnx/proto';
import { GradInput, engineVjp, gradCheck, rng } from '../../../support/gradcheck';

const ints = (dims: number[], data: number[]): GradInput => ({ dims, data, constant: 'int64' });

/**
 * gradCheck only makes constant indices; this checks the run-time (data-dependent) path: the indices are a
 * graph input fed at run time, and the gradient w.r.t. the data is compared with central differences.
 */
async function dynamicCheck(op: string, opset: number, dataDims: number[], idxDims: number[], idx: number[], attrs: Record<string, number> = {}, idxType: 'int64' | 'int32' = 'int64') {
  const rand = rng(7);
  const n = dataDims.reduce((a, b) => a * b, 1);
  const x = Array.from({ length: n }, () => rand() * 2 - 1);
  const idxElem = idxType === 'int64' ? ElemType.INT64 : ElemType.INT32;
  const proto: ModelProto = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: 'dynamic',
      node: [{ name: `/test/${op}`, opType: op, input: ['x', 'idx'], output: ['y'], attribute: Object.entries(attrs).map(([k, v]) => attr.int(k, v)) }],
      input: [
        { name: 'x', type: { tensorType: { elemType: ElemType.DOUBLE, shape: { dim: dataDims.map((d) => ({ dimValue: d })) } } } },
        { name: 'idx', type: { tensorType: { elemType: idxElem, shape: { dim: idxDims.map((d) => ({ dimValue: d })) } } } },
      ],
      output: [{ name: 'y' }],
    },
  };
  const idxData = idxType === 'int64' ? BigInt64Array.from(idx.map(BigInt)) : Int32Array.from(idx);
  const feeds = { x: new ort.Tensor('float64', Float64Array.from(x), dataDims), idx: new ort.Tensor(idxType, idxData, idxDims) };
  const fwd = await ort.InferenceSession.create(encodeModel(proto), { intraOpNumThreads: 1 });
  const y = (await fwd.run(feeds)).y;
  const w = Array.from({ length: y.size }, () => rand() * 2 - 1);
  const [g] = await engineVjp(proto, feeds, ['x'], 'y', w);
  try {
    assert.deepEqual([...g.dims], dataDims);
    const s = async (v: number[]) => {
      const r = (await fwd.run({ ...feeds, x: new ort.Tensor('float64', Float64Array.from(v), dataDims) })).y.data as Float64Array;
      return r.reduce((acc, yk, k) => acc + w[k] * yk, 0);
    };
    for (let j = 0; j < n; j++) {
      const eps = 1e-3;
      const numeric = ((await s(x.map((v, k) => (k === j ? v + eps : v)))) - (await s(x.map((v, k) => (k === j ? v - eps : v))))) / (2 * eps);
      const analytic = (g.data as Float64Array)[j];
      assert.ok(Math.abs(numeric - analytic) <= 1e-8 * Math.max(1, Math.abs(numeric)), `${op}: element ${j}: analytic ${analytic}, numeric ${numeric}`);
    }
  } finally {
    await fwd.release();
  }
}

describe('VJP rules: indexing — Gather', () => {
  test('axis 0, repeated and negative indices (opset 13)', () =>
    gradCheck({ op: 'Gather', opset: 13, inputs: [{ dims: [4, 3] }, ints([2, 3], [1, -1, 1, 0, 3, -3])] }));
  test('axis 1 of rank 3, 2-D indices with repeats (opset 11)', () =>
    gradCheck({ op: 'Gather', opset: 11, inputs: [{ dims: [2, 5, 3] }, ints([2, 2], [4, 0, 4, 4])], attrs: { axis: 1 } }));
  test('scalar negative index, axis -1 (opset 7)', () =>
    gradCheck({ op: 'Gather', opset: 7, inputs: [{ dims: [3, 4] }, ints([], [-2])], attrs: { axis: -1 } }));
  test('permuted indices (injective), axis 1', () =>
    gradCheck({ op: 'Gather', opset: 13, inputs: [{ dims: [2, 5] }, ints([3], [4, 0, 2])], attrs: { axis: 1 } }));
  test('contiguous indices covering the axis (opset 21)', () =>
    gradCheck({ op: 'Gather', opset: 21, inputs: [{ dims: [3, 2] }, ints([3], [0, 1, 2])] }));
  test('embedding-like table lookup', () =>
    gradCheck({ op: 'Gather', opset: 13, inputs: [{ dims: [6, 4] }, ints([2, 3], [5, 0, 5, 2, 2, 2])] }));
  test('float32 (the usual model dtype), repeated indices', () =>
    gradCheck({ op: 'Gather', opset: 13, inputs: [{ dims: [4, 3] }, ints([5], [1, 1, -1, 0, 1])], attrs: { axis: 0 }, dtype: 'float32' }));
  test('run-time indices, repeated and negative, axis 1', () => dynamicCheck('Gather', 13, [3, 4, 2], [2, 3], [0, -1, 3, 3, -4, 0], { axis: 1 }));
  test('run-time int32 scalar index', () => dynamicCheck('Gather', 11, [4, 3], [], [-1], { axis: 0 }, 'int32'));
});

describe('VJP rules: indexing — GatherElements and GatherND', () => {
  test('GatherElements axis 0, repeats and negatives (opset 11)', () =>
    gradCheck({ op: 'GatherElements', opset: 11, inputs: [{ dims: [3, 2] }, ints([4, 2], [0, 2, -1, 1, 1, 1, 2, -3])] }));
  test('GatherElements axis -1, smaller index tensor (opset 13)', () =>
    gradCheck({ op: 'GatherElements', opset: 13, inputs: [{ dims: [2, 3, 4] }, ints([2, 2, 3], [3, 3, 0, -1, 1, 1, 2, 0, 0, 0, 0, 3])], attrs: { axis: -1 } }));
  test('GatherElements axis 1 run-time indices', () => dynamicCheck('GatherElements', 13, [2, 3], [2, 4], [0, 2, 2, -1, 1, 0, 1, 1], { axis: 1 }));
  test('GatherND full tuples with repeats and negatives (opset 11)', () =>
    gradCheck({ op: 'GatherND', opset: 11, inputs: [{ dims: [3, 4] }, ints([5, 2], [0, 1, 2, -1, 0, 1, -3, 1, 2, 3])] }));
  test('GatherND partial tuples gather slices (opset 13)', () =>
    gradCheck({ op: 'GatherND', opset: 13, inputs: [{ dims: [3, 2, 2] }, ints([2, 2, 1], [2, 0, 2, -1])] }));
  test('GatherND batch_dims=1 (opset 12)', () =>
    gradCheck({ op: 'GatherND', opset: 12, inputs: [{ dims: [2, 3, 4] }, ints([2, 3, 2], [0, 1, 0, 1, 2, 3, 1, 1, 1, 1, -1, -1])], attrs: { batch_dims: 1 } }));
  test('GatherND batch_dims=2 (opset 13)', () =>
    gradCheck({ op: 'GatherND', opset: 13, inputs: [{ dims: [2, 2, 3, 2] }, ints([2, 2, 2, 1], [0, 0, 2, 1, 1, 1, 0, -1])], attrs: { batch_dims: 2 } }));
  test('GatherND float32 with repeats', () =>
    gradCheck({ op: 'GatherND', opset: 13, inputs: [{ dims: [3, 2] }, ints([3, 1], [1, 1, -1])], dtype: 'float32' }));
  test('GatherElements float32 with repeats', () =>
    gradCheck({ op: 'GatherElements', opset: 13, inputs: [{ dims: [3, 2] }, ints([3, 2], [1, 1, 1, 1, 0, 2])], dtype: 'float32' }));
  test('GatherND run-time indices', () => dynamicCheck('GatherND', 13, [2, 3, 2], [3, 2], [1, 2, 1, 2, 0, -1]));

  // Scatters: gradients w.r.t. data (replaced positions get none) and updates (read back at the indices).
  test('ScatterElements opset 11, axis 1, negative index', () =>
    gradCheck({ op: 'ScatterElements', opset: 11, inputs: [{ dims: [3, 4] }, ints([3, 2], [0, 2, 1, -1, 3, 0]), { dims: [3, 2] }], attrs: { axis: 1 } }));
  test('ScatterElements opset 16, reduction add, repeated indices', () =>
    gradCheck({ op: 'ScatterElements', opset: 16, inputs: [{ dims: [4, 3] }, ints([2, 3], [1, 1, 3, 1, 0, 3]), { dims: [2, 3] }], attrs: { reduction: 'add' } }));
  test('ScatterElements opset 18, axis -1', () =>
    gradCheck({ op: 'ScatterElements', opset: 18, inputs: [{ dims: [2, 3, 4] }, ints([2, 3, 1], [3, 0, 1, 2, 2, 0]), { dims: [2, 3, 1] }], attrs: { axis: -1 } }));
  test('ScatterND opset 11, whole rows (x[[0, 2]] = u)', () =>
    gradCheck({ op: 'ScatterND', opset: 11, inputs: [{ dims: [3, 4] }, ints([2, 1], [0, 2]), { dims: [2, 4] }] }));
  test('ScatterND opset 13, single elements, negative index', () =>
    gradCheck({ op: 'ScatterND', opset: 13, inputs: [{ dims: [2, 3, 2] }, ints([3, 3], [0, 0, 1, 1, 2, 0, -1, 1, 1]), { dims: [3] }] }));
  test('ScatterND opset 16, reduction add', () =>
    gradCheck({ op: 'ScatterND', opset: 16, inputs: [{ dims: [3, 2] }, ints([2, 1], [1, 1]), { dims: [2, 2] }], attrs: { reduction: 'add' } }));
  test('ScatterElements with reduction mul is refused', async () => {
    await assert.rejects(
      gradCheck({ op: 'ScatterElements', opset: 16, inputs: [{ dims: [3, 2] }, ints([1, 2], [0, 2]), { dims: [1, 2] }], attrs: { reduction: 'mul' } }),
      /reduction 'mul' has no gradient rule/,
    );
  });
  test('MaxUnpool (indices as MaxPool returns them: flat offsets)', () =>
    gradCheck({
      op: 'MaxUnpool',
      opset: 11,
      inputs: [{ dims: [1, 2, 2, 2] }, ints([1, 2, 2, 2], [0, 3, 9, 14, 16, 23, 26, 31])],
      attrs: { kernel_shape: [2, 2], strides: [2, 2] },
    }));
});

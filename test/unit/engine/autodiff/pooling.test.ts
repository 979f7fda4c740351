import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { ElemType, ModelProto, attr, encodeModel } from '../../../../src/engine/onnx/proto';
import { engineVjp, gradCheck, rng } from '../../../support/gradcheck';

/** Distinct values 0.1 apart (shuffled): no ties, and finite differences never move an arg-max. */
function distinct(dims: number[], seed = 5): number[] {
  const n = dims.reduce((a, b) => a * b, 1);
  const rand = rng(seed);
  const v = Array.from({ length: n }, (_, i) => (i - n / 2) * 0.1);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [v[i], v[j]] = [v[j], v[i]];
  }
  return v;
}
const x = (dims: number[]) => ({ dims, data: distinct(dims) });

describe('VJP rules: MaxPool', () => {
  test('2-D, kernel 3, stride 1 (overlapping), pads', () =>
    gradCheck({ op: 'MaxPool', opset: 12, inputs: [x([2, 2, 5, 5])], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } }));
  test('2-D, kernel 3, stride 2 (overlapping), ceil_mode, asymmetric pads', () =>
    gradCheck({
      op: 'MaxPool',
      opset: 12,
      inputs: [x([1, 3, 6, 7])],
      attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 0, 0, 1], ceil_mode: 1 },
    }));
  test('1-D with dilations (opset 10)', () =>
    gradCheck({ op: 'MaxPool', opset: 10, inputs: [x([2, 2, 11])], attrs: { kernel_shape: [3], dilations: [2], strides: [2] } }));
  test('3-D, kernel 2, stride 1', () =>
    gradCheck({ op: 'MaxPool', opset: 18, inputs: [x([1, 2, 3, 4, 4])], attrs: { kernel_shape: [2, 2, 2] } }));
  test('auto_pad=SAME_UPPER, stride 2', () =>
    gradCheck({ op: 'MaxPool', opset: 11, inputs: [x([1, 2, 5, 6])], attrs: { kernel_shape: [3, 2], strides: [2, 2], auto_pad: 'SAME_UPPER' } }));
  test('opset 7 (no Indices output)', () =>
    gradCheck({ op: 'MaxPool', opset: 7, inputs: [x([1, 2, 5, 5])], attrs: { kernel_shape: [2, 2], strides: [1, 2] } }));
  test('opset 8, storage_order=1 on the forward node', () =>
    gradCheck({ op: 'MaxPool', opset: 8, inputs: [x([1, 2, 5, 4])], attrs: { kernel_shape: [3, 2], storage_order: 1 } }));

  test('forward node with 2 outputs (Indices used downstream) differentiates output 0', async () => {
    const dims = [2, 2, 5, 6];
    const data = distinct(dims);
    const proto: ModelProto = {
      irVersion: 8,
      opsetImport: [{ domain: '', version: 13 }],
      graph: {
        name: 'g',
        node: [
          {
            name: 'pool',
            opType: 'MaxPool',
            input: ['x'],
            output: ['y', 'idx'],
            attribute: [attr.ints('kernel_shape', [3, 3]), attr.ints('strides', [1, 2]), attr.ints('pads', [1, 1, 0, 1])],
          },
          { name: 'cast', opType: 'Cast', input: ['idx'], output: ['idxf'], attribute: [attr.int('to', ElemType.FLOAT)] },
        ],
        input: [{ name: 'x', type: { tensorType: { elemType: ElemType.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } }],
        output: [{ name: 'y' }, { name: 'idxf' }],
      },
    };
    const feed = new ort.Tensor('float32', Float32Array.from(data), dims);
    let w: number[] = [];
    const [grad] = await engineVjp(proto, { x: feed }, ['x'], 'y', (yDims) => (w = distinct(yDims, 9)));
    const g = grad.data as Float32Array;
    const ref = await ort.InferenceSession.create(encodeModel(proto));
    try {
      const f = async (v: number[]) => {
        const y = (await ref.run({ x: new ort.Tensor('float32', Float32Array.from(v), dims) }, ['y'])).y.data as Float32Array;
        return y.reduce((s, yv, k) => s + yv * w[k], 0);
      };
      for (let j = 0; j < data.length; j++) {
        const eps = 0.01;
        const fd = ((await f(data.map((v, k) => (k === j ? v + eps : v)))) - (await f(data.map((v, k) => (k === j ? v - eps : v))))) / (2 * eps);
        assert.ok(Math.abs(fd - g[j]) < 1e-3, `element ${j}: analytic ${g[j]}, finite difference ${fd}`);
      }
    } finally {
      await ref.release();
    }
  });
});

describe('VJP rules: AveragePool', () => {
  for (const cip of [0, 1]) {
    test(`2-D, kernel 3, stride 2, pads, count_include_pad=${cip}`, () =>
      gradCheck({
        op: 'AveragePool',
        opset: 11,
        inputs: [{ dims: [2, 2, 6, 5] }],
        attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 0], count_include_pad: cip },
      }));
    test(`ceil_mode windows past the padded edge, count_include_pad=${cip}`, () =>
      gradCheck({
        op: 'AveragePool',
        opset: 11,
        inputs: [{ dims: [1, 2, 7, 6] }],
        attrs: { kernel_shape: [3, 2], strides: [3, 3], pads: [1, 0, 0, 1], ceil_mode: 1, count_include_pad: cip },
      }));
    test(`opset 19 dilations with ceil_mode, count_include_pad=${cip}`, () =>
      gradCheck({
        op: 'AveragePool',
        opset: 19,
        inputs: [{ dims: [1, 2, 8, 7] }],
        attrs: { kernel_shape: [2, 3], strides: [2, 2], dilations: [2, 1], pads: [1, 1, 1, 0], ceil_mode: 1, count_include_pad: cip },
      }));
  }
  test('opset 19 auto_pad=SAME_LOWER with dilations (padding from the undilated kernel), odd totals', () =>
    gradCheck({
      op: 'AveragePool',
      opset: 19,
      inputs: [{ dims: [1, 2, 6, 7] }],
      attrs: { kernel_shape: [3, 2], strides: [2, 3], dilations: [2, 2], auto_pad: 'SAME_LOWER', ceil_mode: 1, count_include_pad: 1 },
    }));
  test('1-D, kernel 3, stride 1', () =>
    gradCheck({ op: 'AveragePool', opset: 10, inputs: [{ dims: [2, 3, 8] }], attrs: { kernel_shape: [3], pads: [2, 1] } }));
  test('3-D, count_include_pad=1', () =>
    gradCheck({
      op: 'AveragePool',
      opset: 11,
      inputs: [{ dims: [1, 2, 4, 3, 5] }],
      attrs: { kernel_shape: [2, 2, 3], strides: [2, 1, 2], pads: [1, 0, 1, 0, 1, 1], count_include_pad: 1 },
    }));
  test('opset 7, no pads', () => gradCheck({ op: 'AveragePool', opset: 7, inputs: [{ dims: [1, 2, 5, 5] }], attrs: { kernel_shape: [2, 2] } }));
  for (const autoPad of ['SAME_UPPER', 'SAME_LOWER', 'VALID']) {
    test(`auto_pad=${autoPad}, stride 2`, () =>
      gradCheck({ op: 'AveragePool', opset: 11, inputs: [{ dims: [1, 2, 6, 5] }], attrs: { kernel_shape: [3, 2], strides: [2, 2], auto_pad: autoPad } }));
  }
});

describe('VJP rules: global pooling', () => {
  test('GlobalAveragePool 2-D', () => gradCheck({ op: 'GlobalAveragePool', opset: 11, inputs: [{ dims: [2, 3, 4, 5] }] }));
  test('GlobalAveragePool 1-D', () => gradCheck({ op: 'GlobalAveragePool', opset: 7, inputs: [{ dims: [2, 3, 7] }] }));
  test('GlobalMaxPool 2-D', () => gradCheck({ op: 'GlobalMaxPool', opset: 11, inputs: [x([2, 3, 4, 5])] }));
  test('GlobalMaxPool 3-D', () => gradCheck({ op: 'GlobalMaxPool', opset: 18, inputs: [x([1, 2, 3, 2, 4])] }));
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gradCheck } from '../../../support/gradcheck';

const positive: [number, number] = [0.5, 1.5];

describe('VJP rules: BatchNormalization', () => {
  test('inference (opset 15), constant statistics', () =>
    gradCheck({
      op: 'BatchNormalization',
      opset: 15,
      inputs: [{ dims: [2, 3, 4, 4] }, { dims: [3], constant: 'float' }, { dims: [3], constant: 'float' }, { dims: [3], constant: 'float' }, { dims: [3], range: positive, constant: 'float' }],
      attrs: { epsilon: { f: 1e-3 } },
    }));
  test('opset 9: gradients of X, scale, B, mean and var', () =>
    gradCheck({
      op: 'BatchNormalization',
      opset: 9,
      inputs: [{ dims: [2, 3, 5] }, { dims: [3] }, { dims: [3] }, { dims: [3] }, { dims: [3], range: positive }],
    }));
  test('rank 2 (opset 14, training_mode=0)', () =>
    gradCheck({
      op: 'BatchNormalization',
      opset: 14,
      inputs: [{ dims: [4, 3] }, { dims: [3] }, { dims: [3], constant: 'float' }, { dims: [3], constant: 'float' }, { dims: [3], range: positive, constant: 'float' }],
      attrs: { training_mode: 0 },
    }));
  test('opset 7, spatial=1', () =>
    gradCheck({
      op: 'BatchNormalization',
      opset: 7,
      inputs: [{ dims: [2, 3, 3, 2] }, { dims: [3] }, { dims: [3] }, { dims: [3] }, { dims: [3], range: positive }],
      attrs: { spatial: 1 },
    }));
  test('opset 8, spatial=0 (per-activation statistics)', () =>
    gradCheck({
      op: 'BatchNormalization',
      opset: 8,
      inputs: [{ dims: [2, 3, 4] }, { dims: [3, 4] }, { dims: [3, 4] }, { dims: [3, 4] }, { dims: [3, 4], range: positive }],
      attrs: { spatial: 0 },
    }));
  test('training_mode=1 is refused', () =>
    assert.rejects(
      gradCheck({
        op: 'BatchNormalization',
        opset: 15,
        inputs: [{ dims: [2, 3, 4] }, { dims: [3], constant: 'float' }, { dims: [3], constant: 'float' }, { dims: [3], constant: 'float' }, { dims: [3], range: positive, constant: 'float' }],
        attrs: { training_mode: 1 },
        outputs: 3,
      }),
      /training_mode=1 is not supported/,
    ));
});

describe('VJP rules: InstanceNormalization', () => {
  test('2-D with scale and bias gradients', () =>
    gradCheck({ op: 'InstanceNormalization', opset: 6, inputs: [{ dims: [2, 3, 4, 5] }, { dims: [3] }, { dims: [3] }], attrs: { epsilon: { f: 1e-3 } } }));
  test('1-D, constant scale and bias', () =>
    gradCheck({
      op: 'InstanceNormalization',
      opset: 17,
      inputs: [{ dims: [2, 2, 7] }, { dims: [2], constant: 'float' }, { dims: [2], constant: 'float' }],
    }));
});

describe('VJP rules: LayerNormalization', () => {
  test('last axis, with scale and bias gradients', () =>
    gradCheck({ op: 'LayerNormalization', opset: 17, inputs: [{ dims: [2, 3, 4] }, { dims: [4] }, { dims: [4] }] }));
  test('axis 1 (two normalized axes), no bias', () =>
    gradCheck({ op: 'LayerNormalization', opset: 17, inputs: [{ dims: [2, 3, 4] }, { dims: [3, 4] }], attrs: { axis: 1, epsilon: { f: 1e-3 } } }));
  test('axis -2 with a broadcast scale', () =>
    gradCheck({
      op: 'LayerNormalization',
      opset: 18,
      inputs: [{ dims: [3, 2, 5] }, { dims: [1, 5] }, { dims: [5], constant: 'float' }],
      attrs: { axis: -2 },
    }));
  // Scale and bias are constants here: the engine refuses an input that an output (Mean) does not depend on.
  // float32: with float64 X the statistics stay float32 (stash_type=1), which gradCheck's seed does not handle.
  test('Mean and InvStdDev outputs used downstream', () =>
    gradCheck({
      op: 'LayerNormalization',
      opset: 17,
      inputs: [{ dims: [2, 6] }, { dims: [6], constant: 'float' }, { dims: [6], constant: 'float' }],
      outputs: 3,
      dtype: 'float32',
    }));
  test('Mean and InvStdDev outputs, axis 1 of a 3-D input', () =>
    gradCheck({ op: 'LayerNormalization', opset: 17, inputs: [{ dims: [2, 3, 4] }, { dims: [3, 4], constant: 'float' }], attrs: { axis: 1 }, outputs: 3, dtype: 'float32' }));
});

describe('VJP rules: LRN', () => {
  test('size 3', () =>
    gradCheck({ op: 'LRN', opset: 13, inputs: [{ dims: [2, 5, 3, 3] }], attrs: { size: 3, alpha: { f: 0.5 }, beta: { f: 0.75 }, bias: { f: 1.5 } } }));
  // onnxruntime's LRN takes odd sizes and 4-D inputs only.
  test('size 5, opset 7', () =>
    gradCheck({ op: 'LRN', opset: 7, inputs: [{ dims: [1, 6, 2, 3] }], attrs: { size: 5, alpha: { f: 0.8 }, beta: { f: 0.6 } } }));
  test('default alpha/beta/bias, size 1', () => gradCheck({ op: 'LRN', opset: 13, inputs: [{ dims: [2, 4, 2, 3] }], attrs: { size: 1 } }));
});

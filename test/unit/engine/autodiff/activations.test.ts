import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { AttributeProto, ElemType, ModelProto, TensorProto, attr } from '../../../../src/engine/onnx/proto';
import { makeTensor } from '../../../../src/engine/onnx/tensorData';
import { engineVjp, gradCheck } from '../../../support/gradcheck';

/** Exact gradient of <seed, op(x0, …)> w.r.t. float32 x0 through the real engine (for values at kinks, where FD cannot judge). */
async function backward(op: string, opset: number, x: number[], seed: number[], attribute: AttributeProto[] = [], constants: TensorProto[] = []) {
  const dims = [x.length];
  const proto: ModelProto = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: 'kink',
      node: [{ name: 'n', opType: op, input: ['x0', ...constants.map((t) => t.name ?? '')], output: ['y'], attribute }],
      input: [{ name: 'x0', type: { tensorType: { elemType: ElemType.FLOAT, shape: { dim: [{ dimValue: x.length }] } } } }],
      initializer: constants,
      output: [{ name: 'y' }],
    },
  };
  const [g] = await engineVjp(proto, { x0: new ort.Tensor('float32', Float32Array.from(x), dims) }, ['x0'], 'y', seed);
  return Array.from(g.data as Float32Array);
}

/**
 * n evenly spread values in [lo, hi], each at least 0.05 from every kink, so that finite differences (eps 1e-2 when
 * onnxruntime lacks a float64 kernel) never straddle one.
 */
function away(n: number, lo: number, hi: number, kinks: number[]): number[] {
  return Array.from({ length: n }, (_, i) => {
    let v = lo + ((hi - lo) * ((i * 7) % n + 0.5)) / n;
    for (const k of kinks) if (Math.abs(v - k) < 0.05) v = k + (v < k ? -0.05 : 0.05);
    return v;
  });
}

const scalar = (name: string, v: number) => makeTensor(name, ElemType.FLOAT, [], [v]);

describe('VJP rules: activations', () => {
  test('LeakyRelu default alpha (opset 7)', () => gradCheck({ op: 'LeakyRelu', opset: 7, inputs: [{ dims: [3, 4] }] }));
  test('LeakyRelu alpha=0.3 (opset 16)', () => gradCheck({ op: 'LeakyRelu', opset: 16, inputs: [{ dims: [3, 4] }], attrs: { alpha: { f: 0.3 } } }));
  test('LeakyRelu at 0 uses alpha', async () =>
    assert.deepEqual(await backward('LeakyRelu', 16, [0, 1, -1], [1, 1, 1], [attr.float('alpha', 0.5)]), [0.5, 1, 0.5]));

  test('PRelu per-channel slope [C,1,1], X and slope differentiable (opset 9)', () =>
    gradCheck({ op: 'PRelu', opset: 9, inputs: [{ dims: [2, 3, 2, 2], data: away(24, -1, 1, [0]) }, { dims: [3, 1, 1], range: [0.05, 0.5] }] }));
  test('PRelu constant per-channel slope (opset 16)', () =>
    gradCheck({ op: 'PRelu', opset: 16, inputs: [{ dims: [2, 3, 2, 2], data: away(24, -1, 1, [0]) }, { dims: [3, 1, 1], range: [0.05, 0.5], constant: 'float' }] }));
  test('PRelu slope of shape [1] (opset 7)', () => gradCheck({ op: 'PRelu', opset: 7, inputs: [{ dims: [2, 5], data: away(10, -1, 1, [0]) }, { dims: [1], range: [0.1, 0.3] }] }));
  test('PRelu same-shape slope, slope only differentiable', () =>
    gradCheck({ op: 'PRelu', opset: 16, inputs: [{ dims: [2, 3], data: away(6, -1, 1, [0]), constant: 'float' }, { dims: [2, 3] }] }));

  test('Elu default alpha', () => gradCheck({ op: 'Elu', opset: 7, inputs: [{ dims: [3, 4], data: away(12, -3, 2, [0]) }] }));
  test('Elu alpha=0.7', () => gradCheck({ op: 'Elu', opset: 7, inputs: [{ dims: [3, 4], data: away(12, -3, 2, [0]) }], attrs: { alpha: { f: 0.7 } } }));
  test('Selu defaults', () => gradCheck({ op: 'Selu', opset: 7, inputs: [{ dims: [3, 4], data: away(12, -3, 2, [0]) }] }));
  test('Selu alpha/gamma', () =>
    gradCheck({ op: 'Selu', opset: 7, inputs: [{ dims: [3, 4], data: away(12, -3, 2, [0]) }], attrs: { alpha: { f: 1.3 }, gamma: { f: 0.8 } } }));
  test('Celu default alpha (opset 12)', () => gradCheck({ op: 'Celu', opset: 12, inputs: [{ dims: [3, 4], data: away(12, -3, 2, [0]) }] }));
  test('Celu alpha=1.5 (opset 12)', () => gradCheck({ op: 'Celu', opset: 12, inputs: [{ dims: [3, 4], data: away(12, -3, 2, [0]) }], attrs: { alpha: { f: 1.5 } } }));
  test('Elu/Selu/Celu at 0 take the negative side (PyTorch)', async () => {
    assert.deepEqual(await backward('Elu', 7, [0], [1], [attr.float('alpha', 0.5)]), [0.5]);
    assert.ok(Math.abs((await backward('Selu', 7, [0], [1]))[0] - 1.0507010221 * 1.6732631922) < 1e-6);
    assert.deepEqual(await backward('Celu', 12, [0], [1], [attr.float('alpha', 2)]), [1]);
  });

  test('Sigmoid (opset 7)', () => gradCheck({ op: 'Sigmoid', opset: 7, inputs: [{ dims: [3, 4], range: [-4, 4] }] }));
  test('Sigmoid (opset 13)', () => gradCheck({ op: 'Sigmoid', opset: 13, inputs: [{ dims: [3, 4], range: [-4, 4] }] }));
  test('Tanh (opset 7)', () => gradCheck({ op: 'Tanh', opset: 7, inputs: [{ dims: [3, 4], range: [-3, 3] }] }));
  test('Tanh (opset 13)', () => gradCheck({ op: 'Tanh', opset: 13, inputs: [{ dims: [3, 4], range: [-3, 3] }] }));

  test('HardSigmoid defaults', () => gradCheck({ op: 'HardSigmoid', opset: 7, inputs: [{ dims: [4, 6], data: away(24, -4, 4, [-2.5, 2.5]) }] }));
  test('HardSigmoid alpha=0.3, beta=0.4', () =>
    gradCheck({ op: 'HardSigmoid', opset: 7, inputs: [{ dims: [4, 6], data: away(24, -4, 4, [-4 / 3, 2]) }], attrs: { alpha: { f: 0.3 }, beta: { f: 0.4 } } }));
  test('HardSigmoid is 0 at its bounds', async () =>
    assert.deepEqual(await backward('HardSigmoid', 7, [-2.5, 2.5, 0], [1, 1, 1]), [0, 0, 0.2].map(Math.fround)));
  test('HardSwish (opset 14)', () => gradCheck({ op: 'HardSwish', opset: 14, inputs: [{ dims: [4, 6], data: away(24, -5, 5, [-3, 3]) }] }));
  test('HardSwish at ±3 follows PyTorch', async () =>
    assert.deepEqual(await backward('HardSwish', 14, [-3, 3, -4, 4], [1, 1, 1, 1]), [-0.5, 1.5, 0, 1]));

  test('Softplus', () => gradCheck({ op: 'Softplus', opset: 7, inputs: [{ dims: [3, 4], range: [-4, 4] }] }));
  test('Softsign', () => gradCheck({ op: 'Softsign', opset: 7, inputs: [{ dims: [3, 4], range: [-4, 4] }] }));
  test('Erf (opset 9)', () => gradCheck({ op: 'Erf', opset: 9, inputs: [{ dims: [3, 4], range: [-2, 2] }] }));
  test('Erf (opset 13)', () => gradCheck({ op: 'Erf', opset: 13, inputs: [{ dims: [3, 4], range: [-2, 2] }] }));
  test('Gelu approximate=none (opset 20)', () => gradCheck({ op: 'Gelu', opset: 20, inputs: [{ dims: [3, 4], range: [-3, 3] }] }));
  test('Gelu approximate=tanh (opset 20)', () =>
    gradCheck({ op: 'Gelu', opset: 20, inputs: [{ dims: [3, 4], range: [-3, 3] }], attrs: { approximate: 'tanh' } }));
  test('Mish (opset 18)', () => gradCheck({ op: 'Mish', opset: 18, inputs: [{ dims: [3, 4], range: [-3, 3] }] }));
  test('ThresholdedRelu alpha=0.3 (opset 10)', () =>
    gradCheck({ op: 'ThresholdedRelu', opset: 10, inputs: [{ dims: [3, 4], data: away(12, -1, 1, [0.3]) }], attrs: { alpha: { f: 0.3 } } }));
  // onnxruntime's float64 Shrink computes in float32, so the check runs in float32.
  test('Shrink lambd=0.4 bias=0.2 (opset 9)', () =>
    gradCheck({ op: 'Shrink', opset: 9, dtype: 'float32', inputs: [{ dims: [3, 4], data: away(12, -1, 1, [-0.4, 0.4]) }], attrs: { lambd: { f: 0.4 }, bias: { f: 0.2 } } }));
});

describe('VJP rules: Clip', () => {
  test('Clip min/max attributes (opset 7)', () =>
    gradCheck({ op: 'Clip', opset: 7, inputs: [{ dims: [4, 6], data: away(24, -2, 2, [-0.5, 0.8]) }], attrs: { min: { f: -0.5 }, max: { f: 0.8 } } }));
  test('Clip max attribute only (opset 8)', () =>
    gradCheck({ op: 'Clip', opset: 8, inputs: [{ dims: [4, 6], data: away(24, -2, 2, [0.3]) }], attrs: { max: { f: 0.3 } } }));
  test('Clip without bounds (opset 10)', () => gradCheck({ op: 'Clip', opset: 10, inputs: [{ dims: [5] }] }));
  test('Clip constant min/max inputs (opset 11)', () =>
    gradCheck({
      op: 'Clip',
      opset: 11,
      inputs: [{ dims: [4, 6], data: away(24, -2, 2, [-0.5, 0.8]) }, { dims: [], data: [-0.5], constant: 'float' }, { dims: [], data: [0.8], constant: 'float' }],
    }));
  test('Clip with only max (min absent, opset 12)', () =>
    gradCheck({ op: 'Clip', opset: 12, inputs: [{ dims: [4, 6], data: away(24, -2, 2, [0.3]) }, { dims: [], absent: true }, { dims: [], data: [0.3], constant: 'float' }] }));
  test('Clip with only min (opset 13)', () =>
    gradCheck({ op: 'Clip', opset: 13, inputs: [{ dims: [4, 6], data: away(24, -2, 2, [0.1]) }, { dims: [], data: [0.1], constant: 'float' }] }));
  test('Clip without bounds (opset 13)', () => gradCheck({ op: 'Clip', opset: 13, inputs: [{ dims: [5] }] }));
  test('Clip with differentiable min and max (opset 13)', () =>
    gradCheck({ op: 'Clip', opset: 13, inputs: [{ dims: [4, 6], data: away(24, -2, 2, [-0.5, 0.8]) }, { dims: [], data: [-0.5] }, { dims: [], data: [0.8] }] }));
  test('Clip with differentiable min > max: everything goes to max (opset 13)', () =>
    gradCheck({ op: 'Clip', opset: 13, inputs: [{ dims: [3, 4], data: away(12, -2, 2, [-0.5, 0.5]) }, { dims: [], data: [0.5] }, { dims: [], data: [-0.5] }] }));
  test('Clip with a differentiable min only (opset 13)', () =>
    gradCheck({ op: 'Clip', opset: 13, inputs: [{ dims: [3, 4], data: away(12, -2, 2, [0.2]) }, { dims: [], data: [0.2] }] }));
  test('Clip at its bounds has a zero gradient (opsets 7, 11, 13)', async () => {
    const x = [-1, -0.5, 0, 0.5, 1];
    const want = [0, 0, 1, 0, 0];
    assert.deepEqual(await backward('Clip', 7, x, [1, 1, 1, 1, 1], [attr.float('min', -0.5), attr.float('max', 0.5)]), want);
    for (const opset of [11, 13]) assert.deepEqual(await backward('Clip', opset, x, [1, 1, 1, 1, 1], [], [scalar('lo', -0.5), scalar('hi', 0.5)]), want);
  });
});

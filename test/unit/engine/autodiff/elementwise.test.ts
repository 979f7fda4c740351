import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { ElemType, ModelProto, NodeProto, TensorProto, attr } from '../../../../src/engine/onnx/proto';
import { makeTensor } from '../../../../src/engine/onnx/tensorData';
import { engineVjp, gradCheck } from '../../../support/gradcheck';

const DOUBLE = ElemType.DOUBLE;
const FLOAT = ElemType.FLOAT;

/**
 * Gradient of <seed, y> w.r.t. the float32 graph input x0 of a small multi-node model, through the real engine.
 * For cases gradCheck cannot express: chains that change float type, and exact values at ties.
 */
async function backward(
  nodes: NodeProto[],
  x: number[],
  dims: number[],
  seed: number[],
  initializers: TensorProto[] = [],
  opset = 17,
): Promise<number[]> {
  const proto: ModelProto = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: 'chain',
      node: nodes,
      input: [{ name: 'x0', type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } }],
      initializer: initializers,
      output: [{ name: 'y' }],
    },
  };
  const [g] = await engineVjp(proto, { x0: new ort.Tensor('float32', Float32Array.from(x), dims) }, ['x0'], 'y', seed);
  return Array.from(g.data as Float32Array);
}

const node = (opType: string, input: string[], output: string, attribute = [] as NodeProto['attribute']): NodeProto => ({
  name: output,
  opType,
  input,
  output: [output],
  attribute,
});

describe('VJP rules: elementwise arithmetic', () => {
  test('Div with broadcasting', () => gradCheck({ op: 'Div', opset: 14, inputs: [{ dims: [2, 3, 4] }, { dims: [3, 1], range: [0.5, 2] }] }));
  test('Div same shape (opset 7)', () => gradCheck({ op: 'Div', opset: 7, inputs: [{ dims: [2, 3] }, { dims: [2, 3], range: [-2, -0.5] }] }));
  test('Div by a constant', () => gradCheck({ op: 'Div', opset: 13, inputs: [{ dims: [4, 3] }, { dims: [3], range: [0.5, 2], constant: 'float' }] }));
  test('Div of a constant (divisor differentiable, broadcast)', () =>
    gradCheck({ op: 'Div', opset: 13, inputs: [{ dims: [3], constant: 'float' }, { dims: [2, 3], range: [0.5, 2] }] }));

  test('Pow: base and exponent differentiable, broadcasting', () =>
    gradCheck({ op: 'Pow', opset: 15, inputs: [{ dims: [2, 3, 4], range: [0.5, 2] }, { dims: [3, 1], range: [-1.5, 1.5] }] }));
  test('Pow: exponent differentiable only (opset 7)', () =>
    gradCheck({ op: 'Pow', opset: 7, inputs: [{ dims: [2, 3], range: [0.5, 2], constant: 'float' }, { dims: [2, 3], range: [-2, 2] }] }));
  test('Pow: constant scalar exponent 2', () =>
    gradCheck({ op: 'Pow', opset: 13, inputs: [{ dims: [2, 5], range: [-2, 2] }, { dims: [], data: [2], constant: 'float' }] }));
  test('Pow: constant scalar exponent 0.5', () =>
    gradCheck({ op: 'Pow', opset: 13, inputs: [{ dims: [2, 5], range: [0.5, 2] }, { dims: [], data: [0.5], constant: 'float' }] }));
  test('Pow: constant scalar exponents 1, 0 and -1.5', async () => {
    for (const b of [1, 0, -1.5]) await gradCheck({ op: 'Pow', opset: 13, inputs: [{ dims: [6], range: [0.5, 2] }, { dims: [], data: [b], constant: 'float' }] });
  });
  test('Pow: constant exponent tensor containing 0, broadcast', () =>
    gradCheck({ op: 'Pow', opset: 13, inputs: [{ dims: [2, 3], range: [0.5, 2] }, { dims: [3], data: [0, 2, -0.5], constant: 'float' }] }));
  test('Pow: integer exponent (int64, opset 12) gets no gradient', () =>
    gradCheck({ op: 'Pow', opset: 12, inputs: [{ dims: [2, 4], range: [-2, 2] }, { dims: [], data: [3], constant: 'int64' }] }));
  test('Pow: integer exponent tensor (int32, opset 15)', () =>
    gradCheck({ op: 'Pow', opset: 15, inputs: [{ dims: [2, 3], range: [-2, 2] }, { dims: [3], data: [0, 1, 3], constant: 'int32' }] }));
  test('Pow: exponent gradient is 0 at a zero base with b >= 0 (PyTorch)', async () => {
    // x0 is the exponent here: base [0, 2] ** [x, x]; d/db at a = 0 is taken as 0, at a = 2 it is 2^b·ln 2.
    const g = await backward([node('Pow', ['a', 'x0'], 'y')], [1.5, 1.5], [2], [1, 1], [makeTensor('a', FLOAT, [2], [0, 2])]);
    assert.equal(g[0], 0);
    assert.ok(Math.abs(g[1] - 2 ** 1.5 * Math.log(2)) < 1e-5);
  });

  test('Pow: base gradient is 0 (not NaN) where the exponent is 0, also at a zero base', async () => {
    const b = makeTensor('b', FLOAT, [3], [0, 2, 0.5]);
    assert.deepEqual(await backward([node('Pow', ['x0', 'b'], 'y')], [0, 0, 4], [3], [1, 1, 1], [b]), [0, 0, 0.25]);
    const zero = makeTensor('z', FLOAT, [], [0]);
    assert.deepEqual(await backward([node('Pow', ['x0', 'z'], 'y')], [0, 3], [2], [1, 1], [zero]), [0, 0]);
  });

  test('Neg', () => gradCheck({ op: 'Neg', opset: 13, inputs: [{ dims: [3, 4] }] }));
  test('Abs', () => gradCheck({ op: 'Abs', opset: 13, inputs: [{ dims: [3, 4] }] }));
  test('Abs at 0 is 0', async () => assert.deepEqual(await backward([node('Abs', ['x0'], 'y')], [0, -1, 2], [3], [1, 1, 1]), [0, -1, 1]));
  test('Sqrt', () => gradCheck({ op: 'Sqrt', opset: 13, inputs: [{ dims: [3, 4], range: [0.2, 3] }] }));
  test('Exp', () => gradCheck({ op: 'Exp', opset: 13, inputs: [{ dims: [3, 4] }] }));
  test('Exp (opset 7)', () => gradCheck({ op: 'Exp', opset: 7, inputs: [{ dims: [5] }] }));
  test('Log', () => gradCheck({ op: 'Log', opset: 13, inputs: [{ dims: [3, 4], range: [0.2, 3] }] }));
  test('Reciprocal', () => gradCheck({ op: 'Reciprocal', opset: 13, inputs: [{ dims: [3, 4], range: [0.5, 2] }] }));
  test('Reciprocal of negatives (opset 7)', () => gradCheck({ op: 'Reciprocal', opset: 7, inputs: [{ dims: [4], range: [-2, -0.5] }] }));
});

describe('VJP rules: trigonometric and hyperbolic', () => {
  const cases: [string, number, [number, number]][] = [
    ['Sin', 7, [-3, 3]],
    ['Cos', 7, [-3, 3]],
    ['Tan', 7, [-1.2, 1.2]],
    ['Asin', 7, [-0.9, 0.9]],
    ['Acos', 7, [-0.9, 0.9]],
    ['Atan', 7, [-3, 3]],
    ['Sinh', 9, [-2, 2]],
    ['Cosh', 9, [-2, 2]],
    ['Asinh', 9, [-3, 3]],
    ['Acosh', 9, [1.2, 3]],
    ['Atanh', 9, [-0.9, 0.9]],
  ];
  for (const [op, opset, range] of cases) test(op, () => gradCheck({ op, opset, inputs: [{ dims: [2, 5], range }] }));
});

describe('VJP rules: variadic Sum/Mean/Max/Min', () => {
  for (const op of ['Sum', 'Mean', 'Max', 'Min']) {
    test(`${op}: one input`, () => gradCheck({ op, opset: 13, inputs: [{ dims: [2, 3] }] }));
    test(`${op}: three inputs with broadcasting`, () =>
      gradCheck({ op, opset: 13, inputs: [{ dims: [2, 3, 4] }, { dims: [3, 1] }, { dims: [4] }] }));
    test(`${op}: same shapes (opset 7, no broadcasting)`, () => gradCheck({ op, opset: 7, inputs: [{ dims: [2, 3] }, { dims: [2, 3] }] }));
    test(`${op}: with a constant operand`, () =>
      gradCheck({ op, opset: 8, inputs: [{ dims: [3, 4] }, { dims: [4], constant: 'float' }, { dims: [3, 1] }] }));
  }
  for (const op of ['Max', 'Min']) {
    // Central differences at a two-way tie give ½ to each input, which is PyTorch's convention too.
    test(`${op}: two-way ties split the gradient in half`, () =>
      gradCheck({ op, opset: 13, inputs: [{ dims: [2, 3], data: [0.5, -1, 0.25, 0.7, 0, -0.3] }, { dims: [3], data: [0.5, 0.2, 0.25] }] }));
    test(`${op}: three-way ties split the gradient in thirds`, async () => {
      const b = makeTensor('b', FLOAT, [3], [1, 2, 3]);
      const c = makeTensor('c', FLOAT, [3], [1, 2, op === 'Max' ? 0 : 4]);
      const g = await backward([node(op, ['x0', 'b', 'c'], 'y')], [1, op === 'Max' ? 3 : 1, 3], [3], [3, 6, 9], [b, c]);
      // Element 0: x = b = c (⅓ of 3); element 1: x is the unique extremum (6); element 2: x ties with b (½ of 9).
      assert.deepEqual(g, [1, 6, 4.5]);
    });
  }
});

describe('VJP rules: Where', () => {
  const cond = { dims: [2, 1, 4], data: [1, 0, 0, 1, 0, 1, 1, 0], constant: 'bool' as const };
  test('Where: both branches differentiable, broadcasting', () => gradCheck({ op: 'Where', opset: 16, inputs: [cond, { dims: [2, 3, 4] }, { dims: [4] }] }));
  test('Where: condition broadcast against X and Y (opset 9)', () =>
    gradCheck({ op: 'Where', opset: 9, inputs: [{ dims: [3], data: [0, 1, 1], constant: 'bool' }, { dims: [2, 3] }, { dims: [2, 1] }] }));
  test('Where: constant Y', () => gradCheck({ op: 'Where', opset: 16, inputs: [cond, { dims: [2, 3, 4] }, { dims: [], data: [0], constant: 'float' }] }));
  test('Where: constant X', () => gradCheck({ op: 'Where', opset: 16, inputs: [cond, { dims: [3, 1], constant: 'float' }, { dims: [2, 3, 4] }] }));
});

describe('VJP rules: casts and piecewise-constant ops', () => {
  test('Cast to the same float type', () => gradCheck({ op: 'Cast', opset: 13, inputs: [{ dims: [2, 3] }], attrs: { to: DOUBLE } }));
  test('Cast to the same float type (opset 19, float32)', () =>
    gradCheck({ op: 'Cast', opset: 19, dtype: 'float32', inputs: [{ dims: [2, 3] }], attrs: { to: FLOAT } }));
  test('Cast float32 → float64 → ×x → float32 chain casts the gradient back', async () => {
    const x = [0.5, -1.25, 2];
    const nodes = [
      node('Cast', ['x0'], 'd', [attr.int('to', DOUBLE)]),
      node('Mul', ['d', 'd'], 'sq'),
      node('Cast', ['sq'], 'y', [attr.int('to', FLOAT)]),
    ];
    assert.deepEqual(await backward(nodes, x, [3], [1, 2, 3]), [1, -5, 12]);
  });
  test('Cast float32 → float16 → float32 (opset 7)', async () => {
    const nodes = [node('Cast', ['x0'], 'h', [attr.int('to', ElemType.FLOAT16)]), node('Cast', ['h'], 'y', [attr.int('to', FLOAT)])];
    assert.deepEqual(await backward(nodes, [0.5, 3], [2], [1.5, -2], [], 7), [1.5, -2]);
  });
  test('CastLike to the same type', () =>
    gradCheck({ op: 'CastLike', opset: 15, inputs: [{ dims: [2, 3] }, { dims: [], data: [0], constant: 'float' }] }));
  test('CastLike float32 → float64 → float32 chain; target_type gets a zero gradient', async () => {
    const t64 = makeTensor('t64', DOUBLE, [], [0]);
    const nodes = [node('CastLike', ['x0', 't64'], 'd'), node('Mul', ['d', 'd'], 'sq'), node('CastLike', ['sq', 'x0'], 'y')];
    // y = x² read back as float32; x0 is also CastLike's target_type, whose (zero) contribution must not change the sum.
    assert.deepEqual(await backward(nodes, [0.5, -1.5], [2], [2, 1], [t64]), [2, -3]);
  });
  for (const op of ['Floor', 'Ceil', 'Round', 'Sign']) {
    test(`${op} has a zero gradient`, () => gradCheck({ op, opset: op === 'Round' || op === 'Sign' ? 11 : 13, inputs: [{ dims: [3, 4], range: [-3.3, 3.3] }] }));
  }
  test('Floor (opset 7) on a path that also has a differentiable branch', async () => {
    const nodes = [node('Floor', ['x0'], 'f'), node('Add', ['f', 'x0'], 'y')];
    assert.deepEqual(await backward(nodes, [0.3, 1.7], [2], [2, 3], [], 7), [2, 3]);
  });
});

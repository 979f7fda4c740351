import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { ElemType, ModelProto, attr } from '../../../../src/engine/onnx/proto';
import { GradInput, engineVjp, gradCheck } from '../../../support/gradcheck';

/** Ops whose axes moved from attribute to input at opset 18 (ReduceSum moved at 13). */
const ATTR_UNTIL_17 = ['ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceL1', 'ReduceL2', 'ReduceLogSumExp', 'ReduceLogSum', 'ReduceSumSquare', 'ReduceProd'];

/** Input ranges away from each op's non-differentiable or undefined points. */
const RANGE: Record<string, [number, number]> = { ReduceLogSum: [0.5, 2], ReduceProd: [-1.5, 1.5] };

function x(op: string, dims = [2, 3, 4]): GradInput {
  return { dims, range: RANGE[op] };
}

/**
 * The exact VJP of a one-node model for cotangent `w` (at points finite differences cannot check, e.g. ties),
 * through the real engine.
 */
async function vjp(op: string, opset: number, data: number[], dims: number[], attrs: Record<string, number | number[]>, w: number[]) {
  const proto: ModelProto = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: 'vjp',
      node: [{ name: 'n', opType: op, input: ['x'], output: ['y'], attribute: Object.entries(attrs).map(([k, v]) => (Array.isArray(v) ? attr.ints(k, v) : attr.int(k, v))) }],
      input: [{ name: 'x', type: { tensorType: { elemType: ElemType.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } }],
      output: [{ name: 'y' }],
    },
  };
  const [g] = await engineVjp(proto, { x: new ort.Tensor('float32', Float32Array.from(data), dims) }, ['x'], 'y', w);
  return Array.from(g.data as Float32Array);
}

const close = (a: number[], b: number[]) => assert.ok(a.every((v, i) => Math.abs(v - b[i]) < 1e-6), `[${a}] != [${b}]`);

describe('VJP rules: reduction', () => {
  for (const keepdims of [0, 1]) {
    test(`ReduceSum opset 11 (axes attribute), keepdims=${keepdims}`, () =>
      gradCheck({ op: 'ReduceSum', opset: 11, inputs: [x('ReduceSum')], attrs: { axes: [-1, 0], keepdims } }));
    test(`ReduceSum opset 13 (axes input), keepdims=${keepdims}`, () =>
      gradCheck({ op: 'ReduceSum', opset: 13, inputs: [x('ReduceSum'), { dims: [2], data: [1, -1], constant: 'int64' }], attrs: { keepdims } }));
    for (const op of ATTR_UNTIL_17) {
      test(`${op} opset 13 (axes attribute), keepdims=${keepdims}`, () =>
        gradCheck({ op, opset: 13, inputs: [x(op)], attrs: { axes: [0, -1], keepdims } }));
      test(`${op} opset 18 (axes input), keepdims=${keepdims}`, () =>
        gradCheck({ op, opset: 18, inputs: [x(op), { dims: [1], data: [-2], constant: 'int64' }], attrs: { keepdims } }));
    }
  }
  for (const op of ['ReduceSum', ...ATTR_UNTIL_17]) {
    test(`${op} default axes (all) at opset 7, keepdims=0`, () => gradCheck({ op, opset: 7, inputs: [x(op, [3, 4])], attrs: { keepdims: 0 } }));
    test(`${op} default axes (all) at opset 18`, () => gradCheck({ op, opset: 18, inputs: [x(op, [3, 4])] }));
    test(`${op} noop_with_empty_axes=1 at opset 18`, () =>
      gradCheck({ op, opset: 18, inputs: [x(op, [3, 4]), { dims: [0], data: [], constant: 'int64' }], attrs: { noop_with_empty_axes: 1 } }));
  }
  test('ReduceSum noop_with_empty_axes=1 with the axes input absent (opset 13)', () =>
    gradCheck({ op: 'ReduceSum', opset: 13, inputs: [x('ReduceSum', [3, 4])], attrs: { noop_with_empty_axes: 1, keepdims: 0 } }));
  test('ReduceMean over a middle axis of a 4-D input (opset 21)', () =>
    gradCheck({ op: 'ReduceMean', opset: 21, inputs: [{ dims: [2, 3, 2, 2] }, { dims: [2], data: [1, 3], constant: 'int64' }], attrs: { keepdims: 0 } }));
  test('ReduceProd with one zero and with two zeros in a row', () =>
    gradCheck({
      op: 'ReduceProd',
      opset: 13,
      inputs: [{ dims: [3, 3], data: [0.5, 0, -1.5, 0, 2, 0, 1.25, -0.75, 0.5] }],
      attrs: { axes: [1], keepdims: 0 },
    }));

  test('ReduceMax/ReduceMin share the gradient equally among ties', async () => {
    const data = [1, 3, 3, 0, -2, -2, -2, 5];
    close(await vjp('ReduceMax', 13, data, [2, 4], { axes: [1], keepdims: 0 }, [6, 9]), [0, 3, 3, 0, 0, 0, 0, 9]);
    close(await vjp('ReduceMin', 18, data, [2, 4], { keepdims: 1 }, [4]), [0, 0, 0, 0, 4 / 3, 4 / 3, 4 / 3, 0]);
  });
  test('ReduceL2 of an all-zero slice has a zero gradient (not NaN)', async () => {
    close(await vjp('ReduceL2', 13, [0, 0, 3, 4], [2, 2], { axes: [1], keepdims: 0 }, [1, 10]), [0, 0, 6, 8]);
  });
});

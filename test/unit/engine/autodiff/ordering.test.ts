import { describe, test } from 'node:test';
import { gradCheck } from '../../../support/gradcheck';

// Distinct values 0.1 apart so no finite-difference step changes which elements TopK selects.
const spaced = (n: number, seed: number) => Array.from({ length: n }, (_, i) => ((i * 37 + seed * 11) % n) * 0.1 - n * 0.05);

describe('VJP rules: TopK, CumSum, Trilu', () => {
  test('TopK largest along the last axis (values output)', () =>
    gradCheck({ op: 'TopK', opset: 11, inputs: [{ dims: [3, 8], data: spaced(24, 1) }, { dims: [1], data: [3], constant: 'int64' }], outputs: 2, checkOutputs: [0], attrs: { axis: -1 } }));
  test('TopK smallest along axis 0, opset 11', () =>
    gradCheck({ op: 'TopK', opset: 11, inputs: [{ dims: [6, 4], data: spaced(24, 2) }, { dims: [1], data: [2], constant: 'int64' }], outputs: 2, checkOutputs: [0], attrs: { axis: 0, largest: 0 } }));
  test('TopK opset 10 (k as input)', () =>
    gradCheck({ op: 'TopK', opset: 10, inputs: [{ dims: [2, 7], data: spaced(14, 3) }, { dims: [1], data: [4], constant: 'int64' }], outputs: 2, checkOutputs: [0], attrs: { axis: 1 } }));
  for (const [exclusive, reverse] of [
    [0, 0],
    [1, 0],
    [0, 1],
    [1, 1],
  ])
    test(`CumSum exclusive=${exclusive} reverse=${reverse}`, () =>
      gradCheck({ op: 'CumSum', opset: 14, inputs: [{ dims: [3, 5] }, { dims: [], data: [1], constant: 'int64' }], attrs: { exclusive, reverse } }));
  test('CumSum along axis 0 of a 3-D tensor', () =>
    gradCheck({ op: 'CumSum', opset: 11, inputs: [{ dims: [4, 2, 3] }, { dims: [1], data: [-3], constant: 'int64' }] }));
  for (const upper of [0, 1])
    for (const k of [undefined, -1, 2])
      test(`Trilu upper=${upper} k=${k ?? 'absent'}`, () =>
        gradCheck({
          op: 'Trilu',
          opset: 14,
          inputs: k === undefined ? [{ dims: [2, 4, 5] }] : [{ dims: [2, 4, 5] }, { dims: [], data: [k], constant: 'int64' }],
          attrs: { upper },
        }));
});

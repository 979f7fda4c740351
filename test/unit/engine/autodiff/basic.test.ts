import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LayerLensError } from '../../../../src/engine/errors';
import { gradCheck } from '../../../support/gradcheck';

describe('VJP rules: basic', () => {
  test('Relu', () => gradCheck({ op: 'Relu', opset: 14, inputs: [{ dims: [2, 3, 4] }] }));
  test('Identity', () => gradCheck({ op: 'Identity', opset: 16, inputs: [{ dims: [5] }] }));
  test('Dropout (inference)', () => gradCheck({ op: 'Dropout', opset: 13, inputs: [{ dims: [2, 5] }] }));
  test('Dropout with training_mode false or ratio 0 is the identity', async () => {
    await gradCheck({ op: 'Dropout', opset: 13, inputs: [{ dims: [2, 5] }, { dims: [], constant: 'float', data: [0.3] }, { dims: [], constant: 'bool', data: [0] }] });
    await gradCheck({ op: 'Dropout', opset: 13, inputs: [{ dims: [2, 5] }, { dims: [], constant: 'float', data: [0] }, { dims: [], constant: 'bool', data: [1] }] });
  });
  test('Dropout in training mode with a ratio is refused by name (its output is random)', async () => {
    await assert.rejects(
      async () => gradCheck({ op: 'Dropout', opset: 13, inputs: [{ dims: [2, 5] }, { dims: [], constant: 'float', data: [0.3] }, { dims: [], constant: 'bool', data: [1] }] }),
      (e: unknown) => e instanceof LayerLensError && /Dropout node .* training mode \(ratio 0\.3/.test(e.message),
    );
  });
  for (const op of ['Add', 'Sub', 'Mul']) {
    test(`${op} with broadcasting`, () => gradCheck({ op, opset: 14, inputs: [{ dims: [2, 3, 4] }, { dims: [3, 1] }] }));
    test(`${op} same shape`, () => gradCheck({ op, opset: 7, inputs: [{ dims: [2, 3] }, { dims: [2, 3] }] }));
    test(`${op} with a constant operand`, () =>
      gradCheck({ op, opset: 13, inputs: [{ dims: [4, 3] }, { dims: [3], constant: 'float' }] }));
  }
});

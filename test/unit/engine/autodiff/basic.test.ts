import { describe, test } from 'node:test';
import { gradCheck } from '../../../support/gradcheck';

describe('VJP rules: basic', () => {
  test('Relu', () => gradCheck({ op: 'Relu', opset: 14, inputs: [{ dims: [2, 3, 4] }] }));
  test('Identity', () => gradCheck({ op: 'Identity', opset: 16, inputs: [{ dims: [5] }] }));
  test('Dropout (inference)', () => gradCheck({ op: 'Dropout', opset: 13, inputs: [{ dims: [2, 5] }] }));
  for (const op of ['Add', 'Sub', 'Mul']) {
    test(`${op} with broadcasting`, () => gradCheck({ op, opset: 14, inputs: [{ dims: [2, 3, 4] }, { dims: [3, 1] }] }));
    test(`${op} same shape`, () => gradCheck({ op, opset: 7, inputs: [{ dims: [2, 3] }, { dims: [2, 3] }] }));
    test(`${op} with a constant operand`, () =>
      gradCheck({ op, opset: 13, inputs: [{ dims: [4, 3] }, { dims: [3], constant: 'float' }] }));
  }
});

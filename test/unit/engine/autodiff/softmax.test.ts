import { describe, test } from 'node:test';
import { gradCheck } from '../../../support/gradcheck';

describe('VJP rules: softmax', () => {
  for (const op of ['Softmax', 'LogSoftmax']) {
    // Before 13 the op normalizes over all dims from `axis` on (default 1); from 13 over `axis` alone (default -1).
    test(`${op} opset 11, 3-D, default axis (1: dims 1 and 2 together)`, () => gradCheck({ op, opset: 11, inputs: [{ dims: [2, 3, 4] }] }));
    test(`${op} opset 11, 4-D, axis=2`, () => gradCheck({ op, opset: 11, inputs: [{ dims: [2, 2, 3, 2] }], attrs: { axis: 2 } }));
    test(`${op} opset 11, 4-D, axis=-3`, () => gradCheck({ op, opset: 11, inputs: [{ dims: [2, 2, 3, 2] }], attrs: { axis: -3 } }));
    test(`${op} opset 7, 2-D, axis=0 (everything)`, () => gradCheck({ op, opset: 7, inputs: [{ dims: [3, 4] }], attrs: { axis: 0 } }));
    test(`${op} opset 13, 3-D, default axis (-1)`, () => gradCheck({ op, opset: 13, inputs: [{ dims: [2, 3, 4] }] }));
    test(`${op} opset 13, 3-D, axis=1`, () => gradCheck({ op, opset: 13, inputs: [{ dims: [2, 3, 4] }], attrs: { axis: 1 } }));
    test(`${op} opset 18, 4-D, axis=-3`, () => gradCheck({ op, opset: 18, inputs: [{ dims: [2, 3, 2, 2] }], attrs: { axis: -3 } }));
  }
  // Hardmax is piecewise constant; distinct, well-separated values keep finite differences away from the jumps.
  const spread = Array.from({ length: 24 }, (_, i) => ((i * 7) % 24) / 4);
  test('Hardmax opset 11 (zero gradient)', () => gradCheck({ op: 'Hardmax', opset: 11, inputs: [{ dims: [2, 3, 4], data: spread }] }));
  test('Hardmax opset 13, axis=1 (zero gradient)', () =>
    gradCheck({ op: 'Hardmax', opset: 13, inputs: [{ dims: [2, 3, 4], data: spread }], attrs: { axis: 1 } }));
});

import { describe, test } from 'node:test';
import { gradCheck } from '../../../support/gradcheck';

const W = 'float' as const;

describe('VJP rules: Conv', () => {
  test('2-D, symmetric pads', () =>
    gradCheck({ op: 'Conv', opset: 11, inputs: [{ dims: [1, 2, 5, 5] }, { dims: [3, 2, 3, 3], constant: W }], attrs: { pads: [1, 1, 1, 1] } }));
  test('2-D, strides, asymmetric pads, dilations; weight and bias gradients', () =>
    gradCheck({
      op: 'Conv',
      opset: 13,
      inputs: [{ dims: [2, 2, 6, 7] }, { dims: [3, 2, 3, 2] }, { dims: [3] }],
      attrs: { strides: [2, 3], pads: [0, 1, 2, 0], dilations: [2, 1] },
    }));
  test('1-D, stride 3 (input tail not read)', () =>
    gradCheck({ op: 'Conv', opset: 11, inputs: [{ dims: [2, 3, 11] }, { dims: [2, 3, 3] }, { dims: [2], constant: W }], attrs: { strides: [3], pads: [2, 0] } }));
  test('3-D with strides and pads', () =>
    gradCheck({
      op: 'Conv',
      opset: 11,
      inputs: [{ dims: [1, 2, 4, 4, 3] }, { dims: [2, 2, 2, 3, 2] }],
      attrs: { strides: [2, 1, 2], pads: [1, 0, 1, 0, 1, 1] },
    }));
  test('group=2 with weight gradient', () =>
    gradCheck({ op: 'Conv', opset: 11, inputs: [{ dims: [2, 4, 5, 5] }, { dims: [6, 2, 3, 3] }], attrs: { group: 2, pads: [1, 0, 0, 1] } }));
  test('depthwise, stride 2', () =>
    gradCheck({
      op: 'Conv',
      opset: 11,
      inputs: [{ dims: [2, 3, 6, 6] }, { dims: [3, 1, 3, 3] }, { dims: [3] }],
      attrs: { group: 3, strides: [2, 2], pads: [1, 1, 1, 1] },
    }));
  for (const autoPad of ['SAME_UPPER', 'SAME_LOWER', 'VALID']) {
    test(`auto_pad=${autoPad}, stride 2, odd total padding`, () =>
      gradCheck({ op: 'Conv', opset: 11, inputs: [{ dims: [1, 2, 6, 7] }, { dims: [2, 2, 3, 4] }], attrs: { auto_pad: autoPad, strides: [2, 2] } }));
  }
  test('auto_pad=SAME_UPPER, 1x1 kernel, stride 2 (negative end pad)', () =>
    gradCheck({ op: 'Conv', opset: 11, inputs: [{ dims: [1, 2, 6, 6] }, { dims: [3, 2, 1, 1] }], attrs: { auto_pad: 'SAME_UPPER', strides: [2, 2] } }));
  test('auto_pad=SAME_LOWER, 1x1 kernel, stride 4 (end rows unread)', () =>
    gradCheck({ op: 'Conv', opset: 11, inputs: [{ dims: [1, 2, 7] }, { dims: [3, 2, 1] }], attrs: { auto_pad: 'SAME_LOWER', strides: [4] } }));
  test('opset 7 with kernel_shape', () =>
    gradCheck({ op: 'Conv', opset: 7, inputs: [{ dims: [1, 2, 4, 4] }, { dims: [2, 2, 2, 2], constant: W }], attrs: { kernel_shape: [2, 2] } }));
  test('weight gradient only (input constant)', () =>
    gradCheck({ op: 'Conv', opset: 18, inputs: [{ dims: [2, 2, 5, 4], constant: W }, { dims: [4, 1, 2, 3] }], attrs: { group: 2, strides: [2, 1] } }));
});

describe('VJP rules: Conv, stride-1 fast path (input gradient as a Conv with the flipped weight)', () => {
  const cases: [string, number[], number[], Record<string, number[] | number>][] = [
    ['2-D, asymmetric pads', [2, 3, 6, 5], [4, 3, 3, 2], { pads: [1, 0, 2, 1] }],
    ['2-D, dilations and pads', [1, 2, 7, 7], [3, 2, 3, 3], { dilations: [2, 1], pads: [2, 1, 1, 0] }],
    ['2-D, groups', [2, 4, 5, 5], [6, 2, 3, 3], { group: 2, pads: [1, 1, 1, 1] }],
    ['depthwise', [1, 3, 6, 6], [3, 1, 3, 3], { group: 3, pads: [1, 1, 1, 1] }],
    ['depthwise with multiplier 2', [1, 2, 5, 5], [4, 1, 3, 3], { group: 2, pads: [0, 1, 1, 0] }],
    ['1-D, even kernel, no pads', [2, 2, 9], [3, 2, 4], {}],
    ['3-D', [1, 2, 4, 3, 4], [2, 2, 2, 3, 2], { pads: [1, 1, 0, 0, 1, 1] }],
    ['pads larger than the kernel reach (falls back to ConvTranspose)', [1, 2, 4, 4], [2, 2, 2, 2], { pads: [2, 2, 2, 2] }],
    // 1×1 kernels take the tiled transpose; 40 × 36 per group crosses its 32-wide tiles unevenly.
    ['1×1, groups, channels not a multiple of the tile', [1, 72, 2, 3], [80, 36, 1, 1], { group: 2 }],
    ['1×1, one group', [2, 33, 3, 2], [35, 33, 1, 1], {}],
  ];
  for (const [name, x, w, attrs] of cases)
    test(name, () => gradCheck({ op: 'Conv', opset: 13, inputs: [{ dims: x }, { dims: w, constant: W }], attrs }));
});

describe('VJP rules: ConvTranspose', () => {
  test('2-D, strides, pads, output_padding', () =>
    gradCheck({
      op: 'ConvTranspose',
      opset: 11,
      inputs: [{ dims: [1, 2, 3, 3] }, { dims: [2, 3, 3, 3], constant: W }],
      attrs: { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] },
    }));
  test('group=2, dilations, asymmetric pads; weight and bias gradients', () =>
    gradCheck({
      op: 'ConvTranspose',
      opset: 11,
      inputs: [{ dims: [2, 4, 3, 4] }, { dims: [4, 1, 2, 3] }, { dims: [2] }],
      attrs: { group: 2, strides: [2, 1], dilations: [2, 1], pads: [0, 1, 1, 0] },
    }));
  test('1-D, stride 3, output_padding 2', () =>
    gradCheck({
      op: 'ConvTranspose',
      opset: 1,
      inputs: [{ dims: [2, 2, 4] }, { dims: [2, 2, 3] }],
      attrs: { strides: [3], output_padding: [2], pads: [1, 2] },
    }));
  test('dilations 2 with output_padding 1 (stride 2)', () =>
    gradCheck({
      op: 'ConvTranspose',
      opset: 11,
      inputs: [{ dims: [1, 2, 4, 3] }, { dims: [2, 2, 2, 2] }],
      attrs: { dilations: [2, 2], strides: [2, 2], output_padding: [1, 0], pads: [0, 1, 0, 0] },
    }));
  test('output_shape with odd total padding', () =>
    gradCheck({
      op: 'ConvTranspose',
      opset: 11,
      inputs: [{ dims: [1, 2, 3, 3] }, { dims: [2, 2, 3, 3] }],
      attrs: { strides: [2, 2], output_shape: [6, 5] },
    }));
  test('output_shape with SAME_UPPER and odd total padding', () =>
    gradCheck({
      op: 'ConvTranspose',
      opset: 11,
      inputs: [{ dims: [1, 2, 3, 3] }, { dims: [2, 2, 3, 3], constant: W }],
      attrs: { strides: [2, 2], output_shape: [6, 5], auto_pad: 'SAME_UPPER' },
    }));
  test('output_shape with SAME_LOWER and odd total padding', () =>
    gradCheck({
      op: 'ConvTranspose',
      opset: 11,
      inputs: [{ dims: [1, 2, 3, 3] }, { dims: [2, 2, 3, 3], constant: W }],
      attrs: { strides: [2, 2], output_shape: [6, 5], auto_pad: 'SAME_LOWER' },
    }));
  test('3-D with weight gradient', () =>
    gradCheck({
      op: 'ConvTranspose',
      opset: 11,
      inputs: [{ dims: [1, 2, 2, 3, 3] }, { dims: [2, 2, 2, 3, 2] }],
      attrs: { strides: [1, 2, 1], pads: [0, 1, 0, 1, 0, 1] },
    }));
  for (const autoPad of ['SAME_UPPER', 'SAME_LOWER', 'VALID']) {
    test(`auto_pad=${autoPad}, stride 2`, () =>
      gradCheck({
        op: 'ConvTranspose',
        opset: 11,
        inputs: [{ dims: [1, 2, 3, 4] }, { dims: [2, 2, 4, 3], constant: W }],
        attrs: { strides: [2, 2], auto_pad: autoPad },
      }));
  }
});

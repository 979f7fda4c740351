/** The class map of a segmentation output and the "class c where it wins" mask (Captum's segmentation target). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classMapOf, winsMask } from '../../../src/shared/segmentation';

// [1, 3, 2, 2]: class planes for a 2×2 image.
const logits = Float32Array.from([
  // class 0
  5, 0, 0, 1,
  // class 1
  1, 4, 0, 1,
  // class 2
  0, 1, 3, 1,
]);

describe('classMapOf', () => {
  it('takes the argmax over the class axis (ties: the lowest class) and counts pixels per class', () => {
    const m = classMapOf(logits, [1, 3, 2, 2]);
    assert.deepEqual(m.dims, [1, 2, 2]);
    assert.deepEqual([...m.data], [0, 1, 2, 0]);
    assert.deepEqual(m.pixels, [[2, 1, 1]]);
  });

  it('reads channels-last outputs the same way', () => {
    const last = new Float32Array(12);
    for (let c = 0; c < 3; c++) for (let p = 0; p < 4; p++) last[p * 3 + c] = logits[c * 4 + p];
    assert.deepEqual([...classMapOf(last, [1, 2, 2, 3], 'channels-last').data], [0, 1, 2, 0]);
  });

  it('one map per example', () => {
    const two = Float32Array.from([...logits, ...logits.map((v, i) => (i < 4 ? -v : v))]);
    const m = classMapOf(two, [2, 3, 2, 2]);
    assert.deepEqual([...m.data], [0, 1, 2, 0, 1, 1, 2, 1]);
  });
});

describe('winsMask', () => {
  it('selects class c at exactly the pixels where it wins; Σ mask ⊙ out is the sum of its logits there', () => {
    const map = classMapOf(logits, [1, 3, 2, 2]);
    const m = winsMask(map, 1);
    assert.deepEqual(m.dims, [1, 3, 2, 2]);
    assert.deepEqual([...m.data], [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(m.pixels, [1]);
    const s0 = winsMask(map, 0);
    assert.equal(s0.data.reduce((a, v, i) => a + v * logits[i], 0), 5 + 1, 'class 0 wins pixels 0 and 3 with logits 5 and 1');
  });

  it('channels-last masks sit on the last axis', () => {
    const map = classMapOf(logits, [1, 3, 2, 2]);
    const m = winsMask(map, 2, 'channels-last');
    assert.deepEqual(m.dims, [1, 2, 2, 3]);
    assert.deepEqual([...m.data].map((v, i) => (v ? i : -1)).filter((i) => i >= 0), [2 * 3 + 2]);
  });

  it('refuses a class the output does not have', () => {
    assert.throws(() => winsMask(classMapOf(logits, [1, 3, 2, 2]), 3), /out of range/);
  });
});

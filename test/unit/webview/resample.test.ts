// PyTorch F.interpolate semantics (nearest; bilinear with align_corners=False), by hand.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { linearTaps, nearestIndices, resizeBilinear, resizeNearest } from '../../../webview/heatmap/resample';

describe('nearest upsampling', () => {
  it('takes floor(dst · in/out)', () => {
    assert.deepEqual(Array.from(nearestIndices(2, 4)), [0, 0, 1, 1]);
    assert.deepEqual(Array.from(nearestIndices(3, 7)), [0, 0, 0, 1, 1, 2, 2]);
    assert.deepEqual(Array.from(nearestIndices(4, 2)), [0, 2]);
    assert.deepEqual(Array.from(nearestIndices(7, 224)).slice(0, 33).filter((x, i, a) => i === 0 || a[i - 1] !== x), [0, 1]);
  });

  it('repeats 2×2 into 4×4 blocks', () => {
    assert.deepEqual(Array.from(resizeNearest([0, 1, 2, 3], 2, 2, 4, 4)), [0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3]);
  });
});

describe('bilinear upsampling (align_corners=False)', () => {
  it('places taps at (dst + 0.5)·in/out − 0.5, clamped at the edges', () => {
    const t = linearTaps(2, 4);
    assert.deepEqual(Array.from(t.lo), [0, 0, 0, 1]);
    assert.deepEqual(Array.from(t.hi), [1, 1, 1, 1]);
    assert.deepEqual(Array.from(t.w), [0, 0.25, 0.75, 0.25]); // the last weight falls on a clamped tap (lo = hi)
  });

  it('2×2 → 4×4 equals torch.nn.functional.interpolate([[0,1],[2,3]], size=4, mode="bilinear")', () => {
    assert.deepEqual(Array.from(resizeBilinear([0, 1, 2, 3], 2, 2, 4, 4)), [0, 0.25, 0.75, 1, 0.5, 0.75, 1.25, 1.5, 1.5, 1.75, 2.25, 2.5, 2, 2.25, 2.75, 3]);
  });

  it('keeps a constant map constant and the identity size unchanged', () => {
    assert.ok(resizeBilinear(new Float64Array(9).fill(2.5), 3, 3, 10, 7).every((v) => v === 2.5));
    const src = [1, 2, 3, 4, 5, 6];
    assert.deepEqual(Array.from(resizeBilinear(src, 3, 2, 3, 2)), src);
  });

  it('non-square, 1 row: 3 → 5 along x', () => {
    // scale 0.6: src x = 0→0 (clamped), 1→0.4, 2→1.0, 3→1.6, 4→2.2 (hi clamped to 2)
    const out = Array.from(resizeBilinear([0, 10, 20], 3, 1, 5, 1));
    [0, 4, 10, 16, 20].forEach((e, i) => assert.ok(Math.abs(out[i] - e) < 1e-12, `${out[i]} vs ${e}`));
  });
});

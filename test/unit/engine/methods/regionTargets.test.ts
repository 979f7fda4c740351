/** Box and mask targets: parsing, the seed they make, and errors (the Captum references are in the fixture suite). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AttributionTarget } from '../../../../src/engine/api';
import { buildSeed, parseTargetSpec } from '../../../../src/engine/attribution/targets';
import { LayerLensError } from '../../../../src/engine/errors';

describe('box targets', () => {
  const parsed: [string, AttributionTarget][] = [
    ['(3, 0:16, 16:32)', { kind: 'box', box: [3, { start: 0, stop: 16 }, { start: 16, stop: 32 }] }],
    ['(0:2, 1, 0:1)', { kind: 'box', box: [{ start: 0, stop: 2 }, 1, { start: 0, stop: 1 }] }],
    ['(1, :, -2:)', { kind: 'box', box: [1, {}, { start: -2 }] }],
    ['(0,1:2),(1,:1)', { kind: 'boxes', boxes: [[0, { start: 1, stop: 2 }], [1, { stop: 1 }]] }],
  ];
  for (const [text, t] of parsed) test(`parses '${text}'`, () => assert.deepEqual(parseTargetSpec(text), t));
  test('a slice with a step is refused', () => assert.throws(() => parseTargetSpec('(0, 0:4:2)'), /step/));

  test('ones on the box in every example, Python slice clamping and negative ends', () => {
    // Output [2, 2, 3]: box (1, -2:) = channel 1, columns 1..2.
    const seed = buildSeed(parseTargetSpec('(1, -2:)'), [2, 2, 3]);
    assert.deepEqual(Array.from(seed), [0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1]);
    const clamped = buildSeed(parseTargetSpec('(0, 1:99)'), [1, 2, 3]);
    assert.deepEqual(Array.from(clamped), [0, 1, 1, 0, 0, 0]);
  });
  test('one box per example', () => {
    assert.deepEqual(Array.from(buildSeed(parseTargetSpec('(0:1),(1:2)'), [2, 2])), [1, 0, 0, 1]);
  });
  test('errors name the problem', () => {
    assert.throws(() => buildSeed(parseTargetSpec('(0:1, 0)'), [1, 3]), (e: unknown) => e instanceof LayerLensError && /needs 1 entries/.test(e.message));
    assert.throws(() => buildSeed(parseTargetSpec('(5, 0:1)'), [1, 3, 2]), /out of range/);
    assert.throws(() => buildSeed(parseTargetSpec('(0:1),(0:1),(0:1)'), [2, 3]), /3 boxes for a batch of 2/);
  });
});

describe('mask targets', () => {
  const mask = (dims: number[], values: number[]): AttributionTarget => ({ kind: 'mask', mask: { dtype: 'float32', dims, data: Float32Array.from(values) } });
  test("one example's shape is shared by every example", () => {
    assert.deepEqual(Array.from(buildSeed(mask([3], [1, 0, -1]), [2, 3])), [1, 0, -1, 1, 0, -1]);
  });
  test('the whole output shape gives one mask per example', () => {
    assert.deepEqual(Array.from(buildSeed(mask([2, 2], [1, 2, 3, 4]), [2, 2])), [1, 2, 3, 4]);
  });
  test('size-1 axes broadcast as in NumPy', () => {
    assert.deepEqual(Array.from(buildSeed(mask([2, 1], [1, 2]), [1, 2, 2])), [1, 1, 2, 2]);
  });
  test('a mask that does not broadcast is refused with both shapes', () => {
    assert.throws(() => buildSeed(mask([4], [1, 2, 3, 4]), [2, 3]), (e: unknown) => e instanceof LayerLensError && /\[4\]/.test(e.message) && /\[2, 3\]/.test(e.message));
  });
});

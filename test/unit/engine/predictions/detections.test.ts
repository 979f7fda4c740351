/** A detector's ranked detections: per-anchor best non-background class, ranked, boxes attached, duplicates suppressed. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { boxUnits, iou, rankDetections } from '../../../../src/engine/predictions/detections';

/** scores [1, A, C] and boxes [1, A, 4] from rows. */
const t = (rows: number[][]) => ({ dims: [1, rows.length, rows[0].length], data: Float32Array.from(rows.flat()) });

describe('rankDetections', () => {
  // Anchor rows: [background, face] softmax pairs, as a face detector's [1, N, 2] scores.
  const scores = t([
    [0.9, 0.1],
    [0.2, 0.8],
    [0.05, 0.95],
    [0.6, 0.4],
    [0.3, 0.7],
  ]);
  const boxes = t([
    [0, 0, 0.1, 0.1],
    [0.5, 0.5, 0.7, 0.7],
    [0.52, 0.5, 0.72, 0.7], // anchor 2 sees the same face as anchor 1, better
    [0.1, 0.1, 0.2, 0.2],
    [0.1, 0.6, 0.3, 0.8], // a second face
  ]);

  it('ranks each anchor by its best class other than the background, never listing the background', () => {
    const [dets] = rankDetections(scores, undefined, { top: 5, background: 0 });
    assert.deepEqual(
      dets.map((d) => [d.anchor, d.class, Math.round(d.score * 100)]),
      [
        [2, 1, 95],
        [1, 1, 80],
        [4, 1, 70],
        [3, 1, 40],
        [0, 1, 10],
      ],
    );
  });

  it('without a background class every class competes (a sigmoid detector)', () => {
    const [dets] = rankDetections(scores, undefined, { top: 2 });
    assert.deepEqual(dets.map((d) => [d.anchor, d.class]), [[2, 1], [0, 0]]);
  });

  it('attaches boxes and suppresses a worse box of the same class that overlaps a better one', () => {
    const [dets] = rankDetections(scores, boxes, { top: 3, background: 0 });
    assert.deepEqual(dets.map((d) => d.anchor), [2, 4, 3], 'anchor 1 (IoU 0.82 with anchor 2) is suppressed');
    assert.deepEqual(dets[0].box, [0.52, 0.5, 0.72, 0.7].map((v) => Math.fround(v)));
    const all = rankDetections(scores, boxes, { top: 3, background: 0, iou: 1 })[0];
    assert.deepEqual(all.map((d) => d.anchor), [2, 1, 4], 'iou ≥ 1 keeps every box');
  });

  it('one list per example', () => {
    const two = { dims: [2, 2, 2], data: Float32Array.of(0.9, 0.1, 0.3, 0.7, 0.2, 0.8, 0.4, 0.6) };
    assert.deepEqual(rankDetections(two, undefined, { top: 1, background: 0 }).map((l) => l[0].anchor), [1, 0]);
  });

  it('refuses boxes that do not match the scores', () => {
    assert.throws(() => rankDetections(scores, t([[0, 0, 1, 1]]), { top: 1 }), /do not match/);
    assert.throws(() => rankDetections({ dims: [1, 4], data: new Float32Array(4) }, undefined, { top: 1 }), /\[N, anchors, classes\]/);
  });
});

describe('iou and box units', () => {
  it('iou of corner boxes', () => {
    assert.equal(iou([0, 0, 2, 2], [1, 1, 3, 3]), 1 / 7);
    assert.equal(iou([0, 0, 1, 1], [2, 2, 3, 3]), 0);
    assert.equal(iou([0, 0, 1, 1], [0, 0, 1, 1]), 1);
  });
  it('fractions when every coordinate is near [0, 1], else pixels', () => {
    assert.equal(boxUnits([[{ anchor: 0, class: 1, score: 1, box: [-0.02, 0.1, 1.01, 0.9] }]]), 'fractions');
    assert.equal(boxUnits([[{ anchor: 0, class: 1, score: 1, box: [12, 30, 64, 90] }]]), 'pixels');
  });
});

// The targets the Predictions panel's controls make, by output role, in the field's SPEC syntax (or a mask).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTargetText } from '../../../src/shared/targetSpec';
import { autoTarget, detectionOf, detectionOnInput, detectionText, imageBoxOf, imageBoxText, largestClass, winsTarget } from '../../../webview/outputTargets';

const parsed = (text: string) => {
  const t = parseTargetText(text);
  if (typeof t === 'string') throw new Error(t);
  return t;
};

describe('image output boxes', () => {
  it('a dragged box of a one-channel output is (0, y0:y1, x0:x1); of a colour output, summed over channels', () => {
    assert.equal(imageBoxText([1, 1, 192, 192], 'channels-first', { y0: 10, y1: 40, x0: 20, x1: 60 }), '(0,10:40,20:60)');
    assert.equal(imageBoxText([1, 3, 64, 64], 'channels-first', { y0: 10, y1: 40, x0: 20, x1: 60 }), '(:,10:40,20:60)');
    assert.equal(imageBoxText([1, 64, 64, 3], 'channels-last', { y0: 10, y1: 40, x0: 20, x1: 60 }), '(10:40,20:60,:)');
  });
  it('one pixel of a one-channel output is an index tuple', () => {
    assert.equal(imageBoxText([1, 1, 192, 192], 'channels-first', { y0: 5, y1: 6, x0: 7, x1: 8 }), '(0,5,7)');
    assert.equal(imageBoxText([1, 3, 8, 8], 'channels-first', { y0: 5, y1: 6, x0: 7, x1: 8 }), '(:,5,7)');
  });
  it('reads the box back from the target (slices clamped as Python does, negative indices from the end)', () => {
    assert.deepEqual(imageBoxOf(parsed('(0,10:40,20:60)'), [1, 1, 192, 192], 'channels-first'), { y0: 10, y1: 40, x0: 20, x1: 60 });
    assert.deepEqual(imageBoxOf(parsed('(0,5,7)'), [1, 1, 192, 192], 'channels-first'), { y0: 5, y1: 6, x0: 7, x1: 8 });
    assert.deepEqual(imageBoxOf(parsed('(:,:,:)'), [1, 3, 8, 8], 'channels-first'), { y0: 0, y1: 8, x0: 0, x1: 8 });
    assert.deepEqual(imageBoxOf(parsed('(0,-2:999,:3)'), [1, 1, 8, 8], 'channels-first'), { y0: 6, y1: 8, x0: 0, x1: 3 });
    assert.equal(imageBoxOf(parsed('3'), [1, 1, 8, 8], 'channels-first'), undefined);
  });
});

describe('detections', () => {
  const dets = [
    { anchor: 27, class: 1, score: 0.97, box: [0.1, 0.2, 0.45, 0.6] as [number, number, number, number] },
    { anchor: 40, class: 3, score: 0.91, box: [8, 16, 32, 48] as [number, number, number, number] },
  ];
  it('one detection is (anchor, class); a batch one tuple per example', () => {
    assert.equal(detectionText([dets[0]]), '(27,1)');
    assert.equal(detectionText(dets), '(27,1),(40,3)');
  });
  it('finds the detection a target picks', () => {
    assert.equal(detectionOf(parsed('(40,3)'), dets, 0), dets[1]);
    assert.equal(detectionOf(parsed('(40,2)'), dets, 0), undefined);
    assert.equal(detectionOf(parsed('(27,1),(40,3)'), dets, 1), dets[1]);
  });
  it('places boxes on the input: fractions as they are, pixels of the model input divided by its size', () => {
    assert.deepEqual(detectionOnInput(dets[0], 'fractions', undefined), [0.1, 0.2, 0.45, 0.6]);
    assert.deepEqual(detectionOnInput(dets[1], 'pixels', { width: 64, height: 64 }), [0.125, 0.25, 0.5, 0.75]);
    assert.equal(detectionOnInput(dets[1], 'pixels', undefined), undefined);
  });
});

describe('automatic targets by role', () => {
  const resp = (outputShape: number[], view?: unknown) => ({ outputName: 'y', outputShape, top: [[{ index: 4, score: 1 }]], provider: 'cpu', timings: { load: 0, compile: 0, run: 0 }, view }) as never;
  it('classifier: the top class; detector: the top detection; image: the whole output; a denser unknown output: none', () => {
    assert.deepEqual(autoTarget('classifier', resp([1, 10]), undefined, [], 1), { text: '4' });
    const det = { role: 'detector', detections: [[{ anchor: 9, class: 2, score: 0.9 }]], iou: 0.5 };
    assert.deepEqual(autoTarget('detector', resp([1, 64, 4], det), det as never, [], 1), { text: '(9,2)' });
    const img = { role: 'image', rgba: { dtype: 'uint8', dims: [1, 8, 8, 4], data: new Uint8Array(256) }, range: [0, 1], rangeBasis: '', layout: 'channels-first' };
    assert.deepEqual(autoTarget('image', resp([1, 1, 8, 8], img), img as never, [], 1), { text: '(:,:,:)' });
    assert.equal(autoTarget('other', resp([1, 7, 50]), undefined, [], 1), undefined);
  });
  it('segmentation: the class covering most pixels, a class labelled background aside', () => {
    assert.equal(largestClass([900, 50, 70, 0], ['background', 'circle', 'square', 'triangle']), 2);
    assert.equal(largestClass([900, 50, 70, 0], ['sky', 'circle', 'square', 'triangle']), 0);
    assert.equal(largestClass([1000, 0, 0], ['background', 'a', 'b']), 0, 'only the background: the background');
    const seg = { role: 'segmentation', classMap: { dtype: 'uint8', dims: [1, 2, 2], data: Uint8Array.of(0, 2, 2, 1) }, pixels: [[1, 1, 2]], layout: 'channels-first' };
    assert.deepEqual(autoTarget('segmentation', resp([1, 3, 2, 2], seg), seg as never, ['background', 'a', 'b'], 1), { wins: 2 });
    const { mask, pixels } = winsTarget(seg as never, 2, 3);
    assert.deepEqual(mask.dims, [1, 3, 2, 2]);
    assert.deepEqual([...mask.data], [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0]);
    assert.deepEqual(pixels, [2]);
  });
});

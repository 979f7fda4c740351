/** The input panel's "as the model sees it" size comes from the tensor, not from the preview's size. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { modelPixels } from '../../../webview/imageShape';

test('height and width of NCHW and NHWC image tensors', () => {
  assert.deepEqual(modelPixels([1, 3, 224, 224], 'nchw'), [224, 224]);
  assert.deepEqual(modelPixels([1, 3, 240, 320], 'nchw'), [240, 320]);
  assert.deepEqual(modelPixels([2, 240, 320, 3], 'nhwc'), [240, 320]);
  assert.equal(modelPixels([1, 10], 'nchw'), undefined);
});

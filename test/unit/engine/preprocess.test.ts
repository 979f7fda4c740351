/** Which preprocessing an image gets by default: sidecar, metadata, or what the model's shapes imply. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ModelSession } from '../../../src/engine/modelSession';
import { ElemType, ModelProto } from '../../../src/engine/onnx/proto';
import { makeTensor } from '../../../src/engine/onnx/tensorData';
import { looksImageNetShaped, modelPreprocess } from '../../../src/engine/preprocess';
import { floatValue, writeModel } from '../../support/tinyModels';

/** x[N,3,S,S] → GlobalAveragePool → Flatten → Gemm → y[N,classes]. */
function classifier(size: number, classes: number): ModelProto {
  return {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'cls',
      node: [
        { name: '/pool/GlobalAveragePool', opType: 'GlobalAveragePool', input: ['x'], output: ['p'] },
        { name: '/flat/Flatten', opType: 'Flatten', input: ['p'], output: ['f'] },
        { name: '/fc/Gemm', opType: 'Gemm', input: ['f', 'w'], output: ['y'] },
      ],
      initializer: [makeTensor('w', ElemType.FLOAT, [3, classes], new Array(3 * classes).fill(0.01))],
      input: [floatValue('x', ['N', 3, size, size])],
      output: [floatValue('y', ['N', classes])],
    },
  };
}

describe('default preprocessing', () => {
  test('an ImageNet-shaped classifier gets ImageNet mean/std and a centre crop, saying why', async () => {
    const s = await ModelSession.open(writeModel(classifier(224, 1000)));
    try {
      const { preprocess, source } = modelPreprocess(s);
      assert.deepEqual(preprocess.mean, [0.485, 0.456, 0.406]);
      assert.deepEqual(preprocess.std, [0.229, 0.224, 0.225]);
      assert.equal(preprocess.resize, 'center-crop');
      assert.deepEqual(preprocess.size, [224, 224]);
      assert.match(source, /ImageNet-shaped/);
    } finally {
      await s.dispose();
    }
  });
  test('other shapes keep what the shape implies (no normalisation guessed)', async () => {
    const s = await ModelSession.open(writeModel(classifier(32, 10)));
    try {
      const { preprocess, source } = modelPreprocess(s);
      assert.equal(preprocess.mean, undefined);
      assert.equal(preprocess.resize, undefined);
      assert.equal(source, 'input shape');
    } finally {
      await s.dispose();
    }
  });
  test('the rule itself', () => {
    assert.equal(looksImageNetShaped([1, 3, 224, 224], ['N', 1001], 1), true);
    assert.equal(looksImageNetShaped([1, 224, 224, 3], [1, 1000], 1), true);
    assert.equal(looksImageNetShaped([1, 3, 224, 224], [1, 1000], 2), false);
    assert.equal(looksImageNetShaped([1, 3, 256, 256], [1, 1000], 1), false);
    assert.equal(looksImageNetShaped([1, 3, 224, 224], [1, 1000, 7], 1), false);
  });
});

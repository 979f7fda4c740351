/**
 * A second zoo of small torch-exported models in the styles a Captum user brings (a VGG-style net, a GPT-style LM
 * with logits at every position and tuple targets, MobileNet blocks with
 * squeeze-excitation, DenseNet concatenation, a text CNN with LogSoftmax, attention pooling, a two-input siamese
 * net, a U-Net with per-pixel tuple targets, and a grab bag of tensor ops), each case against PyTorch autograd:
 * layer outputs and inputs, gradient × activation and gradient only. Made by test/data/model_zoo2/make.py,
 * listed in its cases.json.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { TargetSpec } from '../../../src/engine/api';
import { ModelSession } from '../../../src/engine/modelSession';
import { readNpy } from '../../../src/engine/tensor/npy';
import { REPO_ROOT, matchesReference } from '../../support/fixtures';

const DIR = path.join(REPO_ROOT, 'test', 'data', 'model_zoo2');

interface ZooCase {
  model: string;
  inputs: string[];
  layer: string;
  target: TargetSpec;
  layerInput: boolean;
  gradientOnly: boolean;
  ref: string;
}

const cases = JSON.parse(fs.readFileSync(path.join(DIR, 'cases.json'), 'utf8')) as ZooCase[];

describe('model zoo 2 (torch 1.13 exports) against PyTorch autograd', () => {
  test('the zoo has all its cases', () => assert.equal(cases.length, 23));
  for (const c of cases) {
    const what = `${c.layerInput ? 'input' : 'output'}${c.gradientOnly ? ', gradient only' : ''}`;
    test(`${c.model}: ${c.layer} (${what}), target ${JSON.stringify(c.target)}`, async () => {
      const s = await ModelSession.open(path.join(DIR, c.model));
      try {
        const inputs = await Promise.all(c.inputs.map((f) => readNpy(path.join(DIR, f))));
        const r = await s.attribute({ layers: [c.layer], inputs, target: c.target, layerInput: c.layerInput, gradientOnly: c.gradientOnly, threads: 1 });
        const cmp = await matchesReference(r.attributions[0][0], path.join(DIR, c.ref));
        assert.ok(cmp.ok, cmp.message);
      } finally {
        await s.dispose();
      }
    });
  }
});

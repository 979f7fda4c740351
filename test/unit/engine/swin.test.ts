/**
 * A Swin-style window-attention transformer exported by torch 1.13 at opset 17 with its Dropout nodes kept (each
 * with ratio, training_mode and a bool mask output), attributed at its attention layers and against PyTorch
 * autograd: layer outputs and inputs, the attention weights after attn_drop, gradient only. Made by
 * test/data/swin/make.py, listed in its cases.json.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { TargetSpec } from '../../../src/engine/api';
import { ModelSession } from '../../../src/engine/modelSession';
import { readNpy } from '../../../src/engine/tensor/npy';
import { REPO_ROOT, matchesReference } from '../../support/fixtures';

const DIR = path.join(REPO_ROOT, 'test', 'data', 'swin');

interface SwinCase {
  model: string;
  inputs: string[];
  layer: string;
  target: TargetSpec;
  layerInput: boolean;
  gradientOnly: boolean;
  ref: string;
}

const cases = JSON.parse(fs.readFileSync(path.join(DIR, 'cases.json'), 'utf8')) as SwinCase[];

describe('Swin-style window attention (torch 1.13 export with Dropout nodes) against PyTorch autograd', () => {
  test('the model has all its cases', () => assert.equal(cases.length, 5));
  for (const c of cases) {
    const what = `${c.layerInput ? 'input' : 'output'}${c.gradientOnly ? ', gradient only' : ''}`;
    test(`${c.layer} (${what}), target ${JSON.stringify(c.target)}`, async () => {
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

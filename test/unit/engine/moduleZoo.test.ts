/**
 * Common PyTorch modules exported by torch 1.13 (test/data/module_zoo/make.py), against PyTorch autograd:
 * GroupNorm, SiLU, bilinear Upsample, strided Conv, Hardswish, Mish, ELU, LeakyReLU, PReLU, PixelShuffle,
 * AdaptiveAvgPool, BatchNorm1d, TransformerEncoderLayer (through MultiheadAttention), Softplus.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { ModelSession } from '../../../src/engine/modelSession';
import { readNpy } from '../../../src/engine/tensor/npy';
import { REPO_ROOT, compareTensor } from '../../support/fixtures';

const DIR = path.join(REPO_ROOT, 'test', 'data', 'module_zoo');
const session = ModelSession.open(path.join(DIR, 'zoo.onnx'));
after(async () => (await session).dispose());

describe('PyTorch module zoo', () => {
  for (const layer of ['stem', 'down', 'act2', 'act5', 'ps', 'bn1d', 'enc', 'head.1']) {
    test(layer, async () => {
      const s = await session;
      const x = await readNpy(path.join(DIR, 'x.npy'));
      const r = await s.attribute({ layers: [layer], inputs: [x], target: { kind: 'index', index: 2 }, threads: 1 });
      const exp = await readNpy(path.join(DIR, `ref_${layer}.npy`));
      let max = 0;
      for (const v of exp.data as Float32Array) max = Math.max(max, Math.abs(v));
      const cmp = compareTensor(r.attributions[0][0], exp, 1e-4, 1e-5 * max);
      assert.ok(cmp.ok, cmp.message);
    });
  }
});

/**
 * A GPT-style causal language model (token + position embeddings, causal mask with masked_fill(-inf), Split,
 * tanh-GELU, LayerNorm, last-token logits) exported by torch 1.13, against PyTorch autograd references made by
 * test/data/causal_lm/make.py. Its modules are named like GPT-2's (`ln_1`, `ln_2`), which the scope rule reads
 * as two calls of `ln`: such ids resolve by taking the scope names literally.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { ModelSession } from '../../../src/engine/modelSession';
import { readNpy } from '../../../src/engine/tensor/npy';
import { REPO_ROOT, matchesReference } from '../../support/fixtures';

const DIR = path.join(REPO_ROOT, 'test', 'data', 'causal_lm');

describe('causal LM exported by PyTorch', () => {
  const cases: [string, number, string][] = [
    ['h.1.mlp.c_fc', 7, 'ref_h1_mlp_c_fc.npy'],
    ['h.0.attn', 3, 'ref_h0_attn.npy'],
    ['h.0.ln_1', 3, 'ref_h0_ln_1.npy'],
  ];
  for (const [layer, target, ref] of cases) {
    test(`${layer}, target ${target}`, async () => {
      const s = await ModelSession.open(path.join(DIR, 'clm17.onnx'));
      const tokens = await readNpy(path.join(DIR, 'tokens.npy'));
      const r = await s.attribute({ layers: [layer], inputs: [tokens], target: { kind: 'index', index: target }, threads: 1 });
      const cmp = await matchesReference(r.attributions[0][0], path.join(DIR, ref));
      assert.ok(cmp.ok, cmp.message);
      await s.dispose();
    });
  }
  test('the scope rule still lists ln_1/ln_2 as two calls of `ln`, and both literal ids resolve', async () => {
    const s = await ModelSession.open(path.join(DIR, 'clm17.onnx'));
    assert.equal(s.layers.get('h.0.ln')?.invocations, 2);
    assert.deepEqual(s.layers.activations('h.0.ln_1', false), ['/h.0/ln_1/LayerNormalization_output_0']);
    assert.deepEqual(s.layers.activations('h.0.ln_2', false), ['/h.0/ln_2/LayerNormalization_output_0']);
    assert.throws(() => s.layers.activations('h.0.ln_3', false), /unknown layer/);
    await s.dispose();
  });
});

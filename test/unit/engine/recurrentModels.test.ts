/**
 * Recurrent models exported by torch 1.13 (a 2-layer bidirectional batch-first LSTM over token embeddings, a GRU
 * read at its final state, a ReLU RNN with a computed initial state), against PyTorch autograd references made by
 * test/data/rnn/make.py. Every layer here sits before the recurrent op, so the gradient runs back through time.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { TargetSpec } from '../../../src/engine/api';
import { ModelSession } from '../../../src/engine/modelSession';
import { readNpy } from '../../../src/engine/tensor/npy';
import { REPO_ROOT, matchesReference } from '../../support/fixtures';

const DIR = path.join(REPO_ROOT, 'test', 'data', 'rnn');

describe('recurrent models exported by PyTorch, against PyTorch autograd', () => {
  const cases: [string, string, string, number[], string][] = [
    ['lstm_text.onnx', 'lstm_tokens.npy', 'embedding', [1, 3], 'ref_lstm_embedding.npy'],
    ['lstm_text.onnx', 'lstm_tokens.npy', 'proj', [1, 3], 'ref_lstm_proj.npy'],
    ['gru_seq.onnx', 'gru_x.npy', 'proj', [2, 0], 'ref_gru_proj.npy'],
    ['rnn_relu.onnx', 'rnn_x.npy', 'init', [0, 2], 'ref_rnn_init.npy'],
  ];
  for (const [model, input, layer, targets, ref] of cases) {
    test(`${model}: ${layer}, per-example targets [${targets}]`, async () => {
      const s = await ModelSession.open(path.join(DIR, model));
      try {
        const x = await readNpy(path.join(DIR, input));
        const target: TargetSpec = { kind: 'perExample', indices: targets };
        const r = await s.attribute({ layers: [layer], inputs: [x], target, threads: 1 });
        const cmp = await matchesReference(r.attributions[0][0], path.join(DIR, ref));
        assert.ok(cmp.ok, cmp.message);
      } finally {
        await s.dispose();
      }
    });
  }

  test('the layer tree lists the recurrent modules, and attributing to the LSTM module itself works', async () => {
    const s = await ModelSession.open(path.join(DIR, 'lstm_text.onnx'));
    try {
      assert.ok(s.layers.get('lstm'), 'lstm module listed');
      const x = await readNpy(path.join(DIR, 'lstm_tokens.npy'));
      const r = await s.attribute({ layers: ['lstm'], inputs: [x], target: { kind: 'index', index: 2 }, threads: 1 });
      assert.ok(r.attributions[0].length >= 1);
      for (const t of r.attributions[0]) assert.ok((t.data as Float32Array).every(Number.isFinite));
    } finally {
      await s.dispose();
    }
  });
});

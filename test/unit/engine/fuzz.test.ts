/**
 * Mutation fuzzing of model files: bit flips, truncations, spliced and swapped byte ranges of valid models.
 * Loading, building the layer tree and pruning gradient paths must either succeed or raise a one-line
 * LayerLensError — never another exception, a hang, or runaway memory.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import fc from 'fast-check';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { findGradientPath } from '../../../src/engine/autodiff/paths';
import { LayerLensError } from '../../../src/engine/errors';
import { OnnxGraph } from '../../../src/engine/onnx/graph';
import { LayerTree } from '../../../src/engine/onnx/layerTree';
import { decodeModel } from '../../../src/engine/onnx/loadModel';
import { REPO_ROOT, publicModel } from '../../support/fixtures';
import { applyMutation, mutation } from '../../support/mutations';
import { spawnSync } from 'node:child_process';

export const FUZZ_RUNS = Number(process.env.LAYERLENS_FUZZ_RUNS ?? 4000);

const SEEDS = [
  publicModel('captum_multilayer'),
  publicModel('small_cnn'),
  publicModel('tiny_transformer'),
  path.join(REPO_ROOT, 'test', 'data', 'realworld', 'models', 'cntk_mnist8.onnx'),
];

/** Everything the engine does with a model before onnxruntime sees it. */
export function exercise(bytes: Uint8Array): 'ok' | 'rejected' {
  try {
    const proto = decodeModel(bytes, 'fuzzed.onnx');
    const graph = new OnnxGraph(proto);
    const tree = new LayerTree(graph);
    const out = graph.outputs[0];
    for (const id of [...tree.entries.keys()].slice(0, 5)) {
      try {
        const acts = tree.activations(id, false);
        if (out) findGradientPath(graph, acts, out);
      } catch (e) {
        if (!(e instanceof LayerLensError)) throw e;
      }
    }
    return 'ok';
  } catch (e) {
    if (e instanceof LayerLensError) {
      assert.ok(!e.message.includes('\n'), `multi-line message: ${e.message}`);
      return 'rejected';
    }
    throw e;
  }
}

describe('fuzzing model files', () => {
  test(`${FUZZ_RUNS} mutated models give a result or a clean error`, { timeout: 300_000 }, () => {
    const sources = SEEDS.map((p) => new Uint8Array(fs.readFileSync(p)));
    assert.ok(sources.length >= 3, 'seed models present');
    const counts = { ok: 0, rejected: 0 };
    fc.assert(
      fc.property(fc.integer({ min: 0, max: sources.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 3 }), (which, ms) => {
        let bytes = sources[which];
        for (const m of ms) if (bytes.length > 1) bytes = applyMutation(bytes, m);
        counts[exercise(bytes)]++;
      }),
      { numRuns: FUZZ_RUNS, seed: 20261126 },
    );
    console.log(`fuzz: ${FUZZ_RUNS} runs: ${counts.ok} loaded, ${counts.rejected} rejected cleanly`);
    // Both outcomes must actually occur, or the fuzzer is not exercising anything.
    assert.ok(counts.ok > 0 && counts.rejected > 0, JSON.stringify(counts));
  });
});

describe('fuzzing model files through onnxruntime', () => {
  test('mutated models that pass our checks never crash onnxruntime (isolated process)', { timeout: 300_000 }, () => {
    const worker = path.join(__dirname, '..', '..', '..', 'test', 'support', 'ortFuzzWorker.js');
    const r = spawnSync(process.execPath, [worker, String(Number(process.env.LAYERLENS_ORT_FUZZ_RUNS ?? 300)), ...SEEDS.slice(0, 3)], {
      encoding: 'utf8',
      timeout: 280_000,
    });
    assert.equal(r.signal, null, `onnxruntime worker died with ${r.signal}:\n${r.stderr.slice(-2000)}`);
    assert.equal(r.status, 0, r.stderr.slice(-2000));
    const summary = JSON.parse(r.stdout.trim().split('\n').pop()!);
    console.log(`ort fuzz: ${JSON.stringify(summary)}`);
    assert.ok(summary.sessions > 0, 'some mutated models reached onnxruntime');
    assert.equal(summary.unexpected, 0, summary.firstUnexpected);
  });
});

/** Target semantics (Captum's forms) and target switching on a shared forward pass. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TargetSpec } from '../../../src/engine/api';
import { buildSeed, parseTargetSpec, targetOffsets } from '../../../src/engine/attribution/targets';
import { LayerLensError } from '../../../src/engine/errors';
import { ModelSession, inputsFingerprint } from '../../../src/engine/modelSession';
import { readNpy } from '../../../src/engine/tensor/npy';
import { publicModel, publicInput } from '../../support/fixtures';

describe('target specs', () => {
  const cases: [string, TargetSpec][] = [
    ['3', { kind: 'index', index: 3 }],
    ['-1', { kind: 'index', index: -1 }],
    ['3,1,2', { kind: 'perExample', indices: [3, 1, 2] }],
    ['(0,1,1)', { kind: 'tuple', tuple: [0, 1, 1] }],
    ['(0, 1, 1),(1,1,0)', { kind: 'tuples', tuples: [[0, 1, 1], [1, 1, 0]] }],
    ['', { kind: 'none' }],
    ['none', { kind: 'none' }],
  ];
  for (const [text, spec] of cases) test(`parses '${text}'`, () => assert.deepEqual(parseTargetSpec(text), spec));
  for (const bad of ['x', '(1,', '1,,2', '(a)', '1.5']) test(`rejects '${bad}'`, () => assert.throws(() => parseTargetSpec(bad), LayerLensError));

  test('offsets follow Python indexing', () => {
    assert.deepEqual(targetOffsets({ kind: 'index', index: -1 }, [2, 5]), [4, 9]);
    assert.deepEqual(targetOffsets({ kind: 'perExample', indices: [0, 4] }, [2, 5]), [0, 9]);
    assert.deepEqual(targetOffsets({ kind: 'tuple', tuple: [1, -1] }, [2, 2, 3]), [5, 11]);
    assert.deepEqual(targetOffsets({ kind: 'none' }, [3]), [0, 1, 2]);
    assert.deepEqual(targetOffsets({ kind: 'none' }, [3, 1]), [0, 1, 2]);
  });
  test('the seed sums the selections over the batch', () => {
    assert.deepEqual(Array.from(buildSeed({ kind: 'perExample', indices: [1, 1] }, [2, 2])), [0, 1, 0, 1]);
  });
  const errors: [TargetSpec, number[], RegExp][] = [
    [{ kind: 'none' }, [2, 10], /a target is required/],
    [{ kind: 'index', index: 10 }, [2, 10], /out of range/],
    [{ kind: 'index', index: -11 }, [2, 10], /out of range/],
    [{ kind: 'index', index: 0 }, [4], /rank 2 or more/],
    [{ kind: 'index', index: 0 }, [2, 3, 4], /more dimension/],
    [{ kind: 'perExample', indices: [1] }, [2, 10], /1 targets for a batch of 2/],
    [{ kind: 'perExample', indices: [1, 2] }, [2, 3, 4], /2-D output/],
    [{ kind: 'tuple', tuple: [0, 1, 2] }, [2, 3, 4], /too many indices/],
    [{ kind: 'tuples', tuples: [[0, 0]] }, [2, 3, 4], /1 targets for a batch of 2/],
  ];
  for (const [t, dims, re] of errors) test(`rejects ${JSON.stringify(t)} on [${dims}]`, () => assert.throws(() => targetOffsets(t, dims), re));
});

describe('target switching reuses the forward pass', () => {
  test('attributeTargets equals separate attributions, and a changed input is not served stale results', async () => {
    const model = publicModel('small_cnn');
    const input = await readNpy(publicInput('cnn_conv2_b4_targets'));
    const a = await ModelSession.open(model);
    const b = await ModelSession.open(model);
    const targets: TargetSpec[] = [0, 3, 7, 9].map((index) => ({ kind: 'index', index }));
    const batched = await a.attributeTargets({ layers: ['conv2'], inputs: [input], target: targets[0], threads: 1 }, targets);
    for (const [i, t] of targets.entries()) {
      const single = await b.attribute({ layers: ['conv2'], inputs: [input], target: t, threads: 1 });
      assert.deepEqual(Array.from(batched[i].attributions[0][0].data as Float32Array), Array.from(single.attributions[0][0].data as Float32Array));
    }
    const changed = { ...input, data: Float32Array.from(input.data as Float32Array, (x) => x * 0.5) };
    assert.notEqual(inputsFingerprint([changed]), inputsFingerprint([input]));
    const fresh = await b.attribute({ layers: ['conv2'], inputs: [changed], target: targets[1], threads: 1 });
    const again = await a.attribute({ layers: ['conv2'], inputs: [changed], target: targets[1], threads: 1 });
    assert.deepEqual(Array.from(again.attributions[0][0].data as Float32Array), Array.from(fresh.attributions[0][0].data as Float32Array));
    await a.dispose();
    await b.dispose();
  });

  test('attributeTopK: rank r targets each example\'s r-th class (as predict ranks them), equal to single attributions', async () => {
    const model = publicModel('small_cnn');
    const input = await readNpy(publicInput('cnn_conv2_b4_targets'));
    const a = await ModelSession.open(model);
    const b = await ModelSession.open(model);
    try {
      const { classes, results } = await a.attributeTopK({ layers: ['conv2'], inputs: [input], threads: 1 }, 3);
      const pred = await b.predict([input], { top: 3, threads: 1 });
      assert.deepEqual(classes, [0, 1, 2].map((r) => pred.top.map((row) => row[r].index)));
      assert.equal(results.length, 3);
      for (const [r, res] of results.entries()) {
        const single = await b.attribute({ layers: ['conv2'], inputs: [input], target: { kind: 'perExample', indices: classes[r] }, threads: 1 });
        assert.deepEqual(Array.from(res.attributions[0][0].data as Float32Array), Array.from(single.attributions[0][0].data as Float32Array));
      }
      await assert.rejects(a.attributeTopK({ layers: ['conv2'], inputs: [input], threads: 1 }, 11), /top-11 targets: the output has only 10 classes/);
      await assert.rejects(a.attributeTopK({ layers: ['conv2'], inputs: [input], threads: 1 }, 0), /k ≥ 1/);
    } finally {
      await a.dispose();
      await b.dispose();
    }
  });
});


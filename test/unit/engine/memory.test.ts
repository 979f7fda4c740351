/**
 * 200 attributions over many layers (so compiled sessions are created and evicted) must not grow memory
 * without bound: the compiled-graph cache is bounded and evicted sessions are released.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ModelSession } from '../../../src/engine/modelSession';
import { readNpy } from '../../../src/engine/tensor/npy';
import { publicModel, publicInput } from '../../support/fixtures';

describe('memory over many attributions', () => {
  test('RSS stays bounded over 200 attributions with cache churn', { timeout: 240_000 }, async () => {
    const session = await ModelSession.open(publicModel('tiny_resnet'));
    const input = await readNpy(publicInput('resnet_block_outputs'));
    const layers = [...session.layers.entries.values()].filter((e) => e.kind === 'module' && e.outputs.length).map((e) => e.id);
    assert.ok(layers.length >= 10);
    const rss: number[] = [];
    for (let i = 0; i < 200; i++) {
      await session.attribute({ layers: [layers[i % layers.length]], inputs: [input], target: { kind: 'index', index: i % 10 }, threads: 1 });
      if (i === 39 || i === 199) {
        global.gc?.();
        rss.push(process.memoryUsage().rss);
      }
    }
    await session.dispose();
    const [warm, end] = rss.map((b) => b / 2 ** 20);
    console.log(`memory: RSS after 40 attributions ${warm.toFixed(0)} MiB, after 200 ${end.toFixed(0)} MiB (${layers.length} layers, cache of 6)`);
    assert.ok(end - warm < 150, `RSS grew by ${(end - warm).toFixed(0)} MiB between attribution 40 and 200`);
  });
});

/** What a new layer's compile reuses: probed shapes per input shape; and what a cached request reports. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ModelSession } from '../../../src/engine/modelSession';
import { SessionFactory, createOrtSession } from '../../../src/engine/runtime/session';
import { readNpy } from '../../../src/engine/tensor/npy';
import { publicInput, publicModel } from '../../support/fixtures';

describe('compile reuse', () => {
  test('the shape probe runs once per input shape, not once per layer', async () => {
    const probes: number[] = [];
    const counting: SessionFactory = (bytes, provider, threads, extras) => {
      if (extras?.optimization === 'disabled') probes.push(bytes.length);
      return createOrtSession(bytes, provider, threads, extras);
    };
    const s = await ModelSession.open(publicModel('tiny_resnet'), { sessionFactory: counting });
    try {
      const x = await readNpy(publicInput('resnet_block_outputs'));
      for (const layer of ['layer1.0', 'layer2.0', 'layer1.0.conv1', 'fc'])
        await s.attribute({ layers: [layer], inputs: [x], target: { kind: 'index', index: 1 }, threads: 1 });
      assert.equal(probes.length, 1, 'one probe for four layers at one input shape');
      const half = { ...x, dims: [1, ...x.dims.slice(1)], data: (x.data as Float32Array).slice(0, (x.data as Float32Array).length / x.dims[0]) };
      await s.attribute({ layers: ['layer2.0'], inputs: [half], target: { kind: 'index', index: 1 }, threads: 1 });
      assert.equal(probes.length, 2, 'a new input shape probes again');
    } finally {
      await s.dispose();
    }
  });

  test('a request served by cached graphs reports its own (near-zero) compile time, not the first one', async () => {
    const s = await ModelSession.open(publicModel('tiny_resnet'));
    try {
      const x = await readNpy(publicInput('resnet_block_outputs'));
      const first = await s.attribute({ layers: ['layer1.0'], inputs: [x], target: { kind: 'index', index: 1 }, threads: 1 });
      const again = await s.attribute({ layers: ['layer1.0'], inputs: [x], target: { kind: 'index', index: 2 }, threads: 1 });
      assert.ok(first.timings.compile > 0);
      assert.ok(again.timings.compile < first.timings.compile, `${again.timings.compile} ms vs ${first.timings.compile} ms`);
    } finally {
      await s.dispose();
    }
  });
});

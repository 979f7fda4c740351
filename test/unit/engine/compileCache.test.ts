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

describe('superseded compiles', () => {
  /** A factory that holds every non-probe session start until released, counting what was started. */
  function gatedFactory() {
    const started: string[] = [];
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const factory: SessionFactory = async (bytes, provider, threads, extras) => {
      const kind = extras?.optimization === 'disabled' ? 'probe' : 'session';
      started.push(kind);
      if (kind === 'session') await gate;
      return createOrtSession(bytes, provider, threads, extras);
    };
    return { factory, started, open: () => open() };
  }

  test('a compile nobody waits for any more stops at its next stage; a new request compiles afresh', async () => {
    const g = gatedFactory();
    const s = await ModelSession.open(publicModel('tiny_resnet'), { sessionFactory: g.factory });
    try {
      const x = await readNpy(publicInput('resnet_block_outputs'));
      const click = new AbortController();
      const first = s.attribute({ layers: ['layer1.0'], inputs: [x], target: { kind: 'index', index: 1 }, threads: 1, signal: click.signal });
      while (!g.started.includes('session')) await new Promise((r) => setTimeout(r, 5));
      click.abort(); // the user clicked another layer while the forward session was starting
      await assert.rejects(first, /cancelled/);
      g.open();
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(g.started, ['probe', 'session'], 'the backward session of the abandoned compile never started');
      const again = await s.attribute({ layers: ['layer1.0'], inputs: [x], target: { kind: 'index', index: 1 }, threads: 1 });
      assert.equal(again.attributions[0][0].dims[0], x.dims[0]);
    } finally {
      await s.dispose();
    }
  });

  test('a request for the same graphs right after the last waiter gave up compiles afresh instead of joining the stopped compile', async () => {
    // Three rapid clicks: B aborted, then C asks for a piece B was compiling before that compile has noticed its stop.
    const g = gatedFactory();
    const s = await ModelSession.open(publicModel('tiny_resnet'), { sessionFactory: g.factory });
    try {
      const x = await readNpy(publicInput('resnet_block_outputs'));
      const click = new AbortController();
      const req = { layers: ['layer1.0'], inputs: [x], target: { kind: 'index' as const, index: 1 }, threads: 1 };
      const first = s.attribute({ ...req, signal: click.signal });
      while (!g.started.includes('session')) await new Promise((r) => setTimeout(r, 5));
      click.abort();
      const next = s.attribute(req); // while the stopped compile still waits for its session
      g.open();
      await assert.rejects(first, /cancelled/);
      const res = await next;
      assert.equal(res.attributions[0][0].dims[0], x.dims[0]);
    } finally {
      await s.dispose();
    }
  });

  test('a compile another request still waits for runs to the end', async () => {
    const g = gatedFactory();
    const s = await ModelSession.open(publicModel('tiny_resnet'), { sessionFactory: g.factory });
    try {
      const x = await readNpy(publicInput('resnet_block_outputs'));
      const click = new AbortController();
      const req = { layers: ['layer2.0'], inputs: [x], target: { kind: 'index' as const, index: 1 }, threads: 1 };
      const first = s.attribute({ ...req, signal: click.signal });
      const second = s.attribute(req);
      while (!g.started.includes('session')) await new Promise((r) => setTimeout(r, 5));
      click.abort();
      g.open();
      await assert.rejects(first, /cancelled/);
      const res = await second;
      assert.equal(res.attributions[0][0].dims[0], x.dims[0]);
    } finally {
      await s.dispose();
    }
  });

  test('a request already cancelled does not start a compile', async () => {
    const g = gatedFactory();
    g.open();
    const s = await ModelSession.open(publicModel('tiny_resnet'), { sessionFactory: g.factory });
    try {
      const x = await readNpy(publicInput('resnet_block_outputs'));
      await assert.rejects(s.attribute({ layers: ['fc'], inputs: [x], target: { kind: 'index', index: 1 }, threads: 1, signal: AbortSignal.abort() }), /cancelled/);
      assert.deepEqual(g.started, []);
    } finally {
      await s.dispose();
    }
  });
});

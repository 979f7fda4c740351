/** Execution-provider selection: plans per platform, fallback on failure, GPU results checked against CPU. */
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { describe, test } from 'node:test';
import { LayerLensError } from '../../../src/engine/errors';
import { ModelSession } from '../../../src/engine/modelSession';
import { planProviders } from '../../../src/engine/runtime/providers';
import { SessionFactory, createOrtSession, openSession } from '../../../src/engine/runtime/session';
import { encodeModel } from '../../../src/engine/onnx/proto';
import { tinyMlp, writeModel } from '../../support/tinyModels';

const input = { dtype: 'float32' as const, dims: [2, 4], data: Float32Array.from([1, 2, 3, 4, -1, 0.5, 0.25, 2]) };

/** The child-process probe's answers, stood in (its own tests are in providerProbe.test.ts). */
const starts = () => ({ ok: true });
const noAdapter = () => ({ ok: false, reason: 'Failed to get a WebGPU adapter: No supported adapters' });

describe('provider plans', () => {
  test('linux without CUDA libraries: webgpu then cpu, cuda skipped with a reason', () => {
    const p = planProviders('auto', 'linux', { cuda: () => false, vulkan: () => true, starts });
    assert.deepEqual(p.order, ['webgpu', 'cpu']);
    assert.match(p.skipped[0], /^cuda: provider libraries not installed/);
  });
  test('linux without a Vulkan loader: webgpu skipped with the reason', () => {
    const p = planProviders('auto', 'linux', { cuda: () => false, vulkan: () => false, starts: () => assert.fail('no probe without the loader') });
    assert.deepEqual(p.order, ['cpu']);
    assert.ok(p.skipped.includes('webgpu: the Vulkan loader (libvulkan.so.1) is not installed'), p.skipped.join('; '));
  });
  test('linux with the loader but no adapter (the probe failed): webgpu skipped with the probe\'s reason', () => {
    const p = planProviders('auto', 'linux', { cuda: () => false, vulkan: () => true, starts: noAdapter });
    assert.deepEqual(p.order, ['cpu']);
    assert.ok(p.skipped.includes('webgpu: no adapter (probe: Failed to get a WebGPU adapter: No supported adapters)'), p.skipped.join('; '));
  });
  test('CUDA libraries that do not start (the probe failed): cuda skipped, webgpu still tried', () => {
    const p = planProviders('auto', 'linux', { cuda: () => true, vulkan: () => true, starts: (q) => (q === 'cuda' ? { ok: false, reason: 'libcublasLt.so.12: cannot open shared object file' } : { ok: true }) });
    assert.deepEqual(p.order, ['webgpu', 'cpu']);
    assert.ok(p.skipped.includes('cuda: did not start (probe: libcublasLt.so.12: cannot open shared object file)'), p.skipped.join('; '));
  });
  test('cpu is never probed', () => assert.deepEqual(planProviders('cpu', 'linux', { cuda: () => false, vulkan: () => true, starts: () => assert.fail('probed cpu') }).order, ['cpu']));
  const all = { cuda: () => true, vulkan: () => true, starts };
  test('linux with CUDA libraries: cuda first', () => assert.deepEqual(planProviders('auto', 'linux', all).order, ['cuda', 'webgpu', 'cpu']));
  test('windows: cuda, dml and webgpu', () => assert.deepEqual(planProviders('auto', 'win32', all).order, ['cuda', 'dml', 'webgpu', 'cpu']));
  test('macOS: coreml and webgpu', () => assert.deepEqual(planProviders('auto', 'darwin', all).order, ['coreml', 'webgpu', 'cpu']));
  test('an explicit provider is the only one tried', () => assert.deepEqual(planProviders('cpu').order, ['cpu']));
  test('an explicit provider that cannot exist here is refused before trying', () => {
    const p = planProviders('dml', 'linux', all);
    assert.deepEqual(p.order, []);
    assert.match(p.skipped[0], /Windows only/);
  });
});

describe('opening sessions', () => {
  const bytes = encodeModel(tinyMlp());
  test('auto on this machine falls back to cpu and says why', async () => {
    const s = await openSession(bytes, { provider: 'auto' });
    assert.equal(s.provider, 'cpu');
    assert.ok(s.notes.some((n) => n.startsWith('webgpu: ')), s.notes.join('; '));
    await s.session.release();
  });
  test('a provider that throws at session creation is skipped', async () => {
    const failing: SessionFactory = async (b, p, t) => {
      if (p !== 'cpu') throw new Error(`${p} exploded`);
      return createOrtSession(b, p, t);
    };
    const s = await openSession(bytes, { provider: 'auto', probes: { cuda: () => true, vulkan: () => true, starts } }, failing);
    assert.equal(s.provider, 'cpu');
    assert.ok(s.notes.some((n) => /exploded/.test(n)));
    await s.session.release();
  });
  test('an explicit provider that is not available is a one-line error', async () => {
    await assert.rejects(openSession(bytes, { provider: 'webgpu' }), (e: unknown) => e instanceof LayerLensError && /^execution provider 'webgpu' is not available here/.test(e.message) && !e.message.includes('\n'));
  });
  test('webgpu asked for explicitly with no adapter is refused before trying it in-process', async () => {
    const never: SessionFactory = async () => assert.fail('tried in-process');
    await assert.rejects(
      openSession(bytes, { provider: 'webgpu', probes: { cuda: () => false, vulkan: () => true, starts: noAdapter } }, never),
      (e: unknown) =>
        e instanceof LayerLensError &&
        e.code === 'provider-unavailable' &&
        e.message === "execution provider 'webgpu' is not available here: no adapter (probe: Failed to get a WebGPU adapter: No supported adapters)",
    );
  });
});

/** A stand-in "GPU": a CPU session reported as webgpu, optionally with its results perturbed. */
function fakeGpu(perturb: boolean): SessionFactory {
  return async (bytes, provider, threads) => {
    const real = await createOrtSession(bytes, 'cpu', threads);
    if (provider === 'cpu' || !perturb) return real;
    return new Proxy(real, {
      get(target, prop, recv) {
        if (prop !== 'run') return Reflect.get(target, prop, recv);
        return async (...args: Parameters<ort.InferenceSession['run']>) => {
          const out = await target.run(...args);
          for (const t of Object.values(out)) {
            const d = t.data as Float32Array;
            for (let i = 0; i < d.length; i++) d[i] *= 1.1;
          }
          return out;
        };
      },
    });
  };
}

const gpuPresent = { cuda: () => false, vulkan: () => true, starts };

describe('GPU results are checked against CPU', () => {
  test('a matching GPU result is kept and reported as checked', async () => {
    const s = await ModelSession.open(writeModel(tinyMlp()), { sessionFactory: fakeGpu(false) });
    const r = await s.attribute({ layers: ['block.act'], inputs: [input], target: { kind: 'index', index: 2 }, probes: gpuPresent });
    assert.equal(r.provider, 'webgpu');
    assert.ok(r.providerNotes.some((n) => /checked against cpu/.test(n)));
    await s.dispose();
  });
  test('a mismatching GPU result falls back to CPU with a visible warning, and stays on CPU', async () => {
    const s = await ModelSession.open(writeModel(tinyMlp()), { sessionFactory: fakeGpu(true) });
    const r = await s.attribute({ layers: ['block.act'], inputs: [input], target: { kind: 'index', index: 2 }, probes: gpuPresent });
    assert.equal(r.provider, 'cpu');
    assert.ok(r.providerNotes.some((n) => /webgpu results disagreed with cpu/.test(n)), r.providerNotes.join('; '));
    const again = await s.attribute({ layers: ['block.scale'], inputs: [input], target: { kind: 'index', index: 1 }, probes: gpuPresent });
    assert.equal(again.provider, 'cpu');
    await s.dispose();
  });
  test('top-k targets on a mismatching GPU: checked on the first rank, all ranks recomputed on CPU', async () => {
    const s = await ModelSession.open(writeModel(tinyMlp()), { sessionFactory: fakeGpu(true) });
    const { classes, results } = await s.attributeTopK({ layers: ['block.act'], inputs: [input], probes: gpuPresent }, 2);
    assert.equal(classes.length, 2);
    for (const r of results) assert.equal(r.provider, 'cpu');
    const cpu = await ModelSession.open(writeModel(tinyMlp()));
    for (const [rank, r] of results.entries()) {
      const ref = await cpu.attribute({ layers: ['block.act'], inputs: [input], target: { kind: 'perExample', indices: classes[rank] }, provider: 'cpu' });
      assert.deepEqual(Array.from(r.attributions[0][0].data as Float32Array), Array.from(ref.attributions[0][0].data as Float32Array));
    }
    await s.dispose();
    await cpu.dispose();
  });
});


/** The GPU provider probe: its child process, the per-machine cache, and how its answers reach provider plans. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { PROBE_CACHE_FILE, ProbeCache, ProbeRecord, layerlensCacheDir, probeCacheKey, runProbeChild } from '../../../src/engine/runtime/providerProbe';
import { squareModel } from '../../../src/engine/runtime/providerProbeChild';
import { planProviders } from '../../../src/engine/runtime/providers';
import { REPO_ROOT } from '../../support/fixtures';

const ORT_DIR = path.dirname(require.resolve('onnxruntime-node/package.json'));
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'll-probe-'));

/** A stand-in probe that counts its runs. */
function counting(answer: ProbeRecord): { probe: (p: string) => ProbeRecord; runs: string[] } {
  const runs: string[] = [];
  return { runs, probe: (p) => (runs.push(p), answer) };
}

/** A probe script that prints driver-like noise on stderr and then does `body`. */
function script(body: string): string {
  const f = path.join(tmp(), 'probe.js');
  fs.writeFileSync(f, `process.stderr.write('error: XDG_RUNTIME_DIR is invalid or not set in the environment.\\n');\n${body}\n`);
  return f;
}

describe('probe cache', () => {
  const noAdapter: ProbeRecord = { ok: false, reason: 'Failed to get a WebGPU adapter: No supported adapters', details: 'Warning: Vulkan …' };

  test('a miss probes once and stores the answer; a hit (same key, another process) does not probe', () => {
    const file = path.join(tmp(), 'layerlens', PROBE_CACHE_FILE);
    const key = probeCacheKey('1.30.0', 'linux', 'x64', 'box');
    const first = counting(noAdapter);
    const a = new ProbeCache(file, key, first.probe);
    assert.deepEqual(a.answer('webgpu'), { ok: false, reason: noAdapter.reason });
    assert.deepEqual(a.answer('webgpu'), { ok: false, reason: noAdapter.reason });
    assert.deepEqual(first.runs, ['webgpu']);
    const stored = JSON.parse(fs.readFileSync(file, 'utf8'))[key].webgpu;
    assert.equal(stored.ok, false);
    assert.equal(stored.details, noAdapter.details);
    assert.ok(!Number.isNaN(Date.parse(stored.probedAt)));

    const second = counting({ ok: true });
    assert.deepEqual(new ProbeCache(file, key, second.probe).answer('webgpu'), { ok: false, reason: noAdapter.reason });
    assert.deepEqual(second.runs, []);
  });

  test('another onnxruntime version (or provider) is a miss, and both answers are kept', () => {
    const file = path.join(tmp(), PROBE_CACHE_FILE);
    const old = probeCacheKey('1.30.0', 'linux', 'x64', 'box');
    const next = probeCacheKey('1.31.0', 'linux', 'x64', 'box');
    new ProbeCache(file, old, counting(noAdapter).probe).answer('webgpu');
    const fresh = counting({ ok: true });
    const c = new ProbeCache(file, next, fresh.probe);
    assert.deepEqual(c.answer('webgpu'), { ok: true });
    assert.deepEqual(c.answer('cuda'), { ok: true });
    assert.deepEqual(fresh.runs, ['webgpu', 'cuda']);
    const all = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.deepEqual(Object.keys(all).sort(), [old, next].sort());
    assert.equal(all[old].webgpu.ok, false);
    assert.equal(all[next].webgpu.ok, true);
  });

  test('an unwritable cache folder is tolerated: the answer holds in memory, the next process probes again', () => {
    const notADir = path.join(tmp(), 'a-file');
    fs.writeFileSync(notADir, 'x'); // mkdir under a regular file fails, even for root
    const file = path.join(notADir, 'layerlens', PROBE_CACHE_FILE);
    const c = counting(noAdapter);
    const cache = new ProbeCache(file, 'k', c.probe);
    assert.equal(cache.answer('webgpu').ok, false);
    assert.equal(cache.answer('webgpu').ok, false);
    assert.equal(c.runs.length, 1);
    new ProbeCache(file, 'k', c.probe).answer('webgpu');
    assert.equal(c.runs.length, 2);
  });

  test('a corrupt cache file counts as empty and is replaced', () => {
    const file = path.join(tmp(), PROBE_CACHE_FILE);
    fs.writeFileSync(file, '{"k": {"webgpu": ');
    const c = counting({ ok: true });
    assert.deepEqual(new ProbeCache(file, 'k', c.probe).answer('webgpu'), { ok: true });
    assert.equal(c.runs.length, 1);
    assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).k.webgpu.ok, true);
  });

  test('a probe that could not run at all is not stored as the machine\'s answer', () => {
    const file = path.join(tmp(), PROBE_CACHE_FILE);
    const c = counting({ ok: false, reason: 'probe script missing (x)', transient: true });
    assert.equal(new ProbeCache(file, 'k', c.probe).answer('webgpu').ok, false);
    assert.equal(fs.existsSync(file), false);
  });

  test('the cache folder follows the OS', () => {
    assert.equal(layerlensCacheDir({ XDG_CACHE_HOME: '/x/cache' }, 'linux', '/home/u'), '/x/cache/layerlens');
    assert.equal(layerlensCacheDir({ XDG_CACHE_HOME: 'relative' }, 'linux', '/home/u'), '/home/u/.cache/layerlens');
    assert.equal(layerlensCacheDir({}, 'linux', '/home/u'), '/home/u/.cache/layerlens');
    assert.equal(layerlensCacheDir({}, 'darwin', '/Users/u'), '/Users/u/Library/Caches/layerlens');
    assert.match(layerlensCacheDir({ LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local' }, 'win32', 'C:\\Users\\u'), /layerlens[\\/]Cache$/);
  });

  test('the key names the onnxruntime version, platform, arch and host', () => {
    assert.equal(probeCacheKey('1.30.0', 'linux', 'x64', 'box'), 'onnxruntime-node@1.30.0 linux-x64 box');
  });
});

describe('probe child process', () => {
  test('the probe model is y = x·x and runs on cpu', async () => {
    const s = await ort.InferenceSession.create(squareModel());
    const y = (await s.run({ x: new ort.Tensor('float32', Float32Array.from([1, 2, 3, -4]), [1, 4]) })).y;
    assert.deepEqual(Array.from(y.data as Float32Array), [1, 4, 9, 16]);
    await s.release();
  });

  // Both layouts the engine runs from: the compiled tree (tests, GPU kit) and the bundles (CLI, extension).
  for (const [layout, file] of [
    ['compiled', path.join(REPO_ROOT, 'out', 'src', 'engine', 'runtime', 'providerProbeChild.js')],
    ['bundled', path.join(REPO_ROOT, 'dist', 'providerProbeChild.js')],
  ]) {
    test(`the ${layout} probe script starts cpu and reports a provider that cannot start`, () => {
      assert.deepEqual(runProbeChild('cpu', { ortDir: ORT_DIR, script: file }).ok, true);
      const bogus = runProbeChild('no-such-provider', { ortDir: ORT_DIR, script: file });
      assert.equal(bogus.ok, false);
      assert.ok(bogus.reason && !bogus.reason.includes('\n'), bogus.reason);
    });
  }

  test('the default script is the compiled one next to the module', () => {
    assert.equal(runProbeChild('cpu', { ortDir: ORT_DIR }).ok, true);
  });

  test('a hung probe times out: unavailable, with the reason, and its stderr kept as details', () => {
    const t0 = Date.now();
    const r = runProbeChild('webgpu', { ortDir: ORT_DIR, script: script('setInterval(() => {}, 1000);'), timeoutMs: 500 });
    assert.ok(Date.now() - t0 < 10_000);
    assert.equal(r.ok, false);
    assert.equal(r.reason, 'timed out after 0.5 s');
    assert.match(r.details ?? '', /XDG_RUNTIME_DIR/);
    assert.ok(!r.transient, 'a hang is an answer about this machine: cached');
    // …and the plan says why webgpu was skipped.
    const plan = planProviders('auto', 'linux', { cuda: () => false, vulkan: () => true, starts: () => r });
    assert.deepEqual(plan.order, ['cpu']);
    assert.ok(plan.skipped.includes('webgpu: no adapter (probe: timed out after 0.5 s)'), plan.skipped.join('; '));
  });

  test('a verdict printed before a hang on exit still counts', () => {
    const r = runProbeChild('webgpu', { ortDir: ORT_DIR, script: script('console.log(JSON.stringify({ ok: true })); setInterval(() => {}, 1000);'), timeoutMs: 500 });
    assert.equal(r.ok, true);
  });

  test('a probe that crashes is unavailable with the exit status', () => {
    assert.equal(runProbeChild('webgpu', { ortDir: ORT_DIR, script: script('process.exit(3);') }).reason, 'the probe process exited with code 3');
    const killed = runProbeChild('webgpu', { ortDir: ORT_DIR, script: script("process.kill(process.pid, 'SIGKILL');") });
    assert.equal(killed.reason, 'the probe process was killed by SIGKILL');
  });

  test('a missing probe script is reported and not cached', () => {
    const r = runProbeChild('webgpu', { ortDir: ORT_DIR, script: '/nonexistent/providerProbeChild.js' });
    assert.equal(r.ok, false);
    assert.equal(r.transient, true);
  });
});

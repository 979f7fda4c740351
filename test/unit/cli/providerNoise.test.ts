/**
 * The `layerlens` binary keeps GPU drivers' native output off the user's stderr. With the Vulkan loader and Mesa
 * installed (the test run installs them where it can, see scripts/test-packages.sh) and no adapter WebGPU accepts,
 * trying webgpu in-process printed Mesa's and Dawn's warnings: six stderr lines before `--provider auto`'s output,
 * seven for `--provider webgpu`. Without the loader webgpu is skipped before any probe; the contract is the same.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { PROBE_CACHE_FILE } from '../../../src/engine/runtime/providerProbe';
import { vulkanLoaderPresent } from '../../../src/engine/runtime/providers';
import { REPO_ROOT, publicInput, publicModel } from '../../support/fixtures';

const BIN = path.join(REPO_ROOT, 'bin', 'layerlens.js');
const model = publicModel('small_cnn');
const input = publicInput('cnn_conv2_b4_targets');
const vulkan = vulkanLoaderPresent();

/** `layerlens attribute` with its probe cache in `cacheHome` (XDG_CACHE_HOME: Linux, where these tests run). */
function attribute(provider: string, cacheHome: string): { code: number; stdout: string; stderr: string } {
  const args = [BIN, 'attribute', model, '--layer', 'conv2', '--input', input, '--target', '1', '--provider', provider, '--json'];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 120_000, env: { ...process.env, XDG_CACHE_HOME: cacheHome } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe(`GPU probing writes nothing to stderr (Vulkan loader ${vulkan ? 'installed: the probe meets the drivers' : 'absent'})`, () => {
  const cacheHome = fs.mkdtempSync(path.join(os.tmpdir(), 'll-cache-'));

  test('--provider auto: empty stderr, the skipped webgpu explained in providerNotes (probed, then cached)', () => {
    for (const round of ['first run: probes', 'second run: cached']) {
      const r = attribute('auto', cacheHome);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '', `${round}: nothing on stderr expected`);
      const summary = JSON.parse(r.stdout);
      if (summary.provider === 'webgpu') continue; // a machine where WebGPU works
      const note = summary.providerNotes.find((n: string) => n.startsWith('webgpu: '));
      assert.ok(note, summary.providerNotes.join('; '));
      assert.match(note, vulkan ? /^webgpu: no adapter \(probe: .+\)$/ : /^webgpu: the Vulkan loader/);
    }
    if (vulkan) {
      const cached = JSON.parse(fs.readFileSync(path.join(cacheHome, 'layerlens', PROBE_CACHE_FILE), 'utf8'));
      assert.ok(Object.values(cached).some((byProvider) => 'webgpu' in (byProvider as object)), JSON.stringify(cached));
    }
  });

  test('--provider webgpu without an adapter: exactly one line, `error: …`', () => {
    for (const cache of [cacheHome, fs.mkdtempSync(path.join(os.tmpdir(), 'll-cache-'))]) {
      const r = attribute('webgpu', cache);
      if (r.code === 0) return assert.equal(r.stderr, ''); // a machine where WebGPU works
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      const lines = r.stderr.split('\n').filter((l) => l !== '');
      assert.equal(lines.length, 1, `one line expected, got:\n${r.stderr}`);
      assert.match(lines[0], /^error: execution provider 'webgpu' is not available here: (no adapter \(probe: .+\)|the Vulkan loader)/);
    }
  });

  test('an unwritable cache folder changes nothing for the user', () => {
    const notADir = path.join(cacheHome, 'a-file');
    fs.writeFileSync(notADir, 'x'); // mkdir under a regular file fails, even for root
    const r = attribute('auto', notADir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
  });
});

// `npm test` after type-check and build: every suite in order, each as its own process, then one summary line.
//   1. unit, fixtures, real-world, fuzz (node:test over out/test/unit)
//   2. the webview in real Chromium (test/webview/browser.test.mjs)
//   3. the extension in a real VS Code host: extension-host mocha tests + UI end-to-end (scripts/vscode-host/e2e.mjs)
// The Vulkan loader and Mesa (scripts/test-packages.sh), Chromium and code-server are installed first when missing
// (scripts/vscode-host/install.sh: Debian packages and the pinned code-server from the npm registry).
// LAYERLENS_TEST_SUITES=unit,webview,vscode picks suites.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

const wanted = (process.env.LAYERLENS_TEST_SUITES ?? 'unit,webview,vscode').split(',');
const results = [];

function run(name, cmd, args, parse) {
  if (!wanted.includes(name)) return;
  const t0 = Date.now();
  console.log(`\n=== ${name}: ${[cmd, ...args].join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 512 * 2 ** 20 });
  process.stdout.write(r.stdout ?? '');
  const counts = parse(r.stdout ?? '');
  results.push({ name, status: r.status, signal: r.signal, seconds: (Date.now() - t0) / 1000, ...counts });
}

/** node:test's TAP summary lines. */
const nodeTestCounts = (out) => ({
  passed: Number(/^# pass (\d+)/m.exec(out)?.[1] ?? 0),
  failed: Number(/^# fail (\d+)/m.exec(out)?.[1] ?? 0) + Number(/^# cancelled (\d+)/m.exec(out)?.[1] ?? 0),
});
/** A runner's own 'N passed, M failed' line (the last one it prints). */
const summaryCounts = (out) => {
  const all = [...out.matchAll(/^(?:\w+: )?(\d+) passed, (\d+) failed/gm)];
  const last = all.at(-1);
  return last ? { passed: Number(last[1]), failed: Number(last[2]) } : { passed: 0, failed: 0 };
};

// The Vulkan loader and Mesa, so the unit run meets the drivers' native stderr noise that provider probing must
// keep off the user's terminal (scripts/test-packages.sh: apt as root, otherwise a polite skip).
if (wanted.includes('unit') && process.platform === 'linux') spawnSync('bash', ['scripts/test-packages.sh'], { stdio: 'inherit' });
run('unit', process.execPath, ['scripts/run-tests.mjs'], nodeTestCounts);
if (wanted.includes('webview') || wanted.includes('vscode')) {
  const r = spawnSync('bash', ['scripts/vscode-host/install.sh'], { stdio: 'inherit' });
  if (r.status !== 0) results.push({ name: 'install test hosts', status: r.status, passed: 0, failed: 1, seconds: 0 });
}
run('webview', process.execPath, ['--test', 'test/webview/browser.test.mjs'], nodeTestCounts);
// npm test has type-checked and bundled, and the hosts were installed above: e2e.mjs only packages the VSIX.
if (fs.existsSync('scripts/vscode-host/e2e.mjs')) run('vscode', process.execPath, ['scripts/vscode-host/e2e.mjs', '--skip-install', '--built'], summaryCounts);

console.log('\n=== summary');
let passed = 0;
let failed = 0;
for (const r of results) {
  const ok = r.status === 0 && r.failed === 0;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${r.name.padEnd(20)} ${String(r.passed).padStart(5)} passed ${String(r.failed).padStart(3)} failed  ${r.seconds.toFixed(0)} s${r.signal ? ` (${r.signal})` : ''}`);
  passed += r.passed;
  failed += r.failed + (r.status === 0 ? 0 : r.failed === 0 ? 1 : 0);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && results.every((r) => r.status === 0) ? 0 : 1);

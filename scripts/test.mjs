// `npm test` after type-check and build: every suite in order, each as its own process and summary row, then one
// summary line.
//   lint         ESLint over src/, webview/, test/, scripts/ (eslint.config.mjs): one test, failed by any problem
//   unit         node:test over out/test/unit, every file not in a suite below      } membership: the SUITES table
//   conformance  Captum fixtures (engine and binary), model zoos, real-world models  } in scripts/run-tests.mjs
//   stress       fuzzing, memory over many attributions, hostile files               }
//   webview      the webview in real Chromium (test/webview/browser.test.mjs, outputs.test.mjs)
//   vscode       the extension in a real VS Code host: extension-host mocha tests + UI end-to-end (scripts/vscode-host/e2e.mjs)
// The Vulkan loader and Mesa (scripts/test-packages.sh), Chromium and code-server are installed first when missing
// (scripts/vscode-host/install.sh: Debian packages and the pinned code-server from the npm registry).
// LAYERLENS_TEST_SUITES=lint,unit,conformance,stress,webview,vscode picks suites (default: all, in this order).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { SUITE_NAMES as NODE_TEST_SUITES } from './run-tests.mjs';

const ALL = ['lint', ...NODE_TEST_SUITES, 'webview', 'vscode'];
const wanted = (process.env.LAYERLENS_TEST_SUITES ?? ALL.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
const results = [];

function run(name, cmd, args, parse) {
  if (!wanted.includes(name)) return;
  const t0 = Date.now();
  console.log(`\n=== ${name}: ${[cmd, ...args].join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 512 * 2 ** 20 });
  process.stdout.write(r.stdout ?? '');
  const counts = parse(r.stdout ?? '', r.status);
  results.push({ name, status: r.status, signal: r.signal, seconds: (Date.now() - t0) / 1000, ...counts });
}

/** node:test's TAP summary lines. */
const nodeTestCounts = (out) => ({
  passed: Number(/^# pass (\d+)/m.exec(out)?.[1] ?? 0),
  failed: Number(/^# fail (\d+)/m.exec(out)?.[1] ?? 0) + Number(/^# cancelled (\d+)/m.exec(out)?.[1] ?? 0),
});
/** ESLint counts as one test: passed when it exits 0 (no errors, no warnings), failed otherwise. */
const lintCounts = (_out, status) => (status === 0 ? { passed: 1, failed: 0 } : { passed: 0, failed: 1 });
/** A runner's own 'N passed, M failed' line (the last one it prints). */
const summaryCounts = (out) => {
  const all = [...out.matchAll(/^(?:\w+: )?(\d+) passed, (\d+) failed/gm)];
  const last = all.at(-1);
  return last ? { passed: Number(last[1]), failed: Number(last[2]) } : { passed: 0, failed: 0 };
};

// A misspelt suite would otherwise run nothing and pass.
for (const name of wanted.filter((n) => !ALL.includes(n))) {
  console.error(`LAYERLENS_TEST_SUITES: unknown suite '${name}' (suites: ${ALL.join(', ')})`);
  results.push({ name: `unknown: ${name}`, status: 1, passed: 0, failed: 1, seconds: 0 });
}

// The same command as `npm run lint` (package.json); the cache is keyed on each file's content and the config.
const ESLINT_ARGS = ['--max-warnings', '0', '--cache', '--cache-strategy', 'content', '--cache-location', 'node_modules/.cache/eslint/', '.'];
run('lint', process.execPath, ['node_modules/eslint/bin/eslint.js', ...ESLINT_ARGS], lintCounts);
// The Vulkan loader and Mesa, so the node:test suites meet the drivers' native stderr noise that provider probing
// must keep off the user's terminal (scripts/test-packages.sh: apt as root, otherwise a polite skip).
if (NODE_TEST_SUITES.some((n) => wanted.includes(n)) && process.platform === 'linux') spawnSync('bash', ['scripts/test-packages.sh'], { stdio: 'inherit' });
for (const suite of NODE_TEST_SUITES) run(suite, process.execPath, ['scripts/run-tests.mjs', '--suite', suite], nodeTestCounts);
if (wanted.includes('webview') || wanted.includes('vscode')) {
  const r = spawnSync('bash', ['scripts/vscode-host/install.sh'], { stdio: 'inherit' });
  if (r.status !== 0) results.push({ name: 'install test hosts', status: r.status, passed: 0, failed: 1, seconds: 0 });
}
run('webview', process.execPath, ['--test', '--test-concurrency=1', 'test/webview/browser.test.mjs', 'test/webview/outputs.test.mjs'], nodeTestCounts);
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

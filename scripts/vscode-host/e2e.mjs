#!/usr/bin/env node
// LayerLens in a real VS Code, one command: installs the test host, builds, packages the VSIX, runs the
// extension-host mocha tests and the UI end-to-end tests, and ends with one line `N passed, M failed`.
//
//   node scripts/vscode-host/e2e.mjs [--skip-install] [--skip-build] [--built] [--only host|ui] [--update-screenshot] [--resnet]
//
//   --skip-install       do not run scripts/vscode-host/install.sh (it is idempotent and takes ~0.5 s when done)
//   --skip-build         do not compile (tsc -p .), bundle (scripts/build.mjs) or package the VSIX
//   --built              compiled and bundled already (npm test did it): only package the VSIX
//   --only host|ui       run one of the two suites
//   --update-screenshot  copy the README screenshot the UI tests take to media/screenshot.png
//   --resnet             also measure Explain Layer → first heat map on bench/models/resnet18.onnx (~25 s)
//
// Steps: 1. bash scripts/vscode-host/install.sh (Chromium from Debian, code-server 4.100.3 in .vscode-host/)
//        2. tsc -p . (the mocha suite under out/test/vscode-host) and node scripts/build.mjs (dist/)
//        3. node scripts/package-vsix.mjs --no-build (dist/layerlens-<version>-<platform>.vsix, for the VSIX test)
//        4. node scripts/vscode-host/run-host-tests.mjs over test/vscode-host/suite, workspace test/vscode-host/workspace
//        5. node --test test/vscode-host/e2e/ui.test.mjs
// Exit code 0 only when every step passed. Outputs under test-results/ (host-tests.json, e2e/*.png, e2e/timings.json).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const flag = (f) => args.includes(f);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const known = new Set(['--skip-install', '--skip-build', '--built', '--only', '--update-screenshot', '--resnet', 'host', 'ui', '-h', '--help']);
for (const a of args) {
  if (!known.has(a)) {
    console.error(`e2e: unknown argument ${a}`);
    process.exit(2);
  }
}
if (flag('-h') || flag('--help')) {
  console.log('usage: node scripts/vscode-host/e2e.mjs [--skip-install] [--skip-build] [--built] [--only host|ui] [--update-screenshot] [--resnet]');
  process.exit(0);
}
if (only && only !== 'host' && only !== 'ui') {
  console.error('e2e: --only takes host or ui');
  process.exit(2);
}

const t0 = Date.now();
const secs = (t) => ((Date.now() - t) / 1000).toFixed(1);
const steps = []; // { name, passed, failed, seconds, ok }

/** Runs a command with inherited stdin/stderr and stdout both shown and captured. */
function run(cmd, argv, { env } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      process.stdout.write(d);
    });
    child.on('close', (code, signal) => resolve({ code: code ?? 1, signal, out }));
    child.on('error', (e) => {
      console.error(`e2e: ${cmd}: ${e.message}`);
      resolve({ code: 1, out });
    });
  });
}

/** A step that must succeed for the tests to mean anything; counted as one failure when it does not. */
function setupStep(name, cmd, argv) {
  const t = Date.now();
  console.log(`\n=== e2e: ${name}: ${[cmd, ...argv].join(' ')}`);
  const r = spawnSync(cmd, argv, { cwd: REPO, stdio: ['ignore', 'inherit', 'inherit'] });
  const ok = r.status === 0;
  if (!ok) steps.push({ name, passed: 0, failed: 1, seconds: Number(secs(t)), ok: false });
  else console.log(`=== e2e: ${name}: ok (${secs(t)} s)`);
  return ok;
}

async function main() {
  let ready = true;
  if (!flag('--skip-install')) ready = setupStep('install', 'bash', ['scripts/vscode-host/install.sh']) && ready;
  if (!flag('--skip-build') && ready) {
    if (!flag('--built')) {
      ready = setupStep('compile', process.execPath, [path.join(REPO, 'node_modules/typescript/bin/tsc'), '-p', '.']) && ready;
      ready = setupStep('bundle', process.execPath, ['scripts/build.mjs']) && ready;
    }
    if (only !== 'host') {
      const target = `${process.platform}-${process.arch}`;
      // Not fatal for the host tests; the VSIX test then fails on its own (it would package again).
      setupStep('package', process.execPath, ['scripts/package-vsix.mjs', '--target', target, '--no-build']);
    }
  }

  if (ready && only !== 'ui') {
    const t = Date.now();
    console.log('\n=== e2e: extension-host tests (mocha in code-server)');
    const r = await run(process.execPath, [
      'scripts/vscode-host/run-host-tests.mjs',
      '--extension', REPO,
      '--tests', path.join(REPO, 'out/test/vscode-host/mocha-runner.js'),
      '--workspace', path.join(REPO, 'test/vscode-host/workspace'),
      '--report', path.join(REPO, 'test-results/host-tests.json'),
      '--screenshot', path.join(REPO, 'test-results/host-tests-failure.png'),
    ]);
    const m = [...r.out.matchAll(/^host-tests: (\d+) passed, (\d+) failed/gm)].at(-1);
    const passed = m ? Number(m[1]) : 0;
    const failed = m ? Number(m[2]) : 0;
    const ok = r.code === 0 && failed === 0 && passed > 0;
    steps.push({ name: 'extension-host tests', passed, failed: failed || (ok ? 0 : 1), seconds: Number(secs(t)), ok });
  }

  if (ready && only !== 'host') {
    const t = Date.now();
    console.log('\n=== e2e: UI end-to-end tests (Playwright + Chromium on code-server)');
    const env = {};
    if (flag('--update-screenshot')) env.LAYERLENS_UPDATE_SCREENSHOT = '1';
    if (flag('--resnet')) env.LAYERLENS_E2E_RESNET = '1';
    const r = await run(process.execPath, ['--test', '--test-reporter=spec', '--test-reporter-destination=stdout', 'test/vscode-host/e2e/ui.test.mjs'], { env });
    const num = (k) => Number(new RegExp(`^ℹ ${k} (\\d+)`, 'm').exec(r.out)?.[1] ?? 0);
    const passed = num('pass');
    const failed = num('fail') + num('cancelled');
    const ok = r.code === 0 && failed === 0 && passed > 0;
    steps.push({ name: 'UI end-to-end tests', passed, failed: failed || (ok ? 0 : 1), seconds: Number(secs(t)), ok });
    const timings = path.join(REPO, 'test-results/e2e/timings.json');
    if (fs.existsSync(timings)) console.log(`timings: ${JSON.stringify(JSON.parse(fs.readFileSync(timings, 'utf8')))}`);
  }

  console.log('\n=== e2e: summary');
  for (const s of steps) console.log(`${s.ok ? 'ok  ' : 'FAIL'} ${s.name.padEnd(24)} ${String(s.passed).padStart(4)} passed ${String(s.failed).padStart(3)} failed  ${s.seconds.toFixed(1)} s`);
  const passed = steps.reduce((a, s) => a + s.passed, 0);
  const failed = steps.reduce((a, s) => a + s.failed, 0);
  console.log(`total ${secs(t0)} s`);
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 && steps.length > 0 && steps.every((s) => s.ok) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    console.log('0 passed, 1 failed');
    process.exit(1);
  },
);

#!/usr/bin/env node
// Runs mocha tests inside a real VS Code extension host (code-server 4.100.3 + headless Chromium), offline.
//
//   node scripts/vscode-host/run-host-tests.mjs --extension <abs ext dir> --tests <abs compiled tests index> \
//        --workspace <dir> [--report <json>] [--timeout <s>] [--grep <re>] [--env K=V]... [--log <file>] \
//        [--all-console] [--allow-empty] [--screenshot <png>]
//
//   --extension  the extension folder (package.json), loaded as extensionDevelopmentPath
//   --tests      module exporting run(): Promise<void> (e.g. out/test/vscode-host/mocha-runner.js), extensionTestsPath
//   --workspace  folder the workbench opens
//   --report     where the runner writes its JSON report (passed as env LAYERLENS_TEST_REPORT); default: a temp file
//   --timeout    seconds until the run is abandoned (default 180)
//   --grep       env LAYERLENS_TEST_GREP for the runner
//   --env K=V    extra env for code-server and so the extension host (repeatable)
//   --log        copy the code-server log here at the end
//   --all-console  echo every browser console line, not only the extension host's
//   --allow-empty  exit 0 even when the report says no test ran
//   --screenshot   take a screenshot here when the run fails or times out
//
// Exit code: the one the tests module gave (0 pass, 1 fail); 1 if the report shows failures or no test;
// 2 for a usage error or when the run could not start or timed out.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCodeServer, launchBrowser } from './server.mjs';
import { attachConsole, openWorkbench } from './workbench.mjs';

const USAGE = 'usage: run-host-tests.mjs --extension <dir> --tests <module> --workspace <dir> [--report <json>] [--timeout <s>] [--grep <re>] [--env K=V]... [--log <file>] [--all-console] [--allow-empty] [--screenshot <png>]';

function parseArgs(argv) {
  const o = { env: {}, timeout: 180, allConsole: false, allowEmpty: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) fail(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case '--extension': o.extension = val(); break;
      case '--tests': o.tests = val(); break;
      case '--workspace': o.workspace = val(); break;
      case '--report': o.report = val(); break;
      case '--timeout': o.timeout = Number(val()); break;
      case '--grep': o.env.LAYERLENS_TEST_GREP = val(); break;
      case '--log': o.log = val(); break;
      case '--screenshot': o.screenshot = val(); break;
      case '--all-console': o.allConsole = true; break;
      case '--allow-empty': o.allowEmpty = true; break;
      case '--env': {
        const kv = val();
        const eq = kv.indexOf('=');
        if (eq <= 0) fail(`--env wants K=V, got ${kv}`);
        o.env[kv.slice(0, eq)] = kv.slice(eq + 1);
        break;
      }
      case '-h': case '--help': console.log(USAGE); process.exit(0); break;
      default: fail(`unknown argument ${a}`);
    }
  }
  if (!o.extension || !o.tests || !o.workspace) fail('--extension, --tests and --workspace are required');
  if (!(o.timeout > 0)) fail('--timeout must be a positive number of seconds');
  o.extension = path.resolve(o.extension);
  o.tests = path.resolve(o.tests);
  o.workspace = path.resolve(o.workspace);
  if (!fs.existsSync(path.join(o.extension, 'package.json'))) fail(`${o.extension}/package.json not found`);
  if (!fs.existsSync(o.tests) && !fs.existsSync(`${o.tests}.js`)) fail(`tests module ${o.tests} not found (compile first?)`);
  if (!fs.statSync(o.workspace, { throwIfNoEntry: false })?.isDirectory()) fail(`workspace ${o.workspace} is not a directory`);
  return o;
}

function fail(msg) {
  console.error(`run-host-tests: ${msg}\n${USAGE}`);
  process.exit(2);
}

const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
const say = (msg) => console.log(`[host-tests ${elapsed()}] ${msg}`);

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const tmpReport = !o.report;
  const report = o.report ? path.resolve(o.report) : path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'host-tests-')), 'report.json');
  fs.mkdirSync(path.dirname(report), { recursive: true });
  fs.rmSync(report, { force: true }); // never read a stale report

  let server, browser, timer;
  let code = 2;
  try {
    server = await startCodeServer({ workspace: o.workspace, env: { ...o.env, LAYERLENS_TEST_REPORT: report } });
    say(`code-server up at ${server.baseUrl}`);
    browser = await launchBrowser();

    let resolveExit;
    const exited = new Promise((r) => (resolveExit = r));
    const timedOut = new Promise((r) => (timer = setTimeout(() => r('timeout'), o.timeout * 1000)));
    const serverDied = server.exited.then((c) => `code-server exited (${c})`);

    const { page } = await openWorkbench(browser, server, {
      extensionDevelopmentPath: o.extension,
      extensionTestsPath: o.tests,
      timeout: o.timeout * 1000,
      beforeGoto: async (p) => {
        attachConsole(p, (line) => console.log(line), { all: o.allConsole });
        // VS Code calls window.codeAutomationExit(code) when the tests module settles: expose it BEFORE goto.
        await p.exposeFunction('codeAutomationExit', (c) => resolveExit(Number(c)));
      },
    });
    say('workbench loaded; running tests');
    const outcome = await Promise.race([exited, timedOut, serverDied]);
    await sleep(200); // let the last forwarded console lines arrive
    if (typeof outcome === 'number') {
      code = outcome;
      say(`tests module exited with ${code}`);
    } else {
      console.error(`run-host-tests: ${outcome === 'timeout' ? `no exit code after ${o.timeout} s (workbench or tests hung)` : outcome}`);
      code = 2;
    }
    if (code !== 0 && o.screenshot) {
      await page.screenshot({ path: path.resolve(o.screenshot) }).catch(() => {});
    }
  } catch (err) {
    console.error(`run-host-tests: ${err?.stack ?? err}`);
    code = 2;
  } finally {
    clearTimeout(timer);
    if (code === 2 && server) {
      const log = server.readLog().split('\n').slice(-30).join('\n');
      console.error(`--- code-server log (tail) ---\n${log}\n---`);
    }
    if (o.log && server) fs.copyFileSync(server.logFile, path.resolve(o.log));
    await browser?.close().catch(() => {});
    await server?.stop().catch(() => {});
  }

  // The report is the source of truth for counts; the exit code for pass/fail of the tests module.
  let rep;
  try {
    rep = JSON.parse(fs.readFileSync(report, 'utf8'));
  } catch {
    rep = undefined;
  }
  if (rep) {
    for (const f of rep.failures ?? []) {
      console.log(`FAILED: ${f.fullTitle}\n    ${String(f.message).trim().split('\n').join('\n    ')}`);
    }
    if (rep.error) console.log(`RUN ERROR: ${rep.error}`);
    const s = rep.stats ?? {};
    if ((s.failures ?? 0) > 0 && code === 0) code = 1;
    if (code === 0 && (s.passes ?? 0) === 0 && !o.allowEmpty) {
      console.error('run-host-tests: the report says no test ran (use --allow-empty to accept)');
      code = 1;
    }
    console.log(`host-tests: ${s.passes ?? 0} passed, ${s.failures ?? 0} failed${s.pending ? `, ${s.pending} skipped` : ''}`);
    if (!tmpReport) say(`report: ${report}`);
  } else if (code !== 2) {
    console.log(`run-host-tests: no JSON report at ${report} (does the tests module write one to $LAYERLENS_TEST_REPORT?)`);
  }
  if (tmpReport) fs.rmSync(path.dirname(report), { recursive: true, force: true });
  say(`done, exit ${code}`);
  return code;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(2);
  },
);

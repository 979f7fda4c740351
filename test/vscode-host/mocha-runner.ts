// Mocha entry point for tests that run inside a real VS Code extension host
// (scripts/vscode-host/run-host-tests.mjs passes its compiled path as extensionTestsPath).
//
// VS Code requires this module and awaits run(). It loads every `*.test.js` under the tests dir
// (default: `suite/` next to this compiled file, i.e. out/test/vscode-host/suite/; override with
// env LAYERLENS_TEST_DIR), runs them with mocha's BDD UI (describe/it) and the spec reporter
// (its output is forwarded to the driver through the workbench console), and writes a JSON
// report to env LAYERLENS_TEST_REPORT or, without it, to test-report.json next to this file.
//
// Other env knobs (the extension host inherits the code-server process env):
//   LAYERLENS_TEST_GREP        only tests whose full title matches this regexp
//   LAYERLENS_TEST_TIMEOUT_MS  per-test timeout (default 20000)
import * as fs from 'fs';
import * as path from 'path';
import Mocha from 'mocha';

export interface TestRecord {
  title: string;
  fullTitle: string;
  file?: string;
  durationMs?: number;
}
export interface FailureRecord extends TestRecord {
  message: string;
  stack?: string;
}
export interface HostTestReport {
  runner: 'mocha';
  ok: boolean;
  testsDir: string;
  files: string[];
  startedAt: string;
  durationMs: number;
  host: { vscodeVersion?: string; uiKind?: string; remoteName?: string; node: string; pid: number };
  stats: { tests: number; passes: number; failures: number; pending: number };
  passes: TestRecord[];
  failures: FailureRecord[];
  pending: TestRecord[];
  /** set when the run itself broke (a test file failed to load, ...) */
  error?: string;
}

function findTestFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile() && entry.name.endsWith('.test.js')) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

function hostInfo(): HostTestReport['host'] {
  const info: HostTestReport['host'] = { node: process.version, pid: process.pid };
  try {
    // Only available inside the extension host; loaded lazily so this file also loads elsewhere.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const vscode = require('vscode') as typeof import('vscode');
    info.vscodeVersion = vscode.version;
    info.uiKind = vscode.UIKind[vscode.env.uiKind];
    info.remoteName = vscode.env.remoteName;
  } catch {
    // not in an extension host
  }
  return info;
}

function writeReport(file: string, report: HostTestReport): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(report, null, 2));
  fs.renameSync(tmp, file);
}

function errorText(err: unknown): { message: string; stack?: string } {
  if (err instanceof Error) return { message: err.message, stack: err.stack };
  return { message: String(err) };
}

export async function run(): Promise<void> {
  const testsDir = path.resolve(process.env.LAYERLENS_TEST_DIR || path.join(__dirname, 'suite'));
  const reportFile = path.resolve(process.env.LAYERLENS_TEST_REPORT || path.join(__dirname, 'test-report.json'));
  const timeout = Number(process.env.LAYERLENS_TEST_TIMEOUT_MS) || 20_000;
  const started = Date.now();
  const report: HostTestReport = {
    runner: 'mocha',
    ok: false,
    testsDir,
    files: [],
    startedAt: new Date(started).toISOString(),
    durationMs: 0,
    host: hostInfo(),
    stats: { tests: 0, passes: 0, failures: 0, pending: 0 },
    passes: [],
    failures: [],
    pending: [],
  };
  let finished = false;
  const finish = (error?: unknown): void => {
    finished = true;
    report.durationMs = Date.now() - started;
    report.stats = {
      tests: report.passes.length + report.failures.filter((f) => !/^"(before|after) (all|each)" hook/.test(f.title)).length,
      passes: report.passes.length,
      failures: report.failures.length,
      pending: report.pending.length,
    };
    if (error !== undefined) report.error = errorText(error).stack ?? errorText(error).message;
    report.ok = error === undefined && report.failures.length === 0 && report.passes.length > 0;
    writeReport(reportFile, report);
  };

  try {
    if (!fs.existsSync(testsDir)) throw new Error(`tests dir ${testsDir} does not exist`);
    report.files = findTestFiles(testsDir);
    if (report.files.length === 0) throw new Error(`no *.test.js files under ${testsDir}`);

    const mocha = new Mocha({ ui: 'bdd', reporter: 'spec', color: false, timeout });
    if (process.env.LAYERLENS_TEST_GREP) mocha.grep(new RegExp(process.env.LAYERLENS_TEST_GREP));
    for (const f of report.files) mocha.addFile(f);

    const failures = await new Promise<number>((resolve, reject) => {
      try {
        const runner = mocha.run((n) => resolve(n));
        runner.on('pass', (t) => {
          report.passes.push({ title: t.title, fullTitle: t.fullTitle(), file: t.file, durationMs: t.duration });
        });
        runner.on('fail', (t, err) => {
          report.failures.push({ title: t.title, fullTitle: t.fullTitle(), file: t.file, durationMs: t.duration, ...errorText(err) });
        });
        runner.on('pending', (t) => {
          report.pending.push({ title: t.title, fullTitle: t.fullTitle(), file: t.file });
        });
      } catch (err) {
        reject(err); // a test file that throws while loading
      }
    });
    finish();
    if (failures > 0) throw new Error(`${failures} test(s) failed`);
    if (report.passes.length === 0) throw new Error('no test ran');
  } catch (err) {
    if (!finished) finish(err);
    throw err;
  }
}

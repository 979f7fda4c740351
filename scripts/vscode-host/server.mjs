// A real VS Code for tests, offline: code-server 4.100.3 (VS Code 1.100.3) + Debian Chromium via playwright-core.
// See shared/vscode-host.md. Install the tools first: bash scripts/vscode-host/install.sh
//
//   import { startCodeServer, launchBrowser, installVsix } from './server.mjs';
//   const server = await startCodeServer({ workspace: '/abs/ws' });   // -> { baseUrl, stop(), ... }
//   const browser = await launchBrowser();
//   ...
//   await browser.close(); await server.stop();
//
// Dependencies: node builtins + playwright-core (resolved from the repo's node_modules).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const HOST_DIR = process.env.VSCODE_HOST_DIR ?? path.join(REPO_ROOT, '.vscode-host');
export const CODE_SERVER_ENTRY = path.join(HOST_DIR, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Node that runs code-server: its native modules are built for Node 20 (the one install.sh ran under). */
export const CODE_SERVER_NODE = process.env.VSCODE_HOST_NODE ?? process.execPath;

const requireFromRepo = createRequire(path.join(REPO_ROOT, 'package.json'));
/** playwright-core from the repo's node_modules (this script has no dependencies of its own). */
export function playwright() {
  return requireFromRepo('playwright-core');
}

/** User settings for a quiet, deterministic workbench (no welcome tab, no update/telemetry/recommendation noise). */
export const DEFAULT_SETTINGS = Object.freeze({
  'workbench.startupEditor': 'none',
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'workbench.enableExperiments': false,
  'workbench.tips.enabled': false,
  'update.mode': 'none',
  'git.enabled': false,
});

/** Chromium flags verified with Debian's chromium in a root container without a GPU. */
export const CHROMIUM_ARGS = Object.freeze([
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** A sleep that does not keep the process alive (for races against a process exit). */
const sleepUnref = (ms) => new Promise((r) => setTimeout(r, ms).unref());

function assertInstalled() {
  if (!fs.existsSync(CODE_SERVER_ENTRY)) {
    throw new Error(`code-server is not installed (${CODE_SERVER_ENTRY} missing): run bash scripts/vscode-host/install.sh`);
  }
}

/** Environment for code-server: no VS Code variables leaking in from a surrounding VS Code terminal. */
function cleanEnv(extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('VSCODE_') || k === 'ELECTRON_RUN_AS_NODE' || k.startsWith('npm_')) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

/** A TCP port that is free on 127.0.0.1 right now (the OS picks it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function tail(text, lines = 40) {
  return text.split('\n').slice(-lines).join('\n');
}

// Process groups still alive when this process exits are killed (crash / Ctrl-C safety net).
const liveGroups = new Set();
let exitHooksInstalled = false;
function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false; // ESRCH: group already gone
  }
}
function installExitHooks() {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', () => {
    for (const pid of liveGroups) killGroup(pid, 'SIGKILL');
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, () => {
      for (const pid of liveGroups) killGroup(pid, 'SIGKILL');
      liveGroups.clear();
      process.kill(process.pid, sig); // default action now that our listener is gone
    });
  }
}

/**
 * Starts code-server with a fresh profile in a new temp dir.
 * @param {object} opts
 * @param {string} opts.workspace        folder to open (absolute or relative to cwd); must exist
 * @param {string} [opts.extensionsDir]  --extensions-dir (e.g. one filled by installVsix); default: empty temp dir
 * @param {number} [opts.port]           default: a free random port on 127.0.0.1
 * @param {object} [opts.settings]       merged over DEFAULT_SETTINGS into User/settings.json
 * @param {object} [opts.env]            extra env for the server (the extension host inherits it)
 * @param {boolean} [opts.trust]         keep Workspace Trust on (default off: --disable-workspace-trust); with
 *                                       `security.workspace.trust.startupPrompt: "never"` the folder opens in
 *                                       Restricted Mode
 * @param {string} [opts.logFile]        where to write the server log (default: <tmp>/code-server.log, removed on stop)
 * @param {number} [opts.startTimeoutMs] default 30000
 * @param {boolean} [opts.keepTmp]       keep the temp dir on stop (also env VSCODE_HOST_KEEP_TMP=1)
 * @returns {Promise<{baseUrl: string, port: number, authority: string, pid: number, tmpDir: string,
 *   userDataDir: string, extensionsDir: string, logFile: string, workspace: string,
 *   readLog(): string, exited: Promise<number|null>, stop(): Promise<void>}>}
 */
export async function startCodeServer(opts = {}) {
  assertInstalled();
  if (!opts.workspace) throw new Error('startCodeServer: workspace is required');
  const workspace = path.resolve(opts.workspace);
  if (!fs.statSync(workspace, { throwIfNoEntry: false })?.isDirectory()) {
    throw new Error(`startCodeServer: workspace ${workspace} is not a directory`);
  }
  const tmpDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'vscode-host-'));
  const userDataDir = path.join(tmpDir, 'ud');
  const extensionsDir = opts.extensionsDir ? path.resolve(opts.extensionsDir) : path.join(tmpDir, 'exts');
  const xdg = path.join(tmpDir, 'xdg');
  const configFile = path.join(tmpDir, 'config.yaml');
  await fsp.mkdir(path.join(userDataDir, 'User'), { recursive: true });
  await fsp.mkdir(extensionsDir, { recursive: true });
  await fsp.mkdir(xdg, { recursive: true });
  await fsp.writeFile(configFile, ''); // empty config: otherwise code-server writes ~/.config/code-server/config.yaml
  await fsp.writeFile(
    path.join(userDataDir, 'User', 'settings.json'),
    JSON.stringify({ ...DEFAULT_SETTINGS, ...(opts.settings ?? {}) }, null, 2),
  );
  const logFile = opts.logFile ? path.resolve(opts.logFile) : path.join(tmpDir, 'code-server.log');
  await fsp.mkdir(path.dirname(logFile), { recursive: true });
  const keepTmp = opts.keepTmp ?? process.env.VSCODE_HOST_KEEP_TMP === '1';
  const startTimeoutMs = opts.startTimeoutMs ?? 30_000;

  // A random free port can be taken between freePort() and code-server's bind: retry with another one.
  const attempts = opts.port ? 1 : 3;
  let lastError;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const port = opts.port ?? (await freePort());
    const started = await spawnAndWait({ port, workspace, tmpDir, userDataDir, extensionsDir, xdg, configFile, logFile, env: opts.env, startTimeoutMs, trust: !!opts.trust });
    if (started.ok) {
      const { child, exited } = started;
      const pid = child.pid;
      let stopped = false;
      const server = {
        baseUrl: `http://127.0.0.1:${port}`,
        authority: `127.0.0.1:${port}`,
        port,
        pid,
        tmpDir,
        userDataDir,
        extensionsDir,
        logFile,
        workspace,
        exited,
        readLog: () => readText(logFile),
        async stop() {
          if (stopped) return;
          stopped = true;
          // Server + extension hosts + file watchers all share the group led by the setsid'ed child.
          killGroup(pid, 'SIGTERM');
          await Promise.race([exited, sleepUnref(3000)]);
          await sleep(100);
          killGroup(pid, 'SIGKILL'); // whatever ignored SIGTERM (extension hosts in their reconnection grace)
          liveGroups.delete(pid);
          if (!keepTmp) await rmTmp(tmpDir);
        },
      };
      return server;
    }
    lastError = started.error;
    if (!started.addrInUse) break;
  }
  // the error message carries the log tail; keep the whole temp dir only on request
  if (!keepTmp) await rmTmp(tmpDir);
  throw lastError;
}

async function rmTmp(tmpDir) {
  // Extension hosts may still be writing for a few ms after SIGKILL: retry.
  await fsp.rm(tmpDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }).catch(() => {});
}

function readText(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

async function spawnAndWait({ port, workspace, tmpDir, userDataDir, extensionsDir, xdg, configFile, logFile, env, startTimeoutMs, trust }) {
  const logFd = fs.openSync(logFile, 'w');
  const args = [
    CODE_SERVER_ENTRY,
    '--config', configFile,
    '--bind-addr', `127.0.0.1:${port}`, // 127.0.0.1/localhost only: webviews need a secure context
    '--auth', 'none',
    '--disable-telemetry',
    '--disable-update-check',
    ...(trust ? [] : ['--disable-workspace-trust']),
    '--disable-getting-started-override',
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
    workspace,
  ];
  const child = spawn(CODE_SERVER_NODE, args, {
    cwd: tmpDir,
    detached: true, // setsid: the child leads its own process group, so stop() can kill the whole tree
    stdio: ['ignore', logFd, logFd],
    // XDG_*: keep code-server's config/data and @vscode/deviceid's ~/.cache/Microsoft/DeveloperTools out of $HOME
    env: cleanEnv({ XDG_CONFIG_HOME: xdg, XDG_DATA_HOME: xdg, XDG_CACHE_HOME: path.join(xdg, 'cache'), ...(env ?? {}) }),
  });
  fs.closeSync(logFd);
  installExitHooks();
  liveGroups.add(child.pid);
  let exitCode;
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exitCode = code ?? signal;
      resolve(code);
    });
    child.once('error', (err) => {
      exitCode = String(err);
      resolve(null);
    });
  });
  const t0 = Date.now();
  const url = `http://127.0.0.1:${port}/healthz`;
  while (Date.now() - t0 < startTimeoutMs) {
    if (exitCode !== undefined) break;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      // ...and it is OUR server answering (not another one that already held an explicit --port)
      if (res.ok && readText(logFile).includes('HTTP server listening on')) return { ok: true, child, exited };
    } catch {
      // not up yet
    }
    await sleep(150);
  }
  killGroup(child.pid, 'SIGKILL');
  liveGroups.delete(child.pid);
  await Promise.race([exited, sleepUnref(2000)]);
  const log = readText(logFile);
  const addrInUse = /EADDRINUSE/.test(log);
  const why = exitCode !== undefined ? `exited (${exitCode})` : `did not answer ${url} within ${startTimeoutMs} ms`;
  return {
    ok: false,
    addrInUse,
    error: new Error(`code-server ${why}; its log ends with:\n${tail(log)}`),
  };
}

/**
 * Launches Debian's Chromium headless with the flags that work in a root container.
 * Chromium writes ~/.config/chromium/Crash Reports even with Playwright's temp profile, so HOME-ish dirs
 * are pointed at a temp dir that is removed when the browser closes.
 * @param {object} [opts] { headless = true, args = [], executablePath, slowMo }
 */
export async function launchBrowser(opts = {}) {
  const { chromium } = playwright();
  const executablePath = opts.executablePath ?? CHROMIUM_PATH;
  if (!fs.existsSync(executablePath)) {
    throw new Error(`Chromium not found at ${executablePath}: run bash scripts/vscode-host/install.sh (or set CHROMIUM_PATH)`);
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vscode-host-chromium-'));
  const browser = await chromium.launch({
    executablePath,
    headless: opts.headless ?? true,
    // NOTE: no --user-data-dir here: launch() throws ("use launchPersistentContext"); it uses a fresh temp profile.
    args: [...CHROMIUM_ARGS, ...(opts.args ?? [])],
    env: { ...process.env, XDG_CONFIG_HOME: path.join(tmp, 'config'), XDG_CACHE_HOME: path.join(tmp, 'cache') },
    slowMo: opts.slowMo,
  });
  browser.on('disconnected', () => fs.rmSync(tmp, { recursive: true, force: true }));
  return browser;
}

/**
 * Installs a packaged extension into extensionsDir (0.8 s). Pass the same dir to startCodeServer({extensionsDir}).
 * @returns {string} code-server's output
 */
export function installVsix(vsixPath, extensionsDir) {
  assertInstalled();
  const vsix = path.resolve(vsixPath);
  if (!fs.existsSync(vsix)) throw new Error(`installVsix: ${vsix} not found`);
  const exts = path.resolve(extensionsDir);
  fs.mkdirSync(exts, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vscode-host-vsix-'));
  try {
    const config = path.join(tmp, 'config.yaml');
    fs.writeFileSync(config, '');
    const r = spawnSync(
      CODE_SERVER_NODE,
      [CODE_SERVER_ENTRY, '--config', config, '--user-data-dir', path.join(tmp, 'ud'), '--extensions-dir', exts, '--install-extension', vsix, '--force'],
      { encoding: 'utf8', env: cleanEnv({ XDG_CONFIG_HOME: path.join(tmp, 'xdg'), XDG_DATA_HOME: path.join(tmp, 'xdg'), XDG_CACHE_HOME: path.join(tmp, 'xdg', 'cache') }), timeout: 120_000 },
    );
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
    if (r.status !== 0 || r.error || !/successfully installed/i.test(out)) {
      throw new Error(`installVsix ${vsix} failed (exit ${r.status}${r.error ? `, ${r.error.message}` : ''}):\n${tail(out)}`);
    }
    return out;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

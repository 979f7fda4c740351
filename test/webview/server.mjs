// Serves the test harness, the webview bundle and the protocol bundle on 127.0.0.1 (an ephemeral port).
import * as esbuild from 'esbuild';
import { chromium } from 'playwright-core';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../..');

/** Debian's Chromium (or CHROMIUM_PATH), how the browser tests launch it, where they write, and when they skip. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const RESULTS = path.join(repoRoot, 'test-results');
export const skip = fs.existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (apt-get install -y chromium)`;

/** Chromium with a 1440×900 page; its console errors and page errors are pushed to `problems`. */
export async function launchPage(problems) {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  fs.mkdirSync(RESULTS, { recursive: true });
  return { browser, page };
}

/** Bundles the webview exactly as scripts/build.mjs does (browser IIFE), into a temporary folder. */
export async function buildBundles() {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'layerlens-webview-'));
  await esbuild.build({
    entryPoints: [path.join(repoRoot, 'webview/main.ts')],
    outfile: path.join(out, 'main.js'),
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'chrome114',
    sourcemap: true,
    logLevel: 'warning',
  });
  await esbuild.build({
    stdin: { contents: "export * from './src/shared/protocol';", resolveDir: repoRoot, loader: 'ts' },
    outfile: path.join(out, 'protocol.js'),
    bundle: true,
    platform: 'browser',
    format: 'iife',
    globalName: 'LayerLensProtocol',
    target: 'chrome114',
    logLevel: 'warning',
  });
  // The pure heatmap maths, for computing expected values in node.
  await esbuild.build({
    stdin: {
      contents: [
        "export * from './webview/heatmap/normalize';",
        "export * from './webview/heatmap/resample';",
        "export * from './webview/heatmap/tensorMap';",
        "export { formatValue } from './webview/format';",
      ].join('\n'),
      resolveDir: repoRoot,
      loader: 'ts',
    },
    outfile: path.join(out, 'heatmap.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    logLevel: 'warning',
  });
  return out;
}

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.ttf': 'font/ttf', '.map': 'application/json' };

export function startServer(bundleDir) {
  const routes = {
    '/': path.join(here, 'harness.html'),
    '/harness.css': path.join(here, 'harness.css'),
    '/fakeHost.js': path.join(here, 'fakeHost.js'),
    '/fakeOutputs.js': path.join(here, 'fakeOutputs.js'),
    '/protocol.js': path.join(bundleDir, 'protocol.js'),
    '/dist/webview/main.js': path.join(bundleDir, 'main.js'),
    '/dist/webview/main.js.map': path.join(bundleDir, 'main.js.map'),
    '/dist/webview/main.css': path.join(bundleDir, 'main.css'),
    '/codicons/codicon.css': path.join(repoRoot, 'node_modules/@vscode/codicons/dist/codicon.css'),
    '/codicons/codicon.ttf': path.join(repoRoot, 'node_modules/@vscode/codicons/dist/codicon.ttf'),
  };
  const server = http.createServer((req, res) => {
    const file = routes[new URL(req.url ?? '/', 'http://x').pathname];
    if (!file || !fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? (file.endsWith('.html') ? 'text/html' : 'application/octet-stream'), 'cache-control': 'no-store' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${server.address().port}/` })));
}

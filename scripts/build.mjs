// Bundles the CLI, the extension, the engine process, the provider probe and the webview with esbuild (one bundle each).
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';

const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const watch = process.argv.includes('--watch');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  // Native and large runtime packages stay external: they ship in node_modules (and the VSIX).
  external: ['vscode', 'onnxruntime-node', 'sharp'],
  define: { LAYERLENS_VERSION: JSON.stringify(pkg.version) },
};
const entries = [
  { entryPoints: ['src/cli/index.ts'], outfile: 'dist/cli.js' },
  { entryPoints: ['src/host/extension.ts'], outfile: 'dist/extension.js', optional: true },
  { entryPoints: ['src/engineProcess/main.ts'], outfile: 'dist/engine-process.js', optional: true },
  // The GPU provider probe runs as its own process; every bundle above finds it next to itself (providerProbe.ts).
  { entryPoints: ['src/engine/runtime/providerProbeChild.ts'], outfile: 'dist/providerProbeChild.js' },
  {
    entryPoints: ['webview/main.ts'],
    outfile: 'dist/webview/main.js',
    platform: 'browser',
    format: 'iife',
    target: 'chrome114',
    external: [],
    optional: true,
  },
];
const t0 = Date.now();
for (const { optional, ...e } of entries) {
  if (optional && !fs.existsSync(e.entryPoints[0])) continue;
  const opts = { ...common, ...e };
  if (watch) await (await esbuild.context(opts)).watch();
  else await esbuild.build(opts);
}
// The webview's icon font, served from dist/webview under the panel's localResourceRoots.
const codicons = new URL('../node_modules/@vscode/codicons/dist/', import.meta.url);
if (fs.existsSync(codicons)) {
  fs.mkdirSync(new URL('../dist/webview/', import.meta.url), { recursive: true });
  for (const f of ['codicon.css', 'codicon.ttf']) fs.copyFileSync(new URL(f, codicons), new URL(`../dist/webview/${f}`, import.meta.url));
}
if (!watch) console.log(`build: ${Date.now() - t0} ms`);

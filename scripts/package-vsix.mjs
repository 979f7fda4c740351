#!/usr/bin/env node
// Packages LayerLens as a platform-specific VSIX with @vscode/vsce, offline.
//
//   node scripts/package-vsix.mjs [--target linux-x64] [--out <file.vsix>] [--no-build] [--allow-missing-native] [--list]
//
//   --target  a vsce target that onnxruntime-node ships binaries for (default linux-x64):
//             linux-x64, linux-arm64, win32-x64, win32-arm64, darwin-arm64
//   --out     default dist/layerlens-<version>-<target>.vsix
//   --no-build  do not run scripts/build.mjs first (dist/ must be current)
//   --allow-missing-native  package even when the target's sharp prebuilt is not in node_modules
//             (the VSIX then cannot read images on that platform; for trying the packaging only)
//   --list    print every file of the VSIX
//
// What it does:
//   1. bundles dist/ (scripts/build.mjs) unless --no-build;
//   2. writes an ignore file = .vscodeignore + the other platforms' onnxruntime-node binaries
//      (node_modules/onnxruntime-node/bin/napi-v6/<os>/<arch>/**) + every @img/sharp-* package that is not the
//      target's + media/screenshot.png (the README's image is served from the repository, see below);
//   3. runs `vsce package --target <t> --ignoreFile <that file> --out <vsix>`; no network: the README's relative
//      links are rewritten from package.json's `repository` (a GitHub URL), nothing is looked up;
//   4. opens the VSIX and checks it: the bundles, the demo model, the target's native binaries and nobody else's,
//      no sources/tests/tooling; then prints its size.
//
// The other targets on a machine that has their native packages (sharp's prebuilts are optional dependencies
// that npm installs only for the platform it runs on; onnxruntime-node ships all its platforms):
//   npm install --no-save --os=win32 --cpu=x64 sharp@0.34.4    # then:
//   node scripts/package-vsix.mjs --target win32-x64
//   (darwin-arm64: --os=darwin --cpu=arm64; linux-arm64: --os=linux --cpu=arm64 --libc=glibc; win32-arm64 likewise)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ORT_BIN = 'node_modules/onnxruntime-node/bin/napi-v6';

/** vsce target -> onnxruntime-node's bin folder and the sharp prebuilt packages that load on it. */
export const TARGETS = {
  'linux-x64': { ort: 'linux/x64', sharp: ['@img/sharp-linux-x64', '@img/sharp-libvips-linux-x64'] },
  'linux-arm64': { ort: 'linux/arm64', sharp: ['@img/sharp-linux-arm64', '@img/sharp-libvips-linux-arm64'] },
  'win32-x64': { ort: 'win32/x64', sharp: ['@img/sharp-win32-x64'] },
  'win32-arm64': { ort: 'win32/arm64', sharp: ['@img/sharp-win32-arm64'] },
  'darwin-arm64': { ort: 'darwin/arm64', sharp: ['@img/sharp-darwin-arm64', '@img/sharp-libvips-darwin-arm64'] },
};
/** vsce targets onnxruntime-node 1.30 has no binaries for (alpine: its Linux builds need glibc). */
const UNSUPPORTED = {
  'darwin-x64': 'onnxruntime-node 1.30 ships no macOS x64 binary',
  'linux-armhf': 'onnxruntime-node ships no 32-bit ARM binary',
  'alpine-x64': "onnxruntime-node's Linux binaries need glibc (Alpine uses musl)",
  'alpine-arm64': "onnxruntime-node's Linux binaries need glibc (Alpine uses musl)",
  web: 'LayerLens runs onnxruntime in a Node child process; there is no web build',
};

const USAGE = 'usage: node scripts/package-vsix.mjs [--target <t>] [--out <file.vsix>] [--no-build] [--allow-missing-native] [--list]';

function fail(msg, code = 1) {
  console.error(`package-vsix: ${msg}`);
  process.exit(code);
}

function parseArgs(argv) {
  const o = { target: 'linux-x64', build: true, allowMissingNative: false, list: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => argv[++i] ?? fail(`${a} needs a value\n${USAGE}`, 2);
    if (a === '--target' || a === '-t') o.target = val();
    else if (a.startsWith('--target=')) o.target = a.slice(9);
    else if (a === '--out' || a === '-o') o.out = val();
    else if (a === '--no-build') o.build = false;
    else if (a === '--allow-missing-native') o.allowMissingNative = true;
    else if (a === '--list') o.list = true;
    else if (a === '-h' || a === '--help') {
      console.log(USAGE);
      process.exit(0);
    } else fail(`unknown argument ${a}\n${USAGE}`, 2);
  }
  if (UNSUPPORTED[o.target]) fail(`target ${o.target} is not supported: ${UNSUPPORTED[o.target]}`, 2);
  if (!TARGETS[o.target]) fail(`unknown target ${o.target}; one of ${Object.keys(TARGETS).join(', ')}`, 2);
  return o;
}

const exists = (rel) => fs.existsSync(path.join(ROOT, rel));
const mb = (n) => `${(n / 1024 / 1024).toFixed(1)} MB`;

/** The ignore-file lines that drop every platform's native binaries except the target's. */
export function platformIgnoreLines(target) {
  const t = TARGETS[target];
  const lines = [];
  // onnxruntime-node: one folder per <os>/<arch>; every one that is on disk and not the target's goes.
  const ortDir = path.join(ROOT, ORT_BIN);
  const onDisk = fs.existsSync(ortDir)
    ? fs.readdirSync(ortDir).flatMap((o) => (fs.statSync(path.join(ortDir, o)).isDirectory() ? fs.readdirSync(path.join(ortDir, o)).map((a) => `${o}/${a}`) : []))
    : [];
  const known = Object.values(TARGETS).map((x) => x.ort);
  for (const p of [...new Set([...known, ...onDisk])].sort()) if (p !== t.ort) lines.push(`${ORT_BIN}/${p}/**`);
  // sharp: every @img/sharp-* package (sharp's optional dependencies, and whatever is installed) but the target's.
  const sharpPkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules/sharp/package.json'), 'utf8'));
  const imgDir = path.join(ROOT, 'node_modules/@img');
  const installed = fs.existsSync(imgDir) ? fs.readdirSync(imgDir).filter((n) => n.startsWith('sharp-')).map((n) => `@img/${n}`) : [];
  const all = new Set([...Object.keys(sharpPkg.optionalDependencies ?? {}), ...installed]);
  for (const name of [...all].sort()) if (!t.sharp.includes(name)) lines.push(`node_modules/${name}/**`);
  return lines;
}

/** What the VSIX may carry from the repository's top level; everything else on disk is ignored. */
const KEEP_TOP_LEVEL = new Set(['package.json', 'package.nls.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'SECURITY.md', 'dist', 'media', 'node_modules', 'l10n']);

/** Top-level files and folders that are on disk but not part of an extension (they get an ignore line). */
export function strayTopLevel() {
  return fs
    .readdirSync(ROOT)
    .filter((n) => !KEEP_TOP_LEVEL.has(n) && !/^package\.nls\.[\w-]+\.json$/.test(n))
    .sort();
}

/** Entries of a zip file (central directory): [{ name, size (uncompressed), csize }]. */
export function zipEntries(file) {
  const buf = fs.readFileSync(file);
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error(`${file} is not a zip file`);
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const out = [];
  for (let k = 0; k < count; k++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error(`${file}: bad central directory entry ${k}`);
    const csize = buf.readUInt32LE(p + 20);
    const size = buf.readUInt32LE(p + 24);
    const n = buf.readUInt16LE(p + 28);
    const x = buf.readUInt16LE(p + 30);
    const c = buf.readUInt16LE(p + 32);
    out.push({ name: buf.toString('utf8', p + 46, p + 46 + n), size, csize });
    p += 46 + n + x + c;
  }
  return out;
}

/** Problems with the VSIX's contents for `target` (empty: fine). */
export function checkVsix(entries, target, { allowMissingNative = false } = {}) {
  const names = new Set(entries.map((e) => e.name));
  const problems = [];
  const t = TARGETS[target];
  const must = [
    'extension/package.json',
    'extension/readme.md',
    'extension/LICENSE.txt',
    'extension/dist/extension.js',
    'extension/dist/engine-process.js',
    'extension/dist/providerProbeChild.js',
    'extension/dist/webview/main.js',
    'extension/media/icon.png',
    'extension/media/demo/fashion_mnist_cnn.onnx',
    'extension/node_modules/onnxruntime-node/package.json',
    'extension/node_modules/onnxruntime-common/package.json',
    'extension/node_modules/sharp/package.json',
    `extension/${ORT_BIN}/${t.ort}/onnxruntime_binding.node`,
  ];
  for (const m of must) if (!names.has(m) && !(m === 'extension/readme.md' && names.has('extension/README.md'))) problems.push(`missing ${m}`);
  if (!entries.some((e) => e.name.startsWith('extension/media/demo/samples/') && e.name.endsWith('.png'))) problems.push('missing the demo samples');
  for (const s of t.sharp) {
    if (!entries.some((e) => e.name.startsWith(`extension/node_modules/${s}/`)) && !allowMissingNative) problems.push(`missing ${s}`);
  }
  for (const e of entries) {
    const n = e.name;
    const ort = n.match(new RegExp(`^extension/${ORT_BIN}/([^/]+/[^/]+)/`));
    if (ort && ort[1] !== t.ort) problems.push(`another platform's onnxruntime binary: ${n}`);
    const img = n.match(/^extension\/node_modules\/(@img\/sharp-[^/]+)\//);
    if (img && !t.sharp.includes(img[1])) problems.push(`another platform's sharp binary: ${n}`);
    if (/^extension\/\.[^/]+\//.test(n)) problems.push(`a tool folder: ${n}`);
    if (/^extension\/(src|test|test-results|webview|scripts|bench|out|out-[^/]+|\.vscode-host|\.ci|bin)\//.test(n)) problems.push(`not for the VSIX: ${n}`);
    if (/^extension\/node_modules\/(typescript|esbuild|@esbuild|mocha|playwright-core|@vscode\/vsce|fast-check|@types)\//.test(n)) problems.push(`a dev dependency: ${n}`);
    if (/\.(ts|map|vsix)$/.test(n) && !n.endsWith('.d.ts')) problems.push(`not for the VSIX: ${n}`);
  }
  // one line per kind is enough when a whole folder is wrong
  const seen = new Set();
  return problems.filter((p) => {
    const key = p.replace(/^(.*?: extension\/(?:node_modules\/(?:@img\/)?)?[^/]+(?:\/[^/]+)?).*$/, '$1');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function main() {
  const o = parseArgs(process.argv.slice(2));
  const t0 = Date.now();
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const out = path.resolve(ROOT, o.out ?? `dist/${pkg.name}-${pkg.version}-${o.target}.vsix`);
  const t = TARGETS[o.target];

  if (!pkg.repository) fail('package.json has no `repository`: vsce would ask for one (and rewrite README links from it)');
  if (!exists('LICENSE')) fail('LICENSE is missing: vsce would ask whether to continue');

  if (o.build) {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, stdio: 'inherit' });
    if (r.status !== 0) fail(`scripts/build.mjs failed (exit ${r.status})`);
  }
  for (const f of ['dist/extension.js', 'dist/engine-process.js', 'dist/providerProbeChild.js', 'dist/webview/main.js']) {
    if (!exists(f)) fail(`${f} is missing: run node scripts/build.mjs`);
  }
  if (!exists(`${ORT_BIN}/${t.ort}/onnxruntime_binding.node`)) fail(`${ORT_BIN}/${t.ort} is missing: reinstall onnxruntime-node`);
  const missingSharp = t.sharp.filter((s) => !exists(`node_modules/${s}/package.json`));
  if (missingSharp.length) {
    const [osName, cpu] = o.target.split('-');
    const how = `npm install --no-save --os=${osName} --cpu=${cpu}${osName === 'linux' ? ' --libc=glibc' : ''} sharp@${JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules/sharp/package.json'), 'utf8')).version}`;
    const msg = `sharp's prebuilt for ${o.target} (${missingSharp.join(', ')}) is not in node_modules; get it with\n  ${how}\nand run this again`;
    if (!o.allowMissingNative) fail(`${msg} (or pass --allow-missing-native to package without it: images will not load on ${o.target})`);
    console.warn(`package-vsix: WARNING: ${msg}. Packaging without it (--allow-missing-native): images will not load on ${o.target}.`);
  }

  // The ignore file: .vscodeignore + the other platforms' binaries.
  const base = fs.readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8');
  const extra = [
    '',
    `# ---- generated by scripts/package-vsix.mjs for --target ${o.target}`,
    '# the README image is served from the repository (vsce rewrites relative links from package.json `repository`)',
    'media/screenshot.png',
    '**/*.vsix',
    '# top-level entries a VSIX never needs (tool folders such as .gpu-kit/ are git-ignored but not in .vscodeignore)',
    ...strayTopLevel().map((n) => `${n}/**`),
    '# other platforms\' native binaries',
    ...platformIgnoreLines(o.target),
  ];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'layerlens-vsix-'));
  const ignoreFile = path.join(tmp, `vscodeignore-${o.target}`);
  fs.writeFileSync(ignoreFile, `${base.trimEnd()}\n${extra.join('\n')}\n`);

  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.rmSync(out, { force: true });
  const vsce = createRequire(path.join(ROOT, 'package.json')).resolve('@vscode/vsce/vsce');
  const args = [vsce, 'package', '--target', o.target, '--ignoreFile', ignoreFile, '--out', out];
  console.log(`package-vsix: vsce package --target ${o.target} --ignoreFile <.vscodeignore + ${extra.length - 2} lines> --out ${path.relative(ROOT, out)}`);
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('npm_')) delete env[k]; // `npm run` variables confuse vsce's `npm list`
  // stdin closed: a vsce question (missing repository, LICENSE…) fails instead of waiting forever
  const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'], env, timeout: 300_000 });
  fs.rmSync(tmp, { recursive: true, force: true });
  if (r.status !== 0 || !fs.existsSync(out)) fail(`vsce package failed (exit ${r.status}${r.error ? `, ${r.error.message}` : ''})`);

  const entries = zipEntries(out);
  if (o.list) for (const e of entries) console.log(`${String(e.size).padStart(10)}  ${e.name}`);
  const problems = checkVsix(entries, o.target, { allowMissingNative: o.allowMissingNative });
  if (problems.length) fail(`the VSIX is wrong:\n  ${problems.join('\n  ')}`);

  // Where the bytes are (uncompressed), largest first.
  const groups = new Map();
  for (const e of entries) {
    const m = e.name.match(/^extension\/(node_modules\/(?:@[^/]+\/)?[^/]+|[^/]+)/);
    const key = m ? m[1] : e.name;
    groups.set(key, (groups.get(key) ?? 0) + e.size);
  }
  const top = [...groups].sort((a, b) => b[1] - a[1]).slice(0, 6);
  const size = fs.statSync(out).size;
  console.log(`package-vsix: contents (uncompressed): ${top.map(([k, v]) => `${k} ${mb(v)}`).join(', ')}`);
  console.log(`package-vsix: ${path.relative(ROOT, out)}: ${mb(size)} (${size.toLocaleString('en-US')} bytes), ${entries.length} files, target ${o.target}, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();

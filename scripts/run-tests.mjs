// Runs the compiled node:test files of one suite (node 20 has no --test globs).
//   node scripts/run-tests.mjs --suite unit|conformance|stress   one suite (scripts/test.mjs runs each as its own row)
//   node scripts/run-tests.mjs --list                            which suite every test file belongs to
//   node scripts/run-tests.mjs [DIR…]                            every test file under DIR (default out/test/unit)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Suite membership of the test files under test/unit, as source paths relative to test/unit (`*` within a name,
 * `**` across folders). A file matches at most one entry; `unit` is every file listed nowhere here.
 */
export const SUITES = {
  // Results against outside references: the Captum fixture sets (through the engine and through the binary; the
  // CLI file's error-message and layers/predict cases come along, as membership is per file), the torch-exported
  // zoos against PyTorch autograd, and the third-party models against finite differences.
  conformance: [
    'engine/fixtures.test.ts',
    'cli/cli.test.ts',
    'engine/moduleZoo.test.ts',
    'engine/modelZoo2.test.ts',
    'engine/causalLm.test.ts',
    'engine/swin.test.ts',
    'engine/recurrentModels.test.ts',
    'engine/realworld.test.ts',
  ],
  // Long robustness runs: thousands of mutated model files, RSS over 200 attributions, hostile files.
  stress: ['engine/fuzz.test.ts', 'engine/memory.test.ts', 'engine/hostile.test.ts'],
};
export const SUITE_NAMES = ['unit', ...Object.keys(SUITES)];

const SOURCE_ROOT = 'test/unit';
const COMPILED_ROOT = path.join('out', SOURCE_ROOT);

const globRegExp = (glob) =>
  new RegExp(`^${glob.split('**/').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')).join('(?:.*/)?')}$`);

function walk(dir, suffix, files = []) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, suffix, files);
    else if (e.name.endsWith(suffix)) files.push(p);
  }
  return files;
}
const posix = (p) => p.split(path.sep).join('/');

/** Every test file under `roots`, sorted, with its suite; an entry of SUITES that matches no source file is an error. */
export function classify(roots = [COMPILED_ROOT]) {
  const patterns = Object.entries(SUITES).flatMap(([suite, globs]) => globs.map((glob) => ({ suite, glob, re: globRegExp(glob), used: false })));
  const files = roots.filter((r) => fs.existsSync(r)).flatMap((r) => walk(r, '.test.js')).sort();
  const rows = files.map((file) => {
    // out/test/unit/engine/fuzz.test.js → engine/fuzz.test.ts
    const rel = posix(path.relative(COMPILED_ROOT, file)).replace(/\.js$/, '.ts');
    const hits = patterns.filter((p) => p.re.test(rel));
    if (hits.length > 1) throw new Error(`${rel} matches more than one suite entry: ${hits.map((h) => `${h.suite}: ${h.glob}`).join(', ')}`);
    for (const h of hits) h.used = true;
    return { file, rel, suite: hits[0]?.suite ?? 'unit' };
  });
  const sources = walk(SOURCE_ROOT, '.test.ts').map((f) => posix(path.relative(SOURCE_ROOT, f)));
  for (const p of patterns)
    if (!sources.some((s) => p.re.test(s))) throw new Error(`suite ${p.suite}: '${p.glob}' matches no test file under ${SOURCE_ROOT}`);
  return rows;
}

function main(argv) {
  if (argv[0] === '--list') {
    for (const r of classify()) console.log(`${r.suite.padEnd(12)} ${r.rel}`);
    return 0;
  }
  let suite;
  let roots = argv;
  if (argv[0] === '--suite') {
    suite = argv[1];
    roots = argv.slice(2);
    if (!SUITE_NAMES.includes(suite)) {
      console.error(`unknown suite '${suite}': one of ${SUITE_NAMES.join(', ')}`);
      return 1;
    }
  }
  const files = classify(roots.length ? roots : undefined)
    .filter((r) => suite === undefined || r.suite === suite)
    .map((r) => r.file);
  if (!files.length) {
    console.error(`no test files${suite ? ` of suite ${suite}` : ''} found under`, roots.length ? roots.join(', ') : COMPILED_ROOT);
    return 1;
  }
  const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
  return r.status ?? 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exit(main(process.argv.slice(2)));

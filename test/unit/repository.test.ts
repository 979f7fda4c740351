/** The repository stands alone: no test, script or source file reads the project's shared folder beside the checkout. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../support/fixtures';

const SCANNED = ['src', 'test', 'scripts', 'bin', 'webview', '.ci', 'package.json'];
const SKIP = new Set(['node_modules', 'data', 'out', 'dist', '.git']);
/** A path into the shared folder beside the checkout (relative or absolute); imports of src/shared/ are fine. */
const OUTSIDE = /(^|[^.\w])\.\.\/shared\/(fixtures|realworld|hooks|DESIGN|STYLE)|'\.\.',\s*'shared'|\/work\/shared\b/;

function* files(p: string): Generator<string> {
  const st = fs.statSync(p);
  if (st.isFile()) {
    if (/\.(ts|mjs|js|json|sh|py|md)$/.test(p) || !path.extname(p)) yield p;
    return;
  }
  for (const e of fs.readdirSync(p)) if (!SKIP.has(e)) yield* files(path.join(p, e));
}

test('nothing reads outside the repository (test data lives under test/data)', () => {
  const offenders: string[] = [];
  for (const root of SCANNED) {
    const abs = path.join(REPO_ROOT, root);
    if (!fs.existsSync(abs)) continue;
    for (const f of files(abs)) {
      fs.readFileSync(f, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (OUTSIDE.test(line)) offenders.push(`${path.relative(REPO_ROOT, f)}:${i + 1}: ${line.trim()}`);
        });
    }
  }
  assert.deepEqual(offenders, []);
});

test('the Captum sets and third-party models the suites use are in the repository', () => {
  for (const set of ['lgxa', 'layer_methods']) assert.ok(fs.existsSync(path.join(REPO_ROOT, 'test', 'data', 'fixtures', set, 'index.json')), set);
  assert.ok(fs.readdirSync(path.join(REPO_ROOT, 'test', 'data', 'realworld', 'models')).filter((f) => f.endsWith('.onnx')).length >= 9);
  assert.ok(fs.existsSync(path.join(REPO_ROOT, 'NOTICE')));
});

/**
 * Every registered VJP rule — each (op type, opset range) of the registry — has at least one finite-difference
 * case (gradCheck) in the autodiff tests at an opset inside its range. The cases are listed by loading those test
 * files in a child process with fdCases.ts preloaded, which records gradCheck's cases instead of running them.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import '../../../../src/engine/autodiff/rules';
import { registeredOps } from '../../../../src/engine/autodiff/registry';
import { CASE_MARK } from './fdCases';

/** (op, opset) of every gradCheck call in the autodiff test files. */
function listFdCases(): { op: string; opset: number }[] {
  const files = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.js') && f !== path.basename(__filename))
    .map((f) => path.join(__dirname, f));
  assert.ok(files.length >= 10, `${files.length} autodiff test files next to ${__filename}`);
  const env: NodeJS.ProcessEnv = { ...process.env, LAYERLENS_LIST_FD_CASES: '1' };
  delete env.NODE_TEST_CONTEXT; // the child runs its own tests, not as part of this run
  const r = spawnSync(process.execPath, ['-r', path.join(__dirname, 'fdCases.js'), '-e', `for (const f of ${JSON.stringify(files)}) require(f);`], {
    env,
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 64 << 20,
  });
  const cases = r.stderr
    .split('\n')
    .filter((l) => l.startsWith(`${CASE_MARK} `))
    .map((l) => {
      const [, op, opset] = l.split(' ');
      return { op, opset: Number(opset) };
    });
  assert.ok(cases.length >= 400, `only ${cases.length} finite-difference cases listed (status ${r.status}); the child said:\n${r.stderr.slice(-2000)}`);
  return cases;
}

test('every registered rule (op type × opset range) has a finite-difference case', () => {
  const cases = listFdCases();
  const missing = registeredOps()
    .filter((e) => !cases.some((c) => e.domain === '' && c.op === e.opType && c.opset >= e.since && c.opset <= e.until))
    .map((e) => `${e.domain ? `${e.domain}.` : ''}${e.opType} (opsets ${e.since}${e.until === Infinity ? '+' : `–${e.until}`})`);
  assert.deepEqual(missing, [], `rules without a gradCheck case in test/unit/engine/autodiff: ${missing.join(', ')}`);
});

/** Workspace Trust: an untrusted workspace runs a model only after the user agrees, once per session. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DECLINE_HOLD_MS, RunGate } from '../../../src/host/runGate';

function gate(trusted: boolean, answers: boolean[]) {
  let asked = 0;
  const clock = { t: 0 };
  const g = new RunGate({
    isTrusted: () => trusted,
    ask: async () => answers[asked++] ?? false,
    now: () => clock.t,
  });
  return { g, asked: () => asked, clock };
}

describe('RunGate', () => {
  test('a trusted workspace never asks', async () => {
    const { g, asked } = gate(true, []);
    assert.equal(await g.allowRun(), true);
    assert.equal(asked(), 0);
  });
  test('untrusted: declining refuses the run and asks again on a later action', async () => {
    const { g, asked, clock } = gate(false, [false, true]);
    assert.equal(await g.allowRun(), false);
    clock.t += DECLINE_HOLD_MS;
    assert.equal(await g.allowRun(), true);
    assert.equal(asked(), 2);
  });
  test('untrusted: a decline also answers the requests that follow it at once (predictions, then attribution)', async () => {
    const { g, asked, clock } = gate(false, [false, true]);
    assert.equal(await g.allowRun(), false);
    clock.t += 200;
    assert.equal(await g.allowRun(), false, 'the attribution right after the declined predictions');
    assert.equal(asked(), 1, 'one dialog');
    clock.t += DECLINE_HOLD_MS;
    assert.equal(await g.allowRun(), true);
    assert.equal(asked(), 2);
  });
  test('untrusted: agreeing once is remembered for the session', async () => {
    const { g, asked } = gate(false, [true]);
    assert.equal(await g.allowRun(), true);
    assert.equal(await g.allowRun(), true);
    assert.equal(asked(), 1);
  });
  test('panels asking at the same time share one dialog', async () => {
    const { g, asked } = gate(false, [true]);
    const answers = await Promise.all([g.allowRun(), g.allowRun(), g.allowRun()]);
    assert.deepEqual(answers, [true, true, true]);
    assert.equal(asked(), 1);
  });
});

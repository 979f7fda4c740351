/** One target syntax for the CLI and the inspector (src/shared/targetSpec.ts): both sides read every form alike. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseTargetSpec } from '../../../src/engine/attribution/targets';
import { LayerLensError } from '../../../src/engine/errors';
import { formatTarget, parseTargetText } from '../../../src/shared/targetSpec';
import { parseTarget } from '../../../webview/targetSpec';

const FORMS: [string, unknown][] = [
  ['', { kind: 'none' }],
  ['none', { kind: 'none' }],
  ['NONE', { kind: 'none' }],
  ['3', { kind: 'index', index: 3 }],
  ['+3', { kind: 'index', index: 3 }],
  ['-1', { kind: 'index', index: -1 }],
  ['3,1, 2', { kind: 'perExample', indices: [3, 1, 2] }],
  ['(0,1,1)', { kind: 'tuple', tuple: [0, 1, 1] }],
  ['[0, 1, 1]', { kind: 'tuple', tuple: [0, 1, 1] }],
  ['()', { kind: 'tuple', tuple: [] }],
  ['(0, 1, 1), (1,1,0)', { kind: 'tuples', tuples: [[0, 1, 1], [1, 1, 0]] }],
  ['(3, 0:16, 16:32)', { kind: 'box', box: [3, { start: 0, stop: 16 }, { start: 16, stop: 32 }] }],
  ['(1, :, -2:)', { kind: 'box', box: [1, {}, { start: -2 }] }],
  ['(0,1:2),(1,:1)', { kind: 'boxes', boxes: [[0, { start: 1, stop: 2 }], [1, { stop: 1 }]] }],
];

describe('one syntax for every side', () => {
  for (const [text, want] of FORMS)
    test(`'${text}' reads the same in the engine/CLI and in the inspector, and formats back`, () => {
      assert.deepEqual(parseTargetSpec(text), want);
      assert.deepEqual(parseTarget(text), want);
      assert.deepEqual(parseTargetText(formatTarget(want as never)), want);
    });
  for (const bad of ['x', '(1,', '1,,2', '(a)', '1.5', '(1,2),', '(1,2),(3)', '99999999999', '(0, 0:4:2)'])
    test(`'${bad}' is refused by both, with the same reason`, () => {
      const msg = parseTarget(bad);
      assert.equal(typeof msg, 'string');
      assert.throws(() => parseTargetSpec(bad), (e: unknown) => e instanceof LayerLensError && e.message.endsWith(msg as string));
    });
});

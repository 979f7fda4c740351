/**
 * The README's supported-op list is exactly the rule table: every op type with a gradient rule, with the opsets its
 * rules cover where that is not every opset, in alphabetical order. On a mismatch the message has the list to paste.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import '../../../../src/engine/autodiff/rules';
import { registeredOps } from '../../../../src/engine/autodiff/registry';
import { REPO_ROOT } from '../../../support/fixtures';

const HEADING = '### Supported ops (gradient rules)';
/** Ends the sentence that introduces the list (the list runs from there to the end of the paragraph). */
const LEAD = 'checks this list against the rule table):';

/** One README item per op type: `Op`, or `Op (since+)` / `Op (since–until)` for the opsets its rules cover. */
function registryItems(): string[] {
  const spans = new Map<string, [number, number][]>();
  for (const e of registeredOps()) {
    const name = e.domain ? `${e.domain}.${e.opType}` : e.opType;
    spans.set(name, [...(spans.get(name) ?? []), [e.since, e.until]]);
  }
  const label = ([a, b]: [number, number]) => (b === Infinity ? `${a}+` : a === b ? `${a}` : `${a}–${b}`);
  return [...spans.keys()]
    .sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1))
    .map((op) => {
      // Adjacent ranges (Resize 10, 11–17, 18+) read as one.
      const merged: [number, number][] = [];
      for (const [a, b] of spans.get(op)!.sort((p, q) => p[0] - q[0])) {
        const last = merged.at(-1);
        if (last && a === last[1] + 1) last[1] = b;
        else merged.push([a, b]);
      }
      return merged.length === 1 && merged[0][0] === 1 && merged[0][1] === Infinity ? op : `${op} (${merged.map(label).join(' and ')})`;
    });
}

function readmeItems(): string[] {
  const lines = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8').split('\n');
  const at = lines.indexOf(HEADING);
  assert.ok(at >= 0, `README.md has no '${HEADING}' section`);
  const end = lines.findIndex((l, i) => i > at && !l.trim());
  const paragraph = lines.slice(at + 1, end < 0 ? undefined : end).join(' ');
  const from = paragraph.indexOf(LEAD);
  assert.ok(from >= 0, `the paragraph under '${HEADING}' does not introduce the list with '${LEAD}'`);
  return paragraph
    .slice(from + LEAD.length)
    .replace(/\.\s*$/, '')
    .split(',')
    .map((s) => s.trim());
}

test("the README's supported-op list is exactly the registry's op types", () => {
  const want = registryItems();
  assert.ok(want.length >= 100, `${want.length} op types`);
  assert.deepEqual(readmeItems(), want, `README.md, '${HEADING}', should list:\n${want.join(', ')}.`);
});

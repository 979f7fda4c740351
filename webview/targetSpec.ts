/**
 * The target as the user types it, in the CLI's syntax:
 *   (empty) none · `3` one class for every example · `3,1,2` one per example ·
 *   `(0,1,1)` an index tuple into a dense output · `(0,1,1),(1,1,0)` one tuple per example.
 */
import type { TargetSpec } from '../src/shared/protocol';

const INT = /^[+-]?\d{1,10}$/;

function parseInts(list: string, what: string): number[] | string {
  const parts = list.split(',').map((s) => s.trim());
  const out: number[] = [];
  for (const p of parts) {
    if (!INT.test(p)) return `${what}: '${p}' is not an integer`;
    const n = Number(p);
    if (Math.abs(n) > 2 ** 31 - 1) return `${what}: ${p} is too large`;
    out.push(n);
  }
  return out;
}

/** Parses the target field; returns a message when it cannot be read. */
export function parseTarget(text: string): TargetSpec | string {
  const t = text.trim();
  if (t === '' || t.toLowerCase() === 'none') return { kind: 'none' };
  if (t.startsWith('(')) {
    const tuples: number[][] = [];
    const re = /\(([^()]*)\)\s*(,\s*|$)/y;
    let pos = 0;
    while (pos < t.length) {
      re.lastIndex = pos;
      const m = re.exec(t);
      if (!m) return `cannot read '${t.slice(pos, pos + 20)}': write tuples as (c, y, x)`;
      const ints = parseInts(m[1], 'tuple');
      if (typeof ints === 'string') return ints;
      tuples.push(ints);
      pos = re.lastIndex;
      if (m[2] !== '' && pos >= t.length) return 'a tuple is missing after the last comma';
    }
    if (tuples.some((x) => x.length !== tuples[0].length)) return 'all tuples need the same length';
    return tuples.length === 1 ? { kind: 'tuple', tuple: tuples[0] } : { kind: 'tuples', tuples };
  }
  const ints = parseInts(t, 'target');
  if (typeof ints === 'string') return ints;
  return ints.length === 1 ? { kind: 'index', index: ints[0] } : { kind: 'perExample', indices: ints };
}

export function formatTarget(t: TargetSpec): string {
  switch (t.kind) {
    case 'none':
      return '';
    case 'index':
      return String(t.index);
    case 'perExample':
      return t.indices.join(',');
    case 'tuple':
      return `(${t.tuple.join(',')})`;
    case 'tuples':
      return t.tuples.map((x) => `(${x.join(',')})`).join(',');
  }
}

/**
 * Checks a target against the output's shape `[N, …]` where it is known (symbolic dims are skipped).
 * Returns a message, or null when the target fits.
 */
export function checkTarget(t: TargetSpec, outputDims: readonly (number | string | null)[] | undefined, examples: number): string | null {
  const dims = outputDims ?? [];
  const rest = dims.slice(1);
  const inRange = (i: number, d: number | string | null | undefined) => typeof d !== 'number' || (i < d && i >= -d);
  const tupleFits = (tuple: number[]) => {
    if (dims.length && tuple.length !== rest.length) return `the output has ${rest.length} non-batch axes; a tuple needs ${rest.length} indices`;
    const bad = tuple.findIndex((v, k) => !inRange(v, rest[k]));
    return bad >= 0 ? `index ${tuple[bad]} is out of range for axis ${bad + 1} (size ${rest[bad]})` : null;
  };
  switch (t.kind) {
    case 'none':
      return null;
    case 'index':
      if (rest.length > 1) return `the output is ${rest.length + 1}-D: give an index tuple such as (${rest.map(() => 0).join(',')})`;
      return inRange(t.index, rest[0]) ? null : `class ${t.index} is out of range (the output has ${rest[0]})`;
    case 'perExample': {
      if (t.indices.length !== examples) return `${t.indices.length} targets for ${examples} example${examples === 1 ? '' : 's'}`;
      const bad = t.indices.find((i) => !inRange(i, rest[0]));
      return bad === undefined ? null : `class ${bad} is out of range (the output has ${rest[0]})`;
    }
    case 'tuple':
      return tupleFits(t.tuple);
    case 'tuples': {
      if (t.tuples.length !== examples) return `${t.tuples.length} tuples for ${examples} example${examples === 1 ? '' : 's'}`;
      for (const tu of t.tuples) {
        const e = tupleFits(tu);
        if (e) return e;
      }
      return null;
    }
  }
}

/** The class a target picks for one example, when it picks a single class. */
export function classOf(t: TargetSpec, example: number): number | undefined {
  if (t.kind === 'index') return t.index;
  if (t.kind === 'perExample') return t.indices[example];
  return undefined;
}

/**
 * The target as people write it — on the command line (`--target SPEC`) and in the inspector's target field — in
 * one syntax, parsed and formatted here only (engine, CLI, webview and tests all use this module):
 *
 *   (empty) or `none`   Captum's None (each example's output must hold one element)
 *   `3`                 one class for every example (negative counts from the end)
 *   `3,1,2`             one class per example
 *   `(0,1,1)`           an index tuple into a dense output, the same for every example
 *   `(0,1,1),(1,1,0)`   one tuple per example
 *   `(3, 0:16, 16:32)`  a box: tuple entries may be half-open Python slices (`a:b`, `:b`, `a:`, `:`), summed over
 *
 * `[ ]` may stand for `( )`, `NONE` for `none`, and integers may carry a `+`. Pure: no Node or DOM imports.
 */

/** Captum's target forms (what selects one element of each example's output). */
export type TargetSpec =
  | { kind: 'none' }
  | { kind: 'index'; index: number } // out[:, t] (negative counts from the end)
  | { kind: 'perExample'; indices: number[] } // out[i, t_i]
  | { kind: 'tuple'; tuple: number[] } // out[:, a, b, c]
  | { kind: 'tuples'; tuples: number[][] }; // out[i, a_i, b_i, c_i]

/** One entry of a box target: an index, or a half-open Python slice `start:stop` (either end may be left out). */
export type BoxEntry = number | { start?: number; stop?: number };

/** Everything the SPEC text can say: Captum's forms and boxes (one for every example, or one per example). */
export type TextTarget = TargetSpec | { kind: 'box'; box: BoxEntry[] } | { kind: 'boxes'; boxes: BoxEntry[][] };

const INT = /^[+-]?\d{1,10}$/;

function int(text: string, where: string): number | string {
  const t = text.trim();
  if (!INT.test(t)) return `${where}: '${t}' is not an integer`;
  const n = Number(t);
  return Math.abs(n) > 2 ** 31 - 1 ? `${where}: ${t} is too large` : n;
}

function entry(text: string): BoxEntry | string {
  if (!text.includes(':')) return int(text, 'tuple');
  const [a, b, ...more] = text.split(':');
  if (more.length) return `'${text.trim()}' has a step; only start:stop slices are supported`;
  const out: { start?: number; stop?: number } = {};
  if (a.trim() !== '') {
    const v = int(a, 'slice');
    if (typeof v === 'string') return v;
    out.start = v;
  }
  if (b.trim() !== '') {
    const v = int(b, 'slice');
    if (typeof v === 'string') return v;
    out.stop = v;
  }
  return out;
}

/** Parses a SPEC; returns a message (one line) when it cannot be read. */
export function parseTargetText(text: string): TextTarget | string {
  const t = text.trim();
  if (t === '' || t.toLowerCase() === 'none') return { kind: 'none' };
  if (t.startsWith('(') || t.startsWith('[')) {
    const rows: BoxEntry[][] = [];
    const re = /[([]([^()[\]]*)[)\]]\s*(,\s*|$)/y;
    let pos = 0;
    while (pos < t.length) {
      re.lastIndex = pos;
      const m = re.exec(t);
      if (!m) return `cannot read '${t.slice(pos, pos + 20)}': write tuples as (c, y, x)`;
      const row: BoxEntry[] = [];
      if (m[1].trim() !== '') {
        for (const part of m[1].split(',')) {
          const e = entry(part);
          if (typeof e === 'string') return e;
          row.push(e);
        }
      }
      rows.push(row);
      pos = re.lastIndex;
      if (m[2] !== '' && pos >= t.length) return 'a tuple is missing after the last comma';
    }
    if (rows.some((r) => r.length !== rows[0].length)) return 'all tuples need the same length';
    if (rows.some((r) => r.some((e) => typeof e !== 'number'))) return rows.length === 1 ? { kind: 'box', box: rows[0] } : { kind: 'boxes', boxes: rows };
    const tuples = rows as number[][];
    return tuples.length === 1 ? { kind: 'tuple', tuple: tuples[0] } : { kind: 'tuples', tuples };
  }
  const ints: number[] = [];
  for (const part of t.split(',')) {
    const v = int(part, 'target');
    if (typeof v === 'string') return v;
    ints.push(v);
  }
  return ints.length === 1 ? { kind: 'index', index: ints[0] } : { kind: 'perExample', indices: ints };
}

const formatBox = (box: BoxEntry[]) => `(${box.map((e) => (typeof e === 'number' ? String(e) : `${e.start ?? ''}:${e.stop ?? ''}`)).join(',')})`;

/** The SPEC text of a target ('' for none): parseTargetText(formatTarget(t)) gives t back. */
export function formatTarget(t: TextTarget): string {
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
    case 'box':
      return formatBox(t.box);
    case 'boxes':
      return t.boxes.map(formatBox).join(',');
  }
}

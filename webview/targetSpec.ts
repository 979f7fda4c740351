/**
 * The target field: its syntax (the CLI's) is parsed and formatted by src/shared/targetSpec.ts; here it is checked
 * against the output's shape before anything is sent.
 */
import { formatTarget, parseTargetText } from '../src/shared/targetSpec';
import type { BoxEntry, TextTarget } from '../src/shared/targetSpec';

export { formatTarget };

/** Parses the target field; returns a message when it cannot be read. */
export function parseTarget(text: string): TextTarget | string {
  return parseTargetText(text);
}

/**
 * Checks a target against the output's shape `[N, …]` where it is known (symbolic dims are skipped).
 * Returns a message, or null when the target fits.
 */
export function checkTarget(t: TextTarget, outputDims: readonly (number | string | null)[] | undefined, examples: number): string | null {
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
    case 'box':
      return boxFits(t.box);
    case 'boxes': {
      if (t.boxes.length !== examples) return `${t.boxes.length} boxes for ${examples} example${examples === 1 ? '' : 's'}`;
      for (const b of t.boxes) {
        const e = boxFits(b);
        if (e) return e;
      }
      return null;
    }
  }

  function boxFits(box: BoxEntry[]): string | null {
    if (dims.length && box.length !== rest.length) return `the output has ${rest.length} non-batch axes; a box needs ${rest.length} entries`;
    const bad = box.findIndex((e, k) => typeof e === 'number' && !inRange(e, rest[k]));
    return bad >= 0 ? `index ${box[bad] as number} is out of range for axis ${bad + 1} (size ${rest[bad]})` : null;
  }
}

/** The class a target picks for one example, when it picks a single class. */
export function classOf(t: TextTarget, example: number): number | undefined {
  if (t.kind === 'index') return t.index;
  if (t.kind === 'perExample') return t.indices[example];
  return undefined;
}

/** Byte-level mutations of model files for fuzzing (fast-check arbitraries). */
import fc from 'fast-check';

export type Mutation =
  | { kind: 'flip'; positions: number[]; bits: number[] }
  | { kind: 'truncate'; at: number }
  | { kind: 'splice'; from: number; to: number; length: number }
  | { kind: 'swap'; a: number; b: number; length: number }
  | { kind: 'zero'; at: number; length: number }
  | { kind: 'byte'; at: number; value: number };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), positions: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 8 }), bits: fc.array(fc.integer({ min: 0, max: 7 }), { minLength: 8, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ kind: fc.constant('splice' as const), from: fc.double({ min: 0, max: 1, noNaN: true }), to: fc.double({ min: 0, max: 1, noNaN: true }), length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('swap' as const), a: fc.double({ min: 0, max: 1, noNaN: true }), b: fc.double({ min: 0, max: 1, noNaN: true }), length: fc.integer({ min: 1, max: 32 }) }),
  fc.record({ kind: fc.constant('zero' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), length: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant('byte' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), value: fc.integer({ min: 0, max: 255 }) }),
);

export function applyMutation(src: Uint8Array, m: Mutation): Uint8Array {
  const at = (f: number) => Math.min(src.length - 1, Math.floor(f * src.length));
  const b = Uint8Array.from(src);
  switch (m.kind) {
    case 'flip':
      m.positions.forEach((p, i) => (b[at(p)] ^= 1 << m.bits[i]));
      return b;
    case 'truncate':
      return b.subarray(0, at(m.at));
    case 'splice': {
      const from = at(m.from);
      const piece = src.subarray(from, from + m.length);
      const to = at(m.to);
      const out = new Uint8Array(b.length + piece.length);
      out.set(b.subarray(0, to));
      out.set(piece, to);
      out.set(b.subarray(to), to + piece.length);
      return out;
    }
    case 'swap': {
      const a = at(m.a);
      const c = at(m.b);
      for (let i = 0; i < m.length && a + i < b.length && c + i < b.length; i++) [b[a + i], b[c + i]] = [b[c + i], b[a + i]];
      return b;
    }
    case 'zero':
      b.fill(0, at(m.at), at(m.at) + m.length);
      return b;
    case 'byte':
      b[at(m.at)] = m.value;
      return b;
  }
}


/** VJP rules: Gemm, MatMul (numpy semantics, batched with broadcasting) and Einsum. */
import { sameShape, type VjpContext } from '../context';
import { F } from '../emitter';
import { registerRule } from '../registry';

/**
 * Gemm: Y = alpha·A'·B' + beta·C with A' = transA ? Aᵀ : A, B' = transB ? Bᵀ : B and C broadcast to [M, N].
 * Every opset shares the gradient (C became optional at 11; the pre-7 `broadcast` flag only restricts C's
 * shape, which unbroadcasting handles either way). Each gradient is itself one Gemm with the right transposes.
 */
registerRule('Gemm', { broadcasting: [2] }, (c) => {
  const dy = c.dy(0);
  if (!dy) return;
  const alpha = c.attr<number>('alpha', 1);
  const beta = c.attr<number>('beta', 1);
  const transA = c.attr<number>('transA', 0) ? 1 : 0;
  const transB = c.attr<number>('transB', 0) ? 1 : 0;
  const gemm = (a: string, b: string, tA: number, tB: number) =>
    c.op('Gemm', [a, b], { alpha: alpha === 1 ? undefined : F(alpha), transA: tA || undefined, transB: tB || undefined });
  return [
    // dA' = alpha·dY·B'ᵀ, so dA = transA ? alpha·B'·dYᵀ : dA'.
    () => (transA ? gemm(c.x(1), dy, transB, 1) : gemm(dy, c.x(1), 0, 1 - transB)),
    // dB' = alpha·A'ᵀ·dY, so dB = transB ? alpha·dYᵀ·A' : dB'.
    () => (transB ? gemm(dy, c.x(0), 1, transA) : gemm(c.x(0), dy, 1 - transA, 0)),
    // C broadcasts to [M, N]: the builder sums its gradient back (the registration's `broadcasting: [2]`).
    () => (beta === 1 ? dy : c.op('Mul', [dy, c.scalar(beta)])),
  ];
});

/** numpy broadcasting of two shapes (MatMul's batch dims). */
function broadcastShapes(c: VjpContext, a: number[], b: number[]): number[] {
  const n = Math.max(a.length, b.length);
  return Array.from({ length: n }, (_, i) => {
    const p = a[a.length - n + i] ?? 1;
    const q = b[b.length - n + i] ?? 1;
    if (p !== q && p !== 1 && q !== 1) c.fail(`batch dims [${a}] and [${b}] do not broadcast`);
    return p === 1 ? q : p;
  });
}

/** Swaps the last two axes. */
function transposeLast(c: VjpContext, v: string, rank: number): string {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return c.op('Transpose', [v], { perm });
}

/**
 * MatMul: a 1-D A is promoted to [1, K] and a 1-D B to [K, 1] (the inserted dim is dropped from Y), batch
 * dims broadcast. dA = dY·Bᵀ and dB = Aᵀ·dY at the broadcast batch shape, then summed over each operand's
 * broadcast batch dims.
 */
registerRule('MatMul', {}, (c) => {
  const dy = c.dy(0);
  if (!dy) return;
  const aShape = c.inShape(0);
  const bShape = c.inShape(1);
  const a2 = aShape.length === 1 ? [1, aShape[0]] : aShape;
  const b2 = bShape.length === 1 ? [bShape[0], 1] : bShape;
  const [m, k] = a2.slice(-2);
  const n = b2[b2.length - 1];
  const batch = broadcastShapes(c, a2.slice(0, -2), b2.slice(0, -2));
  const y2 = [...batch, m, n];
  const reshape = (v: string, from: number[], to: number[]) => (sameShape(from, to) ? v : c.op('Reshape', [v, c.i64(to)]));
  const dy2 = reshape(dy, c.outShape(0), y2);
  // Each operand's gradient is summed over the batch dims it was broadcast along (not output-shaped: MatMul
  // contracts the last two axes, so this rule does its own unbroadcasting).
  const gradA = () => {
    if (bShape.length === 2 && aShape.length >= 2) {
      // A Linear layer's weight: dA = dY·Bᵀ as one Gemm with transB over the folded rows. MatMul(dY, Transpose(B))
      // made onnxruntime's constant folding store a transposed copy of every weight when a backward session opens.
      const rows = c.op('Gemm', [c.op('Reshape', [dy2, c.i64([-1, n])]), c.x(1)], { transB: 1 });
      return c.op('Reshape', [rows, c.i64(aShape)]);
    }
    const b = reshape(c.x(1), bShape, b2);
    const g = c.op('MatMul', [dy2, transposeLast(c, b, b2.length)]);
    return reshape(c.unbroadcast(g, [...batch, m, k], a2), a2, aShape);
  };
  const gradB = () => {
    const a = reshape(c.x(0), aShape, a2);
    let g: string;
    if (b2.length === 2 && a2.length > 2) {
      // A 2-D B against a batched A (a Linear layer): fold the batch into the rows, dB = A_flatᵀ·dY_flat,
      // instead of materializing one [K, N] product per batch element.
      const aFlat = c.op('Reshape', [a, c.i64([-1, k])]);
      const dyFlat = c.op('Reshape', [dy2, c.i64([-1, n])]);
      g = c.op('Gemm', [aFlat, dyFlat], { transA: 1 });
    } else {
      g = c.unbroadcast(c.op('MatMul', [transposeLast(c, a, a2.length), dy2]), [...batch, k, n], b2);
    }
    return reshape(g, b2, bShape);
  };
  return [gradA, gradB];
});

interface EinsumSpec {
  /** One explicit term per input (ellipsis replaced by fresh letters). */
  inputs: string[];
  output: string;
  /** Size of every letter after broadcasting. */
  sizes: Map<string, number>;
}

/** Parses an Einsum equation against the static input shapes, making ellipses and the implicit output explicit. */
function parseEinsum(c: VjpContext, equation: string, shapes: number[][]): EinsumSpec {
  const eq = equation.replace(/\s+/g, '');
  const [lhs, rhs] = eq.split('->') as [string, string | undefined];
  const terms = lhs.split(',');
  if (terms.length !== shapes.length) c.fail(`equation '${equation}' names ${terms.length} operands, the node has ${shapes.length}`);
  const free = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'].filter((l) => !eq.includes(l));
  const ellRanks = terms.map((t, i) => (t.includes('...') ? shapes[i].length - (t.length - 3) : 0));
  const ellRank = Math.max(0, ...ellRanks);
  if (ellRank > free.length) c.fail(`equation '${equation}' has too many ellipsis dims`);
  const ell = free.slice(0, ellRank);
  const inputs = terms.map((t, i) => t.replace('...', ell.slice(ellRank - ellRanks[i]).join('')));
  const sizes = new Map<string, number>();
  inputs.forEach((t, i) => {
    if (!/^[a-zA-Z]*$/.test(t) || t.length !== shapes[i].length) c.fail(`equation '${equation}' does not match operand ${i} of rank ${shapes[i].length}`);
    [...t].forEach((l, d) => {
      const s = shapes[i][d];
      const prev = sizes.get(l);
      if (prev !== undefined && prev !== s && prev !== 1 && s !== 1) c.fail(`letter '${l}' has sizes ${prev} and ${s}`);
      if (prev === undefined || prev === 1) sizes.set(l, s);
    });
  });
  let output: string;
  if (rhs !== undefined) {
    output = rhs.replace('...', ell.join(''));
  } else {
    // Implicit output: ellipsis dims, then the letters used exactly once, in alphabetical order.
    const once = [...new Set(inputs.join(''))].filter((l) => !ell.includes(l) && inputs.join('').split(l).length === 2).sort();
    if (once.some((l) => l === l.toUpperCase()) && once.some((l) => l === l.toLowerCase()))
      c.fail(`the implicit output order of '${equation}' mixes upper- and lower-case letters; write the output explicitly`);
    output = ell.join('') + once.join('');
  }
  return { inputs, output, sizes };
}

/**
 * Einsum: the gradient of operand k is an Einsum of dY with the other operands whose output is k's term.
 * Letters only k carries (summed out of k alone) come back by Expand; letters broadcast from size 1 in k
 * are summed back. A letter repeated inside k (a diagonal) is not supported.
 */
registerRule('Einsum', {}, (c) => {
  const dy = c.dy(0);
  if (!dy) return;
  const count = c.node.inputs.length;
  const shapes = Array.from({ length: count }, (_, i) => c.inShape(i));
  const spec = parseEinsum(c, c.attr<string>('equation', ''), shapes);
  const full = (term: string) => [...term].map((l) => spec.sizes.get(l)!);
  return spec.inputs.map((_, k) => () => {
    const term = spec.inputs[k];
    if (new Set(term).size !== term.length) c.fail(`operand ${k} repeats a letter in '${term}' (a diagonal); its gradient is not supported`);
    const others = spec.inputs.map((t, j) => ({ t, j })).filter(({ j }) => j !== k);
    const reachable = new Set(spec.output + others.map(({ t }) => t).join(''));
    const target = [...term].filter((l) => reachable.has(l)).join('');
    let g: string;
    if (!others.length && target === spec.output) {
      g = dy;
    } else {
      // Broadcast operands are expanded first so every letter has one size in the gradient's Einsum.
      const operands = others.map(({ t, j }) => (sameShape(shapes[j], full(t)) ? c.x(j) : c.op('Expand', [c.x(j), c.i64(full(t))])));
      const eq = `${[spec.output, ...others.map(({ t }) => t)].join(',')}->${target}`;
      g = c.op('Einsum', [dy, ...operands], { equation: eq });
    }
    const missing = [...term].map((l, d) => (reachable.has(l) ? -1 : d)).filter((d) => d >= 0);
    if (missing.length) g = c.op('Expand', [c.op('Unsqueeze', [g, c.i64(missing)]), c.i64(full(term))]);
    const squeezed = [...term].map((l, d) => (shapes[k][d] === 1 && spec.sizes.get(l)! !== 1 ? d : -1)).filter((d) => d >= 0);
    if (squeezed.length) g = c.op('ReduceSum', [g, c.i64(squeezed)], { keepdims: 1 });
    return g;
  });
});

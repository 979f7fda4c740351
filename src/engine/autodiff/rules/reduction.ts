/**
 * VJP rules: the Reduce* family. Axes are an attribute before the switch opset (13 for ReduceSum, 18 for the
 * others) and an optional input from it on, with `noop_with_empty_axes`; every variant shares one axes resolver.
 */
import type { VjpContext } from '../context';
import { singleInput } from './common';

interface Reduction {
  /** Normalized, sorted, distinct reduced axes; empty for the no-op case (noop_with_empty_axes = 1). */
  axes: number[];
  inShape: number[];
  /** Number of elements each output element reduces over. */
  count: number;
  /** Brings a reduced-shape value (y or dy) to the keepdims=1 shape, which broadcasts against x. */
  keep(v: string): string;
  /** ReduceX over the reduced axes with keepdims=1 (identity when there are none). */
  reduce(op: string, v: string): string;
}

/** Resolves axes/keepdims with the forward opset's semantics; `axesInput` says whether axes are input 1. */
function reduction(c: VjpContext, axesInput: boolean): Reduction {
  const inShape = c.inShape(0);
  const rank = inShape.length;
  let axes: number[] | undefined;
  if (axesInput) {
    const given = c.maybeValues(1);
    // An absent or empty axes input reduces everything unless noop_with_empty_axes is set.
    if (given && given.length) axes = given;
    else if (c.attr<number>('noop_with_empty_axes', 0)) axes = [];
  } else {
    const given = c.attr<number[] | undefined>('axes', undefined);
    if (given && given.length) axes = given;
  }
  const resolved = axes === undefined ? inShape.map((_, i) => i) : axes.map((a) => (a < 0 ? a + rank : a));
  for (const a of resolved) if (a < 0 || a >= rank) c.fail(`axis ${a} is out of range for rank ${rank}`);
  const sorted = [...new Set(resolved)].sort((p, q) => p - q);
  const keepdims = c.attr<number>('keepdims', 1) !== 0;
  return {
    axes: sorted,
    inShape,
    count: sorted.reduce((n, a) => n * inShape[a], 1),
    keep: (v) => (keepdims || !sorted.length ? v : c.op('Unsqueeze', [v, c.i64(sorted)])),
    // An empty axes input would mean "all axes" at the backward opset, so the no-op case must skip the node.
    reduce: (op, v) => (sorted.length ? c.op(op, [v, c.i64(sorted)], { keepdims: 1 }) : v),
  };
}

type ReduceGrad = (c: VjpContext, r: Reduction, dyK: string) => string;

/** Registers one reduction's gradient for both axes conventions, split at `inputSince`. */
function registerReduce(opType: string, inputSince: number, grad: ReduceGrad): void {
  const rule = (axesInput: boolean) => (c: VjpContext, dy: string) => {
    const r = reduction(c, axesInput);
    return grad(c, r, r.keep(dy));
  };
  singleInput(opType, { until: inputSince - 1 }, rule(false));
  singleInput(opType, { since: inputSince }, rule(true));
}

const expand = (c: VjpContext, r: Reduction, v: string) => c.op('Expand', [v, c.i64(r.inShape)]);

registerReduce('ReduceSum', 13, (c, r, dyK) => expand(c, r, dyK));

registerReduce('ReduceMean', 18, (c, r, dyK) => expand(c, r, r.count === 1 ? dyK : c.op('Mul', [dyK, c.scalar(1 / r.count)])));

registerReduce('ReduceSumSquare', 18, (c, r, dyK) => c.op('Mul', [c.x(0), c.op('Mul', [dyK, c.scalar(2)])]));

// d|x|/dx = sign(x), 0 at 0 as in PyTorch.
registerReduce('ReduceL1', 18, (c, _r, dyK) => c.op('Mul', [c.op('Sign', [c.x(0)]), dyK]));

registerReduce('ReduceL2', 18, (c, r, dyK) => {
  // x/‖x‖, with the gradient at ‖x‖ = 0 set to 0 as PyTorch's norm backward does (instead of NaN).
  const yK = r.keep(c.y(0));
  const scale = c.op('Div', [dyK, yK]);
  const safe = c.op('Where', [c.op('Equal', [yK, c.scalar(0)]), c.scalar(0), scale]);
  return c.op('Mul', [c.x(0), safe]);
});

// d log Σexp(x) = softmax(x) = exp(x − y).
registerReduce('ReduceLogSumExp', 18, (c, r, dyK) => c.op('Mul', [c.op('Exp', [c.op('Sub', [c.x(0), r.keep(c.y(0))])]), dyK]));

// d log Σx = 1/Σx, and Σx = exp(y) is already at the reduced size.
registerReduce('ReduceLogSum', 18, (c, r, dyK) => expand(c, r, c.op('Div', [dyK, c.op('Exp', [r.keep(c.y(0))])])));

/** Max/Min: the gradient is shared equally among the tied extrema (PyTorch's amax/amin convention). */
const extremum: ReduceGrad = (c, r, dyK) => {
  const mask = c.op('Cast', [c.op('Equal', [c.x(0), r.keep(c.y(0))])], { to: c.floatType });
  const share = r.axes.length ? c.op('Div', [dyK, r.reduce('ReduceSum', mask)]) : dyK;
  return c.op('Mul', [mask, share]);
};
registerReduce('ReduceMax', 18, extremum);
registerReduce('ReduceMin', 18, extremum);

registerReduce('ReduceProd', 18, (c, r, dyK) => {
  // ∂Πx/∂x_i = Π_{j≠i} x_j computed exactly with zeros: P is the product of the non-zero entries; with no zero
  // the gradient is P/x_i, with exactly one zero it is P at the zero and 0 elsewhere, with more it is 0.
  const x = c.x(0);
  const isZero = c.op('Equal', [x, c.scalar(0)]);
  const zeros = r.reduce('ReduceSum', c.op('Cast', [isZero], { to: c.floatType }));
  const nonZero = c.op('Where', [isZero, c.scalar(1), x]);
  const p = c.op('Mul', [r.reduce('ReduceProd', nonZero), dyK]);
  const when = (n: number) => c.op('Cast', [c.op('Equal', [zeros, c.scalar(n)])], { to: c.floatType });
  const atZero = c.op('Mul', [p, when(1)]);
  const elsewhere = c.op('Div', [c.op('Mul', [p, when(0)]), nonZero]);
  return c.op('Where', [isZero, atZero, elsewhere]);
});

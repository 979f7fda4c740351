/**
 * VJP rules: Softmax, LogSoftmax, Hardmax. Before opset 13 these ops coerce the input to 2-D at `axis`
 * (default 1), i.e. normalize over all trailing dims [axis, rank); from 13 on they normalize over one axis
 * (default -1). Both reduce to "sum over a set of axes", so one rule per semantics covers the gradient.
 */
import { type VjpContext, ZERO } from '../context';
import { singleInput } from './common';

/** The axes the op normalizes over, with the forward opset's semantics. */
function normalizedAxes(c: VjpContext, legacy: boolean): number[] {
  const rank = c.inShape(0).length;
  const given = c.attr<number>('axis', legacy ? 1 : -1);
  const axis = given < 0 ? given + rank : given;
  if (axis < 0 || axis > rank || (!legacy && axis === rank)) c.fail(`axis ${given} is out of range for rank ${rank}`);
  return legacy ? Array.from({ length: rank - axis }, (_, i) => axis + i) : [axis];
}

/** Σ over the normalized axes with keepdims; identity when there are none (a legacy axis equal to the rank). */
function sumOver(c: VjpContext, v: string, axes: number[]): string {
  return axes.length ? c.op('ReduceSum', [v, c.i64(axes)], { keepdims: 1 }) : v;
}

function register(opType: string, grad: (c: VjpContext, dy: string, axes: number[]) => string): void {
  singleInput(opType, { until: 12 }, (c, dy) => grad(c, dy, normalizedAxes(c, true)));
  singleInput(opType, { since: 13 }, (c, dy) => grad(c, dy, normalizedAxes(c, false)));
}

// dx = y ⊙ (dy − Σ dy ⊙ y)
register('Softmax', (c, dy, axes) => c.op('Mul', [c.y(0), c.op('Sub', [dy, sumOver(c, c.op('Mul', [dy, c.y(0)]), axes)])]));

// dx = dy − softmax(x) ⊙ Σ dy, with softmax(x) = exp(y)
register('LogSoftmax', (c, dy, axes) => c.op('Sub', [dy, c.op('Mul', [c.op('Exp', [c.y(0)]), sumOver(c, dy, axes)])]));

// Hardmax is piecewise constant: its gradient is zero almost everywhere (and taken as zero at ties).
singleInput('Hardmax', {}, () => ZERO);

/**
 * VJP rules for activation functions. Conventions follow PyTorch's backward formulas, including at kinks:
 * one-sided masks are strict where PyTorch's are (LeakyRelu/PRelu use x > 0, HardSigmoid is 0 at its bounds),
 * and Clip' is 0 at and beyond its bounds (the fixtures' stated convention).
 */
import type { VjpContext } from '../context';
import { registerRule } from '../registry';
import { singleInput, unary } from './common';

const mul = (c: VjpContext, a: string, b: string) => c.op('Mul', [a, b]);
const add = (c: VjpContext, a: string, b: string) => c.op('Add', [a, b]);
const where = (c: VjpContext, cond: string, a: string, b: string) => c.op('Where', [cond, a, b]);
const gt = (c: VjpContext, a: string, b: string) => c.op('Greater', [a, b]);
const lt = (c: VjpContext, a: string, b: string) => c.op('Less', [a, b]);
const mask = (c: VjpContext, cond: string) => c.op('Cast', [cond], { to: c.floatType });

// PyTorch: x > 0 ? dy : alpha·dy (alpha at 0).
singleInput('LeakyRelu', {}, (c, dy) => where(c, gt(c, c.x(0), c.scalar(0)), dy, mul(c, dy, c.scalar(c.attr('alpha', 0.01)))));

// The slope broadcasts to X (unidirectionally, e.g. [C,1,1] against [N,C,H,W]), so the output has X's shape.
registerRule('PRelu', { broadcasting: true }, (c) => {
  const dy = c.dy(0)!;
  const pos = gt(c, c.x(0), c.scalar(0));
  return [() => where(c, pos, dy, mul(c, dy, c.x(1))), () => where(c, pos, c.scalar(0), mul(c, dy, c.x(0)))];
});

/** Exponential-linear family: x > 0 ? slope : coef·exp(x / inner), as PyTorch's elu_backward (coef·1 at 0). */
function eluLike(c: VjpContext, slope: number, coef: number, inner: number): string {
  const e = c.op('Exp', [inner === 1 ? c.x(0) : mul(c, c.x(0), c.scalar(1 / inner))]);
  return where(c, gt(c, c.x(0), c.scalar(0)), c.scalar(slope), mul(c, e, c.scalar(coef)));
}

unary('Elu', {}, (c) => eluLike(c, 1, c.attr('alpha', 1.0), 1));
unary('Selu', {}, (c) => {
  const gamma = c.attr('gamma', 1.05070102214813232421875);
  return eluLike(c, gamma, gamma * c.attr('alpha', 1.67326319217681884765625), 1);
});
// Celu(x) = max(0,x) + min(0, alpha·(exp(x/alpha) − 1)): the negative side's slope is exp(x/alpha).
unary('Celu', { since: 12 }, (c) => eluLike(c, 1, 1, c.attr('alpha', 1.0)));

unary('Sigmoid', {}, (c) => mul(c, c.y(0), c.op('Sub', [c.scalar(1), c.y(0)])));
unary('Tanh', {}, (c) => c.op('Sub', [c.scalar(1), mul(c, c.y(0), c.y(0))]));

unary('HardSigmoid', {}, (c) => {
  // alpha inside the linear region 0 < alpha·x + beta < 1 (strict, as PyTorch's hardsigmoid_backward).
  const inside = c.op('And', [gt(c, c.y(0), c.scalar(0)), lt(c, c.y(0), c.scalar(1))]);
  return mul(c, mask(c, inside), c.scalar(c.attr('alpha', 0.2)));
});

unary('HardSwish', { since: 14 }, (c) => {
  // PyTorch's hardswish_backward: 0 for x < -3, x/3 + 1/2 on [-3, 3], 1 for x > 3.
  const x = c.x(0);
  const mid = add(c, mul(c, x, c.scalar(1 / 3)), c.scalar(0.5));
  return where(c, lt(c, x, c.scalar(-3)), c.scalar(0), where(c, gt(c, x, c.scalar(3)), c.scalar(1), mid));
});

unary('Softplus', {}, (c) => c.op('Sigmoid', [c.x(0)]));

unary('Softsign', {}, (c) => {
  const d = add(c, c.scalar(1), c.op('Abs', [c.x(0)]));
  return c.op('Reciprocal', [mul(c, d, d)]);
});

// erf'(x) = 2/√π · exp(−x²).
unary('Erf', {}, (c) => mul(c, c.scalar(2 / Math.sqrt(Math.PI)), c.op('Exp', [c.op('Neg', [mul(c, c.x(0), c.x(0))])])));

unary('Gelu', { since: 20 }, (c) => {
  const x = c.x(0);
  const approximate = c.attr('approximate', 'none');
  if (approximate === 'none') {
    // Φ(x) + x·φ(x) with Φ(x) = ½(1 + erf(x/√2)), φ(x) = exp(−x²/2)/√(2π).
    const cdf = mul(c, add(c, c.scalar(1), c.op('Erf', [mul(c, x, c.scalar(Math.SQRT1_2))])), c.scalar(0.5));
    const pdf = mul(c, c.op('Exp', [mul(c, mul(c, x, x), c.scalar(-0.5))]), c.scalar(1 / Math.sqrt(2 * Math.PI)));
    return add(c, cdf, mul(c, x, pdf));
  }
  if (approximate === 'tanh') {
    // t = tanh(k(x + 0.044715x³)): ½(1 + t) + ½x(1 − t²)·k(1 + 3·0.044715x²), as PyTorch's gelu_backward.
    const k = Math.sqrt(2 / Math.PI);
    const x2 = mul(c, x, x);
    const inner = mul(c, mul(c, x, add(c, c.scalar(1), mul(c, x2, c.scalar(0.044715)))), c.scalar(k));
    const t = c.op('Tanh', [inner]);
    const dInner = mul(c, add(c, c.scalar(1), mul(c, x2, c.scalar(3 * 0.044715))), c.scalar(k));
    const left = mul(c, add(c, c.scalar(1), t), c.scalar(0.5));
    const right = mul(c, mul(c, mul(c, x, c.scalar(0.5)), c.op('Sub', [c.scalar(1), mul(c, t, t)])), dInner);
    return add(c, left, right);
  }
  return c.fail(`attribute approximate='${approximate}' is not supported`);
});

// Mish(x) = x·tanh(softplus(x)): tanh(sp) + x·(1 − tanh²(sp))·sigmoid(x).
unary('Mish', { since: 18 }, (c) => {
  const x = c.x(0);
  const t = c.op('Tanh', [c.op('Softplus', [x])]);
  return add(c, t, mul(c, mul(c, x, c.op('Sub', [c.scalar(1), mul(c, t, t)])), c.op('Sigmoid', [x])));
});

unary('ThresholdedRelu', { since: 10 }, (c) => mask(c, gt(c, c.x(0), c.scalar(c.attr('alpha', 1.0)))));

// Shrink passes the gradient where |x| > lambd (outside the dead zone, strict as PyTorch's hardshrink).
unary('Shrink', { since: 9 }, (c) => {
  const lambd = c.attr('lambd', 0.5);
  return mask(c, c.op('Or', [lt(c, c.x(0), c.scalar(-lambd)), gt(c, c.x(0), c.scalar(lambd))]));
});

/**
 * Clip: dy where min < x < max strictly; bounds given as tensors (opset 11+) receive dy where they are the
 * value selected (x < min < max for min; x > max or max < min for max, as ONNX applies max last).
 */
function clipGrads(c: VjpContext, min: string | undefined, max: string | undefined) {
  const dy = c.dy(0)!;
  const x = c.x(0);
  const zero = () => c.scalar(0);
  return [
    () => {
      const conds = [min && gt(c, x, min), max && lt(c, x, max)].filter((v): v is string => !!v);
      const inside = conds.length === 2 ? c.op('And', conds) : conds[0];
      return inside ? where(c, inside, dy, zero()) : dy;
    },
    min
      ? () => {
          const sel = max ? c.op('And', [lt(c, x, min), lt(c, min, max)]) : lt(c, x, min);
          return where(c, sel, dy, zero());
        }
      : undefined,
    max
      ? () => {
          const sel = min ? c.op('Or', [gt(c, x, max), lt(c, max, min)]) : gt(c, x, max);
          return where(c, sel, dy, zero());
        }
      : undefined,
  ];
}

registerRule('Clip', { until: 10 }, (c) =>
  clipGrads(
    c,
    c.hasAttr('min') ? c.scalar(c.attr('min', 0)) : undefined,
    c.hasAttr('max') ? c.scalar(c.attr('max', 0)) : undefined,
  ),
);

// The bounds broadcast to X, so every gradient is X-shaped and the bounds' are summed back to theirs.
registerRule('Clip', { since: 11, broadcasting: true }, (c) =>
  clipGrads(c, c.hasInput(1) ? c.x(1) : undefined, c.hasInput(2) ? c.x(2) : undefined),
);

/**
 * VJP rules for elementwise arithmetic and math: Div, Pow, unary math, the variadic Sum/Mean/Min/Max,
 * Where, float casts and the piecewise-constant ops (Floor, Ceil, Round, Sign) whose gradient is zero.
 * Binary and variadic ops follow numpy broadcasting: they register as broadcasting, so the builder sums each
 * input's gradient (shaped like the output) back to the input's shape.
 */
import { type VjpContext, ZERO } from '../context';
import { registerRule, registerRules } from '../registry';
import { singleInput, staticValues, unary } from './common';

registerRule('Div', { broadcasting: true }, (c) => {
  const dy = c.dy(0)!;
  const dyOverB = c.op('Div', [dy, c.x(1)]);
  // d(a/b)/db = -a/b² = -y/b.
  return [() => dyOverB, () => c.op('Neg', [c.op('Mul', [dyOverB, c.y(0)])])];
});

registerRule('Pow', { broadcasting: true }, (c) => {
  const dy = c.dy(0)!;
  const base = () => {
    const bs = staticValues(c, 1);
    if (bs && bs.length === 1) {
      // A constant scalar exponent (x², √x, …): closed forms, and PyTorch's zero gradient for b = 0.
      const b = bs[0];
      if (b === 1) return dy;
      if (b === 2) return c.op('Mul', [dy, c.op('Mul', [c.x(0), c.scalar(2)])]);
      if (b !== 0) return c.op('Mul', [dy, c.op('Mul', [c.scalar(b), c.op('Pow', [c.x(0), c.scalar(b - 1)])])]);
      return ZERO;
    }
    // Opset 12+ allows an integer (or other float) exponent: bring it to the gradient's type.
    const b = bs
      ? c.constant(c.inShape(1), bs)
      : c.elemType(c.node.inputs[1]) === c.floatType
        ? c.x(1)
        : c.op('Cast', [c.x(1)], { to: c.floatType });
    let d = c.op('Mul', [b, c.op('Pow', [c.x(0), c.op('Sub', [b, c.scalar(1)])])]);
    // As PyTorch: b·a^(b-1) is taken as 0 where b = 0 (it would be 0·0^-1 = NaN at a = 0).
    if (!bs || bs.includes(0)) d = c.op('Where', [c.op('Equal', [b, c.scalar(0)]), c.scalar(0), d]);
    return c.op('Mul', [dy, d]);
  };
  const exponent = () => {
    if (c.elemType(c.node.inputs[1]) !== c.elemType(c.node.outputs[0]))
      c.fail('the gradient of an exponent whose float type differs from the base is not supported');
    // d(a^b)/db = a^b·ln a, taken as 0 where a = 0 and b ≥ 0 (PyTorch), where it would be 0·(-∞).
    const d = c.op('Mul', [c.y(0), c.op('Log', [c.x(0)])]);
    const atZero = c.op('And', [c.op('Equal', [c.x(0), c.scalar(0)]), c.op('GreaterOrEqual', [c.x(1), c.scalar(0)])]);
    return c.op('Mul', [dy, c.op('Where', [atZero, c.scalar(0), d])]);
  };
  return [base, exponent];
});

singleInput('Neg', {}, (c, dy) => c.op('Neg', [dy]));

// |x|' = sign(x), 0 at 0 (PyTorch's sgn).
unary('Abs', {}, (c) => c.op('Sign', [c.x(0)]));
unary('Exp', {}, (c) => c.y(0));

// √x' = 1 / (2√x), from the output as PyTorch does.
singleInput('Sqrt', {}, (c, dy) => c.op('Div', [dy, c.op('Mul', [c.y(0), c.scalar(2)])]));

singleInput('Log', {}, (c, dy) => c.op('Div', [dy, c.x(0)]));

// (1/x)' = -1/x² = -y².
singleInput('Reciprocal', {}, (c, dy) => c.op('Neg', [c.op('Mul', [dy, c.op('Mul', [c.y(0), c.y(0)])])]));

// Trigonometric and hyperbolic functions: each derivative uses only ops the forward op's types also have.
unary('Sin', {}, (c) => c.op('Cos', [c.x(0)]));
unary('Cos', {}, (c) => c.op('Neg', [c.op('Sin', [c.x(0)])]));
unary('Tan', {}, (c) => c.op('Add', [c.scalar(1), c.op('Mul', [c.y(0), c.y(0)])]));
const oneMinusXSquared = (c: VjpContext) => c.op('Sub', [c.scalar(1), c.op('Mul', [c.x(0), c.x(0)])]);
unary('Asin', {}, (c) => c.op('Reciprocal', [c.op('Sqrt', [oneMinusXSquared(c)])]));
unary('Acos', {}, (c) => c.op('Neg', [c.op('Reciprocal', [c.op('Sqrt', [oneMinusXSquared(c)])])]));
unary('Atan', {}, (c) => c.op('Reciprocal', [c.op('Add', [c.scalar(1), c.op('Mul', [c.x(0), c.x(0)])])]));
unary('Sinh', {}, (c) => c.op('Cosh', [c.x(0)]));
unary('Cosh', {}, (c) => c.op('Sinh', [c.x(0)]));
unary('Asinh', {}, (c) => c.op('Reciprocal', [c.op('Sqrt', [c.op('Add', [c.op('Mul', [c.x(0), c.x(0)]), c.scalar(1)])])]));
unary('Acosh', {}, (c) => c.op('Reciprocal', [c.op('Sqrt', [c.op('Sub', [c.op('Mul', [c.x(0), c.x(0)]), c.scalar(1)])])]));
unary('Atanh', {}, (c) => c.op('Reciprocal', [oneMinusXSquared(c)]));

registerRule('Sum', { broadcasting: true }, (c) => {
  const dy = c.dy(0)!;
  return c.node.inputs.map(() => () => dy);
});

registerRule('Mean', { broadcasting: true }, (c) => {
  const n = c.node.inputs.length;
  const g = n === 1 ? c.dy(0)! : c.op('Mul', [c.dy(0)!, c.scalar(1 / n)]);
  return c.node.inputs.map(() => () => g);
});

// Min/Max route dy to the selected input; tied inputs share it equally (PyTorch's maximum/minimum give ½ each).
registerRules(['Max', 'Min'], { broadcasting: true }, (c) => {
  const dy = c.dy(0)!;
  if (c.node.inputs.length === 1) return [() => dy];
  const masks = c.node.inputs.map((_, i) => c.op('Cast', [c.op('Equal', [c.x(i), c.y(0)])], { to: c.floatType }));
  const share = c.op('Div', [dy, c.op('Sum', masks)]);
  return masks.map((mask) => () => c.op('Mul', [share, mask]));
});

registerRule('Where', { broadcasting: true }, (c) => {
  const dy = c.dy(0)!;
  const zero = c.scalar(0);
  return [undefined, () => c.op('Where', [c.x(0), dy, zero]), () => c.op('Where', [c.x(0), zero, dy])];
});

// A float→float cast passes the gradient through, cast back to the input's float type (integer casts are never on a path).
registerRules(['Cast', 'CastLike'], {}, (c) => {
  const dy = c.dy(0)!;
  const t = c.elemType(c.node.inputs[0]);
  return [
    () => (c.elemType(c.node.outputs[0]) === t ? dy : c.op('Cast', [dy], { to: t })),
    // CastLike reads only the type of target_type, so its value gets a zero gradient.
    c.node.opType === 'CastLike' ? () => ZERO : undefined,
  ];
});

// Piecewise constant: the derivative is zero wherever it exists (PyTorch returns zeros too), and an explicit zero
// gradient lets an activation whose only path runs through this op still get one.
registerRules(['Floor', 'Ceil', 'Round', 'Sign'], {}, (c) => c.node.inputs.map(() => () => ZERO));

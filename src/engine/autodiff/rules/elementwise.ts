/**
 * VJP rules for elementwise arithmetic and math: Div, Pow, unary math, the variadic Sum/Mean/Min/Max,
 * Where, float casts and the piecewise-constant ops (Floor, Ceil, Round, Sign) whose gradient is zero.
 * Binary and variadic ops follow numpy broadcasting, so every input gradient is unbroadcast to its shape.
 */
import { makeTensor } from '../../onnx/tensorData';
import type { VjpContext } from '../context';
import { registerRule, registerRules } from '../registry';

/** Compile-time values of input i, or undefined when it is computed at run time. */
function staticValues(c: VjpContext, i: number): number[] | undefined {
  try {
    return c.values(i);
  } catch {
    return undefined;
  }
}

/** Zeros shaped like input i in that input's own element type (its gradient may differ from c.floatType). */
function zerosLike(c: VjpContext, i: number): string {
  const t = c.elemType(c.node.inputs[i]);
  return c.op('ConstantOfShape', [c.i64(c.inShape(i))], { value: { t: makeTensor('zero', t, [1], [0]) } });
}

/** Contributes an explicit zero gradient, so an activation whose only path runs through this op still gets one. */
function zeroGrads(c: VjpContext): void {
  for (let i = 0; i < c.node.inputs.length; i++) if (c.needs(i)) c.addGrad(i, zerosLike(c, i));
}

/** Unary op whose local derivative d(x, y) is multiplied into dy. */
function unary(ops: string[], d: (c: VjpContext) => string): void {
  registerRules(ops, {}, (c) => {
    if (c.needs(0)) c.addGrad(0, c.op('Mul', [c.dy(0)!, d(c)]));
  });
}

registerRule('Div', {}, (c) => {
  const dy = c.dy(0)!;
  const out = c.outShape(0);
  const dyOverB = c.op('Div', [dy, c.x(1)]);
  if (c.needs(0)) c.addGrad(0, c.unbroadcast(dyOverB, out, c.inShape(0)));
  // d(a/b)/db = -a/b² = -y/b.
  if (c.needs(1)) c.addGrad(1, c.unbroadcast(c.op('Neg', [c.op('Mul', [dyOverB, c.y(0)])]), out, c.inShape(1)));
});

registerRule('Pow', {}, (c) => {
  const dy = c.dy(0)!;
  const out = c.outShape(0);
  if (c.needs(0)) {
    const bs = staticValues(c, 1);
    let g: string | undefined;
    if (bs && bs.length === 1) {
      // A constant scalar exponent (x², √x, …): closed forms, and PyTorch's zero gradient for b = 0.
      const b = bs[0];
      if (b === 1) g = dy;
      else if (b === 2) g = c.op('Mul', [dy, c.op('Mul', [c.x(0), c.scalar(2)])]);
      else if (b !== 0) g = c.op('Mul', [dy, c.op('Mul', [c.scalar(b), c.op('Pow', [c.x(0), c.scalar(b - 1)])])]);
    } else {
      // Opset 12+ allows an integer (or other float) exponent: bring it to the gradient's type.
      const b = bs
        ? c.constant(c.inShape(1), bs)
        : c.elemType(c.node.inputs[1]) === c.floatType
          ? c.x(1)
          : c.op('Cast', [c.x(1)], { to: c.floatType });
      let d = c.op('Mul', [b, c.op('Pow', [c.x(0), c.op('Sub', [b, c.scalar(1)])])]);
      // As PyTorch: b·a^(b-1) is taken as 0 where b = 0 (it would be 0·0^-1 = NaN at a = 0).
      if (!bs || bs.includes(0)) d = c.op('Where', [c.op('Equal', [b, c.scalar(0)]), c.scalar(0), d]);
      g = c.op('Mul', [dy, d]);
    }
    c.addGrad(0, g ? c.unbroadcast(g, out, c.inShape(0)) : zerosLike(c, 0));
  }
  if (c.needs(1)) {
    if (c.elemType(c.node.inputs[1]) !== c.elemType(c.node.outputs[0]))
      c.fail('the gradient of an exponent whose float type differs from the base is not supported');
    // d(a^b)/db = a^b·ln a, taken as 0 where a = 0 and b ≥ 0 (PyTorch), where it would be 0·(-∞).
    const d = c.op('Mul', [c.y(0), c.op('Log', [c.x(0)])]);
    const atZero = c.op('And', [c.op('Equal', [c.x(0), c.scalar(0)]), c.op('GreaterOrEqual', [c.x(1), c.scalar(0)])]);
    const g = c.op('Mul', [dy, c.op('Where', [atZero, c.scalar(0), d])]);
    c.addGrad(1, c.unbroadcast(g, out, c.inShape(1)));
  }
});

registerRule('Neg', {}, (c) => {
  if (c.needs(0)) c.addGrad(0, c.op('Neg', [c.dy(0)!]));
});

// |x|' = sign(x), 0 at 0 (PyTorch's sgn).
unary(['Abs'], (c) => c.op('Sign', [c.x(0)]));
unary(['Exp'], (c) => c.y(0));

registerRule('Sqrt', {}, (c) => {
  // √x' = 1 / (2√x), from the output as PyTorch does.
  if (c.needs(0)) c.addGrad(0, c.op('Div', [c.dy(0)!, c.op('Mul', [c.y(0), c.scalar(2)])]));
});

registerRule('Log', {}, (c) => {
  if (c.needs(0)) c.addGrad(0, c.op('Div', [c.dy(0)!, c.x(0)]));
});

registerRule('Reciprocal', {}, (c) => {
  // (1/x)' = -1/x² = -y².
  if (c.needs(0)) c.addGrad(0, c.op('Neg', [c.op('Mul', [c.dy(0)!, c.op('Mul', [c.y(0), c.y(0)])])]));
});

// Trigonometric and hyperbolic functions: each derivative uses only ops the forward op's types also have.
unary(['Sin'], (c) => c.op('Cos', [c.x(0)]));
unary(['Cos'], (c) => c.op('Neg', [c.op('Sin', [c.x(0)])]));
unary(['Tan'], (c) => c.op('Add', [c.scalar(1), c.op('Mul', [c.y(0), c.y(0)])]));
const oneMinusXSquared = (c: VjpContext) => c.op('Sub', [c.scalar(1), c.op('Mul', [c.x(0), c.x(0)])]);
unary(['Asin'], (c) => c.op('Reciprocal', [c.op('Sqrt', [oneMinusXSquared(c)])]));
unary(['Acos'], (c) => c.op('Neg', [c.op('Reciprocal', [c.op('Sqrt', [oneMinusXSquared(c)])])]));
unary(['Atan'], (c) => c.op('Reciprocal', [c.op('Add', [c.scalar(1), c.op('Mul', [c.x(0), c.x(0)])])]));
unary(['Sinh'], (c) => c.op('Cosh', [c.x(0)]));
unary(['Cosh'], (c) => c.op('Sinh', [c.x(0)]));
unary(['Asinh'], (c) => c.op('Reciprocal', [c.op('Sqrt', [c.op('Add', [c.op('Mul', [c.x(0), c.x(0)]), c.scalar(1)])])]));
unary(['Acosh'], (c) => c.op('Reciprocal', [c.op('Sqrt', [c.op('Sub', [c.op('Mul', [c.x(0), c.x(0)]), c.scalar(1)])])]));
unary(['Atanh'], (c) => c.op('Reciprocal', [oneMinusXSquared(c)]));

registerRule('Sum', {}, (c) => {
  const dy = c.dy(0)!;
  for (let i = 0; i < c.node.inputs.length; i++) if (c.needs(i)) c.addGrad(i, c.unbroadcast(dy, c.outShape(0), c.inShape(i)));
});

registerRule('Mean', {}, (c) => {
  const n = c.node.inputs.length;
  const g = n === 1 ? c.dy(0)! : c.op('Mul', [c.dy(0)!, c.scalar(1 / n)]);
  for (let i = 0; i < n; i++) if (c.needs(i)) c.addGrad(i, c.unbroadcast(g, c.outShape(0), c.inShape(i)));
});

// Min/Max route dy to the selected input; tied inputs share it equally (PyTorch's maximum/minimum give ½ each).
registerRules(['Max', 'Min'], {}, (c) => {
  const dy = c.dy(0)!;
  const n = c.node.inputs.length;
  if (n === 1) {
    if (c.needs(0)) c.addGrad(0, dy);
    return;
  }
  const masks = c.node.inputs.map((_, i) => c.op('Cast', [c.op('Equal', [c.x(i), c.y(0)])], { to: c.floatType }));
  const share = c.op('Div', [dy, c.op('Sum', masks)]);
  for (let i = 0; i < n; i++) if (c.needs(i)) c.addGrad(i, c.unbroadcast(c.op('Mul', [share, masks[i]]), c.outShape(0), c.inShape(i)));
});

registerRule('Where', {}, (c) => {
  const dy = c.dy(0)!;
  const zero = c.scalar(0);
  if (c.needs(1)) c.addGrad(1, c.unbroadcast(c.op('Where', [c.x(0), dy, zero]), c.outShape(0), c.inShape(1)));
  if (c.needs(2)) c.addGrad(2, c.unbroadcast(c.op('Where', [c.x(0), zero, dy]), c.outShape(0), c.inShape(2)));
});

// A float→float cast passes the gradient through, cast back to the input's float type (integer casts are never on a path).
registerRules(['Cast', 'CastLike'], {}, (c) => {
  if (c.needs(0)) {
    const t = c.elemType(c.node.inputs[0]);
    const dy = c.dy(0)!;
    c.addGrad(0, c.elemType(c.node.outputs[0]) === t ? dy : c.op('Cast', [dy], { to: t }));
  }
  // CastLike reads only the type of target_type, so its value gets a zero gradient.
  if (c.node.opType === 'CastLike' && c.needs(1)) c.addGrad(1, zerosLike(c, 1));
});

// Piecewise constant: the derivative is zero wherever it exists (PyTorch returns zeros too).
registerRules(['Floor', 'Ceil', 'Round', 'Sign'], {}, zeroGrads);

/** Starter rules: identity-like ops, Relu and the four arithmetic ops with broadcasting. */
import { registerRule, registerRules } from '../registry';

registerRules(['Identity', 'Dropout'], {}, (c) => {
  const dy = c.dy(0);
  if (dy && c.needs(0)) c.addGrad(0, dy);
});

registerRule('Relu', {}, (c) => {
  // ReLU'(0) = 0, as in PyTorch: the mask is y > 0.
  const mask = c.op('Cast', [c.op('Greater', [c.y(0), c.scalar(0)])], { to: c.floatType });
  c.addGrad(0, c.op('Mul', [c.dy(0)!, mask]));
});

registerRule('Add', {}, (c) => {
  const dy = c.dy(0)!;
  for (const i of [0, 1]) if (c.needs(i)) c.addGrad(i, c.unbroadcast(dy, c.outShape(0), c.inShape(i)));
});

registerRule('Sub', {}, (c) => {
  const dy = c.dy(0)!;
  if (c.needs(0)) c.addGrad(0, c.unbroadcast(dy, c.outShape(0), c.inShape(0)));
  if (c.needs(1)) c.addGrad(1, c.unbroadcast(c.op('Neg', [dy]), c.outShape(0), c.inShape(1)));
});

registerRule('Mul', {}, (c) => {
  const dy = c.dy(0)!;
  if (c.needs(0)) c.addGrad(0, c.unbroadcast(c.op('Mul', [dy, c.x(1)]), c.outShape(0), c.inShape(0)));
  if (c.needs(1)) c.addGrad(1, c.unbroadcast(c.op('Mul', [dy, c.x(0)]), c.outShape(0), c.inShape(1)));
});

/** Starter rules: identity-like ops, Relu and Add/Sub/Mul with broadcasting. */
import { LayerLensError } from '../../errors';
import type { VjpContext } from '../context';
import { registerRule, registerRules } from '../registry';
import { singleInput } from './common';

/**
 * A Dropout that runs in training mode (opset 12+: training_mode true, ratio > 0) drops values at random in every
 * run, so neither its output nor any gradient through it is reproducible: refuse rather than return noise.
 * (torch exports Dropout nodes only when traced in training mode; an eval-mode export has none.)
 */
function refuseTrainingDropout(c: VjpContext): void {
  if (c.opset < 12 || !c.hasInput(2)) return;
  let training: number | undefined;
  let ratio: number | undefined;
  try {
    training = c.values(2)[0];
    ratio = c.hasInput(1) ? c.values(1)[0] : 0.5;
  } catch {
    training = 1; // decided at run time: it may drop
  }
  if (!training || ratio === 0) return;
  throw new LayerLensError(
    `Dropout node '${c.node.name}' runs in training mode${ratio !== undefined ? ` (ratio ${Number(ratio.toPrecision(6))})` : ''}: it drops values at random, so attributions through it would be noise; export the model in eval mode (model.eval()) or with dropout ratio 0`,
    'unsupported-op',
  );
}

registerRules(['Identity', 'Dropout'], {}, (c) => {
  if (c.node.opType === 'Dropout') refuseTrainingDropout(c);
  const dy = c.dy(0);
  if (dy) return [() => dy];
});

singleInput('Relu', {}, (c, dy) => {
  // ReLU'(0) = 0, as in PyTorch: the mask is y > 0.
  const mask = c.op('Cast', [c.op('Greater', [c.y(0), c.scalar(0)])], { to: c.floatType });
  return c.op('Mul', [dy, mask]);
});

registerRule('Add', { broadcasting: true }, (c) => {
  const dy = c.dy(0)!;
  return [() => dy, () => dy];
});

registerRule('Sub', { broadcasting: true }, (c) => {
  const dy = c.dy(0)!;
  return [() => dy, () => c.op('Neg', [dy])];
});

registerRule('Mul', { broadcasting: true }, (c) => {
  const dy = c.dy(0)!;
  return [() => c.op('Mul', [dy, c.x(1)]), () => c.op('Mul', [dy, c.x(0)])];
});

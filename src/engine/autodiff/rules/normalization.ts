/** VJP rules: BatchNormalization (inference), InstanceNormalization, LayerNormalization, LRN. */
import type { VjpContext } from '../context';
import { registerRule } from '../registry';
import { once, prod, range, singleInput } from './common';

/** 1/√(var + ε), mean-centred x and x̂ over `axes` (kept), recomputed from x. */
function moments(c: VjpContext, x: string, axes: number[], eps: number): { xc: string; invStd: string; xhat: string } {
  const mean = c.op('ReduceMean', [x, c.i64(axes)], { keepdims: 1 });
  const xc = c.op('Sub', [x, mean]);
  const variance = c.op('ReduceMean', [c.op('Mul', [xc, xc]), c.i64(axes)], { keepdims: 1 });
  const invStd = c.op('Reciprocal', [c.op('Sqrt', [c.op('Add', [variance, c.scalar(eps)])])]);
  return { xc, invStd, xhat: c.op('Mul', [xc, invStd]) };
}

/** The gradient through x̂ = (x − mean)·invStd for g = ∂L/∂x̂: invStd·(g − mean(g) − x̂·mean(g·x̂)). */
function normalizedGrad(c: VjpContext, g: string, xhat: string, invStd: string, axes: number[]): string {
  const ax = c.i64(axes);
  const meanG = c.op('ReduceMean', [g, ax], { keepdims: 1 });
  const meanGx = c.op('ReduceMean', [c.op('Mul', [g, xhat]), ax], { keepdims: 1 });
  const inner = c.op('Sub', [c.op('Sub', [g, meanG]), c.op('Mul', [xhat, meanGx])]);
  return c.op('Mul', [inner, invStd]);
}

registerRule('BatchNormalization', { since: 7 }, (c) => {
  const dy = c.dy(0);
  if (!dy) return;
  // Training mode normalizes with batch statistics and updates running ones: only inference is differentiated.
  if (c.opset >= 14 && c.attr<number>('training_mode', 0) !== 0) c.fail('attribute training_mode=1 is not supported');
  if (c.opset < 14 && c.node.outputs.slice(1).some((o) => o)) c.fail('training mode (more than one output) is not supported');
  const xShape = c.inShape(0);
  const pShape = c.inShape(1);
  const rank = xShape.length;
  // Opsets 7-8 with spatial=0 keep one statistic per activation ([C, D1, …]), broadcast right-aligned.
  const spatial = c.opset >= 9 || c.attr<number>('spatial', 1) !== 0;
  const bShape = spatial ? [xShape[1], ...new Array<number>(Math.max(0, rank - 2)).fill(1)] : pShape;
  const axes = spatial ? [0, ...range(2, rank)] : [0];
  const eps = c.attr<number>('epsilon', 1e-5);
  const b = (v: string) => c.op('Reshape', [v, c.i64(bShape)]);
  const invStd = once(() => c.op('Reciprocal', [c.op('Sqrt', [c.op('Add', [c.x(4), c.scalar(eps)])])]));
  const scaleInv = once(() => c.op('Mul', [c.x(1), invStd()]));
  const sum = (v: string) => c.op('Reshape', [c.op('ReduceSum', [v, c.i64(axes)], { keepdims: 0 }), c.i64(pShape)]);
  const sumDy = once(() => sum(dy));
  const sumDyXc = once(() => sum(c.op('Mul', [dy, c.op('Sub', [c.x(0), b(c.x(3))])])));
  return [
    () => c.op('Mul', [dy, b(scaleInv())]),
    () => c.op('Mul', [sumDyXc(), invStd()]),
    sumDy,
    () => c.op('Neg', [c.op('Mul', [sumDy(), scaleInv()])]),
    () => {
      // ∂y/∂var = −½·scale·(x − mean)·invStd³.
      const cube = c.op('Mul', [scaleInv(), c.op('Mul', [invStd(), invStd()])]);
      return c.op('Mul', [c.op('Mul', [sumDyXc(), cube]), c.scalar(-0.5)]);
    },
  ];
});

registerRule('InstanceNormalization', { since: 6 }, (c) => {
  const dy = c.dy(0);
  if (!dy) return;
  const xShape = c.inShape(0);
  const rank = xShape.length;
  const axes = range(2, rank);
  const chShape = [xShape[1], ...new Array<number>(rank - 2).fill(1)];
  const stats = once(() => moments(c, c.x(0), axes, c.attr<number>('epsilon', 1e-5)));
  const outer = c.i64([0, ...axes]);
  return [
    () => {
      const { invStd, xhat } = stats();
      const g = c.op('Mul', [dy, c.op('Reshape', [c.x(1), c.i64(chShape)])]);
      return normalizedGrad(c, g, xhat, invStd, axes);
    },
    () => c.op('ReduceSum', [c.op('Mul', [dy, stats().xhat]), outer], { keepdims: 0 }),
    () => c.op('ReduceSum', [dy, outer], { keepdims: 0 }),
  ];
});

// Scale and bias broadcast to X (the output's shape), so their gradients are summed back to their shapes.
registerRule('LayerNormalization', { since: 17, broadcasting: true }, (c) => {
  const xShape = c.inShape(0);
  const rank = xShape.length;
  let axis = c.attr<number>('axis', -1);
  if (axis < 0) axis += rank;
  const axes = range(axis, rank);
  const count = prod(xShape.slice(axis));
  const stats = once(() => moments(c, c.x(0), axes, c.attr<number>('epsilon', 1e-5)));
  const dy = c.dy(0);
  // The optional Mean / InvStdDev outputs may be float32 (stash_type) while X is not.
  const statGrad = (i: number) => {
    const g = c.dy(i);
    if (!g || c.elemType(c.node.outputs[i]) === c.floatType) return g;
    return c.op('Cast', [g], { to: c.floatType });
  };
  const input = () => {
    const { invStd, xhat } = stats();
    const dMean = statGrad(1);
    const dInvStd = statGrad(2);
    const terms: string[] = [];
    if (dy) terms.push(normalizedGrad(c, c.op('Mul', [dy, c.x(1)]), xhat, invStd, axes));
    // mean = Σx/D; invStd = (var + ε)^−½ with ∂var/∂x = 2(x − mean)/D, so ∂invStd/∂x = −invStd²·x̂/D.
    if (dMean) terms.push(c.op('Expand', [c.op('Mul', [dMean, c.scalar(1 / count)]), c.i64(xShape)]));
    if (dInvStd) {
      const factor = c.op('Mul', [dInvStd, c.op('Mul', [invStd, invStd])]);
      terms.push(c.op('Mul', [factor, c.op('Mul', [xhat, c.scalar(-1 / count)])]));
    }
    if (terms.length) return terms.length === 1 ? terms[0] : c.op('Sum', terms);
  };
  if (!dy) return [input];
  return [input, () => c.op('Mul', [dy, stats().xhat]), () => dy];
});

singleInput('LRN', {}, (c, dy) => {
  const xShape = c.inShape(0);
  const channels = xShape[1];
  const size = c.attr<number>('size', 0);
  if (!(size >= 1)) c.fail(`attribute size=${size} is not supported`);
  const alpha = c.attr<number>('alpha', 1e-4);
  const beta = c.attr<number>('beta', 0.75);
  const bias = c.attr<number>('bias', 1);
  // window(c) = [c − ⌊(size−1)/2⌋, c + ⌈(size−1)/2⌉] ∩ [0, C); band[c][j] = 1 when j ∈ window(c).
  const lo = Math.floor((size - 1) / 2);
  const hi = Math.ceil((size - 1) / 2);
  const band = new Array<number>(channels * channels).fill(0);
  const bandT = new Array<number>(channels * channels).fill(0);
  for (let ch = 0; ch < channels; ch++) {
    for (let j = Math.max(0, ch - lo); j <= Math.min(channels - 1, ch + hi); j++) {
      band[ch * channels + j] = 1;
      bandT[j * channels + ch] = 1;
    }
  }
  // Channel-window sums as a [C, C] matrix times x viewed as [N, C, rest].
  const flatShape = c.i64([xShape[0], channels, prod(xShape.slice(2))]);
  const shape = c.i64(xShape);
  const windowSum = (m: number[], v: string) =>
    c.op('Reshape', [c.op('MatMul', [c.constant([channels, channels], m), c.op('Reshape', [v, flatShape])]), shape]);
  const x = c.x(0);
  // y = x·S^−β with S = bias + α/size·Σ_window x²,
  // dx_j = dy_j·S_j^−β − 2αβ/size · x_j · Σ_{c: j ∈ window(c)} dy_c·x_c·S_c^(−β−1).
  const s = c.op('Add', [c.op('Mul', [windowSum(band, c.op('Mul', [x, x])), c.scalar(alpha / size)]), c.scalar(bias)]);
  const p = c.op('Pow', [s, c.scalar(-beta)]);
  const direct = c.op('Mul', [dy, p]);
  const t = c.op('Div', [c.op('Mul', [direct, x]), s]);
  const cross = c.op('Mul', [c.op('Mul', [x, windowSum(bandT, t)]), c.scalar((-2 * alpha * beta) / size)]);
  return c.op('Add', [direct, cross]);
});

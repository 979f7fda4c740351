/**
 * Integration points of Captum's path methods (captum/attr/_utils/approximation_methods.py): for `n` points, the
 * fractions α_k of the way from the baseline to the input and the weights w_k of the gradients taken there.
 */
import type { IntegrationRule } from '../../api';
import { LayerLensError } from '../../errors';

export interface IntegrationPoints {
  /** α_k as float32 values (what multiplies the float32 differences). */
  alphas: Float32Array;
  /** w_k as float32 values (Captum turns its step sizes into a float32 tensor). */
  weights: Float32Array;
}

export const INTEGRATION_RULES: IntegrationRule[] = ['gausslegendre', 'riemann_left', 'riemann_right', 'riemann_middle', 'riemann_trapezoid'];

/** Riemann rules: (first α, last α) of torch.linspace, as Captum computes them in double before the float32 linspace. */
const RIEMANN_ENDS: Record<Exclude<IntegrationRule, 'gausslegendre'>, (n: number) => [number, number]> = {
  riemann_left: (n) => [0, 1 - 1 / n],
  riemann_right: (n) => [1 / n, 1],
  riemann_middle: (n) => [1 / (2 * n), 1 - 1 / (2 * n)],
  riemann_trapezoid: () => [0, 1],
};

export function integrationPoints(rule: IntegrationRule, n: number): IntegrationPoints {
  if (!Number.isInteger(n) || n < 1) throw new LayerLensError(`n_steps must be a positive integer, got ${n}`, 'invalid-argument');
  if (rule === 'gausslegendre') {
    const { nodes, weights } = gaussLegendre(n);
    return { alphas: Float32Array.from(nodes, (t) => (1 + t) / 2), weights: Float32Array.from(weights, (w) => w / 2) };
  }
  const ends = RIEMANN_ENDS[rule];
  if (!ends) throw new LayerLensError(`unknown integration method '${rule}' (use ${INTEGRATION_RULES.join(', ')})`, 'invalid-argument');
  if (n < 2) throw new LayerLensError(`${rule} integration needs n_steps ≥ 2, got ${n} (Captum raises here too)`, 'invalid-argument');
  const [start, end] = ends(n);
  const weights = new Float32Array(n).fill(1 / n);
  if (rule === 'riemann_trapezoid') {
    weights[0] = 1 / n / 2;
    weights[n - 1] = 1 / n / 2;
  }
  return { alphas: linspaceFloat32(start, end, n), weights };
}

/** torch.linspace in float32: the first half counts up from the start, the second half down from the end (to within an ulp). */
export function linspaceFloat32(start: number, end: number, steps: number): Float32Array {
  const out = new Float32Array(steps);
  const f = Math.fround;
  const s = f(start);
  const e = f(end);
  if (steps === 1) {
    out[0] = s;
    return out;
  }
  const step = f((end - start) / (steps - 1));
  const half = Math.floor(steps / 2);
  // Within one float32 ulp of torch's kernel (whose vectorised path rounds differently in places).
  for (let i = 0; i < steps; i++) out[i] = i < half ? f(s + f(step * i)) : f(e - f(step * (steps - i - 1)));
  return out;
}

/** Gauss–Legendre nodes (ascending, in (−1, 1)) and weights, by Newton's method on P_n (as numpy's leggauss refines). */
export function gaussLegendre(n: number): { nodes: Float64Array; weights: Float64Array } {
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  for (let i = 0; i < Math.ceil(n / 2); i++) {
    let x = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 0;
    for (let iter = 0; iter < 100; iter++) {
      // P_n(x) and P_n'(x) by the three-term recurrence.
      let p0 = 1;
      let p1 = x;
      for (let k = 2; k <= n; k++) {
        const p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      const pn = n === 1 ? x : p1;
      const pPrev = n === 1 ? 1 : p0;
      dp = (n * (x * pn - pPrev)) / (x * x - 1);
      const dx = pn / dp;
      x -= dx;
      if (Math.abs(dx) < 1e-16) break;
    }
    const w = 2 / ((1 - x * x) * dp * dp);
    // x is the i-th largest root; the roots are symmetric about 0.
    nodes[n - 1 - i] = x;
    nodes[i] = -x;
    weights[n - 1 - i] = w;
    weights[i] = w;
  }
  if (n % 2 === 1) nodes[(n - 1) / 2] = 0;
  return { nodes, weights };
}

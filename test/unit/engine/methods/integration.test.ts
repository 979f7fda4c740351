/** Integration points of the path methods against the values numpy and torch give Captum (printed by /usr/bin/python3). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gaussLegendre, integrationPoints, linspaceFloat32 } from '../../../../src/engine/attribution/methods/integration';
import { LayerLensError } from '../../../../src/engine/errors';

const close = (a: ArrayLike<number>, b: number[], tol: number) => {
  assert.equal(a.length >= b.length, true);
  b.forEach((v, i) => assert.ok(Math.abs(a[i] - v) <= tol, `element ${i}: ${a[i]} vs ${v}`));
};

describe('Gauss-Legendre points (numpy.polynomial.legendre.leggauss)', () => {
  const cases: [number, number[], number[]][] = [
    [1, [0.5], [1.0]],
    [2, [0.21132486540518713, 0.7886751345948129], [0.5, 0.5]],
    [5, [0.04691007703066802, 0.23076534494715845, 0.5], [0.11846344252809471, 0.2393143352496831, 0.2844444444444445]],
    [50, [0.0005667977899644905, 0.002984015283954644, 0.00732295797599708], [0.0014543112765789342, 0.0033798995978727526, 0.005295274191825835]],
  ];
  for (const [n, alphas, weights] of cases)
    test(`n = ${n}`, () => {
      const p = integrationPoints('gausslegendre', n);
      close(p.alphas, alphas.map(Math.fround), 0);
      close(p.weights, weights.map(Math.fround), 0);
    });
  test('weights sum to 2 and nodes ascend for n up to 300', () => {
    for (const n of [3, 17, 64, 300]) {
      const { nodes, weights } = gaussLegendre(n);
      assert.ok(Math.abs(weights.reduce((a, b) => a + b, 0) - 2) < 1e-12, `n=${n}`);
      for (let i = 1; i < n; i++) assert.ok(nodes[i] > nodes[i - 1], `n=${n} ascending at ${i}`);
    }
  });
});

describe('Riemann points (torch.linspace in float32, to within one ulp)', () => {
  test('left, n = 7', () => close(integrationPoints('riemann_left', 7).alphas, [0.0, 0.1428571492433548, 0.2857142984867096, 0.4285714030265808, 0.5714285373687744, 0.7142857313156128, 0.8571428656578064], 6e-8));
  test('middle, n = 20', () =>
    close(linspaceFloat32(1 / 40, 1 - 1 / 40, 20), [0.02500000037252903, 0.07500000298023224, 0.125, 0.17500001192092896, 0.22500000894069672, 0.2750000059604645, 0.32500001788139343, 0.375, 0.42500001192092896, 0.4750000238418579, 0.5250000357627869, 0.5750000476837158, 0.625, 0.675000011920929, 0.7250000238418579, 0.7749999761581421, 0.8250000476837158, 0.875, 0.925000011920929, 0.9750000238418579], 6e-8));
  test('trapezoid weights 1/n with halved ends (summing to (n-1)/n, as Captum does)', () => {
    const p = integrationPoints('riemann_trapezoid', 4);
    close(p.alphas, [0.0, 0.3333333432674408, 0.6666666269302368, 1.0], 6e-8);
    assert.deepEqual(Array.from(p.weights), [0.125, 0.25, 0.25, 0.125]);
  });
  test('right ends at 1', () => assert.equal(integrationPoints('riemann_right', 5).alphas[4], 1));
  test('one step is refused, as Captum refuses it', () => assert.throws(() => integrationPoints('riemann_left', 1), LayerLensError));
  test('zero steps are refused for every rule', () => assert.throws(() => integrationPoints('gausslegendre', 0), LayerLensError));
});

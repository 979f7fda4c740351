// Captum's _cumulative_sum_threshold / _normalize_attr, against hand computations and numpy replicas
// of Captum's formulas (float64; printed by /usr/bin/python3 with numpy 2.4).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cumulativeSumThreshold, MassIndex, normalizeAttr, type Sign, signedPart } from '../../../webview/heatmap/normalize';

const SIGNS: Sign[] = ['all', 'positive', 'negative', 'absolute_value'];

/** ((i·37) mod 101 − 50) / 10, with some entries scaled: exact in float64 on both sides. */
function formulaArray(n: number, scale: (i: number) => number): Float64Array {
  return Float64Array.from({ length: n }, (_v, i) => ((((i * 37) % 101) - 50) / 10) * scale(i));
}

function close(actual: number, expected: number, tol = 1e-12): void {
  assert.ok(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${actual} ≉ ${expected}`);
}

describe('cumulativeSumThreshold', () => {
  it('picks the first sorted value whose running sum reaches the percentile of the total (by hand)', () => {
    // sorted 1 2 3 4, running sums 1 3 6 10
    assert.equal(cumulativeSumThreshold([4, 1, 3, 2], 50), 3); // 5 → first ≥ is 6 → 3
    assert.equal(cumulativeSumThreshold([4, 1, 3, 2], 98), 4); // 9.8 → 10 → 4
    assert.equal(cumulativeSumThreshold([4, 1, 3, 2], 60), 3); // exactly 6 counts (>=)
    assert.equal(cumulativeSumThreshold([4, 1, 3, 2], 0), 1);
    assert.equal(cumulativeSumThreshold([4, 1, 3, 2], 100), 4);
  });

  it('refuses percentiles outside 0..100', () => {
    assert.throws(() => cumulativeSumThreshold([1], 101), RangeError);
    assert.throws(() => cumulativeSumThreshold([1], -1), RangeError);
  });

  it('gives 0 for an all-zero map (Captum would refuse to divide; we draw nothing)', () => {
    assert.equal(cumulativeSumThreshold([0, 0, 0], 98), 0);
    const { normalized, threshold } = normalizeAttr([0, 0, 0], 'all');
    assert.equal(threshold, 0);
    assert.deepEqual(Array.from(normalized), [0, 0, 0]);
  });
});

describe('normalizeAttr matches numpy replicas of Captum', () => {
  const small = [0.5, -1.25, 3.0, -0.75, 0.0, 2.25, -4.5, 1.0, 0.125, -0.0625, 6.0, -2.0, 0.25, 1.5, -3.25, 0.875, -0.5, 4.0, -1.0, 0.0];

  it('20 values, outlier_perc 2 and 50, every sign', () => {
    const expected: Record<string, [number, number[]]> = {
      'all/2': [6.0, [0.083333, -0.208333, 0.5, -0.125, 0.0, 0.375, -0.75, 0.166667, 0.020833, -0.010417, 1.0, -0.333333, 0.041667, 0.25, -0.541667, 0.145833, -0.083333, 0.666667, -0.166667, 0.0]],
      'negative/2': [-4.5, [0, 0.277778, 0, 0.166667, 0, 0, 1.0, 0, 0, 0.013889, 0, 0.444444, 0, 0, 0.722222, 0, 0.111111, 0, 0.222222, 0]],
      'all/50': [3.25, [0.153846, -0.384615, 0.923077, -0.230769, 0.0, 0.692308, -1.0, 0.307692, 0.038462, -0.019231, 1.0, -0.615385, 0.076923, 0.461538, -1.0, 0.269231, -0.153846, 1.0, -0.307692, 0.0]],
      'positive/50': [4.0, [0.125, 0, 0.75, 0, 0, 0.5625, 0, 0.25, 0.03125, 0, 1.0, 0, 0.0625, 0.375, 0, 0.21875, 0, 1.0, 0, 0]],
      'negative/50': [-3.25, [0, 0.384615, 0, 0.230769, 0, 0, 1.0, 0, 0, 0.019231, 0, 0.615385, 0, 0, 1.0, 0, 0.153846, 0, 0.307692, 0]],
      'absolute_value/50': [3.25, [0.153846, 0.384615, 0.923077, 0.230769, 0.0, 0.692308, 1.0, 0.307692, 0.038462, 0.019231, 1.0, 0.615385, 0.076923, 0.461538, 1.0, 0.269231, 0.153846, 1.0, 0.307692, 0.0]],
    };
    for (const [key, [t, norm]] of Object.entries(expected)) {
      const [sign, perc] = key.split('/');
      const r = normalizeAttr(small, sign as Sign, Number(perc));
      assert.equal(r.threshold, t, key);
      r.normalized.forEach((v, i) => assert.ok(Math.abs(v - norm[i]) < 1e-6, `${key}[${i}]: ${v} vs ${norm[i]}`));
    }
  });

  it('1000 values with one outlier: clipping at 2% and 10% mass', () => {
    const w = formulaArray(1000, (i) => (i === 0 ? 50 : 1));
    // [threshold, Σ normalized, normalized[0], normalized[3], how many reach |1|]
    const expected: Record<string, [number, number, number, number, number]> = {
      'all/2': [250.0, -0.9759999999999999, -1.0, -0.016, 1],
      'positive/2': [5.0, 252.78, 0, 0, 10],
      'negative/2': [-250.0, 6.0316, 1.0, 0.016, 1],
      'absolute_value/2': [250.0, 11.087200000000001, 1.0, 0.016, 1],
      'all/10': [5.0, 0.1999999999999984, -1.0, -0.8, 20],
      'positive/10': [4.8, 262.6875, 0, 0, 30],
      'negative/10': [-250.0, 6.0316, 1.0, 0.016, 1],
      'absolute_value/10': [5.0, 505.36, 1.0, 0.8, 20],
    };
    for (const [key, [t, sum, n0, n3, clipped]] of Object.entries(expected)) {
      const [sign, perc] = key.split('/');
      const r = normalizeAttr(w, sign as Sign, Number(perc));
      assert.equal(r.threshold, t, `${key} threshold`);
      const total = r.normalized.reduce((a, b) => a + b, 0);
      close(total, sum, 1e-5); // float32 storage of the normalised values
      close(r.normalized[0], n0, 1e-6);
      close(r.normalized[3], n3, 1e-6);
      assert.equal(r.normalized.filter((v) => Math.abs(v) >= 1).length, clipped, `${key} clipped count`);
    }
  });

  it('1000 values with periodic outliers at 2%, 5% and 20%', () => {
    const w = formulaArray(1000, (i) => (i % 97 === 0 ? 50 : 1));
    const expected: Record<string, number> = {
      'all/2': 250, 'positive/2': 160, 'negative/2': -250, 'absolute_value/2': 250,
      'all/5': 250, 'positive/5': 160, 'negative/5': -250, 'absolute_value/5': 250,
      'all/20': 160, 'positive/20': 90, 'negative/20': -215, 'absolute_value/20': 160,
    };
    const mass = new MassIndex(w);
    for (const [key, t] of Object.entries(expected)) {
      const [sign, perc] = key.split('/');
      assert.equal(mass.threshold(sign as Sign, Number(perc)), t, key);
    }
  });
});

describe('sign handling', () => {
  const v = [-3, -1, 0, 2, 5];

  it('selects the part of the map Captum normalises for each sign', () => {
    assert.deepEqual(Array.from(signedPart(v, 'all')), [-3, -1, 0, 2, 5]);
    assert.deepEqual(Array.from(signedPart(v, 'positive')), [0, 0, 0, 2, 5]);
    assert.deepEqual(Array.from(signedPart(v, 'negative')), [-3, -1, 0, 0, 0]);
    assert.deepEqual(Array.from(signedPart(v, 'absolute_value')), [3, 1, 0, 2, 5]);
  });

  it('negative: the threshold is negative and the normalised values land in [0, 1]', () => {
    const r = normalizeAttr(v, 'negative', 0);
    assert.equal(r.threshold, -3);
    // 0 / -3 is -0, as in numpy
    assert.deepEqual(Array.from(r.normalized, (x) => x + 0), [1, 1 / 3, 0, 0, 0].map(Math.fround));
  });

  it('all: values keep their sign in [-1, 1]', () => {
    const r = normalizeAttr(v, 'all', 0);
    assert.equal(r.threshold, 5);
    assert.deepEqual(Array.from(r.normalized), [-0.6, -0.2, 0, 0.4, 1].map(Math.fround));
  });

  it('positive with no positive mass gives an empty map, not NaN', () => {
    const r = normalizeAttr([-1, -2], 'positive');
    assert.equal(r.threshold, 0);
    assert.deepEqual(Array.from(r.normalized), [0, 0]);
  });

  it('MassIndex agrees with sorting each signed part from scratch (property over random maps)', () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    for (let trial = 0; trial < 50; trial++) {
      const n = 1 + (trial * 7) % 300;
      const vals = Float64Array.from({ length: n }, () => (rnd() > 0.8 ? 0 : rnd() ** 3 * 10));
      const mass = new MassIndex(vals);
      for (const s of SIGNS)
        for (const p of [0, 2, 10, 33]) {
          const part = signedPart(vals, s);
          const ref = cumulativeSumThreshold(part.map(Math.abs), 100 - p) * (s === 'negative' ? -1 : 1);
          assert.equal(mass.threshold(s, p), ref, `trial ${trial} ${s} ${p}`);
        }
    }
  });
});

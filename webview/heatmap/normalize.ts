/**
 * Captum's normalisation for `visualize_image_attr` (`captum/attr/_utils/visualization.py`):
 *
 *   _cumulative_sum_threshold(values, percentile):
 *       sorted = sort(values); cum = cumsum(sorted)
 *       return sorted[first i with cum[i] >= cum[-1] * 0.01 * percentile]
 *   _normalize_attr(attr, sign, outlier_perc):
 *       all:            threshold = cst(|attr|, 100 - p)
 *       positive:       attr = (attr > 0) * attr;  threshold = cst(attr, 100 - p)
 *       negative:       attr = (attr < 0) * attr;  threshold = -cst(|attr|, 100 - p)
 *       absolute_value: attr = |attr|;             threshold = cst(attr, 100 - p)
 *       return clip(attr / threshold, -1, 1)
 *
 * `MassIndex` sorts a map once and answers every sign and percentile from that, so display changes
 * never re-sort.
 */

export type Sign = 'positive' | 'negative' | 'absolute_value' | 'all';
export const SIGNS: readonly Sign[] = ['all', 'positive', 'negative', 'absolute_value'];

/** Captum's `_cumulative_sum_threshold` for non-negative values, literally. */
export function cumulativeSumThreshold(values: ArrayLike<number>, percentile: number): number {
  if (!(percentile >= 0 && percentile <= 100)) throw new RangeError('percentile must be in 0..100');
  if (values.length === 0) throw new RangeError('no values');
  const sorted = Float64Array.from(values).sort();
  const cum = cumulativeSums(sorted);
  return sorted[firstAtLeast(cum, cum[cum.length - 1] * 0.01 * percentile)];
}

function cumulativeSums(sorted: Float64Array): Float64Array {
  const cum = new Float64Array(sorted.length);
  let acc = 0;
  for (let i = 0; i < sorted.length; i++) cum[i] = acc += sorted[i];
  return cum;
}

/** First index with `cum[i] >= target` (cum is non-decreasing); the last index if none. */
function firstAtLeast(cum: Float64Array, target: number): number {
  let lo = 0;
  let hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cum[mid] >= target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The map Captum normalises for a sign ("attr_combined" after sign selection). */
export function signedPart(values: ArrayLike<number>, sign: Sign): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = sign === 'all' ? v : sign === 'positive' ? (v > 0 ? v : 0) : sign === 'negative' ? (v < 0 ? v : 0) : Math.abs(v);
  }
  return out;
}

/** Sorted magnitudes and their running sums for each sign, built from one sort of the raw values. */
export class MassIndex {
  private readonly sortedRaw: Float64Array;
  private readonly cache = new Map<'abs' | 'pos' | 'neg', { sorted: Float64Array; cum: Float64Array }>();

  constructor(values: ArrayLike<number>) {
    if (values.length === 0) throw new RangeError('no values');
    this.sortedRaw = Float64Array.from(values).sort();
  }

  /** Captum's threshold for this sign (negative for `negative`); 0 when there is no mass at all. */
  threshold(sign: Sign, outlierPerc: number): number {
    if (!(outlierPerc >= 0 && outlierPerc <= 100)) throw new RangeError('outlier percentage must be in 0..100');
    const kind = sign === 'positive' ? 'pos' : sign === 'negative' ? 'neg' : 'abs';
    const { sorted, cum } = this.magnitudes(kind);
    const t = sorted[firstAtLeast(cum, cum[cum.length - 1] * 0.01 * (100 - outlierPerc))];
    return sign === 'negative' ? -t : t;
  }

  /** The largest magnitude of this sign (negative for `negative`); 0 when there is none. */
  max(sign: Sign): number {
    const { sorted } = this.magnitudes(sign === 'positive' ? 'pos' : sign === 'negative' ? 'neg' : 'abs');
    const m = sorted[sorted.length - 1];
    return sign === 'negative' ? -m : m;
  }

  private magnitudes(kind: 'abs' | 'pos' | 'neg'): { sorted: Float64Array; cum: Float64Array } {
    let m = this.cache.get(kind);
    if (!m) {
      const sorted = kind === 'pos' ? this.positivePart() : kind === 'neg' ? this.negativePart() : this.absolute();
      m = { sorted, cum: cumulativeSums(sorted) };
      this.cache.set(kind, m);
    }
    return m;
  }

  /** (v > 0) · v, sorted: zeros for every non-positive value, then the positives in order. */
  private positivePart(): Float64Array {
    const s = this.sortedRaw;
    const out = new Float64Array(s.length);
    let firstPos = s.length;
    for (let i = 0; i < s.length; i++) if (s[i] > 0) { firstPos = i; break; }
    out.set(s.subarray(firstPos), firstPos);
    return out;
  }

  /** |(v < 0) · v|, sorted: zeros, then the negatives' magnitudes from the one closest to 0. */
  private negativePart(): Float64Array {
    const s = this.sortedRaw;
    let nNeg = 0;
    while (nNeg < s.length && s[nNeg] < 0) nNeg++;
    const out = new Float64Array(s.length);
    const zeros = s.length - nNeg;
    for (let j = 0; j < nNeg; j++) out[zeros + j] = -s[nNeg - 1 - j];
    return out;
  }

  /** |v| sorted: merge the reversed negatives with the non-negatives. */
  private absolute(): Float64Array {
    const s = this.sortedRaw;
    let nNeg = 0;
    while (nNeg < s.length && s[nNeg] < 0) nNeg++;
    const out = new Float64Array(s.length);
    let i = nNeg - 1; // walks negatives towards -∞ (growing magnitude)
    let j = nNeg; // walks non-negatives upwards
    for (let k = 0; k < s.length; k++) {
      if (j >= s.length || (i >= 0 && -s[i] <= s[j])) out[k] = -s[i--];
      else out[k] = s[j++];
    }
    return out;
  }
}

/**
 * Captum's `_normalize_attr` on an already channel-summed map, written into `out` (values in [-1, 1];
 * [0, 1] for every sign but `all`). A zero threshold (no mass of that sign) gives all zeros; Captum
 * would refuse to divide.
 */
export function normalizeWithThreshold(values: ArrayLike<number>, sign: Sign, threshold: number, out: Float32Array = new Float32Array(values.length)): Float32Array {
  if (threshold === 0) {
    out.fill(0);
    return out;
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const part = sign === 'all' ? v : sign === 'positive' ? (v > 0 ? v : 0) : sign === 'negative' ? (v < 0 ? v : 0) : Math.abs(v);
    const n = part / threshold;
    out[i] = n > 1 ? 1 : n < -1 ? -1 : n;
  }
  return out;
}

export function normalizeAttr(values: ArrayLike<number>, sign: Sign, outlierPerc = 2): { normalized: Float32Array; threshold: number } {
  const threshold = new MassIndex(values).threshold(sign, outlierPerc);
  return { normalized: normalizeWithThreshold(values, sign, threshold), threshold };
}

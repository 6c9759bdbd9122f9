/**
 * Descriptive statistics, the one-sample t-test the paper uses for Figure 8A
 * ("mean significantly (p < .01) different from zero") and the paired t-test
 * of Figure 7's differences between classification categories.
 */
import { jStat } from 'jstat';

/** Arithmetic mean; throws on an empty array. */
export function mean(values: ArrayLike<number>): number {
  if (values.length === 0) throw new Error('mean: no values');
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return s / values.length;
}

/** Median (mean of the two middle values for an even count); throws on an empty array. */
export function median(values: ArrayLike<number>): number {
  if (values.length === 0) throw new Error('median: no values');
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Sample standard deviation (n − 1 in the denominator); throws for fewer than 2 values. */
export function sampleSd(values: ArrayLike<number>): number {
  if (values.length < 2) throw new Error(`sampleSd: need at least 2 values, got ${values.length}`);
  const m = mean(values);
  let s = 0;
  for (let i = 0; i < values.length; i++) s += (values[i]! - m) ** 2;
  return Math.sqrt(s / (values.length - 1));
}

/** Result of {@link oneSampleTTest}. */
export interface TTestResult {
  /** Number of values. */
  n: number;
  /** Sample mean. */
  mean: number;
  /** Sample standard deviation (n − 1). */
  sd: number;
  /** t = (mean − mu) / (sd / √n). ±Infinity when sd = 0 and mean ≠ mu; NaN when sd = 0 and mean = mu. */
  t: number;
  /** Degrees of freedom, n − 1. */
  df: number;
  /** Two-sided p-value, in [0, 1] (NaN when t is NaN). */
  pValue: number;
}

/**
 * Two-sided one-sample Student t-test of H0: population mean = `mu`
 * (scipy.stats.ttest_1samp). `values` must be finite and at least 2.
 */
export function oneSampleTTest(values: ArrayLike<number>, mu = 0): TTestResult {
  const n = values.length;
  if (n < 2) throw new Error(`oneSampleTTest: need at least 2 values, got ${n}`);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(values[i]!)) throw new Error(`oneSampleTTest: value ${i} is ${values[i]}, expected a finite number`);
  }
  const m = mean(values);
  const sd = sampleSd(values);
  const df = n - 1;
  const t = (m - mu) / (sd / Math.sqrt(n));
  let pValue: number;
  if (Number.isNaN(t)) pValue = NaN;
  else if (!Number.isFinite(t)) pValue = 0;
  // The lower tail keeps precision for large |t| (1 − cdf would round to 0).
  else pValue = Math.min(1, 2 * jStat.studentt.cdf(-Math.abs(t), df));
  return { n, mean: m, sd, t, df, pValue };
}

/**
 * P(X ≥ k) for X the number of successes of independent trials with success
 * probabilities `probabilities` (the Poisson-binomial distribution; the
 * binomial when they are equal), by the exact O(n²) recursion over trials:
 * the one-sided p-value of k successes against those chances. In [0, 1];
 * 1 for k ≤ 0, 0 for k > n.
 */
export function successTailProbability(k: number, probabilities: ArrayLike<number>): number {
  const n = probabilities.length;
  for (let i = 0; i < n; i++) {
    const p = probabilities[i]!;
    if (!(p >= 0 && p <= 1)) throw new Error(`successTailProbability: probability ${i} is ${p}, expected a value in [0, 1]`);
  }
  if (k <= 0) return 1;
  if (k > n) return 0;
  // dist[j]: P(j successes so far).
  let dist = new Float64Array(n + 1);
  dist[0] = 1;
  for (let i = 0; i < n; i++) {
    const p = probabilities[i]!;
    const next = new Float64Array(n + 1);
    for (let j = 0; j <= i; j++) {
      next[j]! += dist[j]! * (1 - p);
      next[j + 1]! += dist[j]! * p;
    }
    dist = next;
  }
  let tail = 0;
  for (let j = n; j >= k; j--) tail += dist[j]!;
  return Math.min(1, tail);
}

/** Standard error of the mean, s.d. (n − 1) / √n; throws for fewer than 2 values. */
export function standardError(values: ArrayLike<number>): number {
  return sampleSd(values) / Math.sqrt(values.length);
}

/**
 * Two-sided paired Student t-test of H0: mean(a − b) = 0
 * (scipy.stats.ttest_rel): the one-sample test of the differences. `a` and
 * `b` pair up by index and must have the same length (at least 2).
 */
export function pairedTTest(a: ArrayLike<number>, b: ArrayLike<number>): TTestResult {
  if (a.length !== b.length) throw new Error(`pairedTTest: ${a.length} values against ${b.length}; a paired test needs equal lengths`);
  return oneSampleTTest(Float64Array.from({ length: a.length }, (_, i) => a[i]! - b[i]!));
}

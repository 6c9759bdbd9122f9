/**
 * Recurrent influence: activity at the last time step minus activity at the
 * first (section 2.3), `[samples, units]` per network. Figure 3C histograms
 * it and reports its mean; Figure 4A correlates it between networks shown the
 * same images (Methods 4.3: "the Pearson correlation coefficient of these
 * values averaged across all images").
 */
import { NumericArray, pearsonR } from './denoising';
import { ActivityShape, checkActivityShape } from './dimensionality';

/** Result of {@link influenceCorrelation}. */
export interface InfluenceCorrelationResult {
  /** Mean of the per-sample correlations over the samples where it is defined, in [-1, 1]; NaN when none is. */
  correlation: number;
  /** Number of samples averaged. */
  samples: number;
  /** Pearson r over units for each sample, `[samples]`: NaN where either influence is constant over units. */
  perSample: Float64Array;
}

/**
 * Figure 4A: for each sample, the Pearson correlation over units between two
 * networks' recurrent influences `a` and `b` (row-major `[samples, units]`,
 * same samples and units in the same order), averaged over samples.
 *
 * A sample whose influence is constant over units in either network (e.g.
 * recurrence changed nothing) has no correlation; it is left out of the mean
 * and reported as NaN in `perSample`.
 *
 * Plain float64 loops ({@link pearsonR} per row), not the tensor backend:
 * there is no product to speed up, only row sums, and for 2000 × 25088
 * float32 inputs the loops take 0.2 s where the float32 tensor route took
 * 2 s and was off by up to 6e-6 (float32 sums of 25088 terms).
 */
export function influenceCorrelation(a: NumericArray, b: NumericArray, shape: ActivityShape): InfluenceCorrelationResult {
  checkActivityShape('influenceCorrelation', a, shape, 'a');
  checkActivityShape('influenceCorrelation', b, shape, 'b');
  const { samples: n, units: p } = shape;
  if (p < 2) throw new Error(`influenceCorrelation: need at least 2 units, got [samples ${n}, units ${p}]`);
  const perSample = Float64Array.from({ length: n }, (_, s) => pearsonR(a.subarray(s * p, (s + 1) * p), b.subarray(s * p, (s + 1) * p)));
  let sum = 0;
  let count = 0;
  for (const r of perSample) {
    if (Number.isNaN(r)) continue;
    sum += r;
    count++;
  }
  return { correlation: count ? sum / count : NaN, samples: count, perSample };
}

/** Result of {@link influenceStats}. */
export interface InfluenceStats {
  /** Number of entries (samples × units). */
  entries: number;
  /** Mean over all entries: Figure 3C's "mean influence". */
  mean: number;
  /** Standard deviation over all entries (n − 1). */
  sd: number;
  /** Smallest entry. */
  min: number;
  /** Largest entry. */
  max: number;
}

/**
 * Summary of one network's recurrent influence (row-major
 * `[samples, units]`) over all its entries, for Figure 3C. Plain float64 sums
 * (two passes), as in {@link influenceCorrelation}: a reduction over ~10⁷
 * entries, which a float32 sum would round to ~1e-4.
 */
export function influenceStats(influence: NumericArray, shape: ActivityShape): InfluenceStats {
  checkActivityShape('influenceStats', influence, shape, 'influence');
  const entries = influence.length;
  if (entries < 2) throw new Error(`influenceStats: need at least 2 entries, got [samples ${shape.samples}, units ${shape.units}]`);
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < entries; i++) {
    const v = influence[i]!;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = sum / entries;
  let ss = 0;
  for (let i = 0; i < entries; i++) ss += (influence[i]! - mean) ** 2;
  return { entries, mean, sd: Math.sqrt(ss / (entries - 1)), min, max };
}

/** Options for {@link histogram}. */
export interface HistogramOptions {
  /** Number of equal-width bins (default 50). */
  bins?: number;
  /** Left edge of the first bin (default: the smallest value). */
  min?: number;
  /** Right edge of the last bin (default: the largest value). */
  max?: number;
}

/** Result of {@link histogram}. */
export interface HistogramResult {
  /** Values per bin, `[bins]`. */
  counts: Uint32Array;
  /** Bin edges, `[bins + 1]`: bin i is [edges[i], edges[i + 1]), the last one closed. */
  edges: Float64Array;
  /** Values not counted: outside [min, max], or NaN. */
  outside: number;
}

/** The histogram's range: the given edges, else the data's extremes (± 0.5 when they are equal). */
function histogramRange(values: ArrayLike<number>, min: number | undefined, max: number | undefined): [number, number] {
  let lo = min;
  let hi = max;
  if (lo === undefined || hi === undefined) {
    let vmin = Infinity;
    let vmax = -Infinity;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v < vmin) vmin = v;
      if (v > vmax) vmax = v;
    }
    if (vmin > vmax) throw new Error('histogram: no finite values and no range given');
    lo ??= vmin;
    hi ??= vmax;
    if (lo === hi) {
      lo -= 0.5;
      hi += 0.5;
    }
  }
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi)) throw new Error(`histogram: need finite min < max, got [${lo}, ${hi}]`);
  return [lo, hi];
}

/**
 * Histogram of `values` over equal-width bins from `min` to `max`, with
 * numpy's conventions (`np.histogram(values, bins, (min, max))`): bins are
 * half-open except the last, which includes `max`; values outside are not
 * counted (reported in `outside`). When all values are equal and no range is
 * given, the range is value ± 0.5, as numpy does.
 */
export function histogram(values: ArrayLike<number>, options: HistogramOptions = {}): HistogramResult {
  const { bins = 50 } = options;
  if (!(Number.isInteger(bins) && bins >= 1)) throw new Error(`histogram: bins must be a positive integer, got ${bins}`);
  const [lo, hi] = histogramRange(values, options.min, options.max);
  const width = (hi - lo) / bins;
  const edges = Float64Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : lo + i * width));
  const counts = new Uint32Array(bins);
  let outside = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(v >= lo && v <= hi)) {
      outside++;
      continue;
    }
    let b = Math.min(bins - 1, Math.floor((v - lo) / width));
    // The computed index can be one off next to an edge; the edges decide, as in numpy.
    if (v < edges[b]!) b--;
    else if (b < bins - 1 && v >= edges[b + 1]!) b++;
    counts[b]!++;
  }
  return { counts, edges, outside };
}

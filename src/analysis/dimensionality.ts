/**
 * Layer dimensionality as the participation ratio of Methods 4.3, equation 2:
 *
 *   PR = (Σ_i v_i)² / Σ_i v_i²
 *
 * with v_i the variance explained by the i-th principal component of activity
 * `[samples, units]`, and cross-layer dimensionality, the same ratio of the
 * singular values of the covariance between two layers.
 *
 * Preprocessing (Methods 4.3: "centered and normalized to unit norm"; 4.4:
 * "normalized each voxel to have 0 mean and unit norm"): each unit is centred
 * over samples and, by default, scaled to unit L2 norm over samples, so the PCA
 * is of the correlation matrix and every non-constant unit weighs the same.
 * Units with zero variance stay zero (they add no dimension). A single global
 * scale factor would not change PR, so per-unit scaling is the only reading
 * under which "unit norm" matters; pass `unitNorm: false` for plain covariance
 * PCA.
 *
 * No eigendecomposition is needed for PR: with X the preprocessed `[n, p]`
 * matrix, the covariance C ∝ XᵀX and the Gram matrix G = XXᵀ share their
 * non-zero eigenvalues, so
 *
 *   PR = (tr C)² / tr(C²) = (tr G)² / ‖G‖_F²
 *
 * and whichever of the two is smaller (n×n or p×p) is formed, at
 * O(n·p·min(n, p)) cost, on the tensor backend (see ./gram). The means and
 * norms of the preprocessing are float64; the Gram entries carry float32
 * rounding, which puts PR within ~1e-7 relative of a float64 computation.
 */
import { Rng } from '../random';
import type { NumericArray } from './denoising';
import { symmetricEigenvalues } from './eigh';
import { GRAM_RANK_TOLERANCE, innerProducts, matrixVectors, pivotedCholesky } from './gram';

/** Shape `[samples, units]` of activity data. */
export interface ActivityShape {
  /** Number of samples (images, or stimulus conditions): rows. */
  samples: number;
  /** Number of units (or voxels): columns. */
  units: number;
}

/** Options for {@link participationRatio} and {@link preprocessActivity}. */
export interface ParticipationRatioOptions {
  /** Scale each centred unit to unit L2 norm over samples (default true, as in the paper). */
  unitNorm?: boolean;
}

/**
 * Throws, naming `fn` and the argument, unless `shape` is a positive integer
 * `[samples, units]` matching `data`'s length.
 */
export function checkActivityShape(fn: string, data: ArrayLike<number>, shape: ActivityShape, arg = 'data'): void {
  const { samples, units } = shape;
  if (!Number.isInteger(samples) || !Number.isInteger(units) || samples < 1 || units < 1) {
    throw new Error(`${fn}: shape of ${arg} must be positive integers, got [samples ${samples}, units ${units}]`);
  }
  if (data.length !== samples * units) {
    throw new Error(`${fn}: ${arg} has ${data.length} values, expected [samples ${samples}, units ${units}] = ${samples * units}`);
  }
}

/** Options for {@link activityScaling}. */
export interface ActivityScalingOptions extends ParticipationRatioOptions {
  /** Subtract each unit's mean over samples (default true). */
  centre?: boolean;
}

/** Per-unit affine map of the preprocessing: x ↦ (x − mean) · scale. */
export interface ActivityScaling {
  /** Mean of each unit over samples (0 when not centring), `[units]`. */
  mean: Float64Array;
  /** 1 / L2 norm of each centred unit (0 for a constant unit), or 1 without `unitNorm`, `[units]`. */
  scale: Float64Array;
  /** Sum over samples of each unit's squared (centred) values before scaling, `[units]`. */
  sumSquares: Float64Array;
}

/**
 * The preprocessing of row-major `[samples, units]` data as a per-unit map,
 * in float64: centre (unless `centre` is false) and scale to unit L2 norm
 * (unless `unitNorm` is false). A unit whose spread is at most 1e-12 of its
 * mean · √samples counts as constant and gets scale 0.
 */
export function activityScaling(data: NumericArray, shape: ActivityShape, options: ActivityScalingOptions = {}): ActivityScaling {
  const { centre = true, unitNorm = true } = options;
  checkActivityShape('activityScaling', data, shape);
  const { samples: n, units: p } = shape;
  const mean = new Float64Array(p);
  if (centre) {
    for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) mean[j]! += data[i * p + j]!;
    for (let j = 0; j < p; j++) mean[j]! /= n;
  }
  const sumSquares = new Float64Array(p);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) {
      const v = data[i * p + j]! - mean[j]!;
      sumSquares[j]! += v * v;
    }
  }
  const scale = new Float64Array(p).fill(1);
  if (unitNorm) {
    for (let j = 0; j < p; j++) {
      const norm = Math.sqrt(sumSquares[j]!);
      // Relative threshold: a unit whose spread is rounding noise counts as constant.
      const ref = Math.abs(mean[j]!) * Math.sqrt(n);
      scale[j] = norm > 0 && norm > 1e-12 * ref ? 1 / norm : 0;
    }
  }
  return { mean, scale, sumSquares };
}

/**
 * Centres each unit of row-major `[samples, units]` data over samples and
 * (unless `unitNorm` is false) scales it to unit L2 norm; constant units
 * become 0. Returns a new row-major `[samples, units]` Float64Array.
 */
export function preprocessActivity(data: NumericArray, shape: ActivityShape, options: ParticipationRatioOptions = {}): Float64Array {
  checkActivityShape('preprocessActivity', data, shape);
  const { mean, scale } = activityScaling(data, shape, options);
  const { samples: n, units: p } = shape;
  const x = new Float64Array(n * p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) x[i * p + j] = (data[i * p + j]! - mean[j]!) * scale[j]!;
  return x;
}

/**
 * The smaller Gram matrix of row-major `[n, p]` data: `XXᵀ` (`[n, n]`) when
 * n ≤ p, else `XᵀX` (`[p, p]`). Both have the same non-zero eigenvalues.
 * Plain float64 loops: the reference the tensor-backend {@link activityGram}
 * is tested against; too slow for layer-sized data.
 */
export function smallGram(x: Float64Array, shape: ActivityShape): { gram: Float64Array; size: number } {
  checkActivityShape('smallGram', x, shape, 'x');
  const { samples: n, units: p } = shape;
  if (n <= p) {
    const g = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      const ri = x.subarray(i * p, (i + 1) * p);
      for (let k = i; k < n; k++) {
        const rk = x.subarray(k * p, (k + 1) * p);
        let s = 0;
        for (let j = 0; j < p; j++) s += ri[j]! * rk[j]!;
        g[i * n + k] = s;
        g[k * n + i] = s;
      }
    }
    return { gram: g, size: n };
  }
  const g = new Float64Array(p * p);
  for (let i = 0; i < n; i++) {
    const r = x.subarray(i * p, (i + 1) * p);
    for (let a = 0; a < p; a++) {
      const ra = r[a]!;
      if (ra === 0) continue;
      const off = a * p;
      for (let b = a; b < p; b++) g[off + b]! += ra * r[b]!;
    }
  }
  for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) g[a * p + b] = g[b * p + a]!;
  return { gram: g, size: p };
}

/** Options for {@link activityGram}. */
export interface ActivityGramOptions extends ActivityScalingOptions {
  /**
   * Which Gram: `'samples'` for `XXᵀ` (`[samples, samples]`), `'units'` for
   * `XᵀX` (`[units, units]`), `'smaller'` (default) for whichever is smaller
   * (samples on a tie).
   */
  side?: 'samples' | 'units' | 'smaller';
}

/**
 * Gram matrix of row-major `[samples, units]` activity after the preprocessing
 * of {@link activityScaling}, on the tensor backend: `XXᵀ` or `XᵀX` (see
 * `side`), row-major `[size, size]` float64 with float32-rounded entries
 * (~1e-7 relative). Unscaled by n − 1.
 */
export function activityGram(data: NumericArray, shape: ActivityShape, options: ActivityGramOptions = {}): { gram: Float64Array; size: number } {
  const { side = 'smaller', ...scaling } = options;
  checkActivityShape('activityGram', data, shape);
  const { samples: n, units: p } = shape;
  const { mean, scale } = activityScaling(data, shape, scaling);
  const bySamples = side === 'samples' || (side === 'smaller' && n <= p);
  const vectors = matrixVectors(data, n, p, bySamples ? 'rows' : 'columns', { offset: mean, scale });
  return { gram: innerProducts(vectors), size: vectors.count };
}

/**
 * Equation 2 from PC variances (or any non-negative eigenvalues) `v`: between
 * 1 and the number of non-zero values. Throws when all are zero.
 */
export function participationRatioFromVariances(v: ArrayLike<number>): number {
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < v.length; i++) {
    s += v[i]!;
    s2 += v[i]! * v[i]!;
  }
  if (!(s2 > 0)) throw new Error('participationRatioFromVariances: all variances are zero');
  return (s * s) / s2;
}

/**
 * Participation ratio (equation 2) of row-major `data` of shape
 * `[samples, units]`, after the preprocessing described at the top of this
 * file. Between 1 and min(samples − 1, units) (up to float32 rounding of the
 * Gram entries, ~1e-7 relative); e.g. ≈ units for isotropic data with
 * samples ≫ units, 1 for rank-1 data. Throws when every unit is constant.
 */
export function participationRatio(data: NumericArray, shape: ActivityShape, options: ParticipationRatioOptions = {}): number {
  checkActivityShape('participationRatio', data, shape);
  const { gram, size } = activityGram(data, shape, options);
  let trace = 0;
  let frob2 = 0;
  for (let i = 0; i < size; i++) trace += gram[i * size + i]!;
  for (let i = 0; i < gram.length; i++) frob2 += gram[i]! * gram[i]!;
  if (!(frob2 > 0)) throw new Error(`participationRatio: every unit is constant over the ${shape.samples} samples`);
  return (trace * trace) / frob2;
}

/** Options for {@link layerFactor}. */
export interface LayerFactorOptions extends ParticipationRatioOptions {
  /**
   * A layer with more units than samples is represented through its Gram
   * matrix; pivots of its Cholesky factor at or below this fraction of the
   * largest diagonal entry are taken as zero (float32 rounding noise, see
   * `GRAM_RANK_TOLERANCE`).
   */
  rankTolerance?: number;
}

/**
 * A layer's activity over some samples, reduced to what cross-layer
 * dimensionality needs: a factor F (`[samples, rank]`) of its preprocessed
 * activity X with FFᵀ = XXᵀ. Build it once with {@link layerFactor} and pair
 * it with several other layers' factors.
 */
export interface LayerFactor {
  /** Number of samples (rows of the factor). */
  samples: number;
  /** Columns of the factor. */
  rank: number;
  /** F, row-major `[samples, rank]`, float64. */
  factor: Float64Array;
  /** Participation ratio (equation 2) of the layer over these samples, from the Gram matrix the factor came from. */
  participationRatio: number;
}

/**
 * The {@link LayerFactor} of row-major `[samples, units]` activity after the
 * preprocessing of {@link participationRatio}. With no more non-constant
 * units than samples, F is X itself (those units). Otherwise F is the pivoted
 * Cholesky factor of the Gram matrix XXᵀ (`[samples, samples]`, on the tensor
 * backend, centred again in float64), cut at its
 * numerical rank (`rankTolerance`): X = U S Vᵀ gives F = U S W for some W
 * with orthonormal columns, so FxᵀFy = WxᵀSxUxᵀUySyWy has the singular values
 * of XᵀY (`VxᵀXᵀYVy`). Cost: the Gram matrix, then ~samples³/6 multiply-adds
 * in float64. Throws when every unit is constant.
 */
export function layerFactor(data: NumericArray, shape: ActivityShape, options: LayerFactorOptions = {}): LayerFactor {
  return factorOf('layerFactor', 'data', data, shape, options);
}

function factorOf(fn: string, arg: string, data: NumericArray, shape: ActivityShape, options: LayerFactorOptions): LayerFactor {
  const { unitNorm = true, rankTolerance = GRAM_RANK_TOLERANCE } = options;
  checkActivityShape(fn, data, shape, arg);
  const { samples: n, units: p } = shape;
  const { mean, scale } = activityScaling(data, shape, { unitNorm });
  const constant = () => new Error(`${fn}: every unit of ${arg} is constant over the ${n} samples`);
  const prOf = (gram: Float64Array, size: number) => {
    let trace = 0;
    let frob2 = 0;
    for (let i = 0; i < size; i++) trace += gram[i * size + i]!;
    for (let i = 0; i < gram.length; i++) frob2 += gram[i]! * gram[i]!;
    if (!(frob2 > 0)) throw constant();
    return (trace * trace) / frob2;
  };
  // Constant units (scale 0) add nothing; with no more of the others than samples, X itself is the factor.
  const active: number[] = [];
  for (let j = 0; j < p; j++) if (scale[j] !== 0) active.push(j);
  if (active.length <= n) {
    if (active.length === 0) throw constant();
    const a = active.length;
    const factor = new Float64Array(n * a);
    for (let i = 0; i < n; i++) for (let c = 0; c < a; c++) factor[i * a + c] = (data[i * p + active[c]!]! - mean[active[c]!]!) * scale[active[c]!]!;
    const pr = prOf(innerProducts(matrixVectors(factor, n, a, 'columns')), a);
    return { samples: n, rank: a, factor, participationRatio: pr };
  }
  const gram = innerProducts(matrixVectors(data, n, p, 'rows', { offset: mean, scale }));
  doubleCentre(gram, n);
  const pr = prOf(gram, n);
  const { factor, rank } = pivotedCholesky(gram, n, rankTolerance);
  if (rank === 0) throw constant();
  return { samples: n, rank, factor, participationRatio: pr };
}

/**
 * Centres a symmetric `[n, n]` Gram matrix of centred data again, in place
 * (J G J with J = I − 11ᵀ/n): the data were centred in float64 but the Gram
 * entries carry float32 rounding, which leaves G·1 at ~1e-7 of G instead of 0.
 * A pivoted Cholesky factor would see that as a pivot of order samples × 1e-7
 * of the largest (the all-ones direction adds up the rounding of every entry)
 * and keep a spurious column.
 */
function doubleCentre(g: Float64Array, n: number): void {
  const rowMean = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += g[i * n + j]!;
    rowMean[i] = s / n;
  }
  const grand = rowMean.reduce((a, b) => a + b, 0) / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) g[i * n + j]! += grand - rowMean[i]! - rowMean[j]!;
}

/** Options for {@link crossLayerDimensionality} and {@link crossDimensionalityOfFactors}. */
export interface CrossLayerDimensionalityOptions extends LayerFactorOptions {
  /**
   * Which spectrum enters equation 2: `'singular'` (default), the singular
   * values s_i of the cross-covariance, as the paper writes; `'squared'`, s_i².
   */
  spectrum?: 'singular' | 'squared';
}

/** Result of {@link crossLayerDimensionality}. */
export interface CrossLayerDimensionalityResult {
  /** Participation ratio of the chosen spectrum: between 1 and the number of non-zero singular values. */
  dimensionality: number;
  /** Singular values of the cross-covariance XᵀY / (samples − 1), descending. */
  singularValues: Float64Array;
}

/**
 * Singular values of the cross-covariance of two layers from their factors:
 * those of K = FxᵀFy / (n − 1) (`[rank x, rank y]`, on the tensor backend),
 * as square roots of the eigenvalues of the smaller of KᵀK and KKᵀ, formed
 * and decomposed (values only) in float64. Values at or below 1e-7 of the
 * largest, under the float32 precision of K's entries, are returned as 0.
 */
function crossSingularValues(fx: LayerFactor, fy: LayerFactor): Float64Array {
  const n = fx.samples;
  const k = innerProducts(matrixVectors(fx.factor, n, fx.rank, 'columns'), matrixVectors(fy.factor, n, fy.rank, 'columns'));
  // K is [rx, ry] row-major; M = KᵀK ([ry, ry]) when ry ≤ rx, else KKᵀ ([rx, rx]).
  const [rows, cols] = [fx.rank, fy.rank];
  const size = Math.min(rows, cols);
  const m = new Float64Array(size * size);
  if (cols <= rows) {
    for (let i = 0; i < rows; i++) {
      const row = k.subarray(i * cols, (i + 1) * cols);
      for (let a = 0; a < cols; a++) {
        const ra = row[a]!;
        if (ra === 0) continue;
        const off = a * size;
        for (let b = a; b < cols; b++) m[off + b]! += ra * row[b]!;
      }
    }
  } else {
    for (let a = 0; a < rows; a++) {
      const ra = k.subarray(a * cols, (a + 1) * cols);
      for (let b = a; b < rows; b++) {
        const rb = k.subarray(b * cols, (b + 1) * cols);
        let sum = 0;
        for (let j = 0; j < cols; j++) sum += ra[j]! * rb[j]!;
        m[a * size + b] = sum;
      }
    }
  }
  for (let a = 0; a < size; a++) for (let b = 0; b < a; b++) m[a * size + b] = m[b * size + a]!;
  const eig = symmetricEigenvalues(m, size);
  const top = Math.max(0, eig[size - 1] ?? 0);
  // s ≤ 1e-7 s_max, i.e. λ ≤ 1e-14 λ_max: below what K's float32 entries resolve.
  return Float64Array.from(eig, (v) => (v > 1e-14 * top ? Math.sqrt(v) / (n - 1) : 0)).reverse();
}

/**
 * Cross-layer dimensionality of two layers given as factors over the same
 * samples ({@link layerFactor}); see {@link crossLayerDimensionality}.
 */
export function crossDimensionalityOfFactors(fx: LayerFactor, fy: LayerFactor, options: Pick<CrossLayerDimensionalityOptions, 'spectrum'> = {}): CrossLayerDimensionalityResult {
  const fn = 'crossDimensionalityOfFactors';
  const { spectrum = 'singular' } = options;
  if (fx.samples !== fy.samples) throw new Error(`${fn}: the factors cover different samples (${fx.samples} and ${fy.samples})`);
  for (const [name, f] of [['x', fx], ['y', fy]] as const) {
    if (f.factor.length !== f.samples * f.rank) throw new Error(`${fn}: factor ${name} has ${f.factor.length} values, expected [samples ${f.samples}, rank ${f.rank}]`);
  }
  if (fx.samples < 2) throw new Error(`${fn}: need at least 2 samples, got ${fx.samples}`);
  const singularValues = crossSingularValues(fx, fy);
  if (!(singularValues[0]! > 0)) throw new Error(`${fn}: the cross-covariance of x and y is zero`);
  const values = spectrum === 'squared' ? singularValues.map((s) => s * s) : singularValues;
  return { dimensionality: participationRatioFromVariances(values), singularValues };
}

/**
 * Cross-layer dimensionality (Methods 4.3): the participation ratio of the
 * singular values of the covariance C = XᵀY / (n − 1) between two layers'
 * activity x (`[samples, unitsX]`) and y (`[samples, unitsY]`) over the same
 * samples, each preprocessed as for {@link participationRatio}.
 *
 * Reading of the paper: equation 2 takes the variances v_i of the PCs, which
 * are the singular values of the covariance of one layer; the paper then
 * takes the "participation ratio of these singular values" of the
 * cross-covariance, so s_i enters where v_i did, unsquared (default
 * `spectrum: 'singular'`). With it, the cross-layer dimensionality of a layer
 * with itself is its {@link participationRatio}. `'squared'` uses s_i².
 *
 * Exact on all units (no subsampling; cf.
 * {@link crossLayerDimensionalitySubsampled}): the singular values of C are
 * those of FxᵀFy / (n − 1) for factors F of the two layers
 * ({@link layerFactor}: the data themselves, or a pivoted Cholesky factor of
 * the samples × samples Gram matrix for a layer with more units than
 * samples). Gram pivots below `rankTolerance` of the largest diagonal entry
 * are dropped as float32 noise; each would contribute a spurious singular
 * value of order √(1e-7) of the largest, which matters for an unsquared
 * spectrum. To pair one layer with several others, build its factor once
 * and call {@link crossDimensionalityOfFactors}. Throws when the
 * cross-covariance is zero.
 */
export function crossLayerDimensionality(
  x: NumericArray, xShape: ActivityShape, y: NumericArray, yShape: ActivityShape, options: CrossLayerDimensionalityOptions = {},
): CrossLayerDimensionalityResult {
  const fn = 'crossLayerDimensionality';
  const { spectrum, ...factorOptions } = options;
  checkActivityShape(fn, x, xShape, 'x');
  checkActivityShape(fn, y, yShape, 'y');
  if (xShape.samples !== yShape.samples) {
    throw new Error(`${fn}: x and y must have the same samples, got x [samples ${xShape.samples}, units ${xShape.units}] and y [samples ${yShape.samples}, units ${yShape.units}]`);
  }
  if (xShape.samples < 2) throw new Error(`${fn}: need at least 2 samples, got ${xShape.samples}`);
  const fx = factorOf(fn, 'x', x, xShape, factorOptions);
  const fy = factorOf(fn, 'y', y, yShape, factorOptions);
  try {
    return crossDimensionalityOfFactors(fx, fy, { spectrum });
  } catch (err) {
    throw new Error((err as Error).message.replace('crossDimensionalityOfFactors', fn));
  }
}

/** Options for {@link crossLayerDimensionalitySubsampled}. */
export interface CrossLayerSubsampleOptions extends CrossLayerDimensionalityOptions {
  /** Fraction of each layer's units kept (default 0.2; at least one unit is kept). */
  fraction?: number;
  /** Seed of the unit draw. */
  seed: number;
}

/** Result of {@link crossLayerDimensionalitySubsampled}. */
export interface CrossLayerSubsampleResult extends CrossLayerDimensionalityResult {
  /** Units of x kept, ascending. */
  xUnits: Int32Array;
  /** Units of y kept, ascending. */
  yUnits: Int32Array;
}

/** `round(fraction · units)` (at least 1) of `units` unit indices drawn without replacement from `rng`, ascending. */
export function drawUnits(rng: Rng, units: number, fraction: number): Int32Array {
  const keep = Math.max(1, Math.round(fraction * units));
  return rng.permutation(units).subarray(0, keep).sort();
}

/** Columns `keep` of row-major `[samples, units]` data, as a new `[samples, keep.length]` float64 array. */
export function selectUnits(data: NumericArray, shape: ActivityShape, keep: ArrayLike<number>): Float64Array {
  checkActivityShape('selectUnits', data, shape);
  const { samples: n, units: p } = shape;
  for (let c = 0; c < keep.length; c++) {
    if (!Number.isInteger(keep[c]) || keep[c]! < 0 || keep[c]! >= p) throw new Error(`selectUnits: unit ${keep[c]} outside [0, ${p - 1}]`);
  }
  const m = keep.length;
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let c = 0; c < m; c++) out[i * m + c] = data[i * p + keep[c]!]!;
  return out;
}

/**
 * {@link crossLayerDimensionality} on a random subset of each layer's units,
 * as the paper did to make the SVD affordable ("units were randomly
 * downsampled by 20% for each layer"; read here as keeping 20 %, the
 * `fraction`). The units of x, then those of y, are drawn without replacement
 * from one `Rng(seed)`; `fraction: 1` keeps every unit and gives the exact
 * value. Here the subsample buys little while the kept units still
 * outnumber the samples: the Gram matrices shrink with the units, their
 * samples³ factorisations do not.
 */
export function crossLayerDimensionalitySubsampled(
  x: NumericArray, xShape: ActivityShape, y: NumericArray, yShape: ActivityShape, options: CrossLayerSubsampleOptions,
): CrossLayerSubsampleResult {
  const { fraction = 0.2, seed, ...rest } = options;
  checkActivityShape('crossLayerDimensionalitySubsampled', x, xShape, 'x');
  checkActivityShape('crossLayerDimensionalitySubsampled', y, yShape, 'y');
  if (!(fraction > 0 && fraction <= 1)) throw new Error(`crossLayerDimensionalitySubsampled: fraction must be in (0, 1], got ${fraction}`);
  const rng = new Rng(seed);
  const xUnits = drawUnits(rng, xShape.units, fraction);
  const yUnits = drawUnits(rng, yShape.units, fraction);
  const result = crossLayerDimensionality(
    selectUnits(x, xShape, xUnits), { samples: xShape.samples, units: xUnits.length },
    selectUnits(y, yShape, yUnits), { samples: yShape.samples, units: yUnits.length }, rest);
  return { ...result, xUnits, yUnits };
}

/**
 * Layer dimensionality as the participation ratio of Methods 4.3, equation 2:
 *
 *   PR = (Σ_i v_i)² / Σ_i v_i²
 *
 * with v_i the variance explained by the i-th principal component of activity
 * `[samples, units]`.
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
 * No eigendecomposition is needed: with X the preprocessed `[n, p]` matrix,
 * the covariance C ∝ XᵀX and the Gram matrix G = XXᵀ share their non-zero
 * eigenvalues, so
 *
 *   PR = (tr C)² / tr(C²) = (tr G)² / ‖G‖_F²
 *
 * and whichever of the two is smaller (n×n or p×p) is formed, at
 * O(n·p·min(n, p)) cost. Large layers (units ≫ samples) use the n×n Gram.
 */
import type { NumericArray } from './denoising';

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

function checkShape(fn: string, data: NumericArray, shape: ActivityShape): void {
  const { samples, units } = shape;
  if (!Number.isInteger(samples) || !Number.isInteger(units) || samples < 1 || units < 1) {
    throw new Error(`${fn}: shape must be positive integers, got [samples ${samples}, units ${units}]`);
  }
  if (data.length !== samples * units) {
    throw new Error(`${fn}: data has ${data.length} values, expected [samples ${samples}, units ${units}] = ${samples * units}`);
  }
}

/**
 * Centres each unit of row-major `[samples, units]` data over samples and
 * (unless `unitNorm` is false) scales it to unit L2 norm; constant units
 * become 0. Returns a new row-major `[samples, units]` Float64Array.
 */
export function preprocessActivity(data: NumericArray, shape: ActivityShape, options: ParticipationRatioOptions = {}): Float64Array {
  const { unitNorm = true } = options;
  checkShape('preprocessActivity', data, shape);
  const { samples: n, units: p } = shape;
  const x = Float64Array.from(data);
  const mean = new Float64Array(p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) mean[j]! += x[i * p + j]!;
  for (let j = 0; j < p; j++) mean[j]! /= n;
  const sq = new Float64Array(p);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) {
      const v = x[i * p + j]! - mean[j]!;
      x[i * p + j] = v;
      sq[j]! += v * v;
    }
  }
  if (unitNorm) {
    // Relative threshold: a unit whose spread is rounding noise counts as constant.
    const scale = new Float64Array(p);
    for (let j = 0; j < p; j++) {
      const norm = Math.sqrt(sq[j]!);
      const ref = Math.abs(mean[j]!) * Math.sqrt(n);
      scale[j] = norm > 0 && norm > 1e-12 * ref ? 1 / norm : 0;
    }
    for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) x[i * p + j]! *= scale[j]!;
  }
  return x;
}

/**
 * The smaller Gram matrix of row-major `[n, p]` data: `XXᵀ` (`[n, n]`) when
 * n ≤ p, else `XᵀX` (`[p, p]`). Both have the same non-zero eigenvalues.
 */
export function smallGram(x: Float64Array, shape: ActivityShape): { gram: Float64Array; size: number } {
  checkShape('smallGram', x, shape);
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
 * file. Between 1 and min(samples − 1, units); e.g. ≈ units for isotropic
 * data with samples ≫ units, exactly 1 for rank-1 data. Throws when every unit
 * is constant.
 */
export function participationRatio(data: NumericArray, shape: ActivityShape, options: ParticipationRatioOptions = {}): number {
  checkShape('participationRatio', data, shape);
  const x = preprocessActivity(data, shape, options);
  const { gram, size } = smallGram(x, shape);
  let trace = 0;
  let frob2 = 0;
  for (let i = 0; i < size; i++) trace += gram[i * size + i]!;
  for (let i = 0; i < gram.length; i++) frob2 += gram[i]! * gram[i]!;
  if (!(frob2 > 0)) throw new Error(`participationRatio: every unit is constant over the ${shape.samples} samples`);
  return (trace * trace) / frob2;
}

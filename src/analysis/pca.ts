/**
 * Principal components analysis of activity `[samples, units]`, for the
 * "difference PCs" of Figure 4B-E (PCA of recurrent influences) and the
 * activity spaces of Figures 3 and 6.
 *
 * Layers have far more units than there are samples, so the PCA goes through
 * the n×n Gram matrix of the centred data (tensor backend, ./gram) and its
 * eigendecomposition (ml-matrix, float64): with Xc = U Λ^{1/2} Vᵀ, the axes
 * are Vᵀ = Λ^{-1/2} Uᵀ Xc (one more product on the tensor backend) and the
 * variances Λ / (n − 1). With fewer units than samples the p×p matrix XcᵀXc is
 * decomposed instead. Both match sklearn.decomposition.PCA (full SVD) up to
 * the sign of each axis and float32 rounding of the products (~1e-6).
 */
import * as tf from '@tensorflow/tfjs';
import type { NumericArray } from './denoising';
import { ActivityShape, activityScaling, checkActivityShape } from './dimensionality';
import { eigenSymmetric, GRAM_RANK_TOLERANCE, innerProducts, matrixVectors, numericalRank } from './gram';

/** Options for {@link pca}. */
export interface PcaOptions {
  /**
   * Number of components k. Default: every component the data supports, its
   * numerical rank (at most min(samples − 1, units) when centring). Asking for
   * more than the numerical rank is an error.
   */
  components?: number;
  /**
   * Subtract each unit's mean first (default true, as sklearn). Without it the
   * axes are those of the second-moment matrix XᵀX / (n − 1).
   */
  centre?: boolean;
}

/** Result of {@link pca}. */
export interface PcaResult {
  /** Number of units (columns of `components`). */
  units: number;
  /** Number of components k. */
  k: number;
  /** Mean of each unit over samples, subtracted before projecting (zeros without centring), `[units]`. */
  mean: Float32Array;
  /**
   * The principal axes as unit-norm rows, largest variance first, row-major
   * `[k, units]`. Sign convention: each row's loading of largest magnitude is
   * positive (the first one on a tie).
   */
  components: Float32Array;
  /** Variance explained by each component, with n − 1 (sklearn's `explained_variance_`), `[k]`. */
  variances: Float64Array;
  /** Total variance: the sum over units of their variances (n − 1), whatever k is. */
  totalVariance: number;
  /** `variances / totalVariance` (sklearn's `explained_variance_ratio_`), `[k]`. */
  explainedRatio: Float64Array;
}

/**
 * The factor that scales an axis to unit length with the sign convention of
 * both PCA paths: its largest-magnitude entry positive.
 */
function unitSignScale(row: Float64Array): number {
  let norm = 0;
  let top = 0;
  for (let j = 0; j < row.length; j++) {
    norm += row[j]! * row[j]!;
    if (Math.abs(row[j]!) > Math.abs(row[top]!)) top = j;
  }
  return (row[top]! < 0 ? -1 : 1) / Math.sqrt(norm);
}

/**
 * PCA of row-major `data` of shape `[samples, units]` (at least 2 samples).
 * See {@link PcaResult} for the conventions of the result. Throws when the
 * data are constant or when more components are asked for than the data
 * support (Gram eigenvalues below `GRAM_RANK_TOLERANCE` of the largest are
 * float32 noise; their axes would be noise too).
 */
export function pca(data: NumericArray, shape: ActivityShape, options: PcaOptions = {}): PcaResult {
  const { centre = true, components: requested } = options;
  checkActivityShape('pca', data, shape);
  const { samples: n, units: p } = shape;
  if (n < 2) throw new Error(`pca: need at least 2 samples, got [samples ${n}, units ${p}]`);
  const maxK = Math.min(centre ? n - 1 : n, p);
  if (requested !== undefined && !(Number.isInteger(requested) && requested >= 1 && requested <= maxK)) {
    throw new Error(`pca: components must be an integer in [1, ${maxK}] for data [samples ${n}, units ${p}], got ${requested}`);
  }
  const { mean, sumSquares } = activityScaling(data, shape, { centre, unitNorm: false });
  const totalVariance = sumSquares.reduce((a, b) => a + b, 0) / (n - 1);
  const bySamples = n <= p;
  const centred = matrixVectors(data, n, p, bySamples ? 'rows' : 'columns', { offset: mean });
  const size = centred.count;
  const { values, vectors } = eigenSymmetric(innerProducts(centred), size);
  const rank = Math.min(numericalRank(values, GRAM_RANK_TOLERANCE), maxK);
  if (rank === 0) throw new Error(`pca: the data [samples ${n}, units ${p}] are constant`);
  const k = requested ?? rank;
  if (k > rank) throw new Error(`pca: ${k} components requested but the data [samples ${n}, units ${p}] have numerical rank ${rank}`);

  let axes: Float64Array;
  if (bySamples) {
    // Vᵀ = Λ^{-1/2} Uᵀ Xc: rows of W = Λ^{-1/2} Uᵀ against the columns of Xc.
    const w = new Float64Array(k * n);
    for (let c = 0; c < k; c++) {
      const inv = 1 / Math.sqrt(values[c]!);
      for (let i = 0; i < n; i++) w[c * n + i] = vectors[i * n + c]! * inv;
    }
    axes = innerProducts(matrixVectors(w, k, n, 'rows'), matrixVectors(data, n, p, 'columns', { offset: mean }));
  } else {
    axes = new Float64Array(k * p);
    for (let c = 0; c < k; c++) for (let j = 0; j < p; j++) axes[c * p + j] = vectors[j * p + c]!;
  }
  const components = new Float32Array(k * p);
  for (let c = 0; c < k; c++) {
    const row = axes.subarray(c * p, (c + 1) * p);
    const f = unitSignScale(row);
    for (let j = 0; j < p; j++) components[c * p + j] = row[j]! * f;
  }
  const variances = Float64Array.from(values.subarray(0, k), (v) => v / (n - 1));
  return {
    units: p,
    k,
    mean: Float32Array.from(mean),
    components,
    variances,
    totalVariance,
    explainedRatio: variances.map((v) => v / totalVariance),
  };
}

function checkK(fn: string, result: PcaResult, k: number): void {
  if (!(Number.isInteger(k) && k >= 0 && k <= result.k)) throw new Error(`${fn}: k must be an integer in [0, ${result.k}] (the PCA's components), got ${k}`);
}

/** Fraction of the total variance explained by the first k components, in [0, 1]; 0 for k = 0. */
export function cumulativeExplained(result: PcaResult, k: number): number {
  checkK('cumulativeExplained', result, k);
  let s = 0;
  for (let c = 0; c < k; c++) s += result.explainedRatio[c]!;
  return s;
}

function checkData(fn: string, data: NumericArray, shape: ActivityShape, result: PcaResult, k: number): void {
  checkActivityShape(fn, data, shape);
  if (shape.units !== result.units) throw new Error(`${fn}: data has ${shape.units} units but the PCA has ${result.units}`);
  checkK(fn, result, k);
}

/**
 * Scores of row-major `data` `[samples, units]` on the first k components
 * (default all): `(x − mean) · components[:k]ᵀ`, row-major `[samples, k]`
 * (sklearn's `transform` with k components). Tensor backend.
 */
export function project(data: NumericArray, shape: ActivityShape, result: PcaResult, k = result.k): Float64Array {
  checkData('project', data, shape, result, k);
  const { samples: n, units: p } = shape;
  if (k === 0) return new Float64Array(0);
  return innerProducts(
    matrixVectors(data, n, p, 'rows', { offset: result.mean }),
    matrixVectors(result.components.subarray(0, k * p), k, p, 'rows'));
}

/**
 * Scores of row-major `data` `[samples, units]` on its own first k principal
 * axes (default: every component, the numerical rank), row-major
 * `[samples, k]`: `project(data, shape, pca(data, shape), k)` up to the sign
 * of each column. With no more samples than units they come straight from the
 * Gram matrix of the centred data, Xc = U Λ^{1/2} Vᵀ ⇒ Xc V = U Λ^{1/2},
 * without forming the axes. Every linear function of the centred data is a
 * linear function of all its scores, so a regression that only centres and is
 * unchanged by rotating its features (PLS, least squares) gives the same fit
 * on all the scores as on the data.
 */
export function principalScores(data: NumericArray, shape: ActivityShape, components?: number): Float64Array {
  checkActivityShape('principalScores', data, shape);
  const { samples: n, units: p } = shape;
  if (n > p) {
    const result = pca(data, shape, { components });
    return project(data, shape, result);
  }
  if (n < 2) throw new Error(`principalScores: need at least 2 samples, got [samples ${n}, units ${p}]`);
  if (components !== undefined && !(Number.isInteger(components) && components >= 1 && components <= n - 1)) {
    throw new Error(`principalScores: components must be an integer in [1, ${n - 1}] for data [samples ${n}, units ${p}], got ${components}`);
  }
  const { mean } = activityScaling(data, shape, { unitNorm: false });
  const { values, vectors } = eigenSymmetric(innerProducts(matrixVectors(data, n, p, 'rows', { offset: mean })), n);
  const rank = Math.min(numericalRank(values, GRAM_RANK_TOLERANCE), n - 1);
  if (rank === 0) throw new Error(`principalScores: the data [samples ${n}, units ${p}] are constant`);
  const k = components ?? rank;
  if (k > rank) throw new Error(`principalScores: ${k} components requested but the data [samples ${n}, units ${p}] have numerical rank ${rank}`);
  const scores = new Float64Array(n * k);
  for (let c = 0; c < k; c++) {
    const root = Math.sqrt(values[c]!);
    for (let i = 0; i < n; i++) scores[i * k + c] = vectors[i * n + c]! * root;
  }
  return scores;
}

/** Samples per matMul when reconstructing (bounds the tensor memory to ROWS × units). */
const ROWS = 256;

/**
 * `data` (`[samples, units]`) rebuilt from its first k components: the mean
 * plus the projection onto the top-k axes, `mean + scores[:, :k] ·
 * components[:k]`, the convention of sklearn's
 * `inverse_transform(transform(X))` for a PCA fitted with k components.
 * k = 0 gives the mean in every row. Row-major `[samples, units]`; tensor backend.
 */
export function reconstruct(data: NumericArray, shape: ActivityShape, result: PcaResult, k: number): Float32Array {
  checkData('reconstruct', data, shape, result, k);
  return reconstructions(data, shape, result, [k]);
}

/**
 * {@link reconstruct} at each of an increasing list of component counts `ks`,
 * built incrementally: the scores are projected once and each step adds only
 * the components since the previous count, so the cost is that of one
 * reconstruction with the largest k instead of one per entry (Figure 4D's
 * curve). `visit(k, rebuilt)` receives a buffer that the next step
 * overwrites: copy it to keep it, never modify it. Returns the buffer as the
 * last count left it (so `reconstructions(…, [k])` is `reconstruct(…, k)`).
 * Each entry equals the same reconstruction made alone up to float32
 * rounding of the sums.
 */
export function reconstructions(data: NumericArray, shape: ActivityShape, result: PcaResult, ks: readonly number[], visit: (k: number, rebuilt: Float32Array) => void = () => {}): Float32Array {
  if (ks.length === 0) throw new Error('reconstructions: no component counts given');
  ks.forEach((k, i) => {
    if (!Number.isInteger(k) || (i > 0 && k <= ks[i - 1]!)) throw new Error(`reconstructions: component counts must be increasing integers, got [${ks.join(', ')}]`);
  });
  const kMax = ks.at(-1)!;
  checkData('reconstructions', data, shape, result, ks[0]!);
  checkK('reconstructions', result, kMax);
  const { samples: n, units: p } = shape;
  const scores = project(data, shape, result, kMax);
  const out = new Float32Array(n * p);
  for (let i = 0; i < n; i++) out.set(result.mean, i * p);
  let done = 0;
  for (const k of ks) {
    if (k > done) {
      const width = k - done;
      tf.tidy(() => {
        const axes = tf.tensor2d(result.components.subarray(done * p, k * p), [width, p]);
        for (let s = 0; s < n; s += ROWS) {
          const e = Math.min(n, s + ROWS);
          const block = new Float32Array((e - s) * width);
          for (let r = s; r < e; r++) for (let c = 0; c < width; c++) block[(r - s) * width + c] = scores[r * kMax + done + c]!;
          const rows = tf.matMul(tf.tensor2d(block, [e - s, width]), axes);
          const added = rows.dataSync() as Float32Array;
          rows.dispose();
          const base = s * p;
          for (let j = 0; j < added.length; j++) out[base + j] = out[base + j]! + added[j]!;
        }
      });
      done = k;
    }
    visit(k, out);
  }
  return out;
}

/**
 * The number of components needed to recover `fraction` of a performance gap
 * (Figure 4D/E: "PCs needed to reach 85% of the performance gap").
 *
 * `curve[i]` is the performance with `ks[i]` components (default `ks[i] = i`);
 * `ks` is strictly increasing and starts at 0, so `curve[0]` is the baseline
 * (feedforward performance: no influence added), and the last entry is taken
 * as the full performance. Returns the smallest `ks[i]` with
 *
 *   curve[i] − curve[0] ≥ fraction · (curve[last] − curve[0]),
 *
 * up to 1e-12 of the gap (so that e.g. accuracies 0.5 → 0.6 of a gap 0.5 → 1.0
 * reach 20 % despite rounding), the first crossing even if the curve later
 * dips. NaN when the gap is not
 * positive (recurrence does not improve on the baseline; nothing to recover).
 * `fraction` in (0, 1].
 */
export function componentsFor(curve: ArrayLike<number>, fraction: number, ks?: ArrayLike<number>): number {
  const m = curve.length;
  if (m < 2) throw new Error(`componentsFor: curve needs at least 2 values (baseline and full), got ${m}`);
  if (!(fraction > 0 && fraction <= 1)) throw new Error(`componentsFor: fraction must be in (0, 1], got ${fraction}`);
  if (ks) {
    if (ks.length !== m) throw new Error(`componentsFor: ks has ${ks.length} values, curve ${m}`);
    if (ks[0] !== 0) throw new Error(`componentsFor: ks must start at 0 (the baseline), got ${ks[0]}`);
    for (let i = 1; i < m; i++) if (!(ks[i]! > ks[i - 1]!)) throw new Error(`componentsFor: ks must be strictly increasing, got ${ks[i - 1]} then ${ks[i]}`);
  }
  for (let i = 0; i < m; i++) if (!Number.isFinite(curve[i]!)) throw new Error(`componentsFor: curve[${i}] is ${curve[i]}`);
  const base = curve[0]!;
  const gap = curve[m - 1]! - base;
  if (!(gap > 0)) return NaN;
  const target = fraction * gap - 1e-12 * gap;
  let i = 0;
  while (curve[i]! - base < target) i++;
  return ks ? ks[i]! : i;
}

/** Result of {@link principalAxesFloat64}. */
export interface PrincipalAxes {
  /** Unit-norm principal axes, largest variance first, row-major `[k, units]` (sign as {@link PcaResult.components}). */
  axes: Float64Array;
  /** Variance along each axis (n − 1), `[k]`. */
  variances: Float64Array;
  /** Numerical rank of the centred data (eigenvalues above `GRAM_RANK_TOLERANCE` of the largest). */
  rank: number;
}

/**
 * The top `components` principal axes of row-major `[samples, units]` data
 * (each unit centred, no scaling: scikit-learn's PCA), entirely in float64:
 * the Gram matrix of the smaller side as plain loops, its eigendecomposition
 * (./eigh), and the axes. O(n·p·min(n, p)) in JavaScript, so for the modest
 * inputs of the command line (`repro analyze alignment`), where {@link pca}'s
 * float32 products would limit the agreement with numpy to ~1e-6; the
 * activity analyses use {@link pca}. Without `components`, every axis up to
 * the numerical rank. Throws for constant data or more components than the
 * rank.
 */
export function principalAxesFloat64(data: NumericArray, shape: ActivityShape, options: { components?: number } = {}): PrincipalAxes {
  checkActivityShape('principalAxesFloat64', data, shape);
  const { samples: n, units: p } = shape;
  if (n < 2) throw new Error(`principalAxesFloat64: need at least 2 samples, got [samples ${n}, units ${p}]`);
  const { mean } = activityScaling(data, shape, { unitNorm: false });
  const xc = Float64Array.from({ length: n * p }, (_, k) => data[k]! - mean[k % p]!);
  const bySamples = n <= p;
  const size = bySamples ? n : p;
  const gram = new Float64Array(size * size);
  if (bySamples) {
    for (let i = 0; i < n; i++) {
      const ri = xc.subarray(i * p, (i + 1) * p);
      for (let k = i; k < n; k++) {
        const rk = xc.subarray(k * p, (k + 1) * p);
        let s = 0;
        for (let j = 0; j < p; j++) s += ri[j]! * rk[j]!;
        gram[i * n + k] = gram[k * n + i] = s;
      }
    }
  } else {
    for (let i = 0; i < n; i++) {
      const r = xc.subarray(i * p, (i + 1) * p);
      for (let a = 0; a < p; a++) {
        const ra = r[a]!;
        for (let b = a; b < p; b++) gram[a * p + b]! += ra * r[b]!;
      }
    }
    for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) gram[a * p + b] = gram[b * p + a]!;
  }
  const { values, vectors } = eigenSymmetric(gram, size);
  const rank = Math.min(numericalRank(values, GRAM_RANK_TOLERANCE), n - 1, p);
  if (rank === 0) throw new Error(`principalAxesFloat64: the data [samples ${n}, units ${p}] are constant`);
  const k = options.components ?? rank;
  if (!(Number.isInteger(k) && k >= 1 && k <= rank)) throw new Error(`principalAxesFloat64: components must be an integer in [1, ${rank}] (the numerical rank), got ${k}`);
  const axes = new Float64Array(k * p);
  for (let c = 0; c < k; c++) {
    const row = axes.subarray(c * p, (c + 1) * p);
    // Samples side: axis ∝ Xcᵀ u_c; units side: the eigenvector itself.
    if (bySamples) for (let i = 0; i < n; i++) {
      const u = vectors[i * n + c]!;
      for (let j = 0; j < p; j++) row[j]! += u * xc[i * p + j]!;
    }
    else for (let j = 0; j < p; j++) row[j] = vectors[j * p + c]!;
    const f = unitSignScale(row);
    for (let j = 0; j < p; j++) row[j]! *= f;
  }
  return { axes, variances: Float64Array.from(values.subarray(0, k), (v) => v / (n - 1)), rank };
}

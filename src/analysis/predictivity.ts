/**
 * Neural predictivity as Brain-Score computes it (brain-score/vision: the
 * `regression_correlation` metric, `CrossRegressedCorrelation` with
 * `pls_regression`, and the `internal_consistency` ceiling), in three parts
 * composed by {@link neuralPredictivity}:
 *
 * - the metric, {@link regressionCorrelation}: for each of 10 splits of the
 *   stimuli (90% train, stratified by stimulus category when labels are
 *   given), fit PLS regression with 25 components on the training stimuli,
 *   predict the held-out ones, take Pearson r per neuroid, then the median
 *   over neuroids; the score is the mean over splits and its error the
 *   standard deviation over splits (ddof 0, as xarray's `std`) / √splits;
 * - the ceiling, {@link internalConsistency}: 10 random halvings of the
 *   repetitions; average each half, Pearson r per neuroid between the halves
 *   over stimuli, Spearman-Brown 2r/(1+r), median over neuroids, mean over
 *   halvings;
 * - the ceiled score, {@link ceilScore}: r²/c by default (see there).
 *
 * The PLS is scikit-learn's `PLSRegression(n_components, scale=False)`
 * (centring only): PLS2 by NIPALS with the same power iteration, sign
 * convention and stopping rule (sklearn/cross_decomposition/_pls.py), and
 * predictions with its coefficients W (PᵀW)⁺ Qᵀ. Every function is pure;
 * randomness comes in as a seed.
 */
import { Matrix, pseudoInverse } from 'ml-matrix';
import { Rng } from '../random';
import { type NumericArray, pearsonR } from './denoising';

/** An n-dimensional array: values row-major (C order) and dimensions, outermost first. */
export interface ShapedArray {
  /** Values, row-major. */
  data: NumericArray;
  /** Dimensions, e.g. `[samples, features]`. */
  shape: number[];
}

/** A fitted PLS regression (names follow scikit-learn's attributes). */
export interface PlsModel {
  /** Components extracted: as asked, or fewer when the X or Y residual vanished first. */
  components: number;
  /** Column means of the training X, `[features]`. */
  xMean: Float64Array;
  /** Column means of the training Y, `[targets]` (the intercept). */
  yMean: Float64Array;
  /** X weights W, `[features, components]` (sklearn `x_weights_`). */
  xWeights: Matrix;
  /** Y weights C, `[targets, components]` (sklearn `y_weights_`). */
  yWeights: Matrix;
  /** X loadings P, `[features, components]` (sklearn `x_loadings_`). */
  xLoadings: Matrix;
  /** Y loadings Q, `[targets, components]` (sklearn `y_loadings_`). */
  yLoadings: Matrix;
  /** W (PᵀW)⁺, `[features, components]` (sklearn `x_rotations_`). */
  xRotations: Matrix;
  /** Regression coefficients W (PᵀW)⁺ Qᵀ, `[features, targets]`: Ŷ = (X − xMean)·B + yMean. */
  coefficients: Matrix;
  /** Power iterations per component. */
  iterations: number[];
}

/** Options for {@link fitPls}; the defaults are scikit-learn's. */
export interface FitPlsOptions {
  /** Most power iterations per component (default 500). */
  maxIterations?: number;
  /** Convergence when the squared change of the X weights is below this (default 1e-6). */
  tolerance?: number;
}

const EPS = Number.EPSILON;
/**
 * The X residual counts as exhausted when its Frobenius norm falls below this
 * fraction of the centred X's: further components would fit rounding noise.
 */
const X_RESIDUAL_TOLERANCE = 1e-10;

/** A row-major `[rows, columns]` matrix as a flat array, for the inner loops. */
interface Flat {
  data: Float64Array;
  rows: number;
  columns: number;
}

/** Centred copy of a Matrix and its column means. */
function centre(m: Matrix): { flat: Flat; mean: Float64Array } {
  const { rows, columns } = m;
  const data = Float64Array.from(m.to1DArray());
  const mean = new Float64Array(columns);
  for (let i = 0; i < rows; i++) for (let j = 0; j < columns; j++) mean[j]! += data[i * columns + j]!;
  for (let j = 0; j < columns; j++) mean[j]! /= rows;
  for (let i = 0; i < rows; i++) for (let j = 0; j < columns; j++) data[i * columns + j]! -= mean[j]!;
  return { flat: { data, rows, columns }, mean };
}

/** Aᵀv for A `[n, p]` and v `[n]`. */
function transposeTimes(a: Flat, v: Float64Array): Float64Array {
  const { data, rows, columns } = a;
  const out = new Float64Array(columns);
  for (let i = 0; i < rows; i++) {
    const vi = v[i]!;
    if (vi === 0) continue;
    const off = i * columns;
    for (let j = 0; j < columns; j++) out[j]! += data[off + j]! * vi;
  }
  return out;
}

/** Av for A `[n, p]` and v `[p]`. */
function times(a: Flat, v: Float64Array): Float64Array {
  const { data, rows, columns } = a;
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const off = i * columns;
    let s = 0;
    for (let j = 0; j < columns; j++) s += data[off + j]! * v[j]!;
    out[i] = s;
  }
  return out;
}

/** AᵀB for A `[n, p]` and B `[n, q]`: `[p, q]`. */
function crossProduct(a: Flat, b: Flat): Flat {
  const p = a.columns;
  const q = b.columns;
  const out = new Float64Array(p * q);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < p; j++) {
      const aij = a.data[i * p + j]!;
      if (aij === 0) continue;
      const off = j * q;
      for (let k = 0; k < q; k++) out[off + k]! += aij * b.data[i * q + k]!;
    }
  }
  return { data: out, rows: p, columns: q };
}

/** A −= f · u vᵀ. */
function subtractOuter(a: Flat, u: Float64Array, v: Float64Array, f = 1): void {
  for (let i = 0; i < a.rows; i++) {
    const ui = f * u[i]!;
    if (ui === 0) continue;
    const off = i * a.columns;
    for (let j = 0; j < a.columns; j++) a.data[off + j]! -= ui * v[j]!;
  }
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function scale(v: Float64Array, factor: number): Float64Array {
  for (let i = 0; i < v.length; i++) v[i]! *= factor;
  return v;
}

/**
 * The X weights w of one component by scikit-learn's power method
 * (`_get_first_singular_vectors_power_method`, mode A): start from the first
 * column j of Y that is not ~0, then alternate u = Y c, w ∝ Xᵀu, c ∝ YᵀX w
 * until w (unit norm) changes by less than `tolerance` (squared norm), or
 * after one pass when Y has one column. Only the direction of w matters
 * between steps, so the same sequence comes from w ∝ M c, c ∝ Mᵀ w with
 * M = XᵀY, which `xy` gives when that is cheaper than going through X and Y.
 * sklearn adds eps to two normalisers; that changes w by ~1e-16 relative.
 * Null when every column of Y is ~0 or X is orthogonal to Y.
 */
function xWeights(x: Flat, y: Flat, xy: Flat | null, maxIterations: number, tolerance: number): { w: Float64Array; iterations: number } | null {
  let start = -1;
  for (let j = 0; j < y.columns && start < 0; j++) {
    for (let i = 0; i < y.rows; i++) {
      if (Math.abs(y.data[i * y.columns + j]!) > EPS) {
        start = j;
        break;
      }
    }
  }
  if (start < 0) return null;
  const towardsX = (c: Float64Array) => (xy ? times(xy, c) : transposeTimes(x, times(y, c)));
  const towardsY = (w: Float64Array) => (xy ? transposeTimes(xy, w) : transposeTimes(y, times(x, w)));
  let c = new Float64Array(y.columns);
  c[start] = 1;
  let w = new Float64Array(x.columns);
  let previous: Float64Array | null = null;
  let iteration = 0;
  while (iteration < maxIterations) {
    iteration++;
    w = towardsX(c);
    const norm = Math.sqrt(dot(w, w));
    if (!(norm > 0)) return null;
    scale(w, 1 / norm);
    if (y.columns === 1) break;
    if (previous !== null) {
      let change = 0;
      for (let j = 0; j < w.length; j++) change += (w[j]! - previous[j]!) ** 2;
      if (change < tolerance) break;
    }
    previous = w;
    c = towardsY(w);
  }
  return { w, iterations: iteration };
}

/** The columns `vs` (each `[rows]`) side by side as a `[rows, vs.length]` Matrix. */
function columnsMatrix(vs: Float64Array[], rows: number): Matrix {
  const m = new Matrix(rows, vs.length);
  vs.forEach((v, col) => v.forEach((value, row) => m.set(row, col, value)));
  return m;
}

/**
 * Fits PLS regression (PLS2, NIPALS) of `y` `[samples, targets]` on `x`
 * `[samples, features]` with `components` components, centring both and not
 * scaling: scikit-learn's `PLSRegression(n_components=components,
 * scale=False).fit(x, y)`, step for step (the same start, power iteration,
 * stopping rule, sign convention, deflation and W (PᵀW)⁺ Qᵀ coefficients),
 * so weights, coefficients and predictions agree with it to rounding.
 *
 * One deliberate difference: when the X residual has vanished (its norm below
 * 1e-10 of the centred X's, i.e. X's rank is used up), fitting stops with the
 * components found, where scikit-learn would go on fitting rounding noise.
 * As in scikit-learn, fitting also stops when the Y residual is ~0.
 */
export function fitPls(x: Matrix, y: Matrix, components: number, options: FitPlsOptions = {}): PlsModel {
  const { maxIterations = 500, tolerance = 1e-6 } = options;
  const n = x.rows;
  const p = x.columns;
  const q = y.columns;
  if (y.rows !== n) throw new Error(`fitPls: x has ${n} samples (shape [${n}, ${p}]) but y has ${y.rows} (shape [${y.rows}, ${q}])`);
  if (n < 2) throw new Error(`fitPls: need at least 2 samples, got ${n}`);
  if (!Number.isInteger(components) || components < 1 || components > p) {
    throw new Error(`fitPls: components must be an integer in [1, features ${p}], got ${components}`);
  }
  const { flat: xk, mean: xMean } = centre(x);
  const { flat: yk, mean: yMean } = centre(y);
  // The power iteration costs 2pq per step through M = XᵀY, 2n(p + q) through X and Y.
  const xy = p * q <= n * (p + q) ? crossProduct(xk, yk) : null;
  const xNorm = Math.sqrt(dot(xk.data, xk.data));
  const ws: Float64Array[] = [];
  const cs: Float64Array[] = [];
  const ps: Float64Array[] = [];
  const qs: Float64Array[] = [];
  const iterations: number[] = [];
  for (let k = 0; k < components; k++) {
    if (!(Math.sqrt(dot(xk.data, xk.data)) > X_RESIDUAL_TOLERANCE * xNorm)) break;
    // sklearn zeroes Y columns that are all within 10 eps of 0 before each component.
    for (let j = 0; j < q; j++) {
      let small = true;
      for (let i = 0; i < n && small; i++) small = Math.abs(yk.data[i * q + j]!) < 10 * EPS;
      if (small) {
        for (let i = 0; i < n; i++) yk.data[i * q + j] = 0;
        if (xy) for (let i = 0; i < p; i++) xy.data[i * q + j] = 0;
      }
    }
    const found = xWeights(xk, yk, xy, maxIterations, tolerance);
    if (found === null) break;
    const { w } = found;
    // Sign convention (sklearn `_svd_flip_1d`): the largest |x weight| is positive.
    let biggest = 0;
    for (let j = 1; j < p; j++) if (Math.abs(w[j]!) > Math.abs(w[biggest]!)) biggest = j;
    scale(w, Math.sign(w[biggest]!));
    const t = times(xk, w);
    const tt = dot(t, t);
    // Y weights and Y loadings coincide in regression mode: both are Yₖᵀt / tᵀt.
    const qLoad = scale(transposeTimes(yk, t), 1 / tt);
    const pLoad = scale(transposeTimes(xk, t), 1 / tt);
    subtractOuter(xk, t, pLoad);
    subtractOuter(yk, t, qLoad);
    // Deflating X and Y by t changes XᵀY by −tᵀt · p qᵀ.
    if (xy) subtractOuter(xy, pLoad, qLoad, tt);
    ws.push(w);
    cs.push(qLoad);
    ps.push(pLoad);
    qs.push(qLoad);
    iterations.push(found.iterations);
  }
  const k = ws.length;
  if (k === 0) throw new Error('fitPls: no component could be extracted (X or Y has no variance, or they are orthogonal)');
  const xWeightsM = columnsMatrix(ws, p);
  const xLoadings = columnsMatrix(ps, p);
  const yLoadings = columnsMatrix(qs, q);
  const xRotations = xWeightsM.mmul(pseudoInverse(xLoadings.transpose().mmul(xWeightsM)));
  const coefficients = xRotations.mmul(yLoadings.transpose());
  return { components: k, xMean, yMean, xWeights: xWeightsM, yWeights: columnsMatrix(cs, q), xLoadings, yLoadings, xRotations, coefficients, iterations };
}

/** Predictions `[samples, targets]` of a {@link fitPls} model for `x` `[samples, features]`. */
export function predictPls(model: PlsModel, x: Matrix): Matrix {
  const p = model.xMean.length;
  if (x.columns !== p) throw new Error(`predictPls: x has ${x.columns} features (shape [${x.rows}, ${x.columns}]), the model was fitted on ${p}`);
  const xc = x.clone().subRowVector(model.xMean);
  const prediction = xc.mmul(model.coefficients);
  for (let i = 0; i < prediction.rows; i++) for (let j = 0; j < prediction.columns; j++) prediction.set(i, j, prediction.get(i, j) + model.yMean[j]!);
  return prediction;
}

/** One split of samples (or repetitions) into two disjoint sets, each in ascending order. */
export interface Split {
  /** Training samples (for a halving of repetitions: the first half). */
  train: Int32Array;
  /** Held-out samples (for a halving: the second half). */
  test: Int32Array;
}

/** Options for {@link shuffleSplits}. */
export interface ShuffleSplitOptions {
  /** Number of splits (default 10). */
  splits?: number;
  /** Fraction of samples for training, in (0, 1): floor(trainSize · samples) train, the rest test (default 0.9). */
  trainSize?: number;
  /** Seed of the generator, an integer in [0, 2^32) (default 1). */
  seed?: number;
  /** A category per sample; when given, every class is split in proportion (needs ≥ 2 samples per class). */
  labels?: ArrayLike<number>;
}

/**
 * Per-class draw counts summing to `draws`, in proportion to `counts`: floors
 * first, then one more for the classes with the largest remainders, ties
 * broken at random (scikit-learn's `_approximate_mode`).
 */
function approximateMode(counts: number[], draws: number, rng: Rng): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  const continuous = counts.map((c) => (c * draws) / total);
  const out = continuous.map(Math.floor);
  let need = draws - out.reduce((a, b) => a + b, 0);
  const remainder = continuous.map((c, i) => c - out[i]!);
  const values = [...new Set(remainder)].sort((a, b) => b - a);
  for (const value of values) {
    if (need <= 0) break;
    const tied = remainder.flatMap((r, i) => (r === value ? [i] : []));
    const add = Math.min(tied.length, need);
    const order = rng.permutation(tied.length);
    for (let a = 0; a < add; a++) out[tied[order[a]!]!]!++;
    need -= add;
  }
  return out;
}

const sortedIndices = (values: number[]) => Int32Array.from(values).sort();

/**
 * Random train/test splits of `samples` samples, as Brain-Score's `Split`
 * makes them (scikit-learn `ShuffleSplit`, or `StratifiedShuffleSplit` when
 * `labels` are given): floor(trainSize · samples) training samples, the rest
 * held out. Stratified: per class (classes in ascending order of label), the
 * train counts are drawn by {@link approximateMode}, the rest of the class is
 * held out, and the members taken from a random permutation of the class.
 * Plain: one permutation, its first samples held out, the rest trained on.
 * The generator is our seeded {@link Rng}, so the splits are not
 * scikit-learn's own; pass explicit splits where those matter.
 */
export function shuffleSplits(samples: number, options: ShuffleSplitOptions = {}): Split[] {
  const { splits = 10, trainSize = 0.9, seed = 1, labels } = options;
  if (!Number.isInteger(samples) || samples < 2) throw new Error(`shuffleSplits: need at least 2 samples, got ${samples}`);
  if (!Number.isInteger(splits) || splits < 1) throw new Error(`shuffleSplits: splits must be a positive integer, got ${splits}`);
  if (!(trainSize > 0 && trainSize < 1)) throw new Error(`shuffleSplits: trainSize must be in (0, 1), got ${trainSize}`);
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) throw new Error(`shuffleSplits: seed must be an integer in [0, 2^32), got ${seed}`);
  const nTrain = Math.floor(trainSize * samples);
  const nTest = samples - nTrain;
  if (nTrain < 1) throw new Error(`shuffleSplits: trainSize ${trainSize} of ${samples} samples leaves no training sample`);
  const rng = new Rng(seed);
  const out: Split[] = [];
  if (labels === undefined) {
    for (let s = 0; s < splits; s++) {
      const perm = Array.from(rng.permutation(samples));
      out.push({ train: sortedIndices(perm.slice(nTest)), test: sortedIndices(perm.slice(0, nTest)) });
    }
    return out;
  }
  if (labels.length !== samples) throw new Error(`shuffleSplits: labels has ${labels.length} values, expected one per sample (${samples})`);
  const classes = [...new Set(Array.from(labels))].sort((a, b) => a - b);
  const members = classes.map((c) => Array.from(labels).flatMap((l, i) => (l === c ? [i] : [])));
  const counts = members.map((m) => m.length);
  const smallest = Math.min(...counts);
  if (smallest < 2) {
    throw new Error(`shuffleSplits: label ${classes[counts.indexOf(smallest)]} has only 1 sample; stratified splits need at least 2 per class`);
  }
  if (nTrain < classes.length || nTest < classes.length) {
    throw new Error(`shuffleSplits: ${classes.length} classes but the splits hold ${nTrain} training and ${nTest} test samples; each needs at least one per class`);
  }
  for (let s = 0; s < splits; s++) {
    const trainCounts = approximateMode(counts, nTrain, rng);
    const testCounts = approximateMode(counts.map((c, i) => c - trainCounts[i]!), nTest, rng);
    const train: number[] = [];
    const test: number[] = [];
    members.forEach((m, ci) => {
      const perm = rng.permutation(m.length);
      for (let a = 0; a < trainCounts[ci]!; a++) train.push(m[perm[a]!]!);
      for (let a = trainCounts[ci]!; a < trainCounts[ci]! + testCounts[ci]!; a++) test.push(m[perm[a]!]!);
    });
    out.push({ train: sortedIndices(train), test: sortedIndices(test) });
  }
  return out;
}

/**
 * The most PLS components the data allow: the rank of a centred training set
 * is at most min(features, trainSamples − 1).
 */
export function maxPlsComponents(trainSamples: number, features: number): number {
  return Math.max(0, Math.min(features, trainSamples - 1));
}

/** Median of the non-NaN values (xarray's `median`, which skips NaN); NaN when there are none. */
export function nanMedian(values: ArrayLike<number>): number {
  const sorted = Float64Array.from(Array.from(values).filter((v) => !Number.isNaN(v))).sort();
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Mean and standard deviation (ddof 0) of the non-NaN values; NaN when there are none. */
function nanMeanSd(values: ArrayLike<number>): { mean: number; sd: number } {
  const v = Array.from(values).filter((x) => !Number.isNaN(x));
  if (v.length === 0) return { mean: NaN, sd: NaN };
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
  return { mean, sd };
}

/** Rows `rows` of row-major `[·, columns]` data as a Matrix. */
function rowsMatrix(data: NumericArray, columns: number, rows: ArrayLike<number>): Matrix {
  const m = new Matrix(rows.length, columns);
  for (let a = 0; a < rows.length; a++) {
    const off = rows[a]! * columns;
    for (let j = 0; j < columns; j++) m.set(a, j, data[off + j]!);
  }
  return m;
}

/** Pearson r per column between two `[samples, columns]` matrices (NaN for a constant column). */
function columnCorrelations(a: Matrix, b: Matrix): Float64Array {
  const r = new Float64Array(a.columns);
  for (let j = 0; j < a.columns; j++) r[j] = pearsonR(a.getColumn(j), b.getColumn(j));
  return r;
}

function checkMatrixShape(fn: string, name: string, x: ShapedArray): [number, number] {
  if (x.shape.length !== 2) throw new Error(`${fn}: ${name} must be 2-D, got shape [${x.shape.join(', ')}]`);
  const [rows, columns] = x.shape as [number, number];
  if (x.data.length !== rows * columns) throw new Error(`${fn}: ${name} has ${x.data.length} values, expected shape [${rows}, ${columns}] = ${rows * columns}`);
  return [rows, columns];
}

/** Options for {@link regressionCorrelation}. */
export interface RegressionCorrelationOptions {
  /** The splits of the samples (see {@link shuffleSplits}). */
  splits: Split[];
  /** PLS components, at most {@link maxPlsComponents} of the smallest training set (default: 25, capped at that). */
  components?: number;
}

/** Result of {@link regressionCorrelation}. */
export interface RegressionCorrelationResult {
  /** Mean over splits of the median over neuroids of the held-out Pearson r, in [-1, 1]. */
  score: number;
  /** Standard deviation over splits (ddof 0) / √splits. */
  scoreError: number;
  /** The median r of each split, `[splits]`. */
  perSplit: number[];
  /** Held-out Pearson r per neuroid averaged over splits, `[neuroids]` (NaN where it is undefined in every split). */
  perNeuroid: number[];
  /** PLS components used. */
  components: number;
}

/** The components to use: `requested`, or 25 capped at what `trainSamples` and `features` allow. */
function resolveComponents(fn: string, requested: number | undefined, trainSamples: number, features: number): number {
  const cap = maxPlsComponents(trainSamples, features);
  if (cap < 1) throw new Error(`${fn}: the smallest training set has ${trainSamples} samples; PLS needs at least 2`);
  if (requested === undefined) return Math.min(25, cap);
  if (!Number.isInteger(requested) || requested < 1 || requested > cap) {
    throw new Error(`${fn}: components must be an integer in [1, ${cap}] (min(features ${features}, smallest training set ${trainSamples} − 1)), got ${requested}`);
  }
  return requested;
}

/**
 * Brain-Score's `regression_correlation` (PLS) metric: predicts `responses`
 * `[samples, neuroids]` from `features` `[samples, features]` (same samples,
 * same order), fitting on each split's training samples and correlating on
 * its held-out ones. Features and responses are used as given; the PLS only
 * centres them.
 */
export function regressionCorrelation(features: ShapedArray, responses: ShapedArray, options: RegressionCorrelationOptions): RegressionCorrelationResult {
  const fn = 'regressionCorrelation';
  const [n, p] = checkMatrixShape(fn, 'features', features);
  const [nr, q] = checkMatrixShape(fn, 'responses', responses);
  if (nr !== n) throw new Error(`${fn}: features have ${n} samples (shape [${features.shape.join(', ')}]) but responses have ${nr} (shape [${responses.shape.join(', ')}])`);
  const { splits } = options;
  if (splits.length === 0) throw new Error(`${fn}: no splits`);
  for (const [s, split] of splits.entries()) {
    for (const i of [...split.train, ...split.test]) if (!(i >= 0 && i < n)) throw new Error(`${fn}: split ${s} has sample index ${i}, outside [0, ${n})`);
    if (split.test.length < 3) throw new Error(`${fn}: split ${s} holds out ${split.test.length} samples; Pearson r needs at least 3`);
  }
  const smallestTrain = Math.min(...splits.map((s) => s.train.length));
  const components = resolveComponents(fn, options.components, smallestTrain, p);
  const perSplit: number[] = [];
  const perNeuroidSplits: Float64Array[] = [];
  for (const split of splits) {
    const model = fitPls(rowsMatrix(features.data, p, split.train), rowsMatrix(responses.data, q, split.train), components);
    const prediction = predictPls(model, rowsMatrix(features.data, p, split.test));
    const r = columnCorrelations(prediction, rowsMatrix(responses.data, q, split.test));
    perNeuroidSplits.push(r);
    perSplit.push(nanMedian(r));
  }
  const { mean, sd } = nanMeanSd(perSplit);
  const perNeuroid = Array.from({ length: q }, (_, j) => nanMeanSd(perNeuroidSplits.map((r) => r[j]!)).mean);
  return { score: mean, scoreError: sd / Math.sqrt(splits.length), perSplit, perNeuroid, components };
}

/** Result of {@link internalConsistency}. */
export interface InternalConsistencyResult {
  /** Mean over halvings of the median over neuroids of the Spearman-Brown-corrected split-half r; at most 1. */
  ceiling: number;
  /** Standard deviation over halvings (ddof 0) / √halvings. */
  ceilingError: number;
  /** The median corrected r of each halving, `[halvings]`. */
  perHalving: number[];
}

/**
 * Brain-Score's `internal_consistency` ceiling of `responses`
 * `[repetitions, samples, neuroids]`: for each halving of the repetitions
 * (a {@link Split} of repetition indices, e.g. `shuffleSplits(repetitions,
 * { trainSize: 0.5 })`, which puts floor(R/2) repetitions in the first half),
 * average each half over its repetitions, take Pearson r per neuroid between
 * the halves over samples, correct it with Spearman-Brown 2r/(1 + r), take the
 * median over neuroids (NaN skipped); then the mean over halvings.
 */
export function internalConsistency(responses: ShapedArray, halvings: Split[]): InternalConsistencyResult {
  const fn = 'internalConsistency';
  if (responses.shape.length !== 3) throw new Error(`${fn}: responses must be 3-D [repetitions, samples, neuroids], got shape [${responses.shape.join(', ')}]`);
  const [reps, n, q] = responses.shape as [number, number, number];
  if (responses.data.length !== reps * n * q) throw new Error(`${fn}: responses have ${responses.data.length} values, expected [${reps}, ${n}, ${q}]`);
  if (halvings.length === 0) throw new Error(`${fn}: no halvings`);
  const halfMean = (which: Int32Array, s: number) => {
    if (which.length === 0) throw new Error(`${fn}: halving ${s} has an empty half`);
    const m = new Matrix(n, q);
    for (const r of which) {
      if (!(r >= 0 && r < reps)) throw new Error(`${fn}: halving ${s} has repetition ${r}, outside [0, ${reps})`);
      const off = r * n * q;
      for (let i = 0; i < n; i++) for (let j = 0; j < q; j++) m.set(i, j, m.get(i, j) + responses.data[off + i * q + j]!);
    }
    return m.div(which.length);
  };
  const perHalving = halvings.map((h, s) => {
    const r = columnCorrelations(halfMean(h.train, s), halfMean(h.test, s));
    return nanMedian(r.map((v) => (2 * v) / (1 + v)));
  });
  const { mean, sd } = nanMeanSd(perHalving);
  return { ceiling: mean, ceilingError: sd / Math.sqrt(halvings.length), perHalving };
}

/**
 * How a score r is normalised by a ceiling c:
 * - `'r2/c'`: r² / c, the explained variance as a fraction of the explainable
 *   variance. The Spearman-Brown split-half consistency c is a reliability,
 *   itself a fraction of variance: a noise-free model of the true signal
 *   reaches r = √c against noisy data, so r²/c = 1 for it. Brain-Score
 *   uses this since January 2026 (brain-score/vision PR #2169).
 * - `'(r/c)^2'`: (r / c)², Brain-Score 1.x and vision 2.0 (`explained_variance`
 *   in `benchmark_helpers/neural_common.py`) until then, the formula behind
 *   published numbers of that time (Azeglio et al. 2022 among them). It treats
 *   c as a correlation and gives the noise-free model 1/c > 1.
 */
export type CeilingFormula = 'r2/c' | '(r/c)^2';

/** The ceiled score of raw score `r` under ceiling `c` (see {@link CeilingFormula}); NaN when c ≤ 0. Squares lose r's sign. */
export function ceilScore(r: number, c: number, formula: CeilingFormula = 'r2/c'): number {
  if (!(c > 0)) return NaN;
  return formula === 'r2/c' ? (r * r) / c : (r / c) ** 2;
}

/** Options for {@link neuralPredictivity}. */
export interface NeuralPredictivityOptions {
  /** A stimulus category per sample; splits are stratified by it (default: plain random splits; unused with `splitIndices`). */
  labels?: ArrayLike<number>;
  /** PLS components (default 25, capped at {@link maxPlsComponents} of the training set; a larger explicit value throws). */
  components?: number;
  /** Number of splits of the samples (default 10). */
  splits?: number;
  /** Seed of the splits and of the halvings of the repetitions (default 1, Brain-Score's `random_state`). */
  seed?: number;
  /** Explicit splits of the samples, instead of drawing `splits` of them from `seed`. */
  splitIndices?: Split[];
  /** Number of halvings of the repetitions for the ceiling (default 10). */
  halvings?: number;
  /** Explicit halvings of the repetition indices, instead of drawing them from `seed`. */
  halvingIndices?: Split[];
  /** How the score is ceiled (default `'r2/c'`). */
  ceilingFormula?: CeilingFormula;
}

/** Result of {@link neuralPredictivity}. */
export interface NeuralPredictivityResult {
  /** Raw score: mean over splits of the median over neuroids of the held-out Pearson r, in [-1, 1]. */
  score: number;
  /** Standard deviation of the split scores (ddof 0) / √splits. */
  scoreError: number;
  /** Internal-consistency ceiling; null without repetitions. */
  ceiling: number | null;
  /** `score` ceiled by `ceiling` (see {@link CeilingFormula}); null without repetitions, NaN when the ceiling is ≤ 0. */
  ceiledScore: number | null;
  /** Held-out Pearson r per neuroid averaged over splits, `[neuroids]`. */
  perNeuroid: number[];
  /** PLS components used. */
  components: number;
}

/**
 * Brain-Score-style neural predictivity of `responses` from model `features`
 * `[samples, features]`. `responses` are `[samples, neuroids]`, or
 * `[repetitions, samples, neuroids]`, in which case the score is computed on
 * the mean over repetitions and the ceiling from the repetitions.
 * Splits: `splitIndices`, or `splits` drawn by {@link shuffleSplits} with
 * train size 0.9 from `seed` (stratified by `labels` when given); halvings:
 * `halvingIndices`, or `halvings` drawn with train size 0.5 from a fresh
 * generator with the same seed (Brain-Score seeds both with random_state 1).
 */
export function neuralPredictivity(features: ShapedArray, responses: ShapedArray, options: NeuralPredictivityOptions = {}): NeuralPredictivityResult {
  const fn = 'neuralPredictivity';
  const { labels, components, splits = 10, seed = 1, halvings = 10, ceilingFormula = 'r2/c' } = options;
  const [n] = checkMatrixShape(fn, 'features', features);
  let averaged: ShapedArray;
  if (responses.shape.length === 3) {
    const [reps, nr, q] = responses.shape as [number, number, number];
    if (responses.data.length !== reps * nr * q) throw new Error(`${fn}: responses have ${responses.data.length} values, expected [${reps}, ${nr}, ${q}]`);
    const mean = new Float64Array(nr * q);
    for (let r = 0; r < reps; r++) for (let k = 0; k < nr * q; k++) mean[k]! += responses.data[r * nr * q + k]!;
    for (let k = 0; k < nr * q; k++) mean[k]! /= reps;
    averaged = { data: mean, shape: [nr, q] };
  } else if (responses.shape.length === 2) {
    averaged = responses;
  } else {
    throw new Error(`${fn}: responses must be [samples, neuroids] or [repetitions, samples, neuroids], got shape [${responses.shape.join(', ')}]`);
  }
  const splitIndices = options.splitIndices ?? shuffleSplits(n, { splits, trainSize: 0.9, seed, labels });
  const metric = regressionCorrelation(features, averaged, { splits: splitIndices, components });
  let ceiling: number | null = null;
  let ceiledScore: number | null = null;
  if (responses.shape.length === 3) {
    const reps = responses.shape[0]!;
    if (reps < 2) throw new Error(`${fn}: the ceiling needs at least 2 repetitions, got ${reps}`);
    const halvingIndices = options.halvingIndices ?? shuffleSplits(reps, { splits: halvings, trainSize: 0.5, seed });
    ceiling = internalConsistency(responses, halvingIndices).ceiling;
    ceiledScore = ceilScore(metric.score, ceiling, ceilingFormula);
  }
  return { score: metric.score, scoreError: metric.scoreError, ceiling, ceiledScore, perNeuroid: metric.perNeuroid, components: metric.components };
}

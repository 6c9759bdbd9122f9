/**
 * Principal angles between subspaces, and the subspace alignment of Figure
 * 4C/E: "the cosine of the average of the principal angles" between the spans
 * of two networks' top difference PCs; 0 is unaligned, 1 aligned.
 *
 * Bases are sets of k vectors of length `units`, given in one of two layouts:
 * `'columns'` (default), row-major `[units, k]` with one vector per column,
 * the A of scipy.linalg.subspace_angles; `'rows'`, row-major `[k, units]`
 * with one vector per row, as `pca().components` (a prefix of rows is then a
 * subarray: `components.subarray(0, 200 * units)` is the top-200 basis).
 *
 * Method: each basis is orthonormalised through its Gram matrix: with
 * AᵀA = V Λ Vᵀ, Q = A V Λ^{-1/2} is an orthonormal basis of span(A) (what
 * scipy's `orth` computes through the SVD of A); this is done twice, the
 * second time from Q, to restore orthonormality lost to rounding (the
 * CholeskyQR2 idea). The cosines of the principal angles are the singular
 * values of QaᵀQb. The Gram matrices, the products A·W and QaᵀQb run on the
 * tensor backend (float32 products, long sums in float64 chunks, ./gram); the
 * k×k eigen- and singular value decompositions are ml-matrix's, in float64.
 * This replaces a Householder QR of the bases: ml-matrix's takes ~20 s for
 * one 25088 × 200 basis, where the whole of principalAngles for two such
 * bases takes ~2.5 s (wasm, one thread).
 *
 * Accuracy: the products carry float32 rounding (~1e-7 relative), so the
 * cosines are good to ~1e-7 · cond(A) and an angle θ to ~1e-7 / sin θ: angles
 * below ~1e-3 rad are not resolved (a subspace against itself gives angles of
 * order 1e-4-1e-3 rather than 0; its alignment is still 1 to ~1e-6). scipy's
 * arcsin route for small angles would not help, as the sines would come from
 * the same float32 products.
 */
import * as tf from '@tensorflow/tfjs';
import { Matrix, SVD } from 'ml-matrix';
import type { NumericArray } from './denoising';
import { eigenSymmetric, innerProducts, matrixVectors, VectorChunks } from './gram';

/** Shape of a basis: `vectors` vectors of length `units`. */
export interface BasisShape {
  /** Length of each basis vector (the ambient dimension). */
  units: number;
  /** Number of basis vectors k. */
  vectors: number;
}

/** Options for {@link principalAngles} and {@link subspaceAlignment}. */
export interface PrincipalAnglesOptions {
  /** `'columns'` (default): each basis is row-major `[units, vectors]`; `'rows'`: `[vectors, units]`. */
  layout?: 'columns' | 'rows';
  /**
   * The bases are already orthonormal (e.g. from {@link orthonormalBasis}):
   * skip orthonormalising them, which dominates the cost when one basis is
   * compared with many.
   */
  orthonormal?: boolean;
}

/**
 * Smallest ratio of Gram eigenvalues (unit-normalised vectors) accepted: the
 * float32 Gram resolves condition numbers up to ~1e3 (1e-6 in eigenvalues).
 */
const MIN_EIGEN_RATIO = 1e-6;

function basisVectors(fn: string, arg: string, data: NumericArray, shape: BasisShape, layout: 'columns' | 'rows'): VectorChunks {
  const { units, vectors } = shape;
  if (!Number.isInteger(units) || !Number.isInteger(vectors) || units < 1 || vectors < 1) {
    throw new Error(`${fn}: shape of ${arg} must be positive integers, got [units ${units}, vectors ${vectors}]`);
  }
  const dims = layout === 'columns' ? `[units ${units}, vectors ${vectors}]` : `[vectors ${vectors}, units ${units}]`;
  if (data.length !== units * vectors) throw new Error(`${fn}: ${arg} has ${data.length} values, expected ${dims} = ${units * vectors} (layout '${layout}')`);
  if (vectors > units) throw new Error(`${fn}: ${arg} has ${vectors} vectors of length ${units}; they cannot be independent`);
  return layout === 'columns' ? matrixVectors(data, units, vectors, 'columns') : matrixVectors(data, vectors, units, 'rows');
}

/**
 * W (`[k, k]`, row-major) with A·W orthonormal: W = D V Λ^{-1/2}, where D
 * scales each vector to unit norm first (so the eigenvalue ratio measures
 * linear dependence, not scale) and D AᵀA D = V Λ Vᵀ.
 */
function orthonormaliser(fn: string, arg: string, gram: Float64Array, k: number): Float64Array {
  const d = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    const g = gram[i * k + i]!;
    if (!(g > 0)) throw new Error(`${fn}: vector ${i} of ${arg} is zero`);
    d[i] = 1 / Math.sqrt(g);
  }
  const scaled = gram.map((g, idx) => g * d[Math.floor(idx / k)]! * d[idx % k]!);
  const { values, vectors } = eigenSymmetric(scaled, k);
  const ratio = values[k - 1]! / values[0]!;
  if (!(ratio > MIN_EIGEN_RATIO)) {
    throw new Error(`${fn}: the vectors of ${arg} are (nearly) linearly dependent (Gram eigenvalue ratio ${ratio.toExponential(2)}); pass a basis`);
  }
  const w = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let c = 0; c < k; c++) w[i * k + c] = d[i]! * vectors[i * k + c]! / Math.sqrt(values[c]!);
  return w;
}

/**
 * An orthonormal basis of span(data) as row-major `[k, units]` float32 rows:
 * Q = A·W with W from {@link orthonormaliser}, formed on the tensor backend,
 * then once more from Q (as CholeskyQR2 does), which brings the rows'
 * orthonormality from ~1e-7·cond(A)² to ~1e-7.
 */
function orthonormalRows(fn: string, arg: string, data: NumericArray, shape: BasisShape, layout: 'columns' | 'rows'): Float32Array {
  const { units, vectors: k } = shape;
  let rows: NumericArray = data;
  let current = layout;
  for (let pass = 0; pass < 2; pass++) {
    const v = basisVectors(fn, arg, rows, shape, current);
    const w = Float32Array.from(orthonormaliser(fn, arg, innerProducts(v), k));
    const a: NumericArray = rows;
    const fromColumns = current === 'columns';
    // Rows of Q are Wᵀ·Aᵀ (columns layout, A is [units, k]) or Wᵀ·A (rows layout, A is [k, units]).
    // The values are read outside tf.tidy, which would walk a returned array element by element.
    const q = tf.tidy(() => tf.matMul(tf.tensor2d(w, [k, k]), tf.tensor2d(Float32Array.from(a), fromColumns ? [units, k] : [k, units]), true, fromColumns));
    rows = q.dataSync<'float32'>();
    q.dispose();
    current = 'rows';
  }
  return Float32Array.from(rows);
}

/**
 * An orthonormal basis of the span of `data` (laid out as `layout` says) as
 * row-major `[vectors, units]` rows, for {@link principalAngles} with
 * `{ layout: 'rows', orthonormal: true }`.
 */
export function orthonormalBasis(data: NumericArray, shape: BasisShape, options: Pick<PrincipalAnglesOptions, 'layout'> = {}): Float32Array {
  return orthonormalRows('orthonormalBasis', 'data', data, shape, options.layout ?? 'columns');
}

/**
 * Principal angles between span(a) and span(b), in radians, ascending, in
 * [0, π/2]: min(ka, kb) of them (scipy.linalg.subspace_angles returns the
 * same values in descending order). The vectors of each basis must be
 * linearly independent but need not be orthonormal. Bases are laid out as
 * `options.layout` says (see the top of this file).
 */
export function principalAngles(a: NumericArray, aShape: BasisShape, b: NumericArray, bShape: BasisShape, options: PrincipalAnglesOptions = {}): Float64Array {
  const fn = 'principalAngles';
  const { layout = 'columns', orthonormal = false } = options;
  basisVectors(fn, 'a', a, aShape, layout);
  basisVectors(fn, 'b', b, bShape, layout);
  if (aShape.units !== bShape.units) throw new Error(`${fn}: a has vectors of length ${aShape.units}, b of length ${bShape.units}`);
  if (orthonormal && layout !== 'rows') throw new Error(`${fn}: orthonormal bases are passed as rows ([vectors, units]), as orthonormalBasis returns them`);
  const { units, vectors: ka } = aShape;
  const kb = bShape.vectors;
  const qa = orthonormal ? a : orthonormalRows(fn, 'a', a, aShape, layout);
  const qb = orthonormal ? b : orthonormalRows(fn, 'b', b, bShape, layout);
  const m = innerProducts(matrixVectors(qa, ka, units, 'rows'), matrixVectors(qb, kb, units, 'rows'));
  const cosines = new SVD(Matrix.from1DArray(ka, kb, m), { computeLeftSingularVectors: false, computeRightSingularVectors: false, autoTranspose: true }).diagonal;
  return Float64Array.from(cosines, (c) => Math.acos(Math.min(1, Math.max(0, c)))).sort();
}

/**
 * Subspace alignment (Figure 4C/E): the cosine of the mean principal angle
 * between span(a) and span(b), in [0, 1]: 1 for the same subspace, 0 for
 * orthogonal ones. With different numbers of vectors, the mean is over the
 * min(ka, kb) angles, so a subspace contained in a larger one has alignment 1.
 */
export function subspaceAlignment(a: NumericArray, aShape: BasisShape, b: NumericArray, bShape: BasisShape, options: PrincipalAnglesOptions = {}): number {
  const angles = principalAngles(a, aShape, b, bShape, options);
  let s = 0;
  for (const t of angles) s += t;
  return Math.cos(s / angles.length);
}

/**
 * {@link principalAngles} entirely in float64, for bases given as rows
 * (`[vectors, units]`): each basis is orthonormalised by modified
 * Gram-Schmidt, twice, then the cosines are the singular values of QaQbᵀ
 * (ml-matrix). O(k²·units) in JavaScript: for the command line's inputs,
 * where the float32 products of {@link principalAngles} would limit the
 * agreement with scipy to ~1e-6. Angles ascending, in [0, π/2].
 */
export function principalAnglesFloat64(a: NumericArray, aShape: BasisShape, b: NumericArray, bShape: BasisShape): Float64Array {
  const fn = 'principalAnglesFloat64';
  basisVectors(fn, 'a', a, aShape, 'rows');
  basisVectors(fn, 'b', b, bShape, 'rows');
  if (aShape.units !== bShape.units) throw new Error(`${fn}: a has vectors of length ${aShape.units}, b of length ${bShape.units}`);
  const units = aShape.units;
  const qa = gramSchmidtRows(fn, 'a', a, aShape.vectors, units);
  const qb = gramSchmidtRows(fn, 'b', b, bShape.vectors, units);
  const [ka, kb] = [aShape.vectors, bShape.vectors];
  const m = new Float64Array(ka * kb);
  for (let i = 0; i < ka; i++) {
    const ri = qa.subarray(i * units, (i + 1) * units);
    for (let j = 0; j < kb; j++) {
      const rj = qb.subarray(j * units, (j + 1) * units);
      let s = 0;
      for (let u = 0; u < units; u++) s += ri[u]! * rj[u]!;
      m[i * kb + j] = s;
    }
  }
  const cosines = new SVD(Matrix.from1DArray(ka, kb, m), { computeLeftSingularVectors: false, computeRightSingularVectors: false, autoTranspose: true }).diagonal;
  return Float64Array.from(cosines, (c) => Math.acos(Math.min(1, Math.max(0, c)))).sort();
}

/** Modified Gram-Schmidt on rows, run twice ("twice is enough"), in float64; throws on (nearly) dependent rows. */
function gramSchmidtRows(fn: string, arg: string, data: NumericArray, k: number, units: number): Float64Array {
  const q = Float64Array.from(data);
  const norms = Float64Array.from({ length: k }, (_, i) => {
    let s = 0;
    for (let u = i * units; u < (i + 1) * units; u++) s += q[u]! * q[u]!;
    return Math.sqrt(s);
  });
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < k; i++) {
      const ri = q.subarray(i * units, (i + 1) * units);
      for (let j = 0; j < i; j++) {
        const rj = q.subarray(j * units, (j + 1) * units);
        let s = 0;
        for (let u = 0; u < units; u++) s += ri[u]! * rj[u]!;
        for (let u = 0; u < units; u++) ri[u]! -= s * rj[u]!;
      }
      let norm = 0;
      for (let u = 0; u < units; u++) norm += ri[u]! * ri[u]!;
      norm = Math.sqrt(norm);
      if (pass === 0 && !(norm > 1e-10 * norms[i]!)) throw new Error(`${fn}: the vectors of ${arg} are (nearly) linearly dependent (vector ${i}); pass a basis`);
      for (let u = 0; u < units; u++) ri[u]! /= norm;
    }
  }
  return q;
}

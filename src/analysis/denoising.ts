/**
 * The de-noising metric of Methods 4.3, equation 1:
 *
 *   d = r(A_clean^ff, A_noisy^rec) − r(A_clean^ff, A_noisy^ff)
 *
 * with r the Pearson correlation over units (or voxels) and A the activity
 * pattern before (ff, the first time step or bin) or after (rec, the last)
 * recurrence, for the clean and the noisy (blurred) version of one image.
 * d > 0: recurrence moves the noisy image's pattern towards the clean one.
 */

/** A flat numeric array: activity patterns, row-major when 2-D. */
export type NumericArray = Float64Array | Float32Array;

/**
 * Pearson correlation of two equal-length vectors, in [-1, 1]. NaN when either
 * vector is constant (the correlation is undefined there).
 */
export function pearsonR(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`pearsonR: vectors differ in length (${a.length} vs ${b.length})`);
  const n = a.length;
  if (n < 2) throw new Error(`pearsonR: need at least 2 values, got ${n}`);
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  if (saa === 0 || sbb === 0) return NaN;
  // Clamp rounding just outside [-1, 1].
  return Math.max(-1, Math.min(1, sab / Math.sqrt(saa * sbb)));
}

/**
 * Equation 1 for one image: `cleanFf`, `noisyFf`, `noisyRec` are the activity
 * patterns (same units, same order) of the clean image before recurrence and
 * of the noisy image before and after recurrence. Result in [-2, 2]; 0 when
 * `noisyRec` equals `noisyFf`; NaN when a pattern is constant.
 */
export function denoising(cleanFf: ArrayLike<number>, noisyFf: ArrayLike<number>, noisyRec: ArrayLike<number>): number {
  if (cleanFf.length !== noisyFf.length || cleanFf.length !== noisyRec.length) {
    throw new Error(`denoising: patterns differ in length (cleanFf ${cleanFf.length}, noisyFf ${noisyFf.length}, noisyRec ${noisyRec.length})`);
  }
  return pearsonR(cleanFf, noisyRec) - pearsonR(cleanFf, noisyFf);
}

/** Shape `[pairs, units]` of the inputs of {@link denoisingPerPair}. */
export interface PairShape {
  /** Number of image pairs (rows). */
  pairs: number;
  /** Number of units or voxels (columns). */
  units: number;
}

/**
 * Equation 1 for every image pair. Each input is row-major `[pairs, units]`:
 * row p of `cleanFf` is the clean image p before recurrence, row p of
 * `noisyFf` / `noisyRec` its noisy version before / after recurrence.
 * Returns d per pair, `[pairs]` (NaN for pairs with a constant pattern).
 */
export function denoisingPerPair(cleanFf: NumericArray, noisyFf: NumericArray, noisyRec: NumericArray, shape: PairShape): Float64Array {
  const { pairs, units } = shape;
  const size = pairs * units;
  for (const [name, x] of [['cleanFf', cleanFf], ['noisyFf', noisyFf], ['noisyRec', noisyRec]] as const) {
    if (x.length !== size) throw new Error(`denoisingPerPair: ${name} has ${x.length} values, expected [pairs ${pairs}, units ${units}] = ${size}`);
  }
  const d = new Float64Array(pairs);
  for (let p = 0; p < pairs; p++) {
    const row = (x: NumericArray) => x.subarray(p * units, (p + 1) * units);
    d[p] = denoising(row(cleanFf), row(noisyFf), row(noisyRec));
  }
  return d;
}

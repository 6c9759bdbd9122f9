/**
 * Eigendecomposition of a real symmetric matrix: Householder reduction to
 * tridiagonal form, then the implicit QL algorithm — the algorithm of JAMA
 * (`tred2`/`tql2`, from EISPACK) that ml-matrix also uses, rewritten on a flat
 * `Float64Array` holding the transposed eigenvector matrix so that every
 * O(n³) loop runs over contiguous memory. Same arithmetic as ml-matrix's
 * `EigenvalueDecomposition`, measured several times faster on the Gram
 * matrices of the analyses (n of a few thousand); tested against it and numpy.
 */

/** Eigenvalues (ascending, as EISPACK returns them) and eigenvectors as rows: row i of `vectors` belongs to `values[i]`. */
export interface SymmetricEigenRows {
  values: Float64Array;
  /** Row-major `[size, size]`, one unit-norm eigenvector per row. */
  vectors: Float64Array;
}

/** Eigendecomposition of the symmetric row-major `[size, size]` matrix `m` (only its values are read; it is not changed). */
export function symmetricEigen(m: Float64Array, size: number): SymmetricEigenRows {
  const n = size;
  if (m.length !== n * n) throw new Error(`symmetricEigen: matrix has ${m.length} values, expected [${n}, ${n}]`);
  // W = Vᵀ: W[j*n + k] is V[k][j]. The input is symmetric, so W starts as m.
  const w = Float64Array.from(m);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  if (n === 0) return { values: d, vectors: w };
  tred2(n, w, d, e, true);
  tql2(n, w, d, e, true);
  return { values: d, vectors: w };
}

/**
 * Eigenvalues only (ascending) of the symmetric row-major `[size, size]`
 * matrix `m`: the same arithmetic as {@link symmetricEigen} on the values
 * (bit-identical results) without accumulating the transformations or
 * rotating eigenvectors, about a fifth of the work.
 */
export function symmetricEigenvalues(m: Float64Array, size: number): Float64Array {
  const n = size;
  if (m.length !== n * n) throw new Error(`symmetricEigenvalues: matrix has ${m.length} values, expected [${n}, ${n}]`);
  const w = Float64Array.from(m);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  if (n === 0) return d;
  tred2(n, w, d, e, false);
  tql2(n, w, d, e, false);
  return d;
}

function tred2(n: number, w: Float64Array, d: Float64Array, e: Float64Array, vectors: boolean): void {
  for (let j = 0; j < n; j++) d[j] = w[j * n + n - 1]!;
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]!);
    if (scale === 0) {
      e[i] = d[i - 1]!;
      for (let j = 0; j < i; j++) {
        d[j] = w[j * n + i - 1]!;
        w[j * n + i] = 0;
        w[i * n + j] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k]! /= scale;
        h += d[k]! * d[k]!;
      }
      let f = d[i - 1]!;
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        w[i * n + j] = f;
        const row = j * n;
        g = e[j]! + w[row + j]! * f;
        for (let k = j + 1; k <= i - 1; k++) {
          const v = w[row + k]!;
          g += v * d[k]!;
          e[k]! += v * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j]! /= h;
        f += e[j]! * d[j]!;
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j]! -= hh * d[j]!;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        g = e[j]!;
        const row = j * n;
        for (let k = j; k <= i - 1; k++) w[row + k]! -= f * e[k]! + g * d[k]!;
        d[j] = w[row + i - 1]!;
        w[row + i] = 0;
      }
    }
    d[i] = h;
  }
  if (!vectors) {
    // The tridiagonal's diagonal, where the accumulation below would read it from.
    for (let j = 0; j < n; j++) d[j] = w[j * n + j]!;
    e[0] = 0;
    return;
  }
  for (let i = 0; i < n - 1; i++) {
    w[i * n + n - 1] = w[i * n + i]!;
    w[i * n + i] = 1;
    const h = d[i + 1]!;
    const next = (i + 1) * n;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = w[next + k]! / h;
      for (let j = 0; j <= i; j++) {
        const row = j * n;
        let g = 0;
        for (let k = 0; k <= i; k++) g += w[next + k]! * w[row + k]!;
        for (let k = 0; k <= i; k++) w[row + k]! -= g * d[k]!;
      }
    }
    for (let k = 0; k <= i; k++) w[next + k] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = w[j * n + n - 1]!;
    w[j * n + n - 1] = 0;
  }
  w[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
}

function tql2(n: number, w: Float64Array, d: Float64Array, e: Float64Array, vectors: boolean): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i]!;
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]!) <= eps * tst1) break;
      m++;
    }
    if (m > l) {
      do {
        let g = d[l]!;
        let p = (d[l + 1]! - g) / (2 * e[l]!);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        const dl1 = d[l + 1]!;
        let h = g - d[l]!;
        for (let i = l + 2; i < n; i++) d[i]! -= h;
        f += h;
        p = d[m]!;
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1]!;
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i]!;
          h = c * p;
          r = Math.hypot(p, e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
          if (!vectors) continue;
          // Rotate eigenvectors i and i+1 (rows of W): contiguous.
          const a = i * n;
          const b = (i + 1) * n;
          for (let k = 0; k < n; k++) {
            const wb = w[b + k]!;
            const wa = w[a + k]!;
            w[b + k] = s * wa + c * wb;
            w[a + k] = c * wa - s * wb;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]!) > eps * tst1);
    }
    d[l]! += f;
    e[l] = 0;
  }
  // Sort eigenvalues (ascending) and their vectors.
  for (let i = 0; i < n - 1; i++) {
    let k = i;
    let p = d[i]!;
    for (let j = i + 1; j < n; j++) {
      if (d[j]! < p) {
        k = j;
        p = d[j]!;
      }
    }
    if (k !== i) {
      d[k] = d[i]!;
      d[i] = p;
      if (!vectors) continue;
      const a = i * n;
      const b = k * n;
      for (let j = 0; j < n; j++) {
        const t = w[a + j]!;
        w[a + j] = w[b + j]!;
        w[b + j] = t;
      }
    }
  }
}

/**
 * Inner products of many long vectors on the tensor backend: Gram matrices
 * `XXᵀ` of activity `[samples, units]` with tens of thousands of units, the
 * cross products of two such sets, and products of bases `[units, k]`.
 *
 * The vectors are read in chunks of `CHUNK` positions along the summed axis;
 * each chunk is packed (and, for activity, centred and scaled) into a float32
 * buffer, multiplied with `tf.matMul`, and the chunk products are added up in
 * float64. Two reasons: XNNPACK's single-threaded GEMM runs about 1.8 times
 * faster on K = 1024 than on K = 25088 (its packed right operand then stays
 * in cache), and only sums of at most `CHUNK` products are rounded to float32,
 * so the relative error of an entry stays near float32 precision (~1e-7)
 * however long the vectors are. A symmetric Gram computes only the tiles on
 * and above the diagonal (`BLOCK` vectors per tile): 10 of 16 tiles for 2000
 * vectors. Smaller tiles would save more products but ran slower.
 */
import * as tf from '@tensorflow/tfjs';
import { symmetricEigen } from './eigh';
import type { NumericArray } from './denoising';

/** Positions summed over per matMul call (the K of the GEMM). */
const CHUNK = 1024;
/** Vectors per tile of a symmetric Gram matrix. */
const BLOCK = 512;

/**
 * Relative size below which an eigenvalue of a Gram matrix computed here
 * counts as zero: entries carry float32 rounding (~1e-7 relative), so
 * eigenvalues below ~1e-7 of the largest are rounding noise; 1e-6 leaves a
 * factor of ten for the accumulation over chunks.
 */
export const GRAM_RANK_TOLERANCE = 1e-6;

/** `count` vectors of a common `length`, readable in chunks along that length. */
export interface VectorChunks {
  /** Number of vectors. */
  count: number;
  /** Their common length: the axis the inner products sum over. */
  length: number;
  /** Positions [start, end) of every vector, as a row-major `[count, end − start]` buffer. */
  chunk(start: number, end: number): Float32Array;
}

/** Options for {@link matrixVectors}. */
export interface MatrixVectorsOptions {
  /** Subtracted from every entry of column j before scaling (default none). */
  offset?: ArrayLike<number>;
  /** Multiplies every entry of column j after the offset (default none). */
  scale?: ArrayLike<number>;
}

/**
 * The rows (`along: 'rows'`, vectors of length `cols`) or the columns
 * (`along: 'columns'`, vectors of length `rows`) of a row-major `[rows, cols]`
 * matrix as {@link VectorChunks}, with an optional per-column affine map
 * `(x − offset[j]) · scale[j]` (column j = unit j of activity data).
 */
export function matrixVectors(
  data: NumericArray, rows: number, cols: number, along: 'rows' | 'columns', options: MatrixVectorsOptions = {},
): VectorChunks {
  const { offset, scale } = options;
  if (data.length !== rows * cols) throw new Error(`matrixVectors: data has ${data.length} values, expected [${rows}, ${cols}] = ${rows * cols}`);
  for (const [name, v] of [['offset', offset], ['scale', scale]] as const) {
    if (v && v.length !== cols) throw new Error(`matrixVectors: ${name} has ${v.length} values, expected one per column (${cols})`);
  }
  const o = offset ? Float64Array.from(offset) : new Float64Array(cols);
  const s = scale ? Float64Array.from(scale) : new Float64Array(cols).fill(1);
  if (along === 'rows') {
    return {
      count: rows,
      length: cols,
      chunk(start, end) {
        const w = end - start;
        const out = new Float32Array(rows * w);
        for (let i = 0; i < rows; i++) {
          const base = i * cols;
          for (let j = start; j < end; j++) out[i * w + j - start] = (data[base + j]! - o[j]!) * s[j]!;
        }
        return out;
      },
    };
  }
  return {
    count: cols,
    length: rows,
    chunk(start, end) {
      const w = end - start;
      const out = new Float32Array(cols * w);
      for (let i = start; i < end; i++) {
        const base = i * cols;
        for (let j = 0; j < cols; j++) out[j * w + i - start] = (data[base + j]! - o[j]!) * s[j]!;
      }
      return out;
    },
  };
}

/**
 * Inner products `P[i][j] = a_i · b_j` of two vector sets of the same length,
 * row-major `[a.count, b.count]` in float64 (float32 products of `CHUNK`-long
 * pieces, summed in float64). Without `b`, the Gram matrix of `a`
 * (`[a.count, a.count]`, exactly symmetric). Runs on the tensor backend; leaves
 * no tensors behind.
 */
export function innerProducts(a: VectorChunks, b?: VectorChunks): Float64Array {
  if (b && b.length !== a.length) throw new Error(`innerProducts: vectors differ in length (${a.length} vs ${b.length})`);
  return b ? crossProducts(a, b) : gram(a);
}

function crossProducts(a: VectorChunks, b: VectorChunks): Float64Array {
  const out = new Float64Array(a.count * b.count);
  for (let start = 0; start < a.length; start += CHUNK) {
    const end = Math.min(a.length, start + CHUNK);
    const w = end - start;
    const ca = a.chunk(start, end);
    const cb = b.chunk(start, end);
    tf.tidy(() => {
      const p = tf.matMul(tf.tensor2d(ca, [a.count, w]), tf.tensor2d(cb, [b.count, w]), false, true).dataSync();
      for (let i = 0; i < out.length; i++) out[i]! += p[i]!;
    });
  }
  return out;
}

function gram(a: VectorChunks): Float64Array {
  const n = a.count;
  const g = new Float64Array(n * n);
  const blocks: [number, number][] = [];
  for (let s = 0; s < n; s += BLOCK) blocks.push([s, Math.min(n, s + BLOCK)]);
  for (let start = 0; start < a.length; start += CHUNK) {
    const end = Math.min(a.length, start + CHUNK);
    const w = end - start;
    const c = a.chunk(start, end);
    tf.tidy(() => {
      const rows = blocks.map(([s, e]) => tf.tensor2d(c.subarray(s * w, e * w), [e - s, w]));
      const cols = rows.map((r) => tf.transpose(r));
      for (let bi = 0; bi < blocks.length; bi++) {
        const [si, ei] = blocks[bi]!;
        for (let bj = bi; bj < blocks.length; bj++) {
          const [sj, ej] = blocks[bj]!;
          const wj = ej - sj;
          const p = tf.matMul(rows[bi]!, cols[bj]!).dataSync();
          for (let i = si; i < ei; i++) {
            const from = (i - si) * wj;
            const to = i * n + sj;
            for (let j = 0; j < wj; j++) g[to + j]! += p[from + j]!;
          }
        }
      }
    });
  }
  // Tiles below the diagonal, and the lower half of the diagonal tiles, from the upper ones.
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) g[i * n + j] = g[j * n + i]!;
  return g;
}

/** Eigenvalues (descending) and eigenvectors of a symmetric matrix. */
export interface SymmetricEigen {
  /** Eigenvalues, largest first, `[size]`. */
  values: Float64Array;
  /** Eigenvectors as columns, row-major `[size, size]`: column c belongs to `values[c]`. */
  vectors: Float64Array;
}

/**
 * Eigendecomposition (float64) of a symmetric row-major `[size, size]`
 * matrix, by {@link symmetricEigen} (EISPACK's tred2/tql2 on contiguous
 * memory; the algorithm of ml-matrix, about twice as fast here).
 */
export function eigenSymmetric(m: Float64Array, size: number): SymmetricEigen {
  if (m.length !== size * size) throw new Error(`eigenSymmetric: matrix has ${m.length} values, expected [${size}, ${size}]`);
  const { values: ascending, vectors: rows } = symmetricEigen(m, size);
  const values = new Float64Array(size);
  const vectors = new Float64Array(size * size);
  for (let c = 0; c < size; c++) {
    const from = size - 1 - c;
    values[c] = ascending[from]!;
    for (let i = 0; i < size; i++) vectors[i * size + c] = rows[from * size + i]!;
  }
  return { values, vectors };
}

/** Number of `values` (descending) above `tolerance` times the first; 0 when the first is not positive. */
export function numericalRank(values: Float64Array, tolerance = GRAM_RANK_TOLERANCE): number {
  const top = values[0] ?? 0;
  if (!(top > 0)) return 0;
  let r = 0;
  while (r < values.length && values[r]! > tolerance * top) r++;
  return r;
}

/** Result of {@link pivotedCholesky}. */
export interface PivotedCholesky {
  /** F, row-major `[size, rank]`, with F Fᵀ equal to the matrix up to the dropped pivots; rows in the matrix's order. */
  factor: Float64Array;
  /** Number of pivots taken: the numerical rank at the tolerance. */
  rank: number;
}

/**
 * Cholesky factor with diagonal pivoting of a symmetric positive
 * semi-definite row-major `[size, size]` matrix (float64, ~size³/6
 * multiply-adds): at each step the largest remaining diagonal entry of the
 * Schur complement is the pivot; it stops when that entry is at most
 * `tolerance` times the largest diagonal entry of the matrix (the first
 * pivot). What is dropped is a positive semi-definite remainder whose
 * diagonal entries are all below that bound: for a Gram matrix computed here,
 * float32 rounding noise (see {@link GRAM_RANK_TOLERANCE}). Zero rank for a
 * zero matrix.
 */
export function pivotedCholesky(m: Float64Array, size: number, tolerance = GRAM_RANK_TOLERANCE): PivotedCholesky {
  const n = size;
  if (m.length !== n * n) throw new Error(`pivotedCholesky: matrix has ${m.length} values, expected [${n}, ${n}]`);
  // Row i of `l` holds row i of the factor, its columns in pivot order; `d` the Schur complement's diagonal.
  const l = new Float64Array(n * n);
  const d = Float64Array.from({ length: n }, (_, i) => m[i * n + i]!);
  const done = new Uint8Array(n);
  const top = d.reduce((a, b) => Math.max(a, b), 0);
  let rank = 0;
  while (top > 0 && rank < n) {
    let p = -1;
    let best = -Infinity;
    for (let i = 0; i < n; i++) {
      if (!done[i] && d[i]! > best) {
        best = d[i]!;
        p = i;
      }
    }
    if (!(best > tolerance * top)) break;
    done[p] = 1;
    const root = Math.sqrt(best);
    const lp = p * n;
    l[lp + rank] = root;
    for (let i = 0; i < n; i++) {
      if (done[i]) continue;
      const li = i * n;
      let s = m[li + p]!;
      for (let c = 0; c < rank; c++) s -= l[li + c]! * l[lp + c]!;
      const v = s / root;
      l[li + rank] = v;
      d[i]! -= v * v;
    }
    d[p] = 0;
    rank++;
  }
  const factor = new Float64Array(n * rank);
  for (let i = 0; i < n; i++) factor.set(l.subarray(i * n, i * n + rank), i * rank);
  return { factor, rank };
}

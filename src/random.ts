/**
 * Seeded randomness. Every random draw in the project comes from a generator
 * made here from an explicit seed (or a tuple of integers hashed into one), so
 * results are reproducible and independent of call order across images.
 */

/** 32-bit hash of a tuple of integers (MurmurHash3 finaliser chained), in [0, 2^32). */
export function hashInts(...values: number[]): number {
  let h = 0x9e3779b9 ^ values.length;
  for (const v of values) {
    let k = Math.imul(v | 0, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
    // Include the high bits of values beyond 32 bits.
    h ^= Math.floor(v / 4294967296) | 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A seeded generator (sfc32), uniform in [0, 1), with normals and integers. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare: number | null = null;

  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** A generator keyed by a tuple of integers, e.g. (seed, image, noise type, level). */
  static keyed(...key: number[]): Rng {
    return new Rng(hashInts(...key));
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal (Box-Muller, caching the second value). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Gamma(shape, 1) (Marsaglia & Tsang; shape < 1 through Gamma(shape + 1)·U^(1/shape)). */
  gamma(shape: number): number {
    if (!(shape > 0)) throw new Error(`Rng.gamma: shape must be positive, got ${shape}`);
    if (shape < 1) return this.gamma(shape + 1) * Math.pow(1 - this.uniform(), 1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      const z = this.normal();
      const v = (1 + c * z) ** 3;
      if (v <= 0) continue;
      const u = 1 - this.uniform();
      if (Math.log(u) < 0.5 * z * z + d - d * v + d * Math.log(v)) return d * v;
    }
  }

  /** Beta(a, b), in [0, 1]. */
  beta(a: number, b: number): number {
    return this.dirichlet([a, b])[0];
  }

  /**
   * Dirichlet(alphas): non-negative weights summing to 1. When every gamma draw
   * underflows to 0 (tiny alphas) the limit is used: all weight on one entry,
   * chosen with probability proportional to its alpha.
   */
  dirichlet(alphas: readonly number[]): number[] {
    const g = alphas.map((a) => this.gamma(a));
    const sum = g.reduce((s, v) => s + v, 0);
    if (sum > 0) return g.map((v) => v / sum);
    const total = alphas.reduce((s, a) => s + a, 0);
    let r = this.uniform() * total;
    const pick = alphas.findIndex((a) => (r -= a) < 0);
    return alphas.map((_, i) => (i === (pick < 0 ? alphas.length - 1 : pick) ? 1 : 0));
  }

  /** A uniformly random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    return p;
  }
}

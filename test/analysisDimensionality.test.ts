/**
 * The tensor-backend Gram matrices, the participation ratio built on them, and
 * cross-layer dimensionality: against plain float64 loops, invariances, and
 * numpy (test/golden/make_analysis2_golden.py).
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Matrix, SVD } from 'ml-matrix';
import {
  activityGram, crossDimensionalityOfFactors, crossLayerDimensionality, crossLayerDimensionalitySubsampled, drawUnits, layerFactor,
  participationRatio, participationRatioFromVariances, preprocessActivity, selectUnits, smallGram,
} from '../src/analysis/dimensionality';
import { innerProducts, matrixVectors, pivotedCholesky } from '../src/analysis/gram';
import { initBackend } from '../src/backend';
import { Rng } from '../src/random';
import { assertNoLeak } from './helpers';

const GOLDEN = path.join(__dirname, '..', '..', 'test', 'golden');

interface CrossGolden {
  samples: number; unitsX: number; unitsY: number; unitNorm: boolean; x: number[]; y: number[];
  singularValues: number[]; prSingular: number; prSquared: number;
}
const golden = JSON.parse(fs.readFileSync(path.join(GOLDEN, 'analysis2_golden.json'), 'utf8')) as { crossLayer: CrossGolden[] };

before(async () => {
  await initBackend({ force: 'wasm', log: false });
});

function gaussian(rng: Rng, n: number): Float64Array {
  return Float64Array.from({ length: n }, () => rng.normal());
}

/** Low-rank activity plus noise, shifted and scaled per unit, as float32 activations. */
function activity(rng: Rng, samples: number, units: number, rank: number, noise = 0.3): Float32Array {
  const latent = gaussian(rng, samples * rank);
  const w = gaussian(rng, rank * units);
  const out = new Float32Array(samples * units);
  for (let i = 0; i < samples; i++) {
    for (let j = 0; j < units; j++) {
      let v = noise * rng.normal();
      for (let r = 0; r < rank; r++) v += latent[i * rank + r]! * w[r * units + j]! / (r + 1);
      out[i * units + j] = v * (1 + (j % 7)) + (j % 5);
    }
  }
  return out;
}

function maxAbs(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]!));
  return m;
}

/** Float64 reference: singular values of the cross-covariance of the preprocessed layers (ml-matrix SVD). */
function crossReference(x: Float32Array | Float64Array, px: number, y: Float32Array | Float64Array, py: number, n: number, unitNorm = true): Float64Array {
  const a = preprocessActivity(x, { samples: n, units: px }, { unitNorm });
  const b = preprocessActivity(y, { samples: n, units: py }, { unitNorm });
  const c = Matrix.from1DArray(n, px, a).transpose().mmul(Matrix.from1DArray(n, py, b)).div(n - 1);
  return Float64Array.from(new SVD(c, { computeLeftSingularVectors: false, computeRightSingularVectors: false, autoTranspose: true }).diagonal);
}

// --- Gram matrices -----------------------------------------------------------------------

test('activityGram (tensor backend, float32 chunks) matches the float64 loop on both sides, across chunk and tile edges', () => {
  const rng = new Rng(11);
  // 600 samples: two tiles (512 + 88); 2100 units: three chunks (1024 + 1024 + 52).
  for (const [samples, units] of [[600, 2100], [40, 7], [3, 1500]] as const) {
    const x = activity(rng, samples, units, 4);
    for (const unitNorm of [true, false]) {
      const fast = assertNoLeak(() => activityGram(x, { samples, units }, { unitNorm }), 'activityGram');
      const slow = smallGram(preprocessActivity(x, { samples, units }, { unitNorm }), { samples, units });
      assert.equal(fast.size, slow.size);
      // Entries carry float32 rounding of ≤ 1024-term sums: ~1e-7 of the largest entry.
      const scale = maxAbs(slow.gram);
      let worst = 0;
      for (let i = 0; i < slow.gram.length; i++) worst = Math.max(worst, Math.abs(fast.gram[i]! - slow.gram[i]!));
      assert.ok(worst < 1e-6 * scale, `[${samples}, ${units}] unitNorm ${unitNorm}: worst error ${worst} vs largest entry ${scale}`);
      for (let i = 0; i < fast.size; i++) for (let j = 0; j < i; j++) assert.equal(fast.gram[i * fast.size + j], fast.gram[j * fast.size + i]);
    }
  }
});

test('innerProducts of two vector sets matches a float64 loop', () => {
  const rng = new Rng(12);
  const [ka, kb, len] = [7, 5, 3000];
  const a = gaussian(rng, ka * len);
  const b = gaussian(rng, len * kb);
  // a as rows [ka, len]; b as the columns of [len, kb].
  const p = assertNoLeak(() => innerProducts(matrixVectors(a, ka, len, 'rows'), matrixVectors(b, len, kb, 'columns')), 'innerProducts');
  for (let i = 0; i < ka; i++) {
    for (let j = 0; j < kb; j++) {
      let s = 0;
      let s1 = 0;
      for (let t = 0; t < len; t++) {
        s += Math.fround(a[i * len + t]!) * Math.fround(b[t * kb + j]!);
        s1 += Math.abs(a[i * len + t]! * b[t * kb + j]!);
      }
      assert.ok(Math.abs(p[i * kb + j]! - s) < 1e-6 * s1, `P[${i}][${j}] ${p[i * kb + j]} vs ${s}`);
    }
  }
  assert.throws(() => innerProducts(matrixVectors(a, ka, len, 'rows'), matrixVectors(b.subarray(0, kb * (len - 1)), kb, len - 1, 'rows')), /differ in length/);
});

test('participationRatio: the tensor route within 1e-6 of float64 on a layer-like matrix', () => {
  const rng = new Rng(13);
  const [samples, units] = [300, 5000];
  const x = activity(rng, samples, units, 20, 1);
  const { gram, size } = smallGram(preprocessActivity(x, { samples, units }), { samples, units });
  let tr = 0;
  let f2 = 0;
  for (let i = 0; i < size; i++) tr += gram[i * size + i]!;
  for (const g of gram) f2 += g * g;
  const pr = assertNoLeak(() => participationRatio(x, { samples, units }), 'participationRatio');
  assert.ok(Math.abs(pr - (tr * tr) / f2) < 1e-6 * pr, `PR ${pr} vs float64 ${(tr * tr) / f2}`);
});

// --- cross-layer dimensionality ----------------------------------------------------------

test('cross-layer dimensionality matches numpy (SVD of the full cross-covariance)', () => {
  for (const c of golden.crossLayer) {
    const what = `[${c.samples}; ${c.unitsX}, ${c.unitsY}] unitNorm ${c.unitNorm}`;
    const r = assertNoLeak(() => crossLayerDimensionality(
      Float64Array.from(c.x), { samples: c.samples, units: c.unitsX },
      Float64Array.from(c.y), { samples: c.samples, units: c.unitsY }, { unitNorm: c.unitNorm }), 'crossLayerDimensionality');
    const sq = crossLayerDimensionality(
      Float64Array.from(c.x), { samples: c.samples, units: c.unitsX },
      Float64Array.from(c.y), { samples: c.samples, units: c.unitsY }, { unitNorm: c.unitNorm, spectrum: 'squared' });
    // numpy returns min(unitsX, unitsY) values, the ones beyond the rank at ~1e-16; ours stops at the rank.
    const top = c.singularValues[0]!;
    assert.ok(r.singularValues.length <= c.singularValues.length, what);
    r.singularValues.forEach((s, i) => assert.ok(Math.abs(s - c.singularValues[i]!) < 1e-6 * top, `${what} s[${i}] ${s} vs ${c.singularValues[i]}`));
    for (let i = r.singularValues.length; i < c.singularValues.length; i++) assert.ok(c.singularValues[i]! < 1e-12 * top, `${what}: numpy has s[${i}] = ${c.singularValues[i]} beyond our rank`);
    assert.ok(Math.abs(r.dimensionality - c.prSingular) < 1e-6 * c.prSingular, `${what}: PR ${r.dimensionality} vs numpy ${c.prSingular}`);
    assert.ok(Math.abs(sq.dimensionality - c.prSquared) < 1e-6 * c.prSquared, `${what}: squared PR ${sq.dimensionality} vs numpy ${c.prSquared}`);
  }
});

test('cross-layer dimensionality of a layer with itself is its participation ratio', () => {
  const rng = new Rng(14);
  for (const [samples, units] of [[40, 600], [200, 30]] as const) {
    const x = activity(rng, samples, units, 6);
    const shape = { samples, units };
    const pr = participationRatio(x, shape);
    const self = crossLayerDimensionality(x, shape, x, shape);
    assert.ok(Math.abs(self.dimensionality - pr) < 1e-6 * pr, `[${samples}, ${units}]: cross ${self.dimensionality} vs PR ${pr}`);
    // Squared: the singular values are the PC variances v, so PR(v²).
    const squared = crossLayerDimensionality(x, shape, x, shape, { spectrum: 'squared' }).dimensionality;
    const v2 = self.singularValues.map((s) => s * s);
    assert.ok(Math.abs(squared - participationRatioFromVariances(v2)) < 1e-12 * squared);
  }
});

test('cross-layer dimensionality of rank-deficient layers: float32 noise directions are dropped', () => {
  const rng = new Rng(15);
  const samples = 80;
  // x has exactly rank 5 over 400 units (up to float32 rounding of the data).
  const x = activity(rng, samples, 400, 5, 0);
  const y3 = activity(rng, samples, 3, 2, 0.5);
  const ref3 = crossReference(x, 400, y3, 3, samples);
  const r3 = crossLayerDimensionality(x, { samples, units: 400 }, y3, { samples, units: 3 });
  assert.equal(r3.singularValues.length, 3);
  r3.singularValues.forEach((s, i) => assert.ok(Math.abs(s - ref3[i]!) < 1e-6 * ref3[0]!, `s[${i}] ${s} vs ${ref3[i]}`));
  // y: 300 noisy units, full rank over the samples. x's Gram has ~75 noise eigenvalues at ~1e-7
  // of its largest; the Cholesky pivots past rank 5 are that noise (a few of them above 1e-7 of
  // the largest diagonal entry). Kept, each pairs with y's real directions into a singular value
  // of ~1e-4 of the largest, and together they move the unsquared PR by ~2e-3.
  const y = activity(rng, samples, 300, 4, 0.5);
  const prRef = participationRatioFromVariances(crossReference(x, 400, y, 300, samples));
  const r = crossLayerDimensionality(x, { samples, units: 400 }, y, { samples, units: 300 });
  assert.equal(r.singularValues.length, 5);
  assert.ok(Math.abs(r.dimensionality - prRef) < 1e-6 * prRef, `PR ${r.dimensionality} vs float64 ${prRef}`);
  const uncut = crossLayerDimensionality(x, { samples, units: 400 }, y, { samples, units: 300 }, { rankTolerance: 0 });
  assert.ok(uncut.singularValues.filter((v) => v > 0).length > 5, 'without the cut, noise pivots enter the factor');
  assert.ok(Math.abs(uncut.dimensionality - prRef) > 1e-3 * prRef, `without the cut: PR ${uncut.dimensionality} vs float64 ${prRef}`);
});

test('cross-layer dimensionality: subsampling with fraction 1 is the exact value; seeds pick reproducible unit sets', () => {
  const rng = new Rng(16);
  const samples = 30;
  const x = activity(rng, samples, 250, 5);
  const y = activity(rng, samples, 120, 5);
  const xs = { samples, units: 250 };
  const ys = { samples, units: 120 };
  const exact = crossLayerDimensionality(x, xs, y, ys);
  const all = crossLayerDimensionalitySubsampled(x, xs, y, ys, { fraction: 1, seed: 3 });
  assert.equal(all.dimensionality, exact.dimensionality);
  assert.deepEqual(Array.from(all.xUnits), Array.from({ length: 250 }, (_, i) => i));
  const a = crossLayerDimensionalitySubsampled(x, xs, y, ys, { seed: 7 });
  const b = crossLayerDimensionalitySubsampled(x, xs, y, ys, { seed: 7 });
  const c = crossLayerDimensionalitySubsampled(x, xs, y, ys, { seed: 8 });
  assert.equal(a.dimensionality, b.dimensionality);
  assert.deepEqual(a.xUnits, b.xUnits);
  assert.notDeepEqual(a.xUnits, c.xUnits);
  assert.equal(a.xUnits.length, 50);
  assert.equal(a.yUnits.length, 24);
  for (const u of [a.xUnits, a.yUnits]) for (let i = 1; i < u.length; i++) assert.ok(u[i]! > u[i - 1]!, 'ascending, distinct');
  // The subsample's value is the exact value of the kept columns.
  const pick = (d: Float32Array, units: number, keep: Int32Array) =>
    Float32Array.from({ length: samples * keep.length }, (_, k) => d[Math.floor(k / keep.length) * units + keep[k % keep.length]!]!);
  const direct = crossLayerDimensionality(pick(x, 250, a.xUnits), { samples, units: 50 }, pick(y, 120, a.yUnits), { samples, units: 24 });
  assert.equal(a.dimensionality, direct.dimensionality);
  assert.throws(() => crossLayerDimensionalitySubsampled(x, xs, y, ys, { fraction: 0, seed: 1 }), /fraction must be in \(0, 1\]/);
});

test('cross-layer dimensionality: shape errors name the function, argument and shape', () => {
  const x = new Float64Array(12);
  assert.throws(() => crossLayerDimensionality(x, { samples: 3, units: 4 }, new Float64Array(10), { samples: 2, units: 5 }),
    /crossLayerDimensionality: x and y must have the same samples, got x \[samples 3, units 4\] and y \[samples 2, units 5\]/);
  assert.throws(() => crossLayerDimensionality(x, { samples: 3, units: 5 }, x, { samples: 3, units: 4 }),
    /crossLayerDimensionality: x has 12 values, expected \[samples 3, units 5\] = 15/);
  assert.throws(() => crossLayerDimensionality(new Float64Array(12).fill(1), { samples: 3, units: 4 }, x.map((_, i) => i % 5), { samples: 3, units: 4 }),
    /crossLayerDimensionality: every unit of x is constant over the 3 samples/);
  // Centred columns orthogonal over samples: no covariance at all.
  assert.throws(() => crossLayerDimensionality(Float64Array.of(1, -1, 1, -1), { samples: 4, units: 1 }, Float64Array.of(1, 1, -1, -1), { samples: 4, units: 1 }),
    /cross-covariance of x and y is zero/);
});

// --- factors reused across layer pairs ------------------------------------------------------

test('pivotedCholesky: hand case, pivot order, rank of a rank-deficient Gram, zero matrix', () => {
  // [[3, 2], [2, 4]]: the larger diagonal (4) is the first pivot: column (1, 2); then 3 − 1 = 2.
  const two = pivotedCholesky(Float64Array.of(3, 2, 2, 4), 2);
  assert.equal(two.rank, 2);
  const want = [1, Math.SQRT2, 2, 0];
  two.factor.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-15, `factor[${i}] = ${v}, expected ${want[i]}`));
  const rng = new Rng(21);
  const n = 40;
  const a = gaussian(rng, n * 6);
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < 6; k++) g[i * n + j]! += a[i * 6 + k]! * a[j * 6 + k]!;
  const { factor, rank } = pivotedCholesky(g, n);
  assert.equal(rank, 6);
  let err = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let c = 0; c < rank; c++) s += factor[i * rank + c]! * factor[j * rank + c]!;
    err = Math.max(err, Math.abs(s - g[i * n + j]!));
  }
  assert.ok(err < 1e-10 * maxAbs(g), `F Fᵀ − G: ${err}`);
  assert.equal(pivotedCholesky(new Float64Array(9), 3).rank, 0);
  assert.throws(() => pivotedCholesky(new Float64Array(5), 2), /pivotedCholesky: matrix has 5 values, expected \[2, 2\]/);
});

test('layerFactor: F Fᵀ is the preprocessed Gram matrix; its participation ratio is participationRatio', () => {
  const rng = new Rng(22);
  const samples = 30;
  for (const units of [200, 12]) {
    const x = activity(rng, samples, units, 4);
    const shape = { samples, units };
    const f = assertNoLeak(() => layerFactor(x, shape), 'layerFactor');
    const xp = preprocessActivity(x, shape);
    const gram = new Float64Array(samples * samples);
    for (let i = 0; i < samples; i++) for (let j = 0; j < samples; j++) for (let u = 0; u < units; u++) gram[i * samples + j]! += xp[i * units + u]! * xp[j * units + u]!;
    let err = 0;
    for (let i = 0; i < samples; i++) for (let j = 0; j < samples; j++) {
      let s = 0;
      for (let c = 0; c < f.rank; c++) s += f.factor[i * f.rank + c]! * f.factor[j * f.rank + c]!;
      err = Math.max(err, Math.abs(s - gram[i * samples + j]!));
    }
    assert.ok(err < 1e-6 * maxAbs(gram), `units ${units}: F Fᵀ − X Xᵀ = ${err}`);
    if (units <= samples) assert.equal(f.rank, units, 'with fewer units than samples the factor is X itself');
    else assert.equal(f.rank, samples - 1, 'centring removes one dimension');
    const pr = participationRatio(x, shape);
    assert.ok(Math.abs(f.participationRatio - pr) < 1e-7 * pr, `PR ${f.participationRatio} vs ${pr} (float32 Gram entries)`);
  }
  assert.throws(() => layerFactor(new Float32Array(12).fill(2), { samples: 3, units: 4 }), /layerFactor: every unit of data is constant over the 3 samples/);
});

test('crossDimensionalityOfFactors: one factor per layer, reused across pairs, gives crossLayerDimensionality', () => {
  const rng = new Rng(23);
  const samples = 35;
  const shapes = [{ samples, units: 300 }, { samples, units: 90 }, { samples, units: 10 }];
  const layers = shapes.map((s, k) => activity(rng, samples, s.units, 3 + k));
  const factors = layers.map((x, k) => layerFactor(x, shapes[k]!));
  for (const [a, b] of [[0, 1], [1, 2], [0, 2]] as const) {
    const viaFactors = crossDimensionalityOfFactors(factors[a]!, factors[b]!);
    const direct = crossLayerDimensionality(layers[a]!, shapes[a]!, layers[b]!, shapes[b]!);
    assert.equal(viaFactors.dimensionality, direct.dimensionality);
    const ref = crossReference(layers[a]!, shapes[a]!.units, layers[b]!, shapes[b]!.units, samples);
    assert.ok(Math.abs(viaFactors.singularValues[0]! - ref[0]!) < 1e-6 * ref[0]!);
    // Swapping the layers transposes the cross-covariance: same singular values.
    const swapped = crossDimensionalityOfFactors(factors[b]!, factors[a]!);
    assert.ok(Math.abs(swapped.dimensionality - viaFactors.dimensionality) < 1e-9 * viaFactors.dimensionality);
  }
  const other = layerFactor(activity(rng, 20, 50, 3), { samples: 20, units: 50 });
  assert.throws(() => crossDimensionalityOfFactors(factors[0]!, other), /crossDimensionalityOfFactors: the factors cover different samples \(35 and 20\)/);
});

test('drawUnits and selectUnits: seeded draws without replacement, columns picked in order', () => {
  const a = drawUnits(new Rng(4), 50, 0.2);
  assert.equal(a.length, 10);
  assert.deepEqual(a, drawUnits(new Rng(4), 50, 0.2));
  for (let i = 1; i < a.length; i++) assert.ok(a[i]! > a[i - 1]!);
  assert.equal(drawUnits(new Rng(4), 3, 0.01).length, 1, 'at least one unit');
  const x = Float64Array.of(1, 2, 3, 4, 5, 6);
  assert.deepEqual(Array.from(selectUnits(x, { samples: 2, units: 3 }, [2, 0])), [3, 1, 6, 4]);
  assert.throws(() => selectUnits(x, { samples: 2, units: 3 }, [3]), /selectUnits: unit 3 outside \[0, 2\]/);
});

test('layerFactor of a wide layer has rank samples − 1: the Gram rounding along the centring direction is removed', () => {
  const rng = new Rng(24);
  const samples = 150;
  const units = 6000;
  const x = Float32Array.from({ length: samples * units }, () => Math.max(0, rng.normal() + 0.3));
  const f = layerFactor(x, { samples, units });
  assert.equal(f.rank, samples - 1);
});

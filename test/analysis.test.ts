import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { create, all } from 'mathjs';
import { denoising, denoisingPerPair, pearsonR } from '../src/analysis/denoising';
import { participationRatio, participationRatioFromVariances, preprocessActivity, smallGram } from '../src/analysis/dimensionality';
import { mean, median, oneSampleTTest, sampleSd } from '../src/analysis/stats';
import { initBackend } from '../src/backend';
import { Rng } from '../src/random';
import { assertClose } from './helpers';

const GOLDEN = path.join(__dirname, '..', '..', 'test', 'golden');

// participationRatio forms its Gram matrix on the tensor backend: the project's wasm one.
before(async () => {
  await initBackend({ force: 'wasm', log: false });
});

/**
 * participationRatio's Gram entries are float32 products (summed in float64),
 * so it agrees with float64 references to ~1e-8 relative; 1e-6 is the bound
 * the analysis promises.
 */
const PR_RTOL = 1e-6;

interface AnalysisGolden {
  participationRatio: { samples: number; units: number; unitNorm: boolean; data: number[]; pr: number }[];
  tTest: { values: number[]; t: number; p: number; mean: number; sd: number }[];
  denoising: { cleanFf: number[]; noisyFf: number[]; noisyRec: number[]; rCleanRec: number; rCleanFf: number; d: number }[];
}
const golden = JSON.parse(fs.readFileSync(path.join(GOLDEN, 'analysis_golden.json'), 'utf8')) as AnalysisGolden;

function gaussian(rng: Rng, n: number): Float64Array {
  return Float64Array.from({ length: n }, () => rng.normal());
}

// --- Pearson r and de-noising ------------------------------------------------------------

test('pearsonR: hand-computed case and affine invariance', () => {
  // x = [1,2,3], y = [1,3,2]: centred (-1,0,1)·(-1,1,0) = 1, norms √2·√2 → r = 0.5.
  assert.equal(pearsonR([1, 2, 3], [1, 3, 2]), 0.5);
  const rng = new Rng(1);
  const x = gaussian(rng, 50);
  assert.ok(Math.abs(pearsonR(x, x.map((v) => 3 * v + 7)) - 1) < 1e-12);
  assert.ok(Math.abs(pearsonR(x, x.map((v) => -2 * v + 1)) + 1) < 1e-12);
  assert.ok(Number.isNaN(pearsonR([1, 1, 1], [1, 2, 3])));
  assert.throws(() => pearsonR([1, 2], [1, 2, 3]), /differ in length/);
});

test('denoising: hand-computed small case', () => {
  // r(clean, rec) = r([1,2,3],[1,2,3]) = 1; r(clean, ff) = r([1,2,3],[1,3,2]) = 0.5 → d = 0.5.
  assert.equal(denoising([1, 2, 3], [1, 3, 2], [1, 2, 3]), 0.5);
  // And the reverse: recurrence moves the noisy pattern away → d = 0.5 − 1 = −0.5.
  assert.equal(denoising([1, 2, 3], [2, 4, 6], [1, 3, 2]), -0.5);
});

test('denoising is 0 when recurrence changes nothing, and per-pair matches the single version', () => {
  const rng = new Rng(2);
  const pairs = 6;
  const units = 40;
  const clean = gaussian(rng, pairs * units);
  const ff = gaussian(rng, pairs * units);
  const rec = gaussian(rng, pairs * units);
  const zero = denoisingPerPair(clean, ff, ff, { pairs, units });
  assert.deepEqual(Array.from(zero), Array(pairs).fill(0));
  const d = denoisingPerPair(clean, ff, rec, { pairs, units });
  for (let p = 0; p < pairs; p++) {
    const row = (x: Float64Array) => x.subarray(p * units, (p + 1) * units);
    assert.equal(d[p], denoising(row(clean), row(ff), row(rec)));
  }
  assert.throws(() => denoisingPerPair(clean, ff, rec.subarray(1), { pairs, units }), /noisyRec has 239 values, expected \[pairs 6, units 40\]/);
});

test('denoising matches numpy', () => {
  for (const c of golden.denoising) {
    assert.ok(Math.abs(pearsonR(c.cleanFf, c.noisyRec) - c.rCleanRec) < 1e-12);
    assert.ok(Math.abs(denoising(c.cleanFf, c.noisyFf, c.noisyRec) - c.d) < 1e-12);
  }
});

// --- participation ratio -----------------------------------------------------------------

test('participation ratio from variances: hand-computed cases', () => {
  assert.equal(participationRatioFromVariances([1, 1, 1, 1]), 4);
  assert.equal(participationRatioFromVariances([5, 0, 0]), 1);
  // (1 + 2 + 3)² / (1 + 4 + 9) = 36 / 14.
  assert.equal(participationRatioFromVariances([1, 2, 3]), 36 / 14);
  assert.throws(() => participationRatioFromVariances([0, 0]), /all variances are zero/);
});

test('participation ratio: isotropic data ≈ number of dimensions, rank-1 data = 1', () => {
  const rng = new Rng(3);
  const units = 10;
  const samples = 20000;
  const iso = gaussian(rng, samples * units);
  for (const unitNorm of [true, false]) {
    const pr = participationRatio(iso, { samples, units }, { unitNorm });
    assert.ok(Math.abs(pr - units) < 0.05, `isotropic PR ${pr} (unitNorm ${unitNorm})`);
  }
  // Rank 1: x_i = s_i · w (+ a constant offset, removed by centring).
  const w = gaussian(rng, 30);
  const s = gaussian(rng, 15);
  const rank1 = new Float64Array(15 * 30);
  for (let i = 0; i < 15; i++) for (let j = 0; j < 30; j++) rank1[i * 30 + j] = s[i]! * w[j]! + 4;
  assert.ok(Math.abs(participationRatio(rank1, { samples: 15, units: 30 }) - 1) < PR_RTOL);
  assert.ok(Math.abs(participationRatio(rank1, { samples: 15, units: 30 }, { unitNorm: false }) - 1) < PR_RTOL);
});

test('participation ratio: invariant to unit order, sample order and (with unit norm) per-unit scale', () => {
  const rng = new Rng(4);
  const samples = 12;
  const units = 9;
  const x = gaussian(rng, samples * units);
  const pr = participationRatio(x, { samples, units });
  const perm = rng.permutation(units);
  const rows = rng.permutation(samples);
  const y = new Float64Array(x.length);
  for (let i = 0; i < samples; i++) for (let j = 0; j < units; j++) y[i * units + j] = (j + 1) * 2.5 * x[rows[i]! * units + perm[j]!]! - 3;
  assert.ok(Math.abs(participationRatio(y, { samples, units }) - pr) < PR_RTOL * pr);
  // A constant unit adds no dimension.
  const z = new Float64Array(samples * (units + 1));
  for (let i = 0; i < samples; i++) {
    z.set(x.subarray(i * units, (i + 1) * units), i * (units + 1));
    z[i * (units + 1) + units] = 0.7;
  }
  assert.ok(Math.abs(participationRatio(z, { samples, units: units + 1 }) - pr) < PR_RTOL * pr);
  assert.throws(() => participationRatio(new Float64Array(6).fill(2), { samples: 3, units: 2 }), /every unit is constant/);
  assert.throws(() => participationRatio(x, { samples, units: units + 1 }), /expected \[samples 12, units 10\]/);
});

test('participation ratio: the Gram route equals an explicit eigendecomposition of the covariance', () => {
  const math = create(all);
  const rng = new Rng(5);
  for (const [samples, units] of [
    [8, 30],
    [30, 8],
    [10, 10],
  ] as const) {
    for (const unitNorm of [true, false]) {
      const x = gaussian(rng, samples * units).map((v, i) => v * (1 + (i % units)) + (i % 3));
      const pre = preprocessActivity(x, { samples, units }, { unitNorm });
      const rows = Array.from({ length: samples }, (_, i) => Array.from(pre.subarray(i * units, (i + 1) * units)));
      const cov = math.divide(math.multiply(math.transpose(rows), rows), samples - 1) as number[][];
      const values = (math.eigs(cov).values as number[]).map((v) => Math.max(0, v));
      const viaEigen = participationRatioFromVariances(values);
      const viaGram = participationRatio(x, { samples, units }, { unitNorm });
      assert.ok(Math.abs(viaGram - viaEigen) < PR_RTOL * viaEigen, `[${samples}, ${units}] unitNorm ${unitNorm}: Gram ${viaGram} vs eigen ${viaEigen}`);
      // Both Gram sides have the same trace and Frobenius norm.
      const { gram, size } = smallGram(pre, { samples, units });
      assert.equal(size, Math.min(samples, units));
      let tr = 0;
      for (let i = 0; i < size; i++) tr += gram[i * size + i]!;
      assertClose([tr], [values.reduce((a, b) => a + b, 0) * (samples - 1)], 1e-9, 1e-9, 'trace');
    }
  }
});

test('participation ratio matches numpy (eigvalsh of the covariance)', () => {
  for (const c of golden.participationRatio) {
    const pr = participationRatio(Float64Array.from(c.data), { samples: c.samples, units: c.units }, { unitNorm: c.unitNorm });
    assert.ok(Math.abs(pr - c.pr) < PR_RTOL * c.pr, `[${c.samples}, ${c.units}] unitNorm ${c.unitNorm}: ${pr} vs numpy ${c.pr}`);
  }
});

test('participation ratio accepts Float32Array activations', () => {
  const rng = new Rng(6);
  const x = gaussian(rng, 40 * 25);
  const pr64 = participationRatio(Float64Array.from(Float32Array.from(x)), { samples: 40, units: 25 });
  assert.equal(participationRatio(Float32Array.from(x), { samples: 40, units: 25 }), pr64);
});

// --- statistics --------------------------------------------------------------------------

test('mean, median, sd: hand-computed', () => {
  assert.equal(mean([1, 2, 3, 6]), 3);
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([-0.5, -2, 10]), -0.5);
  // Deviations −2, −1, 0, 3 → (4 + 1 + 0 + 9) / 3.
  assert.equal(sampleSd([1, 2, 3, 6]), Math.sqrt(14 / 3));
  assert.throws(() => mean([]), /no values/);
});

test('one-sample t-test: hand-computed and edge cases', () => {
  // [1, 2, 3, 6]: mean 3, sd √(14/3), t = 3 / (sd / 2).
  const r = oneSampleTTest([1, 2, 3, 6]);
  assert.equal(r.df, 3);
  assert.ok(Math.abs(r.t - 3 / (Math.sqrt(14 / 3) / 2)) < 1e-12);
  // Symmetric: negating the data flips t and keeps p.
  const neg = oneSampleTTest([-1, -2, -3, -6]);
  assert.equal(neg.t, -r.t);
  assert.equal(neg.pValue, r.pValue);
  // Testing against mu shifts the data.
  assert.ok(Math.abs(oneSampleTTest([11, 12, 13, 16], 10).pValue - r.pValue) < 1e-12);
  assert.equal(oneSampleTTest([2, 2, 2]).pValue, 0);
  assert.ok(Number.isNaN(oneSampleTTest([0, 0, 0]).pValue));
  assert.throws(() => oneSampleTTest([1]), /at least 2 values/);
  assert.throws(() => oneSampleTTest([1, NaN, 2]), /value 1 is NaN/);
});

test('one-sample t-test matches scipy.stats.ttest_1samp', () => {
  for (const c of golden.tTest) {
    const r = oneSampleTTest(c.values);
    assert.ok(Math.abs(r.t - c.t) < 1e-10 * Math.max(1, Math.abs(c.t)), `t ${r.t} vs scipy ${c.t}`);
    assert.ok(Math.abs(r.pValue - c.p) < 1e-8 * Math.max(c.p, 1e-12) + 1e-14, `p ${r.pValue} vs scipy ${c.p} (n ${c.values.length})`);
    assert.ok(Math.abs(r.mean - c.mean) < 1e-12);
    assert.ok(Math.abs(r.sd - c.sd) < 1e-12);
  }
});

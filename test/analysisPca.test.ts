/**
 * PCA (src/analysis/pca.ts): hand-computed cases, invariances, and sklearn
 * (test/golden/make_analysis2_golden.py). Components are compared up to sign.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { componentsFor, cumulativeExplained, pca, PcaResult, principalAxesFloat64, project, reconstruct, reconstructions } from '../src/analysis/pca';
import { initBackend } from '../src/backend';
import { Rng } from '../src/random';
import { assertClose, assertNoLeak } from './helpers';

const GOLDEN = path.join(__dirname, '..', '..', 'test', 'golden');

interface PcaGolden {
  samples: number; units: number; k: number; data: number[]; mean: number[]; components: number[];
  variances: number[]; explainedRatio: number[]; totalVariance: number; scores: number[]; reconstruction: number[];
}
const golden = JSON.parse(fs.readFileSync(path.join(GOLDEN, 'analysis2_golden.json'), 'utf8')) as { pca: PcaGolden[] };

before(async () => {
  await initBackend({ force: 'wasm', log: false });
});

/** Signs that make each of our components agree with the reference's (compared up to sign). */
function signsAgainst(ours: ArrayLike<number>, ref: ArrayLike<number>, k: number, units: number): number[] {
  return Array.from({ length: k }, (_, c) => {
    let dot = 0;
    for (let j = 0; j < units; j++) dot += ours[c * units + j]! * ref[c * units + j]!;
    return dot < 0 ? -1 : 1;
  });
}

function maxAbs(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]!));
  return m;
}

test('pca: hand-computed case (fewer units than samples)', () => {
  // Points on the axes: covariance diag(2/3, 8/3) (n − 1 = 3).
  const x = Float64Array.of(1, 0, -1, 0, 0, 2, 0, -2);
  const r = assertNoLeak(() => pca(x, { samples: 4, units: 2 }), 'pca');
  assert.equal(r.k, 2);
  assertClose(r.variances, [8 / 3, 2 / 3], 1e-7, 1e-7, 'variances');
  assert.equal(r.totalVariance, 10 / 3);
  assertClose(r.explainedRatio, [0.8, 0.2], 1e-7, 1e-7, 'explained ratio');
  // Largest-magnitude loading positive: [0, 1] and [1, 0] exactly.
  assertClose(r.components, [0, 1, 1, 0], 1e-7, 0, 'components');
  assertClose(r.mean, [0, 0], 0, 0, 'mean');
  assertClose(project(x, { samples: 4, units: 2 }, r), [0, 1, 0, -1, 2, 0, -2, 0], 1e-6, 0, 'scores');
});

test('pca: rank-1 data has one component along the line; more components are an error', () => {
  const rng = new Rng(21);
  const units = 700;
  const samples = 9;
  const v = Float64Array.from({ length: units }, () => rng.normal());
  const t = Float64Array.from({ length: samples }, () => rng.normal());
  const x = new Float64Array(samples * units);
  for (let i = 0; i < samples; i++) for (let j = 0; j < units; j++) x[i * units + j] = t[i]! * v[j]! + 3 + (j % 4);
  const r = pca(x, { samples, units });
  assert.equal(r.k, 1);
  const tm = t.reduce((a, b) => a + b, 0) / samples;
  const varT = t.reduce((a, b) => a + (b - tm) ** 2, 0) / (samples - 1);
  const v2 = v.reduce((a, b) => a + b * b, 0);
  assert.ok(Math.abs(r.variances[0]! - varT * v2) < 1e-6 * varT * v2);
  assert.ok(Math.abs(r.explainedRatio[0]! - 1) < 1e-6);
  const norm = Math.sqrt(v2);
  const sign = signsAgainst(r.components, v, 1, units)[0]!;
  assertClose(r.components, Array.from(v, (a) => (sign * a) / norm), 1e-6, 0, 'component = ±v/|v|');
  assert.throws(() => pca(x, { samples, units }, { components: 2 }), /pca: 2 components requested but the data \[samples 9, units 700\] have numerical rank 1/);
});

test('pca matches sklearn (components up to sign, variances, transform, inverse_transform)', () => {
  for (const c of golden.pca) {
    const shape = { samples: c.samples, units: c.units };
    const what = `[${c.samples}, ${c.units}]`;
    const x = Float64Array.from(c.data);
    const full = assertNoLeak(() => pca(x, shape), 'pca');
    assert.equal(full.k, Math.min(c.samples - 1, c.units), `${what}: every component`);
    // The mean is float64 rounded to float32.
    assertClose(full.mean, c.mean, 0, 1e-7, `${what} mean`);
    assert.ok(Math.abs(full.totalVariance - c.totalVariance) < 1e-12 * c.totalVariance);
    // Eigenvalues of a float32-rounded Gram: errors ~1e-7 of the largest, in absolute terms.
    const top = c.variances[0]!;
    assertClose(full.variances, c.variances.slice(0, full.k), 1e-6 * top, 1e-6, `${what} variances`);
    assertClose(full.explainedRatio, c.explainedRatio.slice(0, full.k), 1e-6 * c.explainedRatio[0]!, 1e-6, `${what} explained ratio`);
    // The first k axes, equal to sklearn's up to sign. An axis moves by about the Gram's rounding
    // (~1e-7 of the largest variance) over the gap to its neighbouring variance: ~1e-5 for the 6th
    // axis of the first case (variance 0.96, neighbours 1.8 and 0.83, largest 389).
    const r = pca(x, shape, { components: c.k });
    const signs = signsAgainst(r.components, c.components, c.k, c.units);
    const flipped = Float64Array.from(r.components, (v, i) => v * signs[Math.floor(i / c.units)]!);
    assertClose(flipped, c.components, 2e-5, 0, `${what} components`);
    const scores = project(x, shape, r);
    assertClose(scores.map((v, i) => v * signs[i % c.k]!), c.scores, 1e-5 * maxAbs(c.scores), 0, `${what} scores`);
    // Reconstruction does not depend on the signs.
    assertClose(reconstruct(x, shape, r, c.k), c.reconstruction, 1e-5 * maxAbs(c.reconstruction), 0, `${what} reconstruction`);
  }
});

test('pca: conventions (orthonormal rows, sign, cumulative explained variance) and k = 0 and full reconstructions', () => {
  const rng = new Rng(22);
  const [samples, units] = [50, 1300];
  const x = Float32Array.from({ length: samples * units }, (_, i) => rng.normal() * (1 + (i % units) / 100) + (i % 3));
  const shape = { samples, units };
  const r = assertNoLeak(() => pca(x, shape), 'pca');
  assert.equal(r.k, samples - 1);
  for (let a = 0; a < 5; a++) {
    for (let b = 0; b <= a; b++) {
      let dot = 0;
      for (let j = 0; j < units; j++) dot += r.components[a * units + j]! * r.components[b * units + j]!;
      assert.ok(Math.abs(dot - (a === b ? 1 : 0)) < 1e-5, `component ${a}·${b} = ${dot}`);
    }
  }
  for (let c = 0; c < r.k; c++) {
    const row = r.components.subarray(c * units, (c + 1) * units);
    let top = 0;
    for (let j = 0; j < units; j++) if (Math.abs(row[j]!) > Math.abs(row[top]!)) top = j;
    assert.ok(row[top]! > 0, `component ${c}: largest loading positive`);
  }
  for (let c = 1; c < r.k; c++) assert.ok(r.variances[c]! <= r.variances[c - 1]!);
  assert.equal(cumulativeExplained(r, 0), 0);
  assert.ok(Math.abs(cumulativeExplained(r, r.k) - 1) < 1e-6, 'all components explain all variance');
  assert.ok(cumulativeExplained(r, 10) < cumulativeExplained(r, 11));
  const k0 = assertNoLeak(() => reconstruct(x, shape, r, 0), 'reconstruct');
  for (let i = 0; i < samples; i++) assert.deepEqual(k0.subarray(i * units, (i + 1) * units), r.mean);
  // With every component (rank n − 1) the data come back.
  const back = assertNoLeak(() => reconstruct(x, shape, r, r.k), 'reconstruct');
  assertClose(back, x, 1e-4 * maxAbs(x), 0, 'full reconstruction');
  assert.throws(() => cumulativeExplained(r, r.k + 1), /cumulativeExplained: k must be an integer in \[0, 49\]/);
  assert.throws(() => project(x.subarray(0, 10 * (units - 1)), { samples: 10, units: units - 1 }, r), /project: data has 1299 units but the PCA has 1300/);
  assert.throws(() => pca(x, { samples, units: units + 1 }), /pca: data has 65000 values, expected \[samples 50, units 1301\]/);
  assert.throws(() => pca(x, shape, { components: 50 }), /components must be an integer in \[1, 49\]/);
});

test('reconstructions: each count equals its own reconstruct (incremental sums, float32 rounding), mean at 0, bad counts refused', () => {
  const rng = new Rng(23);
  // More rows than one matMul block (256) so the blocks are exercised; a grid like Figure 4D's with a repeated gap.
  const [samples, units] = [300, 700];
  const x = Float32Array.from({ length: samples * units }, (_, i) => rng.normal() * (1 + (i % units) / 50) + (i % 5));
  const shape = { samples, units };
  const r = pca(x, shape);
  const ks = [0, 1, 2, 5, 10, 50, 200, r.k];
  const seen: number[] = [];
  assertNoLeak(() => {
    reconstructions(x, shape, r, ks, (k, rebuilt) => {
      seen.push(k);
      const want = reconstruct(x, shape, r, k);
      assertClose(rebuilt, want, 2e-5 * maxAbs(x), 0, `k = ${k}`);
    });
    return null;
  }, 'reconstructions');
  assert.deepEqual(seen, ks);
  assert.throws(() => reconstructions(x, shape, r, [0, 5, 5], () => {}), /increasing integers, got \[0, 5, 5\]/);
  assert.throws(() => reconstructions(x, shape, r, []), /reconstructions: no component counts given/);
  assert.throws(() => reconstructions(x, shape, r, [0, r.k + 1], () => {}), /reconstructions: k must be an integer in \[0, 299\]/);
});

test('pca: both routes (Gram of samples or of units) agree on the same data', () => {
  // The same 40 points in 30 dimensions, embedded in 30 and, zero-padded, in 600 dimensions.
  const rng = new Rng(23);
  const [samples, units, wide] = [40, 30, 600];
  const x = Float64Array.from({ length: samples * units }, (_, i) => rng.normal() * (1 + (i % units)));
  const padded = new Float64Array(samples * wide);
  for (let i = 0; i < samples; i++) padded.set(x.subarray(i * units, (i + 1) * units), i * wide);
  const narrow: PcaResult = pca(x, { samples, units }, { components: 10 }); // XcᵀXc: 30 × 30
  const broad: PcaResult = pca(padded, { samples, units: wide }, { components: 10 }); // XcXcᵀ: 40 × 40
  assertClose(broad.variances, narrow.variances, 1e-6 * narrow.variances[0]!, 1e-6, 'variances');
  for (let c = 0; c < 10; c++) {
    assertClose(broad.components.subarray(c * wide, c * wide + units), narrow.components.subarray(c * units, (c + 1) * units), 1e-5, 0, `component ${c}`);
    assert.ok(maxAbs(broad.components.subarray(c * wide + units, (c + 1) * wide)) < 1e-6, 'no loading on the padding');
  }
});

test('componentsFor: smallest number of components reaching a fraction of the gap over the k = 0 baseline', () => {
  // Gap 0.5 over baseline 0.5; 85 % of it is 0.425 above baseline, first reached at k = 4 (0.45).
  const curve = [0.5, 0.6, 0.8, 0.9, 0.95, 1.0];
  assert.equal(componentsFor(curve, 0.85), 4);
  assert.equal(componentsFor(curve, 0.85, [0, 10, 20, 50, 100, 200]), 100);
  assert.equal(componentsFor(curve, 1), 5);
  assert.equal(componentsFor(curve, 0.2), 1);
  // First crossing, even if the curve dips afterwards.
  assert.equal(componentsFor([0.2, 0.9, 0.5, 0.8], 0.85), 1);
  // No gap, or a negative one: undefined.
  assert.ok(Number.isNaN(componentsFor([0.7, 0.8, 0.7], 0.85)));
  assert.ok(Number.isNaN(componentsFor([0.7, 0.6, 0.5], 0.85)));
  assert.throws(() => componentsFor(curve, 0.85, [1, 2, 3, 4, 5, 6]), /ks must start at 0/);
  assert.throws(() => componentsFor(curve, 1.5), /fraction must be in \(0, 1\]/);
  assert.throws(() => componentsFor([0.5], 0.5), /at least 2 values/);
});

test('principalAxesFloat64 matches sklearn to 1e-9 (float64 throughout, either side\'s Gram matrix)', () => {
  for (const c of golden.pca) {
    const shape = { samples: c.samples, units: c.units };
    const r = principalAxesFloat64(Float64Array.from(c.data), shape, { components: c.k });
    assert.equal(r.rank, Math.min(c.samples - 1, c.units));
    const signs = signsAgainst(r.axes, c.components, c.k, c.units);
    assertClose(Float64Array.from(r.axes, (v, i) => v * signs[Math.floor(i / c.units)]!), c.components, 1e-9, 0, `[${c.samples}, ${c.units}] axes`);
    assertClose(r.variances, c.variances.slice(0, c.k), 1e-9 * c.variances[0]!, 1e-9, 'variances');
  }
  assert.throws(() => principalAxesFloat64(new Float64Array(6).fill(3), { samples: 3, units: 2 }), /principalAxesFloat64: the data \[samples 3, units 2\] are constant/);
  assert.throws(() => principalAxesFloat64(Float64Array.of(1, 0, 0, 1, 1, 1), { samples: 3, units: 2 }, { components: 3 }), /components must be an integer in \[1, 2\] \(the numerical rank\), got 3/);
});

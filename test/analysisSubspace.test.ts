/**
 * Principal angles and subspace alignment (src/analysis/subspace.ts):
 * hand-computed cases, invariances, and scipy.linalg.subspace_angles
 * (test/golden/make_analysis2_golden.py).
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pca } from '../src/analysis/pca';
import { principalAngles, principalAnglesFloat64, subspaceAlignment } from '../src/analysis/subspace';
import { initBackend } from '../src/backend';
import { Rng } from '../src/random';
import { assertClose, assertNoLeak } from './helpers';

const GOLDEN = path.join(__dirname, '..', '..', 'test', 'golden');

interface SubspaceGolden { name: string; units: number; ka: number; kb: number; a: number[]; b: number[]; angles: number[]; alignment: number }
const golden = JSON.parse(fs.readFileSync(path.join(GOLDEN, 'analysis2_golden.json'), 'utf8')) as { subspace: SubspaceGolden[] };

before(async () => {
  await initBackend({ force: 'wasm', log: false });
});

function gaussian(rng: Rng, n: number): Float64Array {
  return Float64Array.from({ length: n }, () => rng.normal());
}

/** Row-major [units, k] → [k, units]. */
function transpose(x: Float64Array, units: number, k: number): Float64Array {
  const t = new Float64Array(x.length);
  for (let u = 0; u < units; u++) for (let c = 0; c < k; c++) t[c * units + u] = x[u * k + c]!;
  return t;
}

/** [units, k] times a [k, k] matrix. */
function mixColumns(x: Float64Array, units: number, k: number, m: Float64Array): Float64Array {
  const out = new Float64Array(units * k);
  for (let u = 0; u < units; u++) for (let c = 0; c < k; c++) for (let d = 0; d < k; d++) out[u * k + c]! += x[u * k + d]! * m[d * k + c]!;
  return out;
}

test('principal angles: hand-computed case in three dimensions', () => {
  // span(e1, e2) against span(cos t e1 + sin t e3): one angle, t.
  const t = 0.7;
  const a = Float64Array.of(1, 0, 0, 1, 0, 0); // [3, 2]
  const b = Float64Array.of(Math.cos(t), 0, Math.sin(t)); // [3, 1]
  const angles = assertNoLeak(() => principalAngles(a, { units: 3, vectors: 2 }, b, { units: 3, vectors: 1 }), 'principalAngles');
  assert.equal(angles.length, 1);
  assert.ok(Math.abs(angles[0]! - t) < 1e-6, `angle ${angles[0]} vs ${t}`);
  assert.ok(Math.abs(subspaceAlignment(a, { units: 3, vectors: 2 }, b, { units: 3, vectors: 1 }) - Math.cos(t)) < 1e-6);
});

test('principal angles match scipy.linalg.subspace_angles', () => {
  for (const c of golden.subspace) {
    const a = Float64Array.from(c.a);
    const b = Float64Array.from(c.b);
    const angles = assertNoLeak(() => principalAngles(a, { units: c.units, vectors: c.ka }, b, { units: c.units, vectors: c.kb }), 'principalAngles');
    // Cosines from float32 products (~1e-7): angle errors ~1e-7 / sin θ, θ ≥ 0.09 here.
    assertClose(angles, c.angles, 2e-6, 0, `${c.name} angles`);
    const alignment = subspaceAlignment(a, { units: c.units, vectors: c.ka }, b, { units: c.units, vectors: c.kb });
    assert.ok(Math.abs(alignment - c.alignment) < 2e-6, `${c.name}: alignment ${alignment} vs ${c.alignment}`);
    // The other layout gives the same angles.
    const rows = principalAngles(transpose(a, c.units, c.ka), { units: c.units, vectors: c.ka }, transpose(b, c.units, c.kb), { units: c.units, vectors: c.kb }, { layout: 'rows' });
    assertClose(rows, angles, 1e-9, 0, `${c.name} rows layout`);
  }
});

test('a subspace against a rotated, rescaled copy of itself: angles 0, alignment 1; orthogonal subspaces: π/2, alignment 0', () => {
  const rng = new Rng(31);
  const [units, k] = [3000, 12];
  const a = gaussian(rng, units * k);
  const mix = gaussian(rng, k * k); // a random (invertible) change of basis
  const b = mixColumns(a, units, k, mix);
  const shape = { units, vectors: k };
  const same = principalAngles(a, shape, b, shape);
  assert.equal(same.length, k);
  // Angles near 0 are resolved only to ~√(1e-7) by cosines from float32 products.
  assert.ok(Math.max(...same) < 2e-3, `largest angle ${Math.max(...same)}`);
  assert.ok(subspaceAlignment(a, shape, b, shape) > 1 - 1e-6);
  // Disjoint supports: orthogonal.
  const c = new Float64Array(units * 4);
  const d = new Float64Array(units * 3);
  for (let u = 0; u < units / 2; u++) for (let j = 0; j < 4; j++) c[u * 4 + j] = rng.normal();
  for (let u = units / 2; u < units; u++) for (let j = 0; j < 3; j++) d[u * 3 + j] = rng.normal();
  const ortho = principalAngles(c, { units, vectors: 4 }, d, { units, vectors: 3 });
  assertClose(ortho, [Math.PI / 2, Math.PI / 2, Math.PI / 2], 1e-6, 0, 'orthogonal angles');
  assert.ok(Math.abs(subspaceAlignment(c, { units, vectors: 4 }, d, { units, vectors: 3 })) < 1e-6);
});

test('bases of different sizes: min(ka, kb) angles; a subspace inside a larger one is aligned', () => {
  const rng = new Rng(32);
  const units = 500;
  const big = gaussian(rng, units * 6);
  // The first two columns of big, mixed.
  const small = new Float64Array(units * 2);
  for (let u = 0; u < units; u++) {
    small[u * 2] = big[u * 6]! + 0.5 * big[u * 6 + 1]!;
    small[u * 2 + 1] = big[u * 6 + 1]! - 2 * big[u * 6]!;
  }
  const angles = principalAngles(small, { units, vectors: 2 }, big, { units, vectors: 6 });
  assert.equal(angles.length, 2);
  assert.ok(Math.max(...angles) < 2e-3);
  assert.ok(subspaceAlignment(big, { units, vectors: 6 }, small, { units, vectors: 2 }) > 1 - 1e-6);
});

test('PCA components (rows layout) of two data sets sharing their dominant directions are aligned', () => {
  const rng = new Rng(33);
  const [samples, units, shared] = [60, 800, 3];
  const axes = gaussian(rng, shared * units);
  const data = () => {
    const x = gaussian(rng, samples * units).map((v) => 0.05 * v);
    for (let i = 0; i < samples; i++) for (let s = 0; s < shared; s++) {
      const t = rng.normal() * (3 - s);
      for (let j = 0; j < units; j++) x[i * units + j]! += t * axes[s * units + j]!;
    }
    return x;
  };
  const pa = pca(data(), { samples, units }, { components: shared });
  const pb = pca(data(), { samples, units }, { components: shared });
  const shape = { units, vectors: shared };
  const alignment = subspaceAlignment(pa.components, shape, pb.components, shape, { layout: 'rows' });
  assert.ok(alignment > 0.99, `alignment ${alignment}`);
});

test('principal angles: shape and basis errors name the function, argument and shape', () => {
  const a = new Float64Array(30);
  assert.throws(() => principalAngles(a, { units: 10, vectors: 4 }, a, { units: 10, vectors: 3 }),
    /principalAngles: a has 30 values, expected \[units 10, vectors 4\] = 40 \(layout 'columns'\)/);
  assert.throws(() => principalAngles(a, { units: 10, vectors: 3 }, a, { units: 15, vectors: 2 }), /principalAngles: a has vectors of length 10, b of length 15/);
  const rng = new Rng(34);
  const dependent = gaussian(rng, 30);
  for (let u = 0; u < 10; u++) dependent[u * 3 + 2] = dependent[u * 3]! - dependent[u * 3 + 1]!;
  assert.throws(() => principalAngles(dependent, { units: 10, vectors: 3 }, gaussian(rng, 20), { units: 10, vectors: 2 }), /principalAngles: the vectors of a are \(nearly\) linearly dependent/);
  assert.throws(() => principalAngles(new Float64Array(20), { units: 10, vectors: 2 }, gaussian(rng, 20), { units: 10, vectors: 2 }), /principalAngles: vector 0 of a is zero/);
});

test('principalAnglesFloat64 matches scipy.linalg.subspace_angles to 1e-10; a mixed copy of a basis is at angle 0', () => {
  for (const c of golden.subspace) {
    const a = transpose(Float64Array.from(c.a), c.units, c.ka);
    const b = transpose(Float64Array.from(c.b), c.units, c.kb);
    const angles = principalAnglesFloat64(a, { units: c.units, vectors: c.ka }, b, { units: c.units, vectors: c.kb });
    assertClose(angles, c.angles, 1e-10, 0, `${c.name} angles`);
  }
  const rng = new Rng(32);
  const [units, k] = [400, 6];
  const a = gaussian(rng, units * k);
  const b = transpose(mixColumns(a, units, k, gaussian(rng, k * k)), units, k);
  const self = principalAnglesFloat64(transpose(a, units, k), { units, vectors: k }, b, { units, vectors: k });
  // Cosines within ~1e-15 of 1 resolve angles to ~√(2·1e-15) ≈ 5e-8.
  assert.ok(Math.max(...self) < 1e-7, `angles of a subspace with itself: ${Math.max(...self)}`);
  const dependent = Float64Array.of(1, 2, 3, 2, 4, 6);
  assert.throws(() => principalAnglesFloat64(dependent, { units: 3, vectors: 2 }, dependent, { units: 3, vectors: 2 }), /principalAnglesFloat64: the vectors of a are \(nearly\) linearly dependent \(vector 1\)/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EVD, Matrix } from 'ml-matrix';
import { symmetricEigen, symmetricEigenvalues } from '../src/analysis/eigh';
import { Rng } from '../src/random';

function randomSymmetric(n: number, seed: number, rank = n): Float64Array {
  const rng = new Rng(seed);
  const a = Float64Array.from({ length: n * rank }, () => rng.normal());
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let k = 0; k < rank; k++) s += a[i * rank + k]! * a[j * rank + k]!;
    m[i * n + j] = s;
  }
  return m;
}

test('symmetricEigen matches ml-matrix on a random Gram matrix and satisfies M v = λ v with orthonormal v', () => {
  const n = 60;
  const m = randomSymmetric(n, 3);
  const ours = symmetricEigen(m, n);
  const ref = new EVD(Matrix.from1DArray(n, n, Array.from(m)), { assumeSymmetric: true });
  const top = Math.abs(ours.values[n - 1]!);
  ref.realEigenvalues.forEach((v, i) => assert.ok(Math.abs(v - ours.values[i]!) <= 1e-12 * top, `eigenvalue ${i}: ${ours.values[i]} vs ${v}`));
  for (let i = 0; i < n; i++) {
    const v = ours.vectors.subarray(i * n, (i + 1) * n);
    for (let r = 0; r < n; r++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += m[r * n + k]! * v[k]!;
      assert.ok(Math.abs(s - ours.values[i]! * v[r]!) <= 1e-11 * top, `residual of vector ${i} row ${r}`);
    }
    for (let j = i; j < n; j++) {
      let dot = 0;
      for (let k = 0; k < n; k++) dot += v[k]! * ours.vectors[j * n + k]!;
      assert.ok(Math.abs(dot - (i === j ? 1 : 0)) < 1e-12, `v${i}·v${j} = ${dot}`);
    }
  }
});

test('symmetricEigen: hand cases (diagonal, 2x2, rank-deficient) and ascending order', () => {
  const d = symmetricEigen(Float64Array.from([3, 0, 0, 0, 1, 0, 0, 0, 2]), 3);
  assert.deepEqual(Array.from(d.values), [1, 2, 3]);
  const two = symmetricEigen(Float64Array.from([2, 1, 1, 2]), 2);
  assert.ok(Math.abs(two.values[0]! - 1) < 1e-15 && Math.abs(two.values[1]! - 3) < 1e-15);
  assert.ok(Math.abs(Math.abs(two.vectors[2]!) - Math.SQRT1_2) < 1e-15 && Math.abs(two.vectors[2]! - two.vectors[3]!) < 1e-15, 'λ = 3 has (1, 1)/√2');
  const low = symmetricEigen(randomSymmetric(30, 4, 5), 30);
  const zeros = Array.from(low.values).filter((v) => Math.abs(v) < 1e-10 * low.values[29]!).length;
  assert.equal(zeros, 25, 'a rank-5 Gram matrix of size 30 has 25 zero eigenvalues');
  assert.throws(() => symmetricEigen(new Float64Array(5), 2), /expected \[2, 2\]/);
});

test('symmetricEigenvalues: the values of symmetricEigen, bit for bit, without the vectors', () => {
  for (const [n, seed, rank] of [[1, 1, 1], [2, 2, 2], [45, 5, 45], [40, 6, 7]] as const) {
    const m = randomSymmetric(n, seed, rank);
    assert.deepEqual(Array.from(symmetricEigenvalues(m, n)), Array.from(symmetricEigen(m, n).values));
  }
  assert.deepEqual(Array.from(symmetricEigenvalues(Float64Array.from([3, 0, 0, 0, 1, 0, 0, 0, 2]), 3)), [1, 2, 3]);
  const two = symmetricEigenvalues(Float64Array.from([2, 1, 1, 2]), 2);
  assert.ok(Math.abs(two[0]! - 1) < 1e-15 && Math.abs(two[1]! - 3) < 1e-15);
  assert.equal(symmetricEigenvalues(new Float64Array(0), 0).length, 0);
  assert.throws(() => symmetricEigenvalues(new Float64Array(5), 2), /symmetricEigenvalues: matrix has 5 values, expected \[2, 2\]/);
});

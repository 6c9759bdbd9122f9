import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../src/random';

const moments = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean: m, variance: xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1) };
};

test('gamma, beta and Dirichlet draws have the right mean and variance', () => {
  const rng = new Rng(1);
  const n = 20000;
  for (const shape of [0.3, 1, 4.5]) {
    const { mean, variance } = moments(Array.from({ length: n }, () => rng.gamma(shape)));
    assert.ok(Math.abs(mean - shape) < 4 * Math.sqrt(shape / n), `gamma(${shape}) mean ${mean}`);
    assert.ok(Math.abs(variance / shape - 1) < 0.1, `gamma(${shape}) variance ${variance}`);
  }
  for (const [a, b] of [[1, 1], [2, 5], [0.5, 0.5]]) {
    const xs = Array.from({ length: n }, () => rng.beta(a, b));
    assert.ok(xs.every((x) => x >= 0 && x <= 1));
    const { mean, variance } = moments(xs);
    const want = a / (a + b);
    assert.ok(Math.abs(mean - want) < 0.01, `beta(${a}, ${b}) mean ${mean}`);
    assert.ok(Math.abs(variance / ((a * b) / ((a + b) ** 2 * (a + b + 1))) - 1) < 0.1, `beta(${a}, ${b}) variance ${variance}`);
  }
  const draws = Array.from({ length: n }, () => rng.dirichlet([1, 2, 3]));
  assert.ok(draws.every((w) => Math.abs(w.reduce((s, v) => s + v, 0) - 1) < 1e-12 && w.every((v) => v >= 0)));
  [1, 2, 3].forEach((a, k) => assert.ok(Math.abs(moments(draws.map((w) => w[k])).mean - a / 6) < 0.01));
  // Tiny alphas underflow every gamma draw: all weight goes to one entry.
  const tiny = rng.dirichlet([1e-4, 1e-4]);
  assert.ok(tiny.every((v) => Number.isFinite(v)));
  assert.throws(() => rng.gamma(0), /Rng.gamma: shape must be positive, got 0/);
  assert.deepEqual(new Rng(3).dirichlet([1, 1, 1]), new Rng(3).dirichlet([1, 1, 1]));
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Matrix, solve } from 'ml-matrix';
import {
  type Split,
  ceilScore,
  fitPls,
  internalConsistency,
  maxPlsComponents,
  nanMedian,
  neuralPredictivity,
  predictPls,
  regressionCorrelation,
  shuffleSplits,
} from '../src/analysis/predictivity';
import { Rng } from '../src/random';
import { assertClose } from './helpers';

const GOLDEN = path.join(__dirname, '..', '..', 'test', 'golden');

interface PlsCase {
  name: string;
  n: number;
  p: number;
  q: number;
  components: number;
  x: number[][];
  y: number[][];
  xTest: number[][];
  xWeights: number[][];
  yWeights: number[][];
  xLoadings: number[][];
  yLoadings: number[][];
  xRotations: number[][];
  coefficients: number[][];
  iterations: number[];
  prediction: number[][];
}
interface SplitJson {
  train: number[];
  test: number[];
}
interface MetricGolden {
  features: number[][];
  responses: number[][][];
  labels: number[];
  splits: SplitJson[];
  halvings: SplitJson[];
  components: number;
  perSplit: number[];
  score: number;
  scoreError: number;
  perNeuroid: number[];
  perHalving: number[];
  ceiling: number;
  ceiledR2OverC: number;
  ceiledSquaredRatio: number;
}
const golden = JSON.parse(fs.readFileSync(path.join(GOLDEN, 'predictivity_golden.json'), 'utf8')) as { pls: PlsCase[]; metric: MetricGolden };

const flat = (rows: number[][]) => Float64Array.from(rows.flat());
const toSplits = (splits: SplitJson[]): Split[] => splits.map((s) => ({ train: Int32Array.from(s.train), test: Int32Array.from(s.test) }));
const matrixValues = (m: Matrix) => m.to1DArray();

function gaussianMatrix(rng: Rng, rows: number, columns: number): Matrix {
  return Matrix.from1DArray(rows, columns, Float64Array.from({ length: rows * columns }, () => rng.normal()));
}

// --- PLS -----------------------------------------------------------------------------------

test('fitPls: one feature, one component is the least-squares line (hand-computed)', () => {
  // x = (-1, 0, 1), y = (1, 2, 4): slope Σx(y − ȳ)/Σx² = (4/3 + 5/3)/2 = 1.5, intercept ȳ = 7/3.
  const model = fitPls(new Matrix([[-1], [0], [1]]), new Matrix([[1], [2], [4]]), 1);
  assert.equal(model.components, 1);
  assertClose(matrixValues(model.coefficients), [1.5], 1e-15, 0);
  assertClose(matrixValues(predictPls(model, new Matrix([[-1], [0], [1], [2]]))), [7 / 3 - 1.5, 7 / 3, 7 / 3 + 1.5, 7 / 3 + 3], 1e-14, 0);
});

test('fitPls: as many components as features is ordinary least squares', () => {
  const rng = new Rng(3);
  const x = gaussianMatrix(rng, 40, 5);
  const y = gaussianMatrix(rng, 40, 3);
  const model = fitPls(x, y, 5);
  const xc = x.clone().subRowVector(x.mean('column'));
  const yc = y.clone().subRowVector(y.mean('column'));
  const ols = solve(xc.transpose().mmul(xc), xc.transpose().mmul(yc));
  assertClose(matrixValues(model.coefficients), matrixValues(ols), 1e-9, 1e-9, 'coefficients');
});

for (const c of golden.pls) {
  test(`fitPls/predictPls match scikit-learn PLSRegression(scale=False): ${c.name}`, () => {
    const model = fitPls(new Matrix(c.x), new Matrix(c.y), c.components);
    assert.equal(model.components, c.components);
    assert.deepEqual(model.iterations, c.iterations);
    for (const key of ['xWeights', 'yWeights', 'xLoadings', 'yLoadings', 'xRotations', 'coefficients'] as const) {
      assertClose(matrixValues(model[key]), flat(c[key]), 1e-8, 1e-8, key);
    }
    assertClose(matrixValues(predictPls(model, new Matrix(c.xTest))), flat(c.prediction), 1e-8, 1e-8, 'prediction');
  });
}

test('fitPls: stops when the rank of X is used up (duplicate features) and predicts like least squares on the distinct ones', () => {
  const rng = new Rng(5);
  const base = gaussianMatrix(rng, 30, 2);
  const x = new Matrix(30, 4);
  for (let i = 0; i < 30; i++) [0, 1, 0, 1].forEach((src, j) => x.set(i, j, base.get(i, src)));
  const y = gaussianMatrix(rng, 30, 2);
  const model = fitPls(x, y, 4);
  assert.equal(model.components, 2);
  const reference = fitPls(base, y, 2);
  const test = gaussianMatrix(rng, 5, 2);
  const xTest = new Matrix(5, 4);
  for (let i = 0; i < 5; i++) [0, 1, 0, 1].forEach((src, j) => xTest.set(i, j, test.get(i, src)));
  assertClose(matrixValues(predictPls(model, xTest)), matrixValues(predictPls(reference, test)), 1e-9, 1e-9);
});

test('fitPls: rejects mismatched samples and impossible component counts', () => {
  assert.throws(() => fitPls(new Matrix(5, 2), new Matrix(4, 1), 1), /x has 5 samples .* y has 4/);
  assert.throws(() => fitPls(new Matrix([[1, 2], [3, 4], [5, 7]]), new Matrix([[1], [2], [3]]), 3), /components must be an integer in \[1, features 2\]/);
  assert.throws(() => predictPls(fitPls(new Matrix([[1], [2], [4]]), new Matrix([[1], [2], [3]]), 1), new Matrix(2, 3)), /x has 3 features/);
});

// --- splits --------------------------------------------------------------------------------

function assertPartition(split: Split, samples: number): void {
  const all = [...split.train, ...split.test].sort((a, b) => a - b);
  assert.deepEqual(all, Array.from({ length: samples }, (_, i) => i));
  for (const part of [split.train, split.test]) for (let i = 1; i < part.length; i++) assert.ok(part[i - 1]! < part[i]!, 'indices ascending');
}

test('shuffleSplits: floor(0.9 n) training samples, disjoint and complete, reproducible from the seed', () => {
  const splits = shuffleSplits(37);
  assert.equal(splits.length, 10);
  for (const s of splits) {
    assert.equal(s.train.length, 33);
    assert.equal(s.test.length, 4);
    assertPartition(s, 37);
  }
  assert.deepEqual(shuffleSplits(37), splits);
  assert.notDeepEqual(shuffleSplits(37, { seed: 2 }), splits);
  assert.equal(new Set(splits.map((s) => s.test.join(','))).size, 10, 'the splits differ');
});

test('shuffleSplits: stratified by labels, each class split in proportion (hand-computed counts)', () => {
  // 40 samples in classes of 20, 10, 6 and 4; 36 train: 36·(20, 10, 6, 4)/40 = (18, 9, 5.4, 3.6)
  // → floors (18, 9, 5, 3) and one more for the largest remainder (0.6, the class of 4) → (18, 9, 5, 4);
  // the rest, (2, 1, 1, 0), is held out.
  const labels = [...Array(20).fill(7), ...Array(10).fill(1), ...Array(6).fill(3), ...Array(4).fill(5)];
  const order = new Rng(9).permutation(40);
  const shuffled = Array.from(order, (i) => labels[i]!);
  for (const s of shuffleSplits(40, { labels: shuffled, splits: 5 })) {
    assertPartition(s, 40);
    const count = (part: Int32Array, label: number) => Array.from(part).filter((i) => shuffled[i] === label).length;
    assert.deepEqual([7, 1, 3, 5].map((l) => count(s.train, l)), [18, 9, 5, 4]);
    assert.deepEqual([7, 1, 3, 5].map((l) => count(s.test, l)), [2, 1, 1, 0]);
  }
});

test('shuffleSplits: rejects what the data do not allow', () => {
  assert.throws(() => shuffleSplits(10, { labels: [0, 0, 0, 0, 0, 1, 1, 1, 1, 2] }), /label 2 has only 1 sample/);
  assert.throws(() => shuffleSplits(20, { labels: Array.from({ length: 20 }, (_, i) => i % 4) }), /4 classes but the splits hold 18 training and 2 test samples/);
  assert.throws(() => shuffleSplits(10, { labels: [0, 1] }), /labels has 2 values, expected one per sample \(10\)/);
  assert.throws(() => shuffleSplits(10, { trainSize: 1 }), /trainSize must be in \(0, 1\)/);
  assert.throws(() => shuffleSplits(3, { trainSize: 0.2 }), /leaves no training sample/);
});

// --- ceiling and ceiled score ---------------------------------------------------------------

test('internalConsistency: hand-computed split-half r with Spearman-Brown; identical repetitions give 1', () => {
  // One neuroid, halves (1, 2, 3) and (1, 3, 2): r = 0.5 → 2r/(1 + r) = 2/3.
  const halving: Split[] = [{ train: Int32Array.of(0), test: Int32Array.of(1) }];
  const twoReps = { data: Float64Array.of(1, 2, 3, 1, 3, 2), shape: [2, 3, 1] };
  assert.ok(Math.abs(internalConsistency(twoReps, halving).ceiling - 2 / 3) < 1e-15);
  const rng = new Rng(2);
  const rep = Float64Array.from({ length: 20 * 6 }, () => rng.normal());
  const same = { data: Float64Array.from([...rep, ...rep, ...rep, ...rep]), shape: [4, 20, 6] };
  const { ceiling, ceilingError } = internalConsistency(same, shuffleSplits(4, { trainSize: 0.5 }));
  assert.ok(Math.abs(ceiling - 1) < 1e-12);
  assert.ok(ceilingError < 1e-12);
});

test('ceilScore: r²/c and (r/c)²; NaN for a ceiling ≤ 0', () => {
  assert.equal(ceilScore(0.5, 0.8), 0.3125);
  assert.equal(ceilScore(0.5, 0.8, '(r/c)^2'), 0.390625);
  assert.ok(Number.isNaN(ceilScore(0.5, 0)));
  assert.ok(Number.isNaN(ceilScore(0.5, -0.1, '(r/c)^2')));
});

test('nanMedian skips NaN', () => {
  assert.equal(nanMedian([3, NaN, 1, 2]), 2);
  assert.equal(nanMedian([4, NaN, 1]), 2.5);
  assert.ok(Number.isNaN(nanMedian([NaN])));
});

// --- the whole metric -------------------------------------------------------------------------

test('regressionCorrelation, internalConsistency and neuralPredictivity match scikit-learn/scipy on listed splits', () => {
  const g = golden.metric;
  const [reps, n, q] = [g.responses.length, g.responses[0]!.length, g.responses[0]![0]!.length];
  const features = { data: flat(g.features), shape: [n, g.features[0]!.length] };
  const responses = { data: Float64Array.from(g.responses.flat(2)), shape: [reps, n, q] };
  const splits = toSplits(g.splits);
  const halvings = toSplits(g.halvings);
  const mean = new Float64Array(n * q);
  for (let r = 0; r < reps; r++) for (let k = 0; k < n * q; k++) mean[k]! += responses.data[r * n * q + k]! / reps;

  const metric = regressionCorrelation(features, { data: mean, shape: [n, q] }, { splits });
  assert.equal(metric.components, g.components);
  assertClose(metric.perSplit, g.perSplit, 1e-8, 1e-8, 'perSplit');
  assertClose([metric.score, metric.scoreError], [g.score, g.scoreError], 1e-9, 1e-8, 'score, error');
  assertClose(metric.perNeuroid, g.perNeuroid, 1e-8, 1e-8, 'perNeuroid');

  const ceiling = internalConsistency(responses, halvings);
  assertClose(ceiling.perHalving, g.perHalving, 1e-12, 1e-12, 'perHalving');

  for (const [formula, expected] of [['r2/c', g.ceiledR2OverC], ['(r/c)^2', g.ceiledSquaredRatio]] as const) {
    const result = neuralPredictivity(features, responses, { splitIndices: splits, halvingIndices: halvings, ceilingFormula: formula, labels: g.labels });
    assertClose([result.score, result.scoreError, result.ceiling ?? NaN, result.ceiledScore ?? NaN], [g.score, g.scoreError, g.ceiling, expected], 1e-9, 1e-8, formula);
    assertClose(result.perNeuroid, g.perNeuroid, 1e-8, 1e-8);
  }
});

/**
 * Planted truth: features X ~ N(0, I) [n, p]; responses Y_r = X B + σ ε_r for
 * repetitions r = 1..R with unit-norm columns of B, so every neuroid's signal
 * has variance 1 and the mean over R repetitions has noise variance σ²/R.
 * Analytically (population values): a model that recovers X B correlates
 * with the averaged responses at ρ = 1/√(1 + σ²/R); the split-half r between
 * means of R/2 repetitions is 1/(1 + 2σ²/R), which Spearman-Brown turns into
 * the reliability c = 1/(1 + σ²/R) = ρ². So the ceiled score r²/c is 1 and
 * (r/c)² is 1/c. PLS with p components is least squares, whose estimation
 * error at n_train = 1800, p = 10 lowers r by < 0.001; the sampling error
 * of the medians over 20 neuroids is ~0.003, well inside the tolerances.
 */
test('neuralPredictivity recovers a planted linear relation: score ρ, ceiling ρ², ceiled score 1', () => {
  const [n, p, q, reps, sigma] = [2000, 10, 20, 4, 1];
  const rng = new Rng(11);
  const x = Float64Array.from({ length: n * p }, () => rng.normal());
  const b = Float64Array.from({ length: p * q }, () => rng.normal());
  for (let j = 0; j < q; j++) {
    let norm = 0;
    for (let i = 0; i < p; i++) norm += b[i * q + j]! ** 2;
    for (let i = 0; i < p; i++) b[i * q + j]! /= Math.sqrt(norm);
  }
  const signal = Matrix.from1DArray(n, p, x).mmul(Matrix.from1DArray(p, q, b)).to1DArray();
  const y = Float64Array.from({ length: reps * n * q }, (_, k) => signal[k % (n * q)]! + sigma * rng.normal());
  const rho = 1 / Math.sqrt(1 + sigma ** 2 / reps);
  const result = neuralPredictivity({ data: x, shape: [n, p] }, { data: y, shape: [reps, n, q] });
  assert.equal(result.components, 10);
  assert.ok(Math.abs(result.score - rho) < 0.015, `score ${result.score} vs ρ ${rho}`);
  assert.ok(Math.abs((result.ceiling ?? NaN) - rho ** 2) < 0.015, `ceiling ${result.ceiling} vs ρ² ${rho ** 2}`);
  assert.ok(Math.abs((result.ceiledScore ?? NaN) - 1) < 0.04, `ceiled score ${result.ceiledScore}`);
  assert.ok(result.scoreError > 0 && result.scoreError < 0.01);

  // Without noise the held-out prediction is exact.
  const exact = neuralPredictivity({ data: x.subarray(0, 200 * p), shape: [200, p] }, { data: Float64Array.from(signal.slice(0, 200 * q)), shape: [200, q] });
  assert.ok(Math.abs(exact.score - 1) < 1e-10);
  assert.ok(exact.perNeuroid.every((r) => Math.abs(r - 1) < 1e-10));
  assert.equal(exact.ceiling, null);
  assert.equal(exact.ceiledScore, null);
});

test('neuralPredictivity: 25 components capped by the data; a larger explicit count or a tiny test set is rejected', () => {
  const rng = new Rng(4);
  const [n, p, q] = [40, 5, 3];
  const x = { data: Float64Array.from({ length: n * p }, () => rng.normal()), shape: [n, p] };
  const y = { data: Float64Array.from({ length: n * q }, () => rng.normal()), shape: [n, q] };
  assert.equal(maxPlsComponents(36, 5), 5);
  assert.equal(neuralPredictivity(x, y).components, 5);
  assert.equal(neuralPredictivity(x, y, { components: 2 }).components, 2);
  assert.throws(() => neuralPredictivity(x, y, { components: 6 }), /components must be an integer in \[1, 5\]/);
  const labels = Array.from({ length: n }, (_, i) => i % 2);
  const stratified = neuralPredictivity(x, y, { labels });
  assert.ok(Number.isFinite(stratified.score) && Math.abs(stratified.score) < 0.6);
  const small = { data: x.data.subarray(0, 20 * p), shape: [20, p] };
  assert.throws(() => neuralPredictivity(small, { data: y.data.subarray(0, 20 * q), shape: [20, q] }), /holds out 2 samples; Pearson r needs at least 3/);
  assert.throws(() => neuralPredictivity(x, { data: y.data.subarray(0, 30 * q), shape: [30, q] }), /features have 40 samples .* responses have 30/);
  assert.throws(() => neuralPredictivity(x, { data: y.data, shape: [1, n, q] }), /needs at least 2 repetitions/);
});

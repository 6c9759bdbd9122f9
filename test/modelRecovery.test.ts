/**
 * Model recovery (src/analysis/modelRecovery.ts) and the PCA scores it feeds
 * the predictivity metric (src/analysis/pca.ts `principalScores`): planted
 * networks whose differences are known must be told apart; pure noise must
 * give chance; the confusion counts on a hand-made case; the noise model.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  modelRecovery, predictivitySummary, type RecoveryDesign, type RecoveryNetwork, recoveryConfusion, type RecoveryTrial, simulateRecording,
} from '../src/analysis/modelRecovery';
import { pca, principalScores, project } from '../src/analysis/pca';
import { regressionCorrelation, shuffleSplits } from '../src/analysis/predictivity';
import { successTailProbability } from '../src/analysis/stats';
import { initBackend } from '../src/backend';
import { Rng } from '../src/random';
import { assertClose, assertNoLeak } from './helpers';

before(async () => {
  await initBackend({ force: 'wasm', log: false });
});

function gaussian(rng: Rng, length: number, sd = 1): Float64Array {
  return Float64Array.from({ length }, () => sd * rng.normal());
}

test('principalScores equal the projection on the PCA axes, up to the sign of each column', () => {
  const rng = new Rng(11);
  for (const [n, p] of [[12, 40], [30, 8]] as const) {
    const data = Float32Array.from(gaussian(rng, n * p));
    const shape = { samples: n, units: p };
    const scores = assertNoLeak(() => principalScores(data, shape), 'principalScores');
    const reference = project(data, shape, pca(data, shape));
    const k = Math.min(n - 1, p);
    assert.equal(scores.length, n * k);
    for (let c = 0; c < k; c++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += scores[i * k + c]! * reference[i * k + c]!;
      const sign = dot < 0 ? -1 : 1;
      assertClose(Array.from({ length: n }, (_, i) => sign * scores[i * k + c]!), Array.from({ length: n }, (_, i) => reference[i * k + c]!), 1e-4, 1e-4, `[${n}, ${p}] column ${c}`);
    }
  }
  assert.throws(() => principalScores(new Float32Array(12), { samples: 3, units: 4 }), /constant/);
  assert.throws(() => principalScores(new Float32Array(12), { samples: 3, units: 4 }, 3), /components must be an integer in \[1, 2\]/);
});

test('PLS predictivity on all principal scores equals predictivity on the raw features', () => {
  const rng = new Rng(5);
  const n = 40;
  const p = 300;
  const q = 6;
  const x = Float32Array.from(gaussian(rng, n * p));
  // Responses: a linear read-out of the features plus noise.
  const y = new Float64Array(n * q);
  for (let i = 0; i < n; i++) for (let k = 0; k < q; k++) y[i * q + k] = x[i * p + k]! + 0.5 * x[i * p + k + q]! + 0.3 * rng.normal();
  const splits = shuffleSplits(n, { splits: 4, seed: 2 });
  const scores = principalScores(x, { samples: n, units: p });
  const raw = regressionCorrelation({ data: x, shape: [n, p] }, { data: y, shape: [n, q] }, { splits, components: 10 });
  const reduced = regressionCorrelation({ data: scores, shape: [n, scores.length / n] }, { data: y, shape: [n, q] }, { splits, components: 10 });
  assertClose(reduced.perNeuroid, raw.perNeuroid, 1e-5, 0, 'per-neuroid r');
  assert.ok(raw.score > 0.2, `the planted read-out is predictable (score ${raw.score})`);
});

test('simulateRecording: no noise gives the signal; the noise s.d. is the level times the signal s.d.', () => {
  const rng = new Rng(3);
  const n = 50;
  const p = 4;
  const ff = gaussian(rng, n * p, 2);
  const rec = gaussian(rng, n * p, 2);
  const design = { samples: n, units: p };
  const clean = simulateRecording({ ff, rec }, design, [2, 0], 0, 3, rng);
  for (let i = 0; i < n; i++) {
    assert.ok(Math.abs(clean.ffMean[i * 2]! - ff[i * p + 2]!) < 1e-12 && Math.abs(clean.recMean[i * 2 + 1]! - rec[i * p]!) < 1e-12);
  }
  const reps = 400;
  const noisy = simulateRecording({ ff, rec }, design, [1], 0.5, reps, rng);
  const both = Array.from({ length: n }, (_, i) => [ff[i * p + 1]!, rec[i * p + 1]!]).flat();
  const m = both.reduce((a, b) => a + b, 0) / both.length;
  const signalSd = Math.sqrt(both.reduce((a, b) => a + (b - m) ** 2, 0) / both.length);
  let ss = 0;
  for (let t = 0; t < reps; t++) for (let i = 0; i < n; i++) ss += (noisy.recTrials[t * n + i]! - rec[i * p + 1]!) ** 2;
  const noiseSd = Math.sqrt(ss / (reps * n));
  assert.ok(Math.abs(noiseSd / (0.5 * signalSd) - 1) < 0.03, `noise s.d. ${noiseSd} vs 0.5 × ${signalSd}`);
});

/**
 * Planted networks over m images, each clean and with two noise kinds. All
 * share the feedforward response (clean pattern C, noisy C + E_k). After
 * recurrence, a noisy sample becomes C + E_k − a_k E_k + b G with G the
 * network's own random patterns: a_k > 0 de-noises kind k, a_k < 0 moves the
 * noisy pattern away from the clean one, b adds dimensions. Clean samples
 * stay as they are. Every network differs in (a_0, a_1, b).
 */
function plantedNetworks(rng: Rng, m: number, p: number, planted: { label: string; a: [number, number]; b: number }[]): { networks: RecoveryNetwork[]; design: RecoveryDesign } {
  const n = 3 * m;
  const clean = gaussian(rng, m * p);
  const error = [gaussian(rng, m * p), gaussian(rng, m * p)];
  const ff = new Float64Array(n * p);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < p; j++) {
      ff[i * p + j] = clean[i * p + j]!;
      for (let k = 0; k < 2; k++) ff[((k + 1) * m + i) * p + j] = clean[i * p + j]! + error[k]![i * p + j]!;
    }
  }
  const networks = planted.map(({ label, a, b }): RecoveryNetwork => {
    const own = gaussian(rng, n * p);
    const rec = Float64Array.from(ff);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < p; j++) {
        for (let k = 0; k < 2; k++) {
          const s = (k + 1) * m + i;
          rec[s * p + j]! += -a[k] * error[k]![i * p + j]! + b * own[s * p + j]!;
        }
      }
    }
    return { label, group: label.split(' ')[0]!, ff, rec, layers: [{ name: 'rec', data: rec, columns: p }] };
  });
  const pairs = { clean: [...Array(2 * m).keys()].map((i) => i % m), noisy: [...Array(2 * m).keys()].map((i) => m + i), kind: [...Array(2 * m).keys()].map((i) => (i < m ? 0 : 1)), kinds: 2 };
  return { networks, design: { samples: n, units: p, categories: Int32Array.from({ length: n }, (_, i) => Math.floor(i / m)), pairs } };
}

test('modelRecovery identifies planted networks at low noise, by every method', () => {
  const rng = new Rng(21);
  const { networks, design } = plantedNetworks(rng, 14, 60, [
    { label: 'none', a: [0, 0], b: 0 },
    { label: 'denoise', a: [0.9, 0.9], b: 0 },
    { label: 'expand', a: [0, 0], b: 2 },
    { label: 'mixed', a: [-1.5, 0.9], b: 0 },
  ]);
  const trials = modelRecovery(networks, design, { noiseLevels: [0.1], neurons: [30], repetitions: 4, replicates: 2, seed: 7, splits: 4, components: 10 });
  assert.equal(trials.length, 4 * 2);
  for (const t of trials) {
    for (const method of ['predictivity', 'denoising', 'dimensionality'] as const) assert.equal(t[method].identified, t.source, `${method}: recording of ${t.source} identified as ${t[method].identified}`);
    assert.ok(t.ceiling > 0.9, `low noise, high ceiling (${t.ceiling})`);
  }
  const denoise = trials.find((t) => t.source === 'denoise')!;
  assert.ok(denoise.denoisingSignature.every((d) => d > 0.1), `de-noising network: d > 0 on both kinds (${denoise.denoisingSignature})`);
  const mixed = trials.find((t) => t.source === 'mixed')!;
  assert.ok(mixed.denoisingSignature[0]! < -0.05 && mixed.denoisingSignature[1]! > 0.1, `mixed: d < 0 on kind 0, > 0 on kind 1 (${mixed.denoisingSignature})`);
  assert.ok(trials.find((t) => t.source === 'expand')!.dimensionalitySignature > 0.1, 'added dimensions raise the participation ratio');
  assert.ok(denoise.dimensionalitySignature < 0, 'de-noising lowers it');
  const confusion = recoveryConfusion(trials, networks);
  assert.equal(confusion.length, 3);
  for (const c of confusion) {
    assert.equal(c.accuracy, 1);
    assert.equal(c.chance, 0.25);
  }
});

test('modelRecovery at infinite noise is at chance: exchangeable networks are picked uniformly', () => {
  const rng = new Rng(8);
  const n = 30;
  const p = 20;
  const ff = gaussian(rng, n * p);
  const networks: RecoveryNetwork[] = ['A', 'B', 'C', 'D'].map((label) => {
    const rec = gaussian(rng, n * p);
    return { label, group: label, ff, rec, layers: [{ name: 'rec', data: rec, columns: p }] };
  });
  const design: RecoveryDesign = { samples: n, units: p, categories: Int32Array.from({ length: n }, (_, i) => i % 3), pairs: { clean: [0, 1, 2, 3, 4], noisy: [10, 11, 12, 13, 14], kind: [0, 0, 1, 1, 1], kinds: 2 } };
  const replicates = 30;
  const trials = modelRecovery(networks, design, { noiseLevels: [Infinity], neurons: [8], repetitions: 2, replicates, seed: 3, splits: 2, components: 4, templates: 1 });
  const total = 4 * replicates;
  // Binomial(120, 1/4): mean 30, s.d. 4.7; the bounds are ±3.5 s.d.
  for (const c of recoveryConfusion(trials, networks)) {
    assert.equal(c.chance, 0.25);
    const correct = c.accuracy * total;
    assert.ok(correct >= 14 && correct <= 46, `${c.method}: ${correct} of ${total} correct at infinite noise, expected about ${total / 4}`);
    const picks = [0, 1, 2, 3].map((j) => c.counts.reduce((s, row) => s + row[j]!, 0));
    assert.ok(picks.every((k) => k >= 14 && k <= 46), `${c.method}: candidates picked ${picks.join(', ')} times, expected about ${total / 4} each`);
  }
});

test('recoveryConfusion counts trials by group, with accuracy and chance', () => {
  const networks = [{ label: 'X A', group: 'X' }, { label: 'X B', group: 'X' }, { label: 'Y', group: 'Y' }];
  const call = (identified: string) => ({ identified, scores: [0, 0, 0] });
  const trial = (source: string, p: string, d: string, neurons = 5): RecoveryTrial => ({
    source, noiseLevel: 1, neurons, replicate: 0, ceiling: 1, denoisingSignature: [0], dimensionalitySignature: 0,
    predictivity: { ...call(p), bestLayers: ['r1', 'r1', 'r1'] }, denoising: call(d), dimensionality: call(d),
  });
  const trials = [trial('X A', 'X B', 'Y'), trial('Y', 'Y', 'Y'), trial('X B', 'Y', 'X A'), trial('Y', 'X A', 'Y', 9)];
  const confusion = recoveryConfusion(trials, networks);
  assert.deepEqual(confusion.map((c) => `${c.method} ${c.neurons}`), ['predictivity 5', 'predictivity 9', 'denoising 5', 'denoising 9', 'dimensionality 5', 'dimensionality 9']);
  const p5 = confusion[0]!;
  assert.deepEqual(p5.groups, ['X', 'Y']);
  assert.deepEqual(p5.counts, [[1, 1], [0, 1]]);
  assert.equal(p5.accuracy, 2 / 3);
  assert.deepEqual(p5.chanceByGroup, [2 / 3, 1 / 3]);
  assert.ok(Math.abs(p5.chance - (2 / 3 + 1 / 3 + 2 / 3) / 3) < 1e-12);
  assert.deepEqual(confusion[2]!.counts, [[1, 1], [0, 1]]);
  assert.deepEqual(confusion[1]!.counts, [[0, 0], [1, 0]]);
  assert.throws(() => recoveryConfusion([trial('Z', 'Y', 'Y')], networks), /network Z of a trial is not among/);
  const scored = trials.map((t, k) => ({ ...t, ceiling: 0.5 + 0.1 * k, predictivity: { ...t.predictivity, scores: [0.1 * k, 0.2, NaN] } }));
  const summary = predictivitySummary(scored, networks.map((n) => n.label));
  assert.deepEqual(summary.map((s) => [s.neurons, s.trials]), [[5, 3], [9, 1]]);
  // Sources X A, Y, X B score 0 (X A's own), NaN (Y's own, skipped) and 0.2 (X B's own); the best are 0.2, 0.2, 0.2.
  assert.ok(Math.abs(summary[0]!.sourceScore - 0.1) < 1e-12 && Math.abs(summary[0]!.bestScore - 0.2) < 1e-12 && Math.abs(summary[0]!.ceiling - 0.6) < 1e-12);
});

test('modelRecovery rejects bad input with a message naming it', () => {
  const rng = new Rng(1);
  const ff = gaussian(rng, 10 * 3);
  const net = (label: string): RecoveryNetwork => ({ label, group: label, ff, rec: ff, layers: [{ name: 'r', data: ff, columns: 3 }] });
  const design: RecoveryDesign = { samples: 10, units: 3, categories: new Int32Array(10), pairs: { clean: [0], noisy: [5], kind: [0], kinds: 1 } };
  const options = { noiseLevels: [1], neurons: [2], repetitions: 2, replicates: 1, seed: 1 };
  assert.throws(() => modelRecovery([net('a'), net('a')], design, options), /labels must be unique/);
  assert.throws(() => modelRecovery([net('a'), net('b')], design, { ...options, neurons: [4] }), /network a has 3 responsive units, fewer than the 4 neurons/);
  // A unit that is constant within each bin (0 before recurrence, 1 after) does not respond to the stimuli.
  const stepUnit = Float64Array.from(ff, (v, k) => (k % 3 === 0 ? 0 : v));
  const stepped: RecoveryNetwork = { ...net('c'), ff: stepUnit, rec: Float64Array.from(stepUnit, (v, k) => (k % 3 === 0 ? 1 : v)) };
  assert.throws(() => modelRecovery([stepped, net('b')], design, { ...options, neurons: [3] }), /network c has 2 responsive units/);
  assert.throws(() => modelRecovery([net('a'), net('b')], design, { ...options, repetitions: 1 }), /repetitions must be an integer ≥ 2/);
  assert.throws(() => modelRecovery([net('a'), net('b')], design, { ...options, noiseLevels: [-1] }), /noise levels must be ≥ 0/);
  assert.throws(() => modelRecovery([net('a'), net('b')], design, { ...options, sources: ['c'] }), /source c is not one of the networks/);
  assert.throws(() => modelRecovery([net('a'), { ...net('b'), rec: new Float64Array(5) }], design, options), /network b rec has 5 values/);
});

test('successTailProbability: binomial and Poisson-binomial tails', () => {
  // Binomial(10, 0.3): P(X ≥ 6) = Σ_{j=6..10} C(10, j) 0.3^j 0.7^(10−j).
  assert.ok(Math.abs(successTailProbability(6, new Array(10).fill(0.3)) - 0.0473489874) < 1e-9);
  assert.equal(successTailProbability(3, [0.5, 0.5, 0.5]), 0.125);
  // Probabilities 0.1, 0.5, 0.9, 0.25: P(X ≥ 3) summed over the 5 outcomes with 3 or 4 successes.
  assert.ok(Math.abs(successTailProbability(3, [0.1, 0.5, 0.9, 0.25]) - 0.15875) < 1e-12);
  assert.equal(successTailProbability(0, [0.2]), 1);
  assert.equal(successTailProbability(2, [0.2]), 0);
  assert.throws(() => successTailProbability(1, [1.2]), /probability 0 is 1.2/);
});

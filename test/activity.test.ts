import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { loadMnist, NUM_PIXELS } from '../src/data/mnist';
import { classificationCategories, groupMeans, meanPairwiseDistance, polarAbout, selectRows } from '../src/analysis/representation';
import { initCoreWeights, disposeWeights } from '../src/model/core';
import { disposeNetwork, disposeTaps, makeNetwork, runDynamics } from '../src/recurrence/networks';
import { LAYER_UNITS, logitsFromLayer1, recordActivity } from '../src/recurrence/recording';
import { componentGrid, summariseMatrices } from '../src/recurrence/activity';
import { gainBars, GAIN_TEST, AccuracyRecord, noiseConditions } from '../src/recurrence/accuracy';
import { accuracyClaims, claimsMarkdown, claimsSummary, gatedClaims, modelRecoveryClaims } from '../src/recurrence/claims';
import type { RecoveryConfusion } from '../src/analysis/modelRecovery';
import { RECURRENCE_SPECS, RecurrenceType } from '../src/recurrence/rules';
import { NUM_LEVELS } from '../src/noise/degrade';

before(async () => {
  await initBackend({ force: 'wasm', log: false });
});

test('groupMeans: hand case, empty groups NaN, bad group index refused', () => {
  const data = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
  const { means, counts } = groupMeans(data, { samples: 4, units: 2 }, [0, 1, 0, 1], 3);
  assert.deepEqual(Array.from(counts), [2, 2, 0]);
  assert.deepEqual(Array.from(means.subarray(0, 4)), [3, 4, 5, 6]);
  assert.ok(Number.isNaN(means[4]!) && Number.isNaN(means[5]!));
  assert.throws(() => groupMeans(data, { samples: 4, units: 2 }, [0, 1, 0, 3], 3), /groups\[3\] = 3, expected an integer in \[0, 2\]/);
  assert.throws(() => groupMeans(data, { samples: 3, units: 2 }, [0, 1, 0], 3), /8 values, shape \[3, 2\] needs 6/);
});

test('classificationCategories and selectRows', () => {
  assert.deepEqual(classificationCategories([1, 1, 2, 2], [1, 2, 1, 2], [1, 1, 1, 1]), ['correct→correct', 'correct→incorrect', 'incorrect→correct', 'incorrect→incorrect']);
  assert.deepEqual(Array.from(selectRows(Float32Array.from([0, 1, 10, 11, 20, 21]), { samples: 3, units: 2 }, [2, 0])), [20, 21, 0, 1]);
  assert.throws(() => selectRows(new Float32Array(4), { samples: 2, units: 2 }, [2]), /index 2 outside \[0, 1\]/);
});

test('meanPairwiseDistance equals a direct double loop; polarAbout gives distance and angle from an axis', () => {
  const rng = Float32Array.from({ length: 5 * 7 }, (_, i) => Math.sin(i * 1.3) * 2);
  let sum = 0;
  for (let i = 0; i < 5; i++) for (let j = i + 1; j < 5; j++) {
    let d = 0;
    for (let u = 0; u < 7; u++) d += (rng[i * 7 + u]! - rng[j * 7 + u]!) ** 2;
    sum += Math.sqrt(d);
  }
  assert.ok(Math.abs(meanPairwiseDistance(rng, { samples: 5, units: 7 }) - sum / 10) < 1e-4);
  const p = polarAbout([1, 1], [0, 0], [2, 0]);
  assert.ok(Math.abs(p.distance - Math.SQRT2) < 1e-12 && Math.abs(p.angle - Math.PI / 4) < 1e-12);
  assert.ok(Math.abs(polarAbout([-3, 0], [0, 0], [1, 0]).angle - Math.PI) < 1e-12);
});

test('recordActivity returns the taps of runDynamics at the asked time steps; logitsFromLayer1 is layers 2-4', () => {
  const mnist = loadMnist();
  const core = initCoreWeights(5, 0.05);
  const net = makeNetwork('LR-TT', core, { lateral: tf.randomNormal([7, 7, 32, 32], 0, 0.02, 'float32', 3) });
  const n = 5;
  const pixels = mnist.test.images.subarray(0, n * NUM_PIXELS);
  const labels = mnist.test.labels.subarray(0, n);
  const before = tf.memory().numTensors;
  const recorded = recordActivity(net, pixels, labels, [0, 2], { batchSize: 2 });
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
  const taps = runDynamics(net, tf.tensor4d(pixels, [n, 28, 28, 1]));
  for (const t of [0, 2]) {
    const rec = recorded.get(t)!;
    assert.deepEqual(Array.from(rec.r1), Array.from(taps[t]!.r1.dataSync()), `r1 at ${t}`);
    assert.deepEqual(Array.from(rec.logits), Array.from(taps[t]!.logits!.dataSync()), `logits at ${t}`);
    assert.equal(rec.r2.length, n * LAYER_UNITS.r2);
  }
  const head = logitsFromLayer1(core, recorded.get(2)!.r1, 3);
  const want = taps[2]!.logits!.dataSync();
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(head[i]! - want[i]!) < 1e-4, `logits ${i}`);
  assert.throws(() => recordActivity(net, pixels, labels, [3]), /time step 3 is not one of LR-TT's 0-2/);
  disposeTaps(taps);
  disposeNetwork(net);
  disposeWeights(core);
});

test('componentGrid ends at the number of samples; summariseMatrices averages cores and skips NaN', () => {
  assert.deepEqual(componentGrid(30), [0, 1, 2, 5, 10, 20, 30]);
  const s = summariseMatrices(['a', 'b'], [[[1, 0.5], [0.5, 1]], [[1, NaN], [0.7, 1]]]);
  assert.deepEqual(s.mean, [[1, 0.5], [0.6, 1]]);
  assert.ok(Number.isNaN(s.sd[0]![1]!) && Math.abs(s.sd[1]![0]! - Math.sqrt(0.02)) < 1e-12);
});

/** Records of `networks` on `cores` cores where a network's gain on a noise type is `gain(network, noise, core)` at every level. */
function records(cores: number, networks: RecurrenceType[], gain: (n: RecurrenceType, noise: string, core: number) => number): AccuracyRecord[] {
  const out: AccuracyRecord[] = [];
  for (let core = 0; core < cores; core++) {
    for (const network of networks) {
      for (let instance = 0; instance < RECURRENCE_SPECS[network].instances; instance++) {
        for (let level = 0; level <= NUM_LEVELS; level++) {
          for (const noise of noiseConditions(level)) {
            for (let timeStep = 0; timeStep < RECURRENCE_SPECS[network].timeSteps; timeStep++) {
              const last = timeStep === RECURRENCE_SPECS[network].timeSteps - 1;
              const base = 0.7 - 0.08 * level;
              out.push({ core, network, instance, noise, level, timeStep, accuracy: last && level > 0 ? base + gain(network, noise, core) + 0.001 * instance : base, images: 100 });
            }
          }
        }
      }
    }
  }
  return out;
}

test('gainBars: per-core gains, their mean ± s.d. and the one-sample t-test per bar', () => {
  const recs = records(3, ['FB-TT', 'FB-R'], (n, noise, core) => (n === 'FB-TT' ? 0.05 + 0.01 * core : noise === 'blur' ? 0.01 * (core - 1) : 0));
  const bars = gainBars(recs);
  const tt = bars.find((b) => b.network === 'FB-TT' && b.instance === 0 && b.noise === 'pixel')!;
  assert.equal(tt.test, GAIN_TEST);
  assert.ok(Math.abs(tt.gain.mean - 0.06) < 1e-12 && Math.abs(tt.gain.sd - 0.01) < 1e-12);
  assert.ok(tt.significant, `consistent gains are significant (p = ${tt.pValue})`);
  const r = bars.find((b) => b.network === 'FB-R' && b.instance === 0 && b.noise === 'blur')!;
  assert.ok(!r.significant && Math.abs(r.gain.mean) < 1e-12);
  assert.equal(bars.length, 2 * 2 * 4, 'two types × two instances × four noise types');
});

test('claims are computed from the data: a task-trained gain that vanishes turns its verdict', () => {
  const types: RecurrenceType[] = ['FB-TT', 'LR-TT', 'FB-PC', 'LR-SS', 'FB-R', 'LR-R'];
  // Random controls: gains of either sign that average below 0; the others: consistent gains.
  const gainOf = (table: Record<string, number>) => (n: RecurrenceType, _noise: string, core: number) => (n.endsWith('-R') ? (core === 0 ? 0.01 : -0.012) : table[n]! + 0.005 * core);
  const good = records(2, types, gainOf({ 'FB-TT': 0.2, 'LR-TT': 0.25, 'FB-PC': 0.02, 'LR-SS': 0.1 }));
  const claims = accuracyClaims(good);
  const verdict = (text: string) => claims.find((c) => c.claim.includes(text))!.verdict;
  assert.equal(verdict('task-trained networks outperform'), 'holds');
  assert.equal(verdict('surround suppression outperforms predictive'), 'holds');
  assert.equal(verdict('FB-R'), 'holds');
  const bad = records(2, types, gainOf({ 'FB-TT': 0.01, 'LR-TT': 0.25, 'FB-PC': 0.02, 'LR-SS': 0.1 }));
  assert.equal(accuracyClaims(bad).find((c) => c.claim.includes('task-trained networks outperform'))!.verdict, 'differs');
  assert.match(claimsSummary(claims), /^\d+ of \d+ claims hold in this run\./);
  assert.match(claimsMarkdown(claims), /^\| section \| source \| claim \| paper \| ours \| verdict \|/);
});

test('gatedClaims: verdicts on LR-GRCL, the GRCNN and the augmentations follow the data', () => {
  const types: RecurrenceType[] = ['LR-TT', 'FB-PC', 'LR-SS', 'LR-GRCL'];
  const perNoise: Record<string, number> = { pixel: 0.1, blur: 0.05, contrast: 0.02, occlusion: 0.08 };
  const gain = (grcl: number) => (n: RecurrenceType, noise: string, core: number) => (n === 'LR-GRCL' ? grcl * perNoise[noise]! : n === 'LR-TT' ? perNoise[noise]! : n === 'LR-SS' ? 0.2 * (noise === 'blur' ? 1 : 0) : 0.01) + 0.002 * core;
  const grcnn = (rising: boolean) => [true, false].flatMap((gated) => [0, 1, 2, 3].flatMap((iterations) => [0, 1, 2, 3, 4, 5, 6].flatMap((level) => noiseConditions(level).map((noise) => ({
    gated, network: 0, noise, level, iterations, images: 100, accuracy: Math.min(1, 0.5 + (gated && rising ? 0.05 * iterations : 0) - 0.03 * level),
  })))));
  const robustness = (noneBest: boolean) => ['none', 'cutmix'].flatMap((augmentation) => [0, 1, 2, 3, 4, 5, 6].flatMap((level) => noiseConditions(level).map((noise) => ({
    augmentation, core: 0, noise, level, images: 100, accuracy: 0.9 - 0.1 * level + ((augmentation === 'none') === noneBest ? 0.05 : 0),
  }))));
  const augmented = (g: number) => ['none', 'cutmix'].map((augmentation) => ({ augmentation, records: records(2, ['LR-TT'], () => (augmentation === 'none' ? 0.1 : g)) }));
  const verdicts = (claims: ReturnType<typeof gatedClaims>) => Object.fromEntries(claims.map((c) => [c.claim.split(':')[0]!.slice(0, 40), c.verdict]));
  const good = verdicts(gatedClaims({ records: records(2, types, gain(1.5)), activity: [], grcnn: grcnn(true), robustness: robustness(false), augmentedRecurrence: augmented(0.05) }));
  const bad = verdicts(gatedClaims({ records: records(2, types, gain(0.5)), activity: [], grcnn: grcnn(false), robustness: robustness(true), augmentedRecurrence: augmented(-0.02) }));
  assert.deepEqual(Object.values(good), ['holds', 'holds', 'holds', 'holds', 'holds', 'holds', 'holds']);
  assert.deepEqual(Object.keys(good), Object.keys(bad));
  // LR-GRCL at half LR-TT's gains: still a gain, but its profile is nearer FB-PC's flat 1 point; everything else turns too.
  assert.deepEqual(Object.values(bad), ['differs', 'holds', 'differs', 'differs', 'differs', 'differs', 'differs']);
});

test('modelRecoveryClaims: above chance at the least noise and most neurons, by an exact test', () => {
  const matrix = (method: 'predictivity' | 'denoising' | 'dimensionality', noiseLevel: number, neurons: number, counts: number[][]): RecoveryConfusion => {
    const trials = counts.flat().reduce((a, b) => a + b, 0);
    const correct = counts[0]![0]! + counts[1]![1]!;
    return { method, noiseLevel, neurons, groups: ['X', 'Y'], counts, accuracy: correct / trials, chance: 0.5, chanceByGroup: [0.5, 0.5], trials };
  };
  const claims = modelRecoveryClaims([
    matrix('predictivity', 0.5, 10, [[5, 5], [5, 5]]), matrix('predictivity', 0.5, 40, [[10, 0], [1, 9]]), matrix('predictivity', 4, 10, [[5, 5], [5, 5]]),
    matrix('denoising', 0.5, 40, [[6, 4], [4, 6]]),
  ], [{ noiseLevel: 0.5, neurons: 40, sourceScore: 0.41, bestScore: 0.52, ceiling: 0.9, trials: 20 }]);
  assert.equal(claims.length, 2);
  assert.match(claims[0]!.ours, /the recorded network's own score 0.41, the winner's 0.52, ceiling 0.90$/);
  assert.equal(claims[0]!.verdict, 'holds', claims[0]!.ours);
  assert.match(claims[0]!.ours, /19 of 20 recordings.*chance 50.0 %, p = 0.000020\); noise 4, 10 neurons: 50.0 %/);
  assert.equal(claims[1]!.verdict, 'differs', 'binomial(20, 1/2) ≥ 12 has p = 0.25');
});

/**
 * The pieces of the GRCNN and augmentation experiments: the summaries of
 * their records (hand-computed cases), the augmented training losses,
 * training and evaluation of small networks, and their figures.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { AugmentationSettings, augmentedBatchLoss, DEFAULT_AUGMENTATION_SETTINGS, trainAugmentedCore } from '../src/augment/train';
import { loadMnist, NUM_PIXELS, sliceSet } from '../src/data/mnist';
import { figAugmentation, figGrcnnIterations } from '../src/figures/figGated';
import { saveFigure } from '../src/figures/figure';
import { coreLogits, crossEntropy, disposeWeights, initCoreWeights } from '../src/model/core';
import { grcnnAccuracyByIterations } from '../src/model/evaluate';
import { GrcnnConfig } from '../src/model/grcnn';
import { trainCore } from '../src/model/trainCore';
import { trainGrcnn } from '../src/model/trainGrcnn';
import { disposeWeightTensors } from '../src/model/weightSource';
import { NOISE_TYPES, NUM_LEVELS } from '../src/noise/degrade';
import { AccuracyRecord, noiseConditions } from '../src/recurrence/accuracy';
import { CoreRobustnessRecord, GrcnnAccuracyRecord, grcnnIterationCurves, robustnessCurves } from '../src/recurrence/robustness';
import { assertClose, tempDir } from './helpers';

before(async () => {
  await initBackend({ force: 'wasm', log: false });
});

const mnist = loadMnist();

/** Complete GRCNN records with accuracies from `f`. */
function grcnnRecords(networks: number, variants: boolean[], f: (r: Omit<GrcnnAccuracyRecord, 'accuracy' | 'images'>) => number): GrcnnAccuracyRecord[] {
  const out: GrcnnAccuracyRecord[] = [];
  for (const gated of variants) {
    for (let network = 0; network < networks; network++) {
      for (let iterations = 0; iterations <= 3; iterations++) {
        for (let level = 0; level <= NUM_LEVELS; level++) {
          for (const noise of noiseConditions(level)) {
            const r = { gated, network, noise, level, iterations };
            out.push({ ...r, accuracy: f(r), images: 100 });
          }
        }
      }
    }
  }
  return out;
}

test('grcnnIterationCurves: per network over noise types and levels, then mean and s.t.d. over networks', () => {
  // Network 0: accuracy .1·(type index + 1) at every level; network 1: .5 everywhere; clean: .9 and .7; + .01·k.
  const records = grcnnRecords(2, [true], (r) => {
    const k = 0.01 * r.iterations;
    if (r.noise === 'clean') return (r.network === 0 ? 0.9 : 0.7) + k;
    return (r.network === 1 ? 0.5 : 0.1 * (NOISE_TYPES.indexOf(r.noise) + 1)) + k;
  });
  const curves = grcnnIterationCurves(records);
  assert.equal(curves.length, 2 * 6 * 4, 'groups × columns × iteration counts');
  const at = (column: string, levels: string, iterations: number) => {
    const p = curves.find((c) => c.column === column && c.levels === levels && c.iterations === iterations);
    assert.ok(p, `${column} ${levels} ${iterations}`);
    return p.accuracy;
  };
  // Mean of the 4 types: network 0 (.1+.2+.3+.4)/4 = .25, network 1 .5 → .375 ± .1768; + .02 at k = 2.
  const mean = at('mean', 'level 5', 2);
  assertClose([mean.mean, mean.sd, mean.n], [0.395, 0.25 / Math.SQRT2, 2], 1e-12);
  const blur = at('blur', 'levels 1-6 (mean)', 0);
  assertClose([blur.mean, blur.sd], [0.35, 0.3 / Math.SQRT2], 1e-12);
  const clean = at('clean', 'level 5', 3);
  assertClose([clean.mean, clean.sd], [0.83, 0.2 / Math.SQRT2], 1e-12);
  assert.throws(() => grcnnIterationCurves(records.slice(1)), /missing record for gated network 0 clean level 0 iterations 0/);
  assert.throws(() => grcnnIterationCurves([...records, records[3]!]), /duplicates/);
  assert.throws(() => grcnnIterationCurves([{ ...records[0]!, accuracy: 1.5 }, ...records.slice(1)]), /accuracy 1.5/);
});

test('robustnessCurves: level 0 is the clean accuracy in every column; one core gives NaN s.t.d.', () => {
  const records: CoreRobustnessRecord[] = [];
  for (const augmentation of ['none', 'cutmix']) {
    for (let level = 0; level <= NUM_LEVELS; level++) {
      for (const noise of noiseConditions(level)) records.push({ augmentation, core: 0, noise, level, accuracy: level === 0 ? 0.98 : 0.9 - 0.1 * level - (noise === 'blur' ? 0.1 : 0), images: 10 });
    }
  }
  const curves = robustnessCurves(records);
  assert.equal(curves.length, 2 * 5 * 7);
  const p = (augmentation: string, column: string, level: number) => curves.find((c) => c.augmentation === augmentation && c.column === column && c.level === level)!.accuracy;
  assert.equal(p('cutmix', 'pixel', 0).mean, 0.98);
  assertClose([p('none', 'mean', 2).mean], [0.7 - 0.025], 1e-12);
  assertClose([p('none', 'blur', 3).mean], [0.5], 1e-12);
  assert.ok(Number.isNaN(p('none', 'blur', 3).sd));
});

const batchOf = (n: number, start = 0) => ({
  images: mnist.train.images.slice(start * NUM_PIXELS, (start + n) * NUM_PIXELS),
  labels: Int32Array.from(mnist.train.labels.subarray(start, start + n)),
});

test('augmented losses: the settings that switch an augmentation off give the plain loss; draws are keyed by (seed, batch)', () => {
  const core = initCoreWeights(4, 0.05);
  const { images, labels } = batchOf(12);
  const value = (augmentation: Parameters<typeof augmentedBatchLoss>[0], settings: AugmentationSettings = DEFAULT_AUGMENTATION_SETTINGS, batch = 0) =>
    tf.tidy(() => augmentedBatchLoss(augmentation, settings, core, images, labels, 7, batch).loss.dataSync()[0]!);
  const plain = tf.tidy(() => crossEntropy(coreLogits(core, tf.tensor4d(images, [12, 28, 28, 1])), tf.tensor1d(labels, 'int32')).dataSync()[0]!);
  const before = tf.memory().numTensors;
  assert.equal(value('none'), plain);
  assert.equal(value('cutmix', { ...DEFAULT_AUGMENTATION_SETTINGS, cutmixProbability: 0 }), plain);
  assert.notEqual(value('cutmix', { ...DEFAULT_AUGMENTATION_SETTINGS, cutmixProbability: 1 }), plain);
  assert.equal(value('phase-noise', { ...DEFAULT_AUGMENTATION_SETTINGS, phaseNoiseMaxWeight: 0 }), plain);
  assert.notEqual(value('phase-noise'), plain);
  assertClose([value('augmix', { ...DEFAULT_AUGMENTATION_SETTINGS, jsdWeight: 0 })], [plain], 1e-5, 1e-5, 'AugMix without its consistency term');
  assert.ok(value('augmix') > plain, 'the consistency term is positive');
  assert.equal(value('augmix'), value('augmix'), 'same (seed, batch), same draws');
  assert.notEqual(value('augmix', DEFAULT_AUGMENTATION_SETTINGS, 1), value('augmix'), 'another batch, other draws');
  assert.equal(tf.tidy(() => augmentedBatchLoss('augmix', DEFAULT_AUGMENTATION_SETTINGS, core, images, labels, 7, 0).images), 36, 'AugMix runs three images per image');
  assert.equal(tf.memory().numTensors, before, 'no tensors left behind');
  disposeWeights(core);
});

test('an augmented core trains and reloads; the none augmentation is trainCore itself (same file)', async () => {
  const dir = tempDir();
  const train = sliceSet(mnist.train, 0, 64);
  const training = { batchSize: 16, batches: 3, learningRate: 0.05, momentum: 0.9, initSd: 0.02, trainImages: 64, checkpointEvery: 2 };
  const settings = { ...DEFAULT_AUGMENTATION_SETTINGS, cutmixProbability: 1 };
  const cut = await trainAugmentedCore({ augmentation: 'cutmix', settings, training, seed: 3, train, dir });
  const again = await trainAugmentedCore({ augmentation: 'cutmix', settings, training, seed: 3, train, dir });
  assert.deepEqual(again.weights.w1.dataSync(), cut.weights.w1.dataSync());
  assert.equal(again.info.trainSeconds, cut.info.trainSeconds, 'loaded, not retrained');
  const plain = await trainCore({ training, seed: 3, train, dir });
  const none = await trainAugmentedCore({ augmentation: 'none', settings: DEFAULT_AUGMENTATION_SETTINGS, training, seed: 3, train, dir });
  assert.deepEqual(none.weights.w4.dataSync(), plain.weights.w4.dataSync());
  assert.equal(none.info.trainSeconds, plain.info.trainSeconds);
  assert.notDeepEqual(cut.weights.w4.dataSync(), plain.weights.w4.dataSync(), 'CutMix changed the training');
  assert.equal(fs.readdirSync(dir).filter((f) => f.endsWith('.rvt')).length, 2);
  for (const w of [cut, again, plain, none]) disposeWeights(w.weights);
});

test('a GRCNN trains, reloads, and is evaluated at every test-time iteration count without leaking tensors', async () => {
  const config: GrcnnConfig = { stemChannels: 4, blocks: [{ channels: 8, bottleneck: 4 }], iterations: 2 };
  const dir = tempDir();
  const training = { batchSize: 8, batches: 3, learningRate: 0.05, momentum: 0.9, trainImages: 64, checkpointEvery: 2 };
  const train = sliceSet(mnist.train, 0, 64);
  const trained = await trainGrcnn({ config, training, seed: 2, train, dir });
  const loaded = await trainGrcnn({ config, training, seed: 2, train, dir });
  assert.equal(loaded.info.trainSeconds, trained.info.trainSeconds, 'loaded, not retrained');
  assert.match(fs.readdirSync(dir).join(' '), /grcnn-gated-s2-/);
  const test = sliceSet(mnist.test, 0, 20);
  const sets = [{ pixels: test.images, labels: test.labels }, { pixels: test.images.map((v) => v * 0.2), labels: test.labels }];
  const before = tf.memory().numTensors;
  const counted: number[] = [];
  const accuracy = grcnnAccuracyByIterations(trained.weights, sets, { statsImages: train.images, statsBatchSize: 16, onCount: (i) => counted.push(i) });
  // Running statistics of every batch norm were created once (2 per layer) and replaced at each count.
  const statsTensors = tf.memory().numTensors - before;
  assert.equal(accuracy.length, 3);
  assert.ok(accuracy.every((row) => row.length === 2 && row.every((a) => a >= 0 && a <= 1)));
  assert.deepEqual(counted, [0, 1, 2]);
  grcnnAccuracyByIterations(trained.weights, sets, { statsImages: train.images, statsBatchSize: 16, iterations: [1] });
  assert.equal(tf.memory().numTensors - before, statsTensors, 'a second evaluation only replaces the statistics');
  assert.throws(() => grcnnAccuracyByIterations(trained.weights, sets, { statsImages: train.images, statsBatchSize: 16, iterations: [3] }), /iteration count 3, expected an integer from 0 to 2/);
  disposeWeightTensors(trained.weights);
  disposeWeightTensors(loaded.weights);
});

test('the two figures render every panel, with error bars when there are replicates', async () => {
  const g = await figGrcnnIterations(grcnnRecords(2, [true, false], (r) => Math.max(0, 0.9 - 0.12 * r.level + (r.gated ? 0.02 : 0.01) * r.iterations + 0.01 * r.network)));
  for (const label of ['clean (level 0)', 'pixel noise', 'blur', 'low contrast', 'occlusion', 'mean of the 4 types', 'level 5', 'levels 1-6 (mean)', 'gated (GRCL)', 'ungated (σ ≡ 1)', 'over 2 networks']) {
    assert.ok(g.svg.includes(label), `GRCNN figure: '${label}' missing`);
  }
  const robustness: CoreRobustnessRecord[] = [];
  const recurrence: { augmentation: string; records: AccuracyRecord[] }[] = [];
  for (const augmentation of ['none', 'cutmix', 'augmix', 'phase-noise']) {
    for (let core = 0; core < 2; core++) {
      for (let level = 0; level <= NUM_LEVELS; level++) {
        for (const noise of noiseConditions(level)) robustness.push({ augmentation, core, noise, level, accuracy: 0.98 - 0.1 * level + 0.01 * core, images: 10 });
      }
      for (const network of ['LR-TT', 'FB-TT'] as const) {
        for (let instance = 0; instance < 2; instance++) {
          const records: AccuracyRecord[] = [];
          for (const level of [0, 5]) {
            for (const noise of noiseConditions(level)) {
              for (let timeStep = 0; timeStep < 3; timeStep++) records.push({ core, network, instance, noise, level, timeStep, accuracy: 0.4 + 0.02 * timeStep * (augmentation === 'none' ? 2 : 1) + 0.01 * core, images: 10 });
            }
          }
          recurrence.push({ augmentation, records });
        }
      }
    }
  }
  const a = await figAugmentation({ robustness, recurrence });
  for (const label of ['none', 'CutMix', 'AugMix + JSD', 'phase noise', 'LR-TT', 'FB-TT', 'gain at level 5', 'over 2 cores']) assert.ok(a.svg.includes(label), `augmentation figure: '${label}' missing`);
  const gains = (a.data as { gains: { augmentation: string; network: string; column: string; mean: number }[] }).gains;
  const noneMean = gains.find((r) => r.augmentation === 'none' && r.network === 'LR-TT' && r.column === 'mean of the 4 types');
  assert.ok(noneMean);
  assertClose([noneMean.mean], [0.08], 1e-12);
  const dir = tempDir();
  for (const fig of [g, a]) assert.ok(fs.statSync(saveFigure(fig, dir).png).size > 10_000, fig.name);
});

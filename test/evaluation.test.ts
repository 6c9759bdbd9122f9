/**
 * The accuracy evaluation runs every network of a core on one noise condition
 * together, with step 0 computed once per batch: its records must be those of
 * each network run alone on each condition's images, as before.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { loadMnist, NUM_PIXELS, sliceSet } from '../src/data/mnist';
import { initCoreWeights, disposeWeights } from '../src/model/core';
import { type Calibration, calibrateType, CALIBRATION_TARGETS, noiseParam } from '../src/noise/calibrate';
import { degradeImages, NOISE_TYPES } from '../src/noise/degrade';
import { AccuracyRecord, NoiseCondition, plottedSteps } from '../src/recurrence/accuracy';
import { disposeNetwork, disposeTaps, feedforwardPass, disposeFeedforwardPass, makeNetwork, predictNetworksAtSteps, RecurrentNetwork, runDynamics } from '../src/recurrence/networks';
import { RECURRENCE_SPECS, RECURRENCE_TYPES, RecurrenceType } from '../src/recurrence/rules';
import { conditionLevels, EvaluatedNetwork, evaluateNetworks } from '../src/stages/recurrence';
import { assertNoLeak } from './helpers';

before(async () => {
  await initBackend({ force: 'wasm', log: false });
});

const mnist = loadMnist();

/** Weights for any type: its own init for trained types, Gaussian ones of the controlled type's shapes for random controls. */
function weightsFor(type: RecurrenceType, seed: number): Record<string, tf.Tensor> {
  const spec = RECURRENCE_SPECS[type];
  const shapes = spec.init ?? (spec.controlOf ? RECURRENCE_SPECS[spec.controlOf].init : undefined);
  if (!shapes) return {};
  return tf.tidy(() => Object.fromEntries(Object.entries(shapes(seed, 0.05)).map(([k, t]) => [k, spec.init ? t : tf.randomNormal(t.shape, 0, 0.05, 'float32', seed)])));
}

function testCalibration(): Calibration {
  const types = Object.fromEntries(NOISE_TYPES.map((t) => [t, calibrateType(t, (p) => (t === 'contrast' ? p : 1 - p / 10), { tolerance: 0.05, maxSteps: 8 })])) as Calibration['types'];
  return { coreHash: 'test', seed: 1, images: 10, targets: CALIBRATION_TARGETS, types };
}

/** The evaluation as it was: each network alone on each condition, in batches from the images, every step computed, the plotted ones kept. */
function referenceRecords(nets: readonly EvaluatedNetwork[], n: number, calibration: Calibration, noise: NoiseCondition, batchSize: number): AccuracyRecord[] {
  const test = sliceSet(mnist.test, 0, n);
  const records: AccuracyRecord[] = [];
  for (const { net, ids } of nets) {
    for (const { level } of conditionLevels(noise)) {
      const pixels = noise === 'clean' ? test.images : degradeImages(test, noise, noiseParam(calibration, noise, level), { seed: calibration.seed, level, fillValue: mnist.trainMean });
      const hits = new Array<number>(net.timeSteps).fill(0);
      for (let s = 0; s < n; s += batchSize) {
        const m = Math.min(batchSize, n - s);
        tf.tidy(() => {
          const x = tf.tensor4d(pixels.subarray(s * NUM_PIXELS, (s + m) * NUM_PIXELS), [m, 28, 28, 1]);
          const taps = runDynamics(net, x, { labels: tf.tensor1d(test.labels.subarray(s, s + m), 'int32') });
          taps.forEach((t) => (tf.argMax(t.logits!, 1).dataSync() as Int32Array).forEach((c, i) => { if (c === test.labels[s + i]) hits[t.timeStep]!++; }));
          disposeTaps(taps);
        });
      }
      for (const timeStep of plottedSteps(net.type)) records.push({ ...ids, noise, level, timeStep, accuracy: hits[timeStep]! / n, images: n });
    }
  }
  return records;
}

function networksOf(core: ReturnType<typeof initCoreWeights>): EvaluatedNetwork[] {
  return RECURRENCE_TYPES.map((type, k) => ({ net: makeNetwork(type, core, weightsFor(type, 10 + k)), ids: { core: 0, network: type, instance: 0 } }));
}

const key = (r: AccuracyRecord) => `${r.network} ${r.noise} ${r.level} ${r.timeStep}`;

test('evaluation records of every network, step 0 shared, equal those of each network run alone (smoke size: 50 images)', () => {
  const core = initCoreWeights(2, 0.05);
  const nets = networksOf(core);
  const calibration = testCalibration();
  const n = 50;
  for (const noise of ['clean', 'pixel'] as const) {
    const got = assertNoLeak(() => evaluateNetworks(nets, sliceSet(mnist.test, 0, n), calibration, mnist.trainMean, noise), `evaluateNetworks(${noise})`);
    const want = referenceRecords(nets, n, calibration, noise, 200);
    assert.deepEqual(new Map(got.map((r) => [key(r), r])), new Map(want.map((r) => [key(r), r])), noise);
    assert.equal(got.length, want.length);
  }
  // FB-PC keeps only its plotted steps.
  const fbPc = evaluateNetworks(nets.filter((e) => e.net.type === 'FB-PC'), sliceSet(mnist.test, 0, 4), calibration, mnist.trainMean, 'clean');
  assert.deepEqual(fbPc.map((r) => r.timeStep), [0, 6, 12]);
  nets.forEach(({ net }) => disposeNetwork(net));
  disposeWeights(core);
});

test('predictNetworksAtSteps in batches gives each network the classes of its own whole-set run', () => {
  const core = initCoreWeights(3, 0.05);
  const nets = networksOf(core).map((e) => e.net);
  const n = 7;
  const pixels = mnist.test.images.subarray(0, n * NUM_PIXELS);
  const labels = mnist.test.labels.subarray(0, n);
  const at = (net: RecurrentNetwork, t: number) => t === 0 || t === net.timeSteps - 1;
  const got = assertNoLeak(() => predictNetworksAtSteps(nets, pixels, labels, { at, batchSize: 3 }), 'predictNetworksAtSteps');
  nets.forEach((net, m) => {
    const want = tf.tidy(() => {
      const taps = runDynamics(net, tf.tensor4d(pixels, [n, 28, 28, 1]), { labels: tf.tensor1d(labels, 'int32') });
      const classes = taps.filter((t) => at(net, t.timeStep)).map((t) => [...tf.argMax(t.logits!, 1).dataSync()]);
      disposeTaps(taps);
      return classes;
    });
    assert.deepEqual(got[m]!.map((c) => [...c]), want, net.type);
  });
  nets.forEach((net) => disposeNetwork(net));
  disposeWeights(core);
});

test('runDynamics from a shared feedforward pass gives the taps of a run from the images, and refuses a pass of another core', () => {
  const core = initCoreWeights(4, 0.05);
  const other = initCoreWeights(5, 0.05);
  const x = tf.tensor4d(mnist.test.images.subarray(0, 3 * NUM_PIXELS), [3, 28, 28, 1]);
  const labels = tf.tensor1d(mnist.test.labels.subarray(0, 3), 'int32');
  const pass = feedforwardPass(core, x);
  for (const e of networksOf(core)) {
    const own = runDynamics(e.net, x, { labels });
    const shared = assertNoLeak(() => {
      const taps = runDynamics(e.net, pass, { labels });
      const values = taps.map((t) => [t.r1.dataSync(), t.r2.dataSync(), t.logits!.dataSync()]);
      disposeTaps(taps);
      return values;
    }, `${e.net.type} from a shared pass`);
    assert.deepEqual(shared, own.map((t) => [t.r1.dataSync(), t.r2.dataSync(), t.logits!.dataSync()]), e.net.type);
    disposeTaps(own);
    disposeNetwork(e.net);
  }
  const foreign = makeNetwork('LR-SS', other);
  assert.throws(() => runDynamics(foreign, pass), /another core/);
  disposeNetwork(foreign);
  disposeFeedforwardPass(pass);
  tf.dispose([x, labels]);
  disposeWeights(core);
  disposeWeights(other);
});

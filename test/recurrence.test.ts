import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { loadMnist, sliceSet, NUM_PIXELS } from '../src/data/mnist';
import { coreForward, CoreWeights, crossEntropy, initCoreWeights, disposeWeights } from '../src/model/core';
import { disposeTaps, feedforwardNetwork, finalLogits, makeNetwork, predictAtSteps, randomControlParams, runDynamics } from '../src/recurrence/networks';
import { decoderReach, DEFAULT_RULE_SETTINGS, PredictiveRule, RECURRENCE_SPECS, RECURRENCE_TYPES, RecurrenceType, surroundKernel } from '../src/recurrence/rules';
import { mixtureBatch, recurrenceSeed, trainRecurrentWeights } from '../src/recurrence/train';
import { type Calibration, calibrateType, CALIBRATION_TARGETS } from '../src/noise/calibrate';
import { NOISE_TYPES } from '../src/noise/degrade';
import { assertClose, tempDir } from './helpers';

before(async () => {
  await initBackend({ force: 'wasm', log: false });
});

const mnist = loadMnist();
const images = (n: number) => tf.tensor4d(mnist.test.images.subarray(0, n * NUM_PIXELS), [n, 28, 28, 1]);

/** Weights for any type: its own init for trained types, its controlled type's shapes (Gaussian) for random ones, none otherwise. */
function paramsFor(type: RecurrenceType, seed: number): Record<string, tf.Tensor> {
  const spec = RECURRENCE_SPECS[type];
  if (spec.init) return spec.init(seed, 0.02);
  if (spec.controlOf) {
    const shapes = RECURRENCE_SPECS[spec.controlOf].init!(seed, 0.02);
    const random = Object.fromEntries(Object.entries(shapes).map(([k, t]) => [k, tf.randomNormal(t.shape, 0, 0.02, 'float32', seed)]));
    tf.dispose(Object.values(shapes));
    return random;
  }
  return {};
}

function coreHash(w: CoreWeights): string {
  const h = crypto.createHash('sha256');
  for (const t of Object.values(w)) h.update(Buffer.from((t.dataSync() as Float32Array).buffer));
  return h.digest('hex');
}

test('step 0 is the feedforward pass, identical for every recurrence type', () => {
  const core = initCoreWeights(2, 0.05);
  const x = images(4);
  const labels = tf.tensor1d(mnist.test.labels.subarray(0, 4), 'int32');
  const ff = coreForward(core, x);
  const want = ff.logits.dataSync();
  for (const type of RECURRENCE_TYPES) {
    const params = paramsFor(type, 3);
    const net = makeNetwork(type, core, params);
    const taps = runDynamics(net, x, { labels });
    assert.equal(taps.length, RECURRENCE_SPECS[type].timeSteps, `${type} time steps`);
    assert.deepEqual(taps[0]!.logits!.dataSync(), want, `${type} step 0`);
    assert.deepEqual(taps[0]!.r1.dataSync(), ff.r1.dataSync(), `${type} step 0 r1`);
    disposeTaps(taps);
    tf.dispose([...Object.values(params), ...Object.values(net.rule.tensors())]);
  }
  const only = runDynamics(feedforwardNetwork(core), x);
  assert.equal(only.length, 1, 'the feedforward network has one time step');
  assert.deepEqual(only[0]!.logits!.dataSync(), want, 'feedforward network');
  disposeTaps(only);
  tf.dispose([x, labels, ...Object.values(ff)]);
  disposeWeights(core);
});

test('runDynamics and finalLogits leave no tensors behind', () => {
  const core = initCoreWeights(2, 0.05);
  const x = images(2);
  const labels = tf.tensor1d([7, 2], 'int32');
  for (const type of RECURRENCE_TYPES) {
    const params = paramsFor(type, 4);
    const net = makeNetwork(type, core, params);
    const before = tf.memory().numTensors;
    disposeTaps(runDynamics(net, x, { labels, keep: (s) => s % 2 === 0 }));
    finalLogits(net, x, labels).dispose();
    assert.equal(tf.memory().numTensors, before, `${type} leaked ${tf.memory().numTensors - before} tensors`);
    tf.dispose([...Object.values(params), ...Object.values(net.rule.tensors())]);
  }
  tf.dispose([x, labels]);
  disposeWeights(core);
});

test('the FB-PC error term equals the autodiff gradient of the reconstruction error (linear and rectified decoder)', () => {
  const params = RECURRENCE_SPECS['FB-PC'].init!(5, 0.05);
  const r2 = tf.randomUniform([2, 14, 14, 64], 0, 1, 'float32', 6) as tf.Tensor4D;
  const r1 = tf.randomUniform([2, 28, 28, 32], 0, 1, 'float32', 7) as tf.Tensor4D;
  for (const decoderRelu of [false, true]) {
    const rule = new PredictiveRule(params.decoder as tf.Tensor4D, params.decoderBias as tf.Tensor1D, { ...DEFAULT_RULE_SETTINGS.predictive, decoderRelu });
    const auto = tf.grad((a: tf.Tensor) => tf.sum(tf.squaredDifference(rule.predict(a as tf.Tensor4D), r1)))(r2);
    // Jᵀ = conv with the decoder after the ReLU's mask: what PredictiveRule.update applies.
    const pre = tf.add(tf.conv2dTranspose(r2, rule.decoder, [2, 28, 28, 32], 2, 'same'), rule.decoderBias) as tf.Tensor4D;
    const residual = tf.sub(rule.predict(r2), r1) as tf.Tensor4D;
    const masked = decoderRelu ? (tf.mul(residual, tf.cast(tf.greater(pre, 0), 'float32')) as tf.Tensor4D) : residual;
    const adjoint = tf.mul(tf.conv2d(masked, rule.decoder, 2, 'same'), 2);
    assertClose(adjoint.dataSync(), auto.dataSync(), 1e-3, 1e-4, `error gradient (decoderRelu ${decoderRelu})`);
    tf.dispose([auto, pre, residual, masked, adjoint]);
  }
  // One r2 unit reaches a 5x5 patch of the 28x28 map in all 32 channels (linear decoder).
  assert.equal(decoderReach(params.decoder as tf.Tensor4D), 5 * 5 * 32);
  tf.dispose([r1, r2, ...Object.values(params)]);
});

test('the surround kernel has centre weight 1, is symmetric, and is the same in every map', () => {
  const k = surroundKernel(1.2, 1.68);
  const v = k.arraySync() as number[][][][];
  assert.ok(Math.abs(v[3]![3]![0]![0]! - 1) < 1e-6);
  assert.ok(Math.abs(v[0]![3]![5]![0]! - v[3]![0]![5]![0]!) < 1e-7);
  assert.ok(v[3]![1]![0]![0]! < 0, 'surround two pixels away is suppressive');
  assert.equal(v[2]![5]![0]![0], v[2]![5]![31]![0]);
  assert.throws(() => surroundKernel(2, 1), /centre value/);
  k.dispose();
});

test('random controls have the norm of their trained counterpart', () => {
  const trained = tf.randomNormal([5, 5, 32, 64], 0, 0.01, 'float32', 8);
  const r = randomControlParams(trained, 9);
  assert.ok(Math.abs(tf.norm(r).dataSync()[0]! - tf.norm(trained).dataSync()[0]!) < 1e-4);
  tf.dispose([trained, r]);
});

test('Grads needs labels and raises the true class logit', () => {
  const core = initCoreWeights(2, 0.05);
  const x = images(3);
  assert.throws(() => runDynamics(makeNetwork('Grads', core, {}), x), /labels are required/);
  const labels = tf.tensor1d(mnist.test.labels.subarray(0, 3), 'int32');
  const taps = runDynamics(makeNetwork('Grads', core, {}, { gradStep: 1 }), x, { labels });
  const ce = taps.map((t) => crossEntropy(t.logits!, labels).dataSync()[0]!);
  assert.ok(ce[1]! < ce[0]!, `cross-entropy ${ce[0]} → ${ce[1]}`);
  disposeTaps(taps);
  tf.dispose([x, labels]);
  disposeWeights(core);
});

function testCalibration(): Calibration {
  const types = Object.fromEntries(NOISE_TYPES.map((t) => [t, calibrateType(t, (p) => (t === 'contrast' ? p : 1 - p / 10), { tolerance: 0.05, maxSteps: 8 })])) as Calibration['types'];
  return { coreHash: 'test', seed: 1, images: 10, targets: CALIBRATION_TARGETS, types };
}

test('training batches are equal fifths: clean, then each noise type at the level', () => {
  const cal = testCalibration();
  const idx = new Int32Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const { x, y } = mixtureBatch(mnist.train, idx, cal, 3, mnist.trainMean);
  const px = x.dataSync();
  assert.deepEqual(px.subarray(0, NUM_PIXELS), mnist.train.images.subarray(0, NUM_PIXELS));
  assert.deepEqual(px.subarray(5 * NUM_PIXELS, 6 * NUM_PIXELS), mnist.train.images.subarray(5 * NUM_PIXELS, 6 * NUM_PIXELS));
  assert.notDeepEqual(px.subarray(NUM_PIXELS, 2 * NUM_PIXELS), mnist.train.images.subarray(NUM_PIXELS, 2 * NUM_PIXELS));
  assert.deepEqual([...y.dataSync()], [...mnist.train.labels.subarray(0, 10)]);
  tf.dispose([x, y]);
});

test('task training changes only the recurrent weights: the core is bit-identical after', async () => {
  const core = initCoreWeights(3, 0.05);
  const before = coreHash(core);
  const trained = await trainRecurrentWeights({
    type: 'FB-TT', instance: 0, core, coreHash: 'c', calibration: testCalibration(), settings: DEFAULT_RULE_SETTINGS,
    training: { batchSize: 10, batches: 4, learningRate: 0.5, momentum: 0.9, initSd: 0.001, trainImages: 100, checkpointEvery: 2, noiseLevel: 3 },
    train: sliceSet(mnist.train, 0, 100), fillValue: mnist.trainMean, dir: tempDir(),
  });
  assert.equal(coreHash(core), before);
  const init = RECURRENCE_SPECS['FB-TT'].init!(recurrenceSeed('FB-TT', 0), 0.001);
  assert.notDeepEqual(trained.weights.feedback!.dataSync(), init.feedback!.dataSync(), 'feedback weights trained');
  tf.dispose([...Object.values(trained.weights), ...Object.values(init)]);
  disposeWeights(core);
});

test('feedback training gradients agree between wasm and cpu', async () => {
  const core = initCoreWeights(4, 0.05);
  const x = images(2);
  const y = tf.tensor1d(mnist.test.labels.subarray(0, 2), 'int32');
  const fb = tf.randomNormal([5, 5, 32, 64], 0, 0.05, 'float32', 10);
  const gradOn = async (backend: string) => {
    await tf.setBackend(backend);
    return tf.tidy(() => tf.grad((w: tf.Tensor) => crossEntropy(finalLogits(makeNetwork('FB-TT', core, { feedback: w }), x), y))(fb).dataSync() as Float32Array);
  };
  const cpu = await gradOn('cpu');
  const wasm = await gradOn('wasm');
  const scale = cpu.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  assert.ok(scale > 0, 'gradient is not zero');
  assertClose(wasm, cpu, 1e-3 * scale, 1e-3, 'dL/dF');
  tf.dispose([x, y, fb]);
  disposeWeights(core);
});

test('predictAtSteps in batches gives the classes of one whole-set run at the selected steps', () => {
  const core = initCoreWeights(2, 0.05);
  const net = makeNetwork('LR-SS', core);
  const n = 7;
  const pixels = mnist.test.images.subarray(0, n * NUM_PIXELS);
  const labels = mnist.test.labels.subarray(0, n);
  const taps = runDynamics(net, tf.tensor4d(pixels, [n, 28, 28, 1]));
  const want = [0, 2].map((s) => tf.argMax(taps[s]!.logits!, 1).dataSync());
  disposeTaps(taps);
  const got = predictAtSteps(net, pixels, labels, (s) => s !== 1, 3);
  assert.deepEqual(got.map((g) => [...g]), want.map((w) => [...w]));
  tf.dispose(Object.values(net.rule.tensors()));
  disposeWeights(core);
});

import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { loadMnist, sliceSet } from '../src/data/mnist';
import { coreForward, coreLogits, crossEntropy, disposeWeights, forwardFromR1, initCoreWeights, layer1Drive } from '../src/model/core';
import { feedforwardAccuracy } from '../src/model/evaluate';
import { coreFile, loadCore, trainCore, TrainingInterrupted } from '../src/model/trainCore';
import type { CoreTrainingConfig } from '../src/model/trainCore';
import { assertNoLeak, tempDir } from './helpers';

before(async () => {
  await initBackend({ force: 'wasm', log: false });
});

const mnist = loadMnist();
const tiny: CoreTrainingConfig = { batchSize: 16, batches: 12, learningRate: 0.05, momentum: 0.9, initSd: 0.02, trainImages: 256, checkpointEvery: 4 };

test('the core exposes r1, r2, r3 and logits with the shapes of Table 1, without leaking tensors', () => {
  const w = initCoreWeights(1);
  const x = tf.zeros([2, 28, 28, 1]) as tf.Tensor4D;
  const taps = assertNoLeak(() => tf.tidy(() => {
    const t = coreForward(w, x);
    return { r1: t.r1.shape, r2: t.r2.shape, r3: t.r3.shape, logits: t.logits.shape };
  }), 'coreForward');
  assert.deepEqual(taps, { r1: [2, 28, 28, 32], r2: [2, 14, 14, 64], r3: [2, 1024], logits: [2, 10] });
  assertNoLeak(() => tf.tidy(() => coreLogits(w, x).dataSync()), 'coreLogits');
  assertNoLeak(() => tf.tidy(() => forwardFromR1(w, tf.relu(layer1Drive(w, x))).logits.dataSync()), 'forwardFromR1');
  assertNoLeak(() => feedforwardAccuracy(w, mnist.test.images, mnist.test.labels, 50), 'feedforwardAccuracy');
  assert.throws(() => layer1Drive(w, tf.zeros([2, 28, 28]) as unknown as tf.Tensor4D), /layer1Drive: x must have shape \[batch, 28, 28, 1\], got \[2, 28, 28\]/);
  x.dispose();
  disposeWeights(w);
});

test('cross-entropy matches a hand computation', () => {
  const v = tf.tidy(() => crossEntropy(tf.tensor2d([[0, Math.log(3)], [1, 1]]) as tf.Tensor2D, tf.tensor1d([1, 0], 'int32')).dataSync()[0]!);
  // Row 1: p(class 1) = 3/4; row 2: p = 1/2.
  assert.ok(Math.abs(v - (-Math.log(0.75) - Math.log(0.5)) / 2) < 1e-6);
});

test('training killed mid-run resumes from its checkpoint to the same weights as an uninterrupted run', async () => {
  const train = sliceSet(mnist.train, 0, 256);
  const straight = await trainCore({ training: tiny, seed: 3, train, dir: tempDir() });
  const dir = tempDir();
  await assert.rejects(trainCore({ training: tiny, seed: 3, train, dir, stopAfterBatches: 6 }), TrainingInterrupted);
  assert.ok(fs.existsSync(`${coreFile(dir, { arch: 'table1', seed: 3, training: tiny, data: train.dataset })}.ckpt`));
  const resumed = await trainCore({ training: tiny, seed: 3, train, dir });
  assert.equal(resumed.info.resumes, 1);
  for (const k of Object.keys(straight.weights) as (keyof typeof straight.weights)[]) {
    assert.deepEqual(resumed.weights[k].dataSync(), straight.weights[k].dataSync(), `weights ${k} differ after resume`);
  }
  assert.equal(fs.existsSync(`${coreFile(dir, resumed.info.key)}.ckpt`), false);
  disposeWeights(straight.weights);
  disposeWeights(resumed.weights);
});

test('a corrupted cached core is detected and rebuilt, never used', async () => {
  const train = sliceSet(mnist.train, 0, 256);
  const dir = tempDir();
  const first = await trainCore({ training: tiny, seed: 4, train, dir });
  const file = coreFile(dir, first.info.key);
  const bytes = fs.readFileSync(file);
  bytes[bytes.length - 100] ^= 0x55;
  fs.writeFileSync(file, bytes);
  assert.equal(loadCore(dir, first.info.key), null);
  const before = tf.memory().numTensors;
  const rebuilt = await trainCore({ training: tiny, seed: 4, train, dir });
  assert.deepEqual(rebuilt.weights.w1.dataSync(), first.weights.w1.dataSync());
  disposeWeights(rebuilt.weights);
  assert.equal(tf.memory().numTensors, before, 'trainCore leaked tensors');
  const again = loadCore(dir, first.info.key);
  assert.ok(again, 'the rebuilt core is cached again');
  disposeWeights(again.weights);
  disposeWeights(first.weights);
});

test('a short real training run learns MNIST', async () => {
  const cfg: CoreTrainingConfig = { ...tiny, batchSize: 32, batches: 120, trainImages: 55000, checkpointEvery: 1000 };
  const core = await trainCore({ training: cfg, seed: 9, train: mnist.train, dir: tempDir() });
  const acc = feedforwardAccuracy(core.weights, mnist.test.images, mnist.test.labels, 1000);
  assert.ok(acc > 0.8, `test accuracy after 120 steps: ${acc}`);
  disposeWeights(core.weights);
});

import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { loadMnist, NUM_PIXELS } from '../src/data/mnist';
import { crossEntropy } from '../src/model/core';
import {
  estimateGrcnnRunningStats, GrcnnConfig, grcnnForward, grcnnFromRecord, grcnnLogits, grcnnParamsToRecord, grcnnStatsToRecord, initGrcnn,
} from '../src/model/grcnn';
import { trainLoop } from '../src/model/trainLoop';
import { disposeWeightTensors } from '../src/model/weightSource';
import { assertNoLeak, tempDir } from './helpers';

before(async () => {
  await initBackend({ force: 'wasm', log: false });
});

const mnist = loadMnist();
const tiny: GrcnnConfig = { stemChannels: 8, blocks: [{ channels: 16, bottleneck: 4 }, { channels: 32, bottleneck: 8 }], iterations: 3 };
const images = (n: number, start = 0) => tf.tensor4d(mnist.train.images.subarray(start * NUM_PIXELS, (start + n) * NUM_PIXELS), [n, 28, 28, 1]);
const labels = (n: number, start = 0) => tf.tensor1d(mnist.train.labels.subarray(start, start + n), 'int32');

test('GRCNN layer shapes, every iteration count from 0 to T, clear errors, no leaks', () => {
  const w = initGrcnn(tiny, 1);
  const x = images(3);
  const shapes = assertNoLeak(() => tf.tidy(() => {
    const taps = grcnnForward(w, x, { training: true });
    return [...taps.blocks.map((b) => b.shape), taps.logits.shape];
  }), 'grcnnForward');
  assert.deepEqual(shapes, [[3, 14, 14, 16], [3, 7, 7, 32], [3, 10]]);
  tf.tidy(() => {
    const byIterations = [0, 1, 2, 3].map((iterations) => grcnnLogits(w, x, { training: true, iterations }).dataSync());
    assert.ok(byIterations.every((l) => l.every(Number.isFinite)));
    assert.notDeepEqual(byIterations[0], byIterations[3]);
  });
  assertNoLeak(() => tf.tidy(() => grcnnLogits(w, x, { training: true, gate: 'none' }).dataSync()), 'grcnnLogits');
  assert.throws(() => grcnnLogits(w, x, { training: true, iterations: 4 }), /iterations must be an integer from 0 to 3/);
  assert.throws(() => grcnnLogits(w, x, { training: false }), /inference mode needs running statistics/);
  const flat = tf.zeros([3, 28, 28]);
  assert.throws(() => grcnnLogits(w, flat as tf.Tensor4D, { training: true }), /grcnnForward: x must have shape \[batch, 28, 28, 1\], got \[3, 28, 28\]/);
  const before = tf.memory().numTensors;
  assert.throws(() => initGrcnn({ ...tiny, groups: 3 }, 1), /GrcnnConfig: 3 groups do not divide the channels 8, 16, 32/);
  assert.throws(() => initGrcnn({ ...tiny, blocks: [...tiny.blocks, ...tiny.blocks, ...tiny.blocks] }, 1), /6 blocks halve the 14-pixel maps below one pixel/);
  assert.equal(tf.memory().numTensors, before, 'a rejected configuration makes no tensors');
  tf.dispose([x, flat]);
  disposeWeightTensors(w);
});

test('every GRCNN parameter gets a gradient through the record used by trainLoop, gated and ungated', () => {
  for (const gated of [true, false]) {
    const config = { ...tiny, gated };
    const w = initGrcnn(config, 2);
    const params = grcnnParamsToRecord(w);
    assert.equal(Object.keys(params).some((k) => k.startsWith('blocks.0.b.') || k.startsWith('blocks.0.c.')), gated);
    const vars = Object.fromEntries(Object.entries(params).map(([k, t]) => [k, tf.variable(t)]));
    const x = images(4);
    const y = labels(4);
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => crossEntropy(grcnnLogits(grcnnFromRecord(config, vars), x, { training: true }), y));
      for (const [k, v] of Object.entries(vars)) {
        const g = grads[v.name];
        assert.ok(g, `${gated ? 'gated' : 'ungated'}: no gradient for ${k}`);
        assert.ok(tf.max(tf.abs(g)).dataSync()[0] > 0, `${gated ? 'gated' : 'ungated'}: zero gradient for ${k}`);
      }
    });
    tf.dispose([x, y, ...Object.values(vars)]);
    disposeWeightTensors(w);
  }
});

test('a short trainLoop run on 320 MNIST images lowers the loss; estimated statistics serve inference at any iteration count', async () => {
  const n = 320;
  const batch = 32;
  const x = images(n);
  const y = labels(n);
  const lossOn = (w: ReturnType<typeof initGrcnn>, training: boolean, iterations?: number) =>
    tf.tidy(() => crossEntropy(grcnnLogits(w, x, { training, iterations }), y).dataSync()[0]);
  const init = initGrcnn(tiny, 3);
  const before = lossOn(init, true);
  disposeWeightTensors(init);

  const { params } = await trainLoop({
    kind: 'grcnn',
    key: { test: 'grcnn', tiny },
    file: path.join(tempDir(), 'grcnn.bin'),
    init: () => grcnnParamsToRecord(initGrcnn(tiny, 3)),
    loss: (vars, step) => {
      const start = (step % (n / batch)) * batch;
      const xb = tf.slice(x, [start, 0, 0, 0], [batch, 28, 28, 1]);
      const yb = tf.slice(y, [start], [batch]);
      return { loss: crossEntropy(grcnnLogits(grcnnFromRecord(tiny, vars), xb, { training: true }), yb), images: batch };
    },
    config: { batches: 30, learningRate: 0.05, momentum: 0.9, checkpointEvery: 1000 },
    label: 'grcnn test',
  });
  const trained = grcnnFromRecord(tiny, params);
  const after = lossOn(trained, true);
  assert.ok(after < 0.85 * before, `training-mode loss ${before} → ${after}`);

  assert.deepEqual(grcnnStatsToRecord(trained), {});
  const layers = estimateGrcnnRunningStats(trained, mnist.train.images.subarray(0, n * NUM_PIXELS), { batchSize: batch });
  // Stem 1, each GRCL 2 + 4·3, one transition, head 1.
  assert.equal(layers, 1 + 2 * 14 + 1 + 1);
  assert.equal(Object.keys(grcnnStatsToRecord(trained)).length, 2 * layers);
  const inference = lossOn(trained, false);
  assert.ok(inference < 0.85 * before, `inference-mode loss ${inference} (initial ${before})`);
  for (const iterations of [0, 1, 2]) assert.ok(Number.isFinite(lossOn(trained, false, iterations)));

  // The statistics travel with the parameters.
  const reloaded = grcnnFromRecord(tiny, { ...grcnnParamsToRecord(trained), ...grcnnStatsToRecord(trained) });
  assert.equal(lossOn(reloaded, false), inference);
  tf.dispose([x, y]);
  disposeWeightTensors(trained);
});

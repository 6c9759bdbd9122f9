import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { batchNorm, BATCH_NORM_EPSILON, BatchNormWeights, estimateRunningStats } from '../src/model/batchNorm';
import { GrclConfig, grclForward, grclFromRecord, initGrcl } from '../src/model/grcl';
import { PreActConv } from '../src/model/preActConv';
import { disposeWeightTensors, weightsToRecords } from '../src/model/weightSource';
import { assertClose, assertNoLeak } from './helpers';

before(async () => {
  await initBackend({ force: 'wasm', log: false });
});

interface GoldenArray {
  shape: number[];
  data: number[];
}

interface GoldenCommon {
  config: GrclConfig;
  params: Record<string, GoldenArray>;
  u: GoldenArray;
}

/** groups 1: every mode. */
interface GoldenFull extends GoldenCommon {
  train: { states: number[][]; gates: number[][] };
  trainNoGate: { states: number[][] };
  running: Record<string, GoldenArray>;
  eval: { output: number[] };
  estimation: { batches: GoldenArray[]; running: Record<string, number[]>; output: number[] };
}

/** groups 2: training mode. */
interface GoldenGrouped extends GoldenCommon {
  train: { output: number[] };
}

const golden = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'test', 'golden', 'grcl_golden.json'), 'utf8')) as {
  epsilon: number;
  full: GoldenFull;
  grouped: GoldenGrouped;
};

const toTensor = (a: GoldenArray): tf.Tensor => tf.tensor(a.data, a.shape);
const toImages = (a: GoldenArray): tf.Tensor4D => tf.tensor4d(a.data, [a.shape[0], a.shape[1], a.shape[2], a.shape[3]]);
const records = (r: Record<string, GoldenArray>): Record<string, tf.Tensor> => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, toTensor(v)]));
const values = (t: tf.Tensor): Float32Array => t.dataSync() as Float32Array;

test('the golden file uses the batch-norm epsilon of the library (PyTorch default)', () => {
  assert.equal(golden.epsilon, BATCH_NORM_EPSILON);
});

test('GRCL in training mode matches the PyTorch reference at every iteration, states and gates', () => {
  const c = golden.full;
  const w = grclFromRecord(c.config, records(c.params));
  const u = toImages(c.u);
  const out = grclForward(w, u, { training: true, taps: true });
  assert.equal(out.states.length, 4);
  assert.equal(out.gates.length, 3);
  out.states.forEach((s, t) => assertClose(values(s), c.train.states[t], 1e-5, 1e-5, `x_${t}`));
  out.gates.forEach((g, t) => assertClose(values(g), c.train.gates[t], 1e-5, 1e-5, `σ(g_${t + 1})`));
  assert.equal(out.output, out.states[3]);
  tf.dispose([u, out.output, ...out.states, ...out.gates]);
  disposeWeightTensors(w);
});

test('GRCL with grouped A_0, B and C convolutions matches the PyTorch reference', () => {
  const c = golden.grouped;
  assert.equal(c.config.groups, 2);
  const w = grclFromRecord(c.config, records(c.params));
  const u = toImages(c.u);
  const { output } = grclForward(w, u, { training: true });
  assertClose(values(output), c.train.output, 1e-5, 1e-5, 'grouped x_T');
  tf.dispose([u, output]);
  disposeWeightTensors(w);
});

test('GRCL with the gate off matches the PyTorch reference residual stack', () => {
  const c = golden.full;
  const w = grclFromRecord(c.config, records(c.params));
  const u = toImages(c.u);
  const out = grclForward(w, u, { training: true, gate: 'none', taps: true });
  assert.equal(out.gates.length, 0);
  out.states.forEach((s, t) => assertClose(values(s), c.trainNoGate.states[t], 1e-5, 1e-5, `x_${t} without gate`));
  tf.dispose([u, ...out.states]);
  disposeWeightTensors(w);
});

test('GRCL in inference mode uses the running statistics, as PyTorch eval mode', () => {
  const c = golden.full;
  const w = grclFromRecord(c.config, { ...records(c.params), ...records(c.running) });
  const u = toImages(c.u);
  const { output } = grclForward(w, u, { training: false });
  assertClose(values(output), c.eval.output, 1e-5, 1e-5, 'inference x_T');
  tf.dispose([u, output]);
  disposeWeightTensors(w);
});

test('running statistics estimated over batches equal nn.BatchNorm2d(momentum=None) after the same batches', () => {
  const c = golden.full;
  const est = c.estimation;
  const w = grclFromRecord(c.config, records(c.params));
  const batches = est.batches.map(toImages);
  const before = tf.memory().numTensors;
  const layers = estimateRunningStats((observe, b) => {
    tf.dispose(grclForward(w, batches[b], { training: true, observe }).output);
  }, batches.length);
  // a0, c, and per iteration B's batch norm and the bottleneck's three; a mean and a variance each, nothing else kept.
  assert.equal(layers, 2 + 4 * 3);
  assert.equal(tf.memory().numTensors, before + 2 * layers);
  const { stats } = weightsToRecords(w);
  assert.deepEqual(Object.keys(stats).sort(), Object.keys(est.running).sort());
  for (const [name, want] of Object.entries(est.running)) assertClose(values(stats[name]), want, 1e-5, 1e-5, name);
  const u = toImages(c.u);
  const { output } = grclForward(w, u, { training: false });
  assertClose(values(output), est.output, 1e-5, 1e-5, 'inference x_T after estimation');
  tf.dispose([u, output, ...batches]);
  disposeWeightTensors(w);
});

/** BN-ReLU-conv written out with tf primitives, training mode. */
function preActByHand(layer: PreActConv, x: tf.Tensor4D): tf.Tensor4D {
  const bn = (p: BatchNormWeights, v: tf.Tensor4D) => {
    const { mean, variance } = tf.moments(v, [0, 1, 2]);
    return tf.add(tf.mul(tf.div(tf.sub(v, mean), tf.sqrt(tf.add(variance, 1e-5))), p.gamma), p.beta) as tf.Tensor4D;
  };
  return tf.conv2d(tf.relu(bn(layer.norm, x)), layer.filter, 1, 'same');
}

test('with the gate off the GRCL is the residual stack x_t = x_{t-1} + A_t(x_{t-1})', () => {
  const config: GrclConfig = { inChannels: 3, channels: 8, bottleneck: 4, iterations: 3 };
  const w = initGrcl(config, 5);
  const u = tf.randomNormal([3, 7, 7, 3], 0, 1, 'float32', 9) as tf.Tensor4D;
  tf.tidy(() => {
    let x = preActByHand(w.a0, u);
    for (const a of w.a) x = tf.add(x, preActByHand(a.expand, preActByHand(a.spatial, preActByHand(a.reduce, x))));
    const ungated = grclForward(w, u, { training: true, gate: 'none' }).output;
    assertClose(values(ungated), values(x), 1e-5, 1e-5, 'residual stack');
    // The gate matters: with σ ≈ 0.5 the output is not the residual stack.
    const gated = grclForward(w, u, { training: true }).output;
    assert.ok(tf.max(tf.abs(tf.sub(gated, ungated))).dataSync()[0] > 1e-2);
  });
  u.dispose();
  disposeWeightTensors(w);
});

test('iterations 0 … T give x_0 … x_T; more iterations than weights is an error', () => {
  const w = initGrcl({ inChannels: 2, channels: 4, bottleneck: 2, iterations: 3 }, 1);
  const u = tf.randomNormal([2, 5, 5, 2], 0, 1, 'float32', 2) as tf.Tensor4D;
  tf.tidy(() => {
    const { states } = grclForward(w, u, { training: true, taps: true });
    for (let t = 0; t <= 3; t++) {
      const { output, states: s } = grclForward(w, u, { training: true, iterations: t, taps: true });
      assert.equal(s.length, t + 1);
      assert.deepEqual(values(output), values(states[t]), `iterations ${t}`);
    }
  });
  assert.throws(() => grclForward(w, u, { training: true, iterations: 4 }), /grclForward: iterations must be an integer from 0 to 3 .*got 4/);
  assert.throws(() => grclForward(w, u, { training: true, iterations: 1.5 }), /got 1.5/);
  u.dispose();
  disposeWeightTensors(w);
});

test('inference mode treats every image alone; training mode normalises over the batch', () => {
  const w = initGrcl({ inChannels: 2, channels: 4, bottleneck: 2, iterations: 2 }, 3);
  const u = tf.randomNormal([4, 5, 5, 2], 0, 1, 'float32', 4) as tf.Tensor4D;
  const first = tf.slice(u, [0, 0, 0, 0], [2, 5, 5, 2]);
  assert.throws(() => grclForward(w, u, { training: false }), /batchNorm: inference mode needs running statistics/);
  estimateRunningStats((observe) => tf.dispose(grclForward(w, u, { training: true, observe }).output), 1);
  tf.tidy(() => {
    const whole = values(tf.slice(grclForward(w, u, { training: false }).output, [0, 0, 0, 0], [2, 5, 5, 4]));
    assertClose(values(grclForward(w, first, { training: false }).output), whole, 1e-6, 1e-6, 'inference, alone vs in the batch');
    const wholeTrain = values(tf.slice(grclForward(w, u, { training: true }).output, [0, 0, 0, 0], [2, 5, 5, 4]));
    const aloneTrain = values(grclForward(w, first, { training: true }).output);
    assert.ok(aloneTrain.some((v, i) => Math.abs(v - wholeTrain[i]) > 1e-3), 'training mode depends on the batch');
  });
  tf.dispose([u, first]);
  disposeWeightTensors(w);
});

test('batch norm in training mode uses the biased variance to normalise and reports the unbiased one', () => {
  const bn: BatchNormWeights = { gamma: tf.tensor1d([2]), beta: tf.tensor1d([1]), running: null };
  const x = tf.tensor4d([1, 2, 3, 6], [1, 2, 2, 1]);
  let reported: number[] = [];
  const y = batchNorm(bn, x, { training: true, observe: (_bn, s) => { reported = [s.mean.dataSync()[0], s.variance.dataSync()[0]]; } });
  // mean 3, biased variance 3.5, unbiased 14/3.
  assertClose(reported, [3, 14 / 3], 1e-6, 1e-6, 'reported statistics');
  assertClose(values(y), [1, 2, 3, 6].map((v) => 2 * (v - 3) / Math.sqrt(3.5 + 1e-5) + 1), 1e-5, 1e-5, 'normalised');
  tf.dispose([y, x, bn.gamma, bn.beta]);
});

test('GRCL checks shapes and configuration, keeps no tensors, and its records round-trip', () => {
  const config: GrclConfig = { inChannels: 3, channels: 8, bottleneck: 2, iterations: 2, groups: 1 };
  const before = tf.memory().numTensors;
  const w = initGrcl(config, 7);
  const u = tf.zeros([1, 4, 4, 3]) as tf.Tensor4D;
  assertNoLeak(() => tf.dispose(Object.values(grclForward(w, u, { training: true, taps: true })).flat()), 'grclForward');
  const wrong = tf.zeros([1, 4, 4, 2]) as tf.Tensor4D;
  assert.throws(() => grclForward(w, wrong, { training: true }), /grclForward: u must have shape \[batch, height, width, 3\], got \[1, 4, 4, 2\]/);
  wrong.dispose();
  assert.throws(() => initGrcl({ ...config, groups: 2 }, 1), /GrclConfig: 2 groups do not divide 3 input channels/);
  assert.throws(() => initGrcl({ ...config, bottleneck: 0 }, 1), /GrclConfig.bottleneck must be an integer ≥ 1, got 0/);

  const { params, stats } = weightsToRecords(w);
  assert.deepEqual(stats, {});
  assert.ok('a.1.spatial.filter' in params && 'b.norms.1.gamma' in params && 'c.bias' in params);
  const again = grclFromRecord(config, params);
  assert.deepEqual(weightsToRecords(again).params, params);
  const { ['a.0.reduce.filter']: _dropped, ...missing } = params;
  assert.throws(() => grclFromRecord(config, missing), /grclFromRecord: missing parameter a.0.reduce.filter of shape \[1, 1, 8, 2\]/);
  assert.throws(() => grclFromRecord({ ...config, iterations: 1 }, params), /grclFromRecord: unexpected parameters .*a.1.reduce.norm.gamma/);
  assert.throws(() => grclFromRecord({ ...config, bottleneck: 3 }, params), /grclFromRecord: parameter a.0.reduce.filter has shape \[1, 1, 8, 2\], expected \[1, 1, 8, 3\]/);

  const ungated = initGrcl({ ...config, gated: false }, 7);
  assert.equal(ungated.b, null);
  assert.equal(ungated.c, null);
  assert.ok(Object.keys(weightsToRecords(ungated).params).every((k) => !k.startsWith('b.') && !k.startsWith('c.')));
  assertNoLeak(() => grclForward(ungated, u, { training: true }).output.dispose(), 'ungated grclForward');
  assert.throws(() => grclForward(ungated, u, { training: true, gate: 'sigmoid' }), /gate 'sigmoid' needs gate weights/);
  disposeWeightTensors(ungated);
  u.dispose();
  disposeWeightTensors(w);
  assert.equal(tf.memory().numTensors, before);
});

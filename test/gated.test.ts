/**
 * LR-GRCL (src/recurrence/gated.ts): one time step against its formula written
 * as plain loops, the gate held open reduces it to LR-TT, no tensors left
 * behind, and task training moves only its own weights.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { loadMnist, NUM_PIXELS, sliceSet } from '../src/data/mnist';
import { CoreWeights, crossEntropy, disposeWeights, initCoreWeights, layer1Drive } from '../src/model/core';
import { type Calibration, calibrateType, CALIBRATION_TARGETS } from '../src/noise/calibrate';
import { NOISE_TYPES } from '../src/noise/degrade';
import { GATED_LATERAL_SHAPES, GatedLateralRule } from '../src/recurrence/gated';
import { disposeNetwork, disposeTaps, finalLogits, makeNetwork, runDynamics } from '../src/recurrence/networks';
import { DEFAULT_RULE_SETTINGS, LayerState, RECURRENCE_SPECS, RECURRENCE_TYPES, trainedTypes } from '../src/recurrence/rules';
import { recurrenceSeed, trainRecurrentWeights } from '../src/recurrence/train';
import { Rng } from '../src/random';
import { assertClose, tempDir } from './helpers';

before(async () => {
  await initBackend({ force: 'wasm', log: false });
});

const mnist = loadMnist();
const images = (n: number) => tf.tensor4d(mnist.test.images.subarray(0, n * NUM_PIXELS), [n, 28, 28, 1]);

/** `[b, h, w, c]` row-major accessor, zero outside the map. */
function at4(data: Float32Array, shape: readonly number[]) {
  const [, h, w, c] = shape as [number, number, number, number];
  return (b: number, y: number, x: number, k: number) => (y < 0 || x < 0 || y >= h || x >= w ? 0 : data[((b * h + y) * w + x) * c + k]!);
}

/** Random LR-GRCL weights large enough that the gate varies across positions. */
function randomWeights(seed: number, gateBias?: number): Record<string, tf.Tensor> {
  return {
    lateral: tf.randomNormal([...GATED_LATERAL_SHAPES.lateral], 0, 0.05, 'float32', seed),
    gateRecurrent: tf.randomNormal([...GATED_LATERAL_SHAPES.gateRecurrent], 0, 0.3, 'float32', seed + 1),
    gateFeedforward: tf.randomNormal([...GATED_LATERAL_SHAPES.gateFeedforward], 0, 0.3, 'float32', seed + 2),
    gateBias: gateBias === undefined ? tf.randomNormal([32], 0, 0.5, 'float32', seed + 3) : tf.fill([32], gateBias),
  };
}

function coreHash(w: CoreWeights): string {
  const h = crypto.createHash('sha256');
  for (const t of Object.values(w)) h.update(Buffer.from((t.dataSync() as Float32Array).buffer));
  return h.digest('hex');
}

test('LR-GRCL is a task-trained lateral type of 3 steps and 2 instances, after the paper\'s types', () => {
  const spec = RECURRENCE_SPECS['LR-GRCL'];
  assert.deepEqual([spec.anatomy, spec.origin, spec.timeSteps, spec.instances], ['lateral', 'task-trained', 3, 2]);
  assert.deepEqual(RECURRENCE_TYPES.slice(0, 7), ['FB-TT', 'LR-TT', 'FB-PC', 'LR-SS', 'FB-R', 'LR-R', 'Grads']);
  assert.deepEqual(trainedTypes(), ['FB-TT', 'LR-TT', 'FB-PC', 'LR-GRCL']);
  // The seeds of the earlier types do not move.
  assert.equal(recurrenceSeed('FB-PC', 0), 1003);
  assert.equal(recurrenceSeed('LR-GRCL', 1), 2008);
});

test('LR-GRCL step: r1 = ReLU(d1 + σ(Σ B·r1 + Σ C·r1(0) + c) · Σ L[dy,dx,c,k]·r1[y+dy−3, x+dx−3, c])', () => {
  const core = initCoreWeights(11, 0.05);
  const x = images(2);
  const w = randomWeights(20);
  const net = makeNetwork('LR-GRCL', core, w);
  const taps = runDynamics(net, x, { keep: (t) => t <= 1 });
  const d1t = layer1Drive(core, x);
  const d1 = at4(d1t.dataSync() as Float32Array, d1t.shape);
  const r1 = at4(taps[0]!.r1.dataSync() as Float32Array, taps[0]!.r1.shape);
  const next = at4(taps[1]!.r1.dataSync() as Float32Array, taps[1]!.r1.shape);
  const L = at4(w.lateral!.dataSync() as Float32Array, GATED_LATERAL_SHAPES.lateral);
  const B = w.gateRecurrent!.dataSync();
  const C = w.gateFeedforward!.dataSync();
  const c = w.gateBias!.dataSync();
  const rng = new Rng(5);
  const positions: [number, number, number, number][] = [[0, 0, 0, 0], [1, 27, 27, 31], [0, 0, 27, 5], [1, 27, 0, 17]];
  while (positions.length < 60) positions.push([rng.int(2), rng.int(28), rng.int(28), rng.int(32)]);
  const gates: number[] = [];
  for (const [b, y, xx, k] of positions) {
    let lateral = 0;
    for (let dy = 0; dy < 7; dy++) for (let dx = 0; dx < 7; dx++) for (let ch = 0; ch < 32; ch++) lateral += L(dy, dx, ch, k) * r1(b, y + dy - 3, xx + dx - 3, ch);
    // At t = 1, r1(t − 1) is r1(0): B and C read the same activity.
    let g = c[k]!;
    for (let ch = 0; ch < 32; ch++) g += (B[ch * 32 + k]! + C[ch * 32 + k]!) * r1(b, y, xx, ch);
    const gate = 1 / (1 + Math.exp(-g));
    gates.push(gate);
    const want = Math.max(0, d1(b, y, xx, k) + gate * lateral);
    const got = next(b, y, xx, k);
    assert.ok(Math.abs(got - want) <= 1e-4 + 1e-4 * Math.abs(want), `r1(1)[${b},${y},${xx},${k}] = ${got}, formula ${want} (gate ${gate}, lateral ${lateral})`);
  }
  assert.ok(Math.min(...gates) < 0.3 && Math.max(...gates) > 0.7, `the gate varies at the sampled positions (${Math.min(...gates)} to ${Math.max(...gates)})`);
  disposeTaps(taps);
  tf.dispose([x, d1t, ...Object.values(w)]);
  disposeNetwork(net);
  disposeWeights(core);
});

test('at step 2, B reads r1(1) and C still reads r1(0)', () => {
  const core = initCoreWeights(12, 0.05);
  const x = images(2);
  const w = randomWeights(30);
  const rule = RECURRENCE_SPECS['LR-GRCL'].rule(w, DEFAULT_RULE_SETTINGS);
  assert.ok(rule instanceof GatedLateralRule);
  const taps = runDynamics(makeNetwork('LR-GRCL', core, w), x);
  tf.tidy(() => {
    const drive = layer1Drive(core, x);
    const input = { core, drive, feedforward: tf.relu(drive) };
    const state: LayerState = { r1: taps[1]!.r1, r2: taps[1]!.r2 };
    const want = tf.tidy(() => {
      const g = tf.add(tf.add(tf.conv2d(taps[1]!.r1, rule.gateRecurrent, 1, 'same'), tf.conv2d(taps[0]!.r1, rule.gateFeedforward, 1, 'same')), rule.gateBias);
      return tf.relu(tf.add(drive, tf.mul(tf.sigmoid(g), tf.conv2d(taps[1]!.r1, rule.lateral, 1, 'same'))));
    });
    assertClose(rule.update(input, state).r1.dataSync(), want.dataSync(), 1e-5, 1e-5, 'r1(2)');
    assertClose(taps[2]!.r1.dataSync(), want.dataSync(), 1e-5, 1e-5, 'r1(2) through runDynamics');
  });
  disposeTaps(taps);
  tf.dispose([x, ...Object.values(w)]);
  disposeWeights(core);
});

test('with the gate held open (σ ≡ 1) LR-GRCL is LR-TT with the same L, at every step', () => {
  const core = initCoreWeights(13, 0.05);
  const x = images(3);
  const w = randomWeights(40, 1e4);
  const gated = runDynamics(makeNetwork('LR-GRCL', core, w), x);
  const plain = runDynamics(makeNetwork('LR-TT', core, { lateral: w.lateral! }), x);
  assert.equal(gated.length, plain.length);
  gated.forEach((g, t) => {
    assertClose(g.r1.dataSync(), plain[t]!.r1.dataSync(), 1e-6, 1e-6, `r1(${t})`);
    assertClose(g.logits!.dataSync(), plain[t]!.logits!.dataSync(), 1e-5, 1e-5, `logits(${t})`);
  });
  assert.notDeepEqual(plain[2]!.r1.dataSync(), plain[0]!.r1.dataSync(), 'the lateral input changes r1');
  disposeTaps([...gated, ...plain]);
  tf.dispose([x, ...Object.values(w)]);
  disposeWeights(core);
});

test('the initial gate is half open: σ(g) within .5 ± .01 on real images', () => {
  const core = initCoreWeights(14, 0.05);
  const init = RECURRENCE_SPECS['LR-GRCL'].init!(recurrenceSeed('LR-GRCL', 0), 0.001);
  const rule = RECURRENCE_SPECS['LR-GRCL'].rule(init, DEFAULT_RULE_SETTINGS);
  assert.ok(rule instanceof GatedLateralRule);
  const x = images(4);
  const [lo, hi] = tf.tidy(() => {
    const drive = layer1Drive(core, x);
    const r1 = tf.relu(drive);
    const gate = rule.gate({ core, drive, feedforward: r1 }, { r1, r2: tf.zeros([4, 14, 14, 64]) });
    return [tf.min(gate).dataSync()[0]!, tf.max(gate).dataSync()[0]!];
  });
  assert.ok(lo! > 0.49 && hi! < 0.51, `gate in [${lo}, ${hi}]`);
  tf.dispose([x, ...Object.values(init)]);
  disposeWeights(core);
});

test('LR-GRCL leaves no tensors behind: dynamics, final logits, gate and gradients', () => {
  const core = initCoreWeights(2, 0.05);
  const x = images(2);
  const y = tf.tensor1d([7, 2], 'int32');
  const w = randomWeights(50);
  const net = makeNetwork('LR-GRCL', core, w);
  const vars = Object.fromEntries(Object.entries(w).map(([k, t]) => [k, tf.variable(t)]));
  const before = tf.memory().numTensors;
  disposeTaps(runDynamics(net, x, { keep: (s) => s !== 1 }));
  finalLogits(net, x).dispose();
  tf.tidy(() => {
    const { grads } = tf.variableGrads(() => crossEntropy(finalLogits(makeNetwork('LR-GRCL', core, vars), x), y));
    for (const [k, v] of Object.entries(vars)) assert.ok(tf.max(tf.abs(grads[v.name]!)).dataSync()[0]! > 0, `gradient of ${k}`);
  });
  assert.equal(tf.memory().numTensors, before, `leaked ${tf.memory().numTensors - before} tensors`);
  disposeNetwork(net);
  tf.dispose([x, y, ...Object.values(vars)]);
  disposeWeights(core);
});

test('LR-GRCL refuses weights of the wrong shape, naming the weight', () => {
  const core = initCoreWeights(1, 0.05);
  const w = randomWeights(60);
  const bad = tf.zeros([3, 3, 32, 32]);
  assert.throws(() => makeNetwork('LR-GRCL', core, { ...w, gateRecurrent: bad }), /LR-GRCL: weight 'gateRecurrent' must have shape \[1, 1, 32, 32\], got \[3, 3, 32, 32\]/);
  assert.throws(() => makeNetwork('LR-GRCL', core, { lateral: w.lateral! }), /LR-GRCL: missing weight 'gateRecurrent'/);
  tf.dispose([bad, ...Object.values(w)]);
  disposeWeights(core);
});

function testCalibration(): Calibration {
  const types = Object.fromEntries(NOISE_TYPES.map((t) => [t, calibrateType(t, (p) => (t === 'contrast' ? p : 1 - p / 10), { tolerance: 0.05, maxSteps: 8 })])) as Calibration['types'];
  return { coreHash: 'test', seed: 1, images: 10, targets: CALIBRATION_TARGETS, types };
}

test('task training of LR-GRCL moves its four weights and nothing of the core, with train.ts unchanged', async () => {
  const core = initCoreWeights(3, 0.05);
  const before = coreHash(core);
  const options = {
    type: 'LR-GRCL' as const, instance: 0, core, coreHash: 'c', calibration: testCalibration(), settings: DEFAULT_RULE_SETTINGS,
    training: { batchSize: 10, batches: 4, learningRate: 0.5, momentum: 0.9, initSd: 0.001, trainImages: 100, checkpointEvery: 2, noiseLevel: 3 },
    train: sliceSet(mnist.train, 0, 100), fillValue: mnist.trainMean, dir: tempDir(),
  };
  const trained = await trainRecurrentWeights(options);
  assert.equal(coreHash(core), before, 'core bit-identical');
  const init = RECURRENCE_SPECS['LR-GRCL'].init!(recurrenceSeed('LR-GRCL', 0), 0.001);
  assert.deepEqual(Object.keys(trained.weights).sort(), ['gateBias', 'gateFeedforward', 'gateRecurrent', 'lateral']);
  for (const name of Object.keys(init)) assert.notDeepEqual(trained.weights[name]!.dataSync(), init[name]!.dataSync(), `${name} trained`);
  assert.ok(Number.isFinite(trained.info.finalLoss));
  const again = await trainRecurrentWeights(options);
  assert.deepEqual(again.weights.gateBias!.dataSync(), trained.weights.gateBias!.dataSync(), 'second call loads the cached weights');
  tf.dispose([...Object.values(trained.weights), ...Object.values(again.weights), ...Object.values(init)]);
  disposeWeights(core);
});

test('LR-GRCL training gradients agree between wasm (with our convolution-gradient kernels) and cpu', async () => {
  const core = initCoreWeights(4, 0.05);
  const x = images(2);
  const y = tf.tensor1d(mnist.test.labels.subarray(0, 2), 'int32');
  const w = randomWeights(70);
  const names = Object.keys(w);
  const gradsOn = async (backend: string) => {
    await tf.setBackend(backend);
    return tf.tidy(() => {
      const loss = (...ts: tf.Tensor[]) => crossEntropy(finalLogits(makeNetwork('LR-GRCL', core, Object.fromEntries(names.map((n, i) => [n, ts[i]!]))), x), y);
      return tf.grads(loss)(names.map((n) => w[n]!)).map((g) => g.dataSync() as Float32Array);
    });
  };
  const cpu = await gradsOn('cpu');
  const wasm = await gradsOn('wasm');
  names.forEach((name, i) => {
    const scale = cpu[i]!.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    assert.ok(scale > 0, `${name}: gradient is not zero`);
    assertClose(wasm[i]!, cpu[i]!, 1e-3 * scale, 1e-3, `dL/d${name}`);
  });
  tf.dispose([x, y, ...Object.values(w)]);
  disposeWeights(core);
});

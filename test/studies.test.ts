/**
 * The studies' pieces: each FB-PC variant changes the options of the rule it
 * builds exactly as it says (and changes the dynamics accordingly), the
 * endpoints of a network agree with its time loop run by hand, and the
 * summaries average instances as documented.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { loadMnist, NUM_PIXELS } from '../src/data/mnist';
import { disposeWeights, initCoreWeights, layer1Drive } from '../src/model/core';
import { NOISE_TYPES } from '../src/noise/degrade';
import { networkEndpoints } from '../src/recurrence/endpoints';
import { disposeTaps, feedforwardNetwork, makeNetwork, runDynamics } from '../src/recurrence/networks';
import { DEFAULT_RULE_SETTINGS, PredictiveOptions, PredictiveRule, RECURRENCE_SPECS, RecurrenceType } from '../src/recurrence/rules';
import { checkFbpcVariant, FBPC_VARIANTS, InstanceEndpoints, summariseEndpoints, TrainingLengthResult, TrainingLengthStudy } from '../src/recurrence/studies';
import { Claim, trainingLengthClaims } from '../src/recurrence/claims';
import { getProfile } from '../src/stages/profiles';
import { fbpcVariantPhases, fbpcVariantProfile, trainingLengthPhases, trainingLengthProfile } from '../src/stages/studies';
import { assertClose } from './helpers';

before(async () => {
  await initBackend({ force: 'wasm', log: false });
});

const mnist = loadMnist();
const profile = getProfile('smoke');

/** The FB-PC rule a variant's profile builds, from given decoder weights. */
function variantRule(id: string, weights: Record<string, tf.Tensor>): PredictiveRule {
  const variant = FBPC_VARIANTS.find((v) => v.id === id)!;
  const edited = fbpcVariantProfile(profile, variant);
  const rule = RECURRENCE_SPECS['FB-PC'].rule(weights, { ...DEFAULT_RULE_SETTINGS, predictive: edited.recurrence.predictive });
  assert.ok(rule instanceof PredictiveRule);
  return rule;
}

test('each FB-PC variant changes exactly the rule options and decoder training it names', () => {
  const weights = RECURRENCE_SPECS['FB-PC'].init!(3, 0.01);
  const base = variantRule('default', weights).options;
  assert.deepEqual(base, profile.recurrence.predictive, 'the default is the profile');
  const claimed: Record<string, Partial<PredictiveOptions>> = {
    default: {}, 'linear-decoder': { decoderRelu: false }, 'unscaled-error': { scaleError: false }, 'no-error': { alpha: 0 },
    'predify-hyperparameters': { beta: 0.33, lambda: 0.33, alpha: 0.01 }, 'rectified-state': { rectifyState: true }, 'decoder-x4': {},
  };
  assert.deepEqual(FBPC_VARIANTS.map((v) => v.id), Object.keys(claimed));
  for (const variant of FBPC_VARIANTS) {
    const options = variantRule(variant.id, weights).options;
    const changed = Object.fromEntries(Object.entries(options).filter(([k, v]) => v !== (base as unknown as Record<string, unknown>)[k]));
    assert.deepEqual(changed, claimed[variant.id], variant.id);
    const edited = fbpcVariantProfile(profile, variant);
    assert.equal(edited.recurrence.decoder.batches, profile.recurrence.decoder.batches * (variant.id === 'decoder-x4' ? 4 : 1), `${variant.id}: decoder batches`);
    assert.deepEqual({ ...edited.recurrence.decoder, batches: 0 }, { ...profile.recurrence.decoder, batches: 0 }, `${variant.id}: only the decoder's batches change`);
    assert.deepEqual(edited.recurrence.train, profile.recurrence.train, `${variant.id}: the task-trained types' training is untouched`);
  }
  assert.deepEqual(getProfile('smoke'), profile, 'the stock profile is not edited');
  tf.dispose(Object.values(weights));
});

test('the variants change the dynamics as they say: error term scaled, removed, or rectified', () => {
  const core = initCoreWeights(4, 0.05);
  const weights = RECURRENCE_SPECS['FB-PC'].init!(5, 0.05);
  const x = tf.tensor4d(mnist.test.images.subarray(0, 2 * NUM_PIXELS), [2, 28, 28, 1]);
  const drive = layer1Drive(core, x);
  const input = { core, drive, feedforward: tf.relu(drive) as tf.Tensor4D };
  const state = { r1: tf.randomUniform([2, 28, 28, 32], 0, 1, 'float32', 6) as tf.Tensor4D, r2: tf.randomUniform([2, 14, 14, 64], 0, 0.2, 'float32', 7) as tf.Tensor4D };
  const step = (id: string) => tf.tidy(() => variantRule(id, weights).update(input, state));
  const [base, unscaled, none, rectified] = ['default', 'unscaled-error', 'no-error', 'rectified-state'].map(step);
  // r2 = (feedback-free part) − α·scale·∇: the three differ only in the scale of the same gradient.
  const errorBase = tf.sub(base!.r2, none!.r2);
  const errorUnscaled = tf.sub(unscaled!.r2, none!.r2);
  const scale = variantRule('default', weights).errorScale * base!.r1.size;
  assert.ok(tf.max(tf.abs(errorBase)).dataSync()[0]! > 1e-3, 'the scaled error term moves r2');
  assertClose(errorBase.dataSync(), tf.mul(errorUnscaled, scale).dataSync(), 1e-4, 1e-3, 'scaled = unscaled × numel/√C');
  assertClose(base!.r1.dataSync(), none!.r1.dataSync(), 0, 0, 'r1 has no error term');
  assert.ok(tf.min(base!.r2).dataSync()[0]! < 0, 'the error term drives some of r2 below 0 (else the rectification test is empty)');
  assertClose(rectified!.r2.dataSync(), tf.relu(base!.r2).dataSync(), 0, 0, 'rectified r2 = ReLU(r2)');
  assertClose(rectified!.r1.dataSync(), base!.r1.dataSync(), 0, 0, 'r1 is already ≥ 0 with a rectifying decoder');
  tf.dispose([x, drive, input.feedforward, state.r1, state.r2, errorBase, errorUnscaled, ...[base, unscaled, none, rectified].flatMap((s) => [s!.r1, s!.r2]), ...Object.values(weights)]);
  disposeWeights(core);
});

test('a variant given as data is checked: unknown fields and options, bad ids and factors are refused by name', () => {
  assert.equal(checkFbpcVariant(FBPC_VARIANTS[1], 'v'), FBPC_VARIANTS[1]);
  assert.throws(() => checkFbpcVariant({ ...FBPC_VARIANTS[0], colour: 'red' }, 'v'), /v.*colour/);
  assert.throws(() => checkFbpcVariant({ ...FBPC_VARIANTS[0], id: 'Bad id' }, 'v'), /v\.id: "Bad id"/);
  assert.throws(() => checkFbpcVariant({ ...FBPC_VARIANTS[0], predictive: { gamma: 1 } }, 'v'), /v\.predictive.*gamma/);
  assert.throws(() => checkFbpcVariant({ ...FBPC_VARIANTS[0], decoderBatchesFactor: 0.5 }, 'v'), /v\.decoderBatchesFactor: 0\.5, expected an integer ≥ 1/);
  assert.throws(() => fbpcVariantProfile(profile, { id: 'x', label: '', source: '', predictive: { lambda: 0.9 } }), /FB-PC variant 'x': predictive\.beta/);
});

test('the phases: distinct decoders trained once, one evaluation per variant; every type, instance and factor of the length study', () => {
  const [decoders, evaluation] = fbpcVariantPhases(profile, 0);
  assert.deepEqual(decoders!.jobs.map((j) => j.id).sort(), ['decoder-decoder-x4-c0-i0', 'decoder-decoder-x4-c0-i1', 'decoder-default-c0-i0', 'decoder-default-c0-i1', 'decoder-linear-decoder-c0-i0', 'decoder-linear-decoder-c0-i1']);
  assert.equal(decoders!.jobs[0]!.id.startsWith('decoder-decoder-x4'), true, 'longest training first');
  assert.deepEqual(evaluation!.jobs.map((j) => j.params.variant), [...FBPC_VARIANTS]);
  const [training, evaluate] = trainingLengthPhases(profile, 0, [4, 1]);
  assert.equal(training!.jobs.length, 2 * 3 * 2);
  assert.deepEqual(training!.jobs.slice(0, 6).map((j) => [j.id, (j.params.profile as typeof profile).recurrence.train.batches, (j.params.profile as typeof profile).recurrence.decoder.batches]), [
    ['FB-TT-x4-c0-i0', 80, 120], ['FB-TT-x4-c0-i1', 80, 120], ['LR-TT-x4-c0-i0', 80, 120], ['LR-TT-x4-c0-i1', 80, 120], ['FB-PC-x4-c0-i0', 80, 120], ['FB-PC-x4-c0-i1', 80, 120],
  ]);
  assert.deepEqual(evaluate!.jobs.map((j) => j.id), ['length-FB-TT-x4-c0', 'length-LR-TT-x4-c0', 'length-FB-PC-x4-c0', 'length-FB-TT-x1-c0', 'length-LR-TT-x1-c0', 'length-FB-PC-x1-c0']);
  assert.deepEqual(trainingLengthProfile(profile, 1), profile);
  assert.throws(() => trainingLengthPhases(profile, 0, [1, 1]), /repeats a factor/);
  assert.throws(() => trainingLengthPhases(profile, 0, [0]), /expected an integer ≥ 1/);
});

test('networkEndpoints: the accuracy at steps 0 and last and the mean layer-1 influence of the time loop run by hand, in any batch size', () => {
  const core = initCoreWeights(8, 0.05);
  const lateral = RECURRENCE_SPECS['LR-TT'].init!(9, 0.05);
  const net = makeNetwork('LR-TT', core, lateral);
  const n = 7;
  const pixels = mnist.test.images.subarray(0, n * NUM_PIXELS);
  const labels = Int32Array.from(mnist.test.labels.subarray(0, n));
  const x = tf.tensor4d(pixels, [n, 28, 28, 1]);
  const taps = runDynamics(net, x);
  const correct = (t: number) => (tf.argMax(taps[t]!.logits!, 1).dataSync() as Int32Array).reduce((h, c, i) => h + (c === labels[i] ? 1 : 0), 0) / n;
  const influence = tf.mean(tf.sub(taps[2]!.r1, taps[0]!.r1)).dataSync()[0]!;
  for (const batch of [7, 3]) {
    const e = networkEndpoints(net, pixels, labels, batch);
    assert.equal(e.images, n);
    assert.equal(e.firstAccuracy, correct(0), `batch ${batch}: step 0`);
    assert.equal(e.lastAccuracy, correct(2), `batch ${batch}: last step`);
    assertClose([e.meanInfluence], [influence], 1e-6, 1e-4, `batch ${batch}: mean influence`);
  }
  assert.ok(Math.abs(influence) > 1e-4, 'the recurrence moves layer 1');
  const ff = networkEndpoints(feedforwardNetwork(core), pixels, labels);
  assert.deepEqual([ff.firstAccuracy, ff.lastAccuracy, ff.meanInfluence], [correct(0), correct(0), 0]);
  assert.throws(() => networkEndpoints(net, pixels.subarray(1), labels), /pixels must hold 7 images/);
  disposeTaps(taps);
  tf.dispose([x, ...Object.values(lateral)]);
  disposeWeights(core);
});

test('summariseEndpoints averages instances: gains are last − step 0 per type, the mean gain averages types', () => {
  const e = (first: number, last: number, meanInfluence: number) => ({ firstAccuracy: first, lastAccuracy: last, meanInfluence, images: 10 });
  const instance = (k: number, bump: number): InstanceEndpoints => ({
    instance: k, clean: e(0.9, 0.9 - bump, 0),
    noisy: NOISE_TYPES.map((noise, j) => ({ noise, ...e(0.5, 0.5 + bump * (j + 1), 0.1 * (j + 1) + k) })),
  });
  const s = summariseEndpoints([instance(0, 0.1), instance(1, 0.2)]);
  assert.equal(s.instances, 2);
  assertClose([s.cleanFirst, s.cleanLast], [0.9, 0.75], 1e-12, 0);
  assertClose(s.gains.map((g) => g.gain), [0.15, 0.3, 0.45, 0.6], 1e-12, 0);
  assert.deepEqual(s.gains.map((g) => g.noise), [...NOISE_TYPES]);
  assertClose([s.meanGain, s.influence], [0.375, 0.75], 1e-12, 0);
  assert.throws(() => summariseEndpoints([]), /no instances/);
});

test('trainingLengthClaims judges each claim at the longest training and says when the verdict moves with length', () => {
  const e = (first: number, last: number, meanInfluence: number) => ({ firstAccuracy: first, lastAccuracy: last, meanInfluence, images: 10 });
  // One instance per row: every noise type gains `gain`; influence `influence`.
  const result = (type: RecurrenceType, factor: number, gain: number, influence: number): TrainingLengthResult => ({
    type, factor, batches: 10 * factor, batchSize: 8, core: 0, level: 5, images: 10, evalSeconds: 1, evalImagesPerSec: 1, computeSeconds: 1,
    instances: [{ instance: 0, clean: e(0.9, 0.9, 0), noisy: NOISE_TYPES.map((noise) => ({ noise, ...e(0.5, 0.5 + gain, influence) })), training: {} as TrainingLengthResult['instances'][number]['training'] }],
  });
  const study: TrainingLengthStudy = {
    profile: 'smoke', core: 0, level: 5, factors: [1, 4],
    results: [
      result('FB-TT', 1, 0.2, 0.02), result('LR-TT', 1, 0.3, 0.03), result('FB-PC', 1, -0.1, -0.01),
      result('FB-TT', 4, 0.25, 0.2), result('LR-TT', 4, 0.35, 0.1), result('FB-PC', 4, 0.05, 0.02),
    ],
  };
  const claims = trainingLengthClaims(study);
  assert.equal(claims.length, 4);
  const [fbpc, outperform, everyNoise, influence] = claims as [Claim, Claim, Claim, Claim];
  assert.equal(fbpc.verdict, 'holds', 'FB-PC gains +5 points at 4x');
  assert.match(fbpc.ours, /1x \(FB-TT, LR-TT 10 batches, decoder 10\): FB-PC -10\.0 points; 4x \(FB-TT, LR-TT 40 batches, decoder 40\): FB-PC 5\.0 points; verdict changes with length \(1x differs, 4x holds\)/);
  assert.equal(outperform.verdict, 'holds');
  assert.match(outperform.ours, /same verdict at every length/);
  assert.equal(everyNoise.verdict, 'holds');
  assert.equal(influence.verdict, 'holds', '.2 > .1 > .02 > 0 at 4x');
  assert.match(influence.ours, /verdict changes with length/, 'at 1x LR-TT > FB-TT and FB-PC < 0');
  for (const c of claims) assert.match(c.test, /judged at the longest training \(4x\)/);
  // A factor missing a type is not judged; a study with no complete factor gives no claims.
  const partial = { ...study, factors: [1, 4, 16], results: [...study.results, result('FB-TT', 16, -0.5, 0)] };
  assert.deepEqual(trainingLengthClaims(partial).map((c) => c.verdict), claims.map((c) => c.verdict));
  assert.deepEqual(trainingLengthClaims({ ...study, results: [result('FB-TT', 1, 0.2, 0.02)] }), []);
});

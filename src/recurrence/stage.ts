/**
 * The recurrence stage of a run: train the recurrent weights (FB-TT, LR-TT,
 * the FB-PC decoder; two instantiations per core), tune the LR-SS widths and
 * the Grads step on the validation split, then measure every network's
 * accuracy on every noise type and level at every time step. Each piece is a
 * cached job; the jobs of a phase run in parallel worker processes.
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend';
import { ImageSet, loadMnist, Mnist, NUM_PIXELS, sliceSet } from '../data/mnist';
import { CoreWeights, disposeWeights } from '../model/core';
import { degradeImages, NOISE_TYPES, NoiseType, NUM_LEVELS } from '../noise/degrade';
import { hashConfig, loadJsonChecked, saveJsonChecked } from '../run/cache';
import { Calibration, coreKeyOf, ensureCalibration, loadProfileCore, noiseParam } from '../run/coreStages';
import { assertAllOk, Job, registerJobKind, runJobs, RunJobsOptions } from '../run/jobs';
import { getProfile, Profile, runDir } from '../run/profiles';
import { createProgress } from '../run/progress';
import { AccuracyRecord } from './accuracy';
import {
  assertRecurrenceType, initRecurrentParams, makeNetwork, predictAtSteps, randomControlParams, RECURRENCE_SPECS, RECURRENCE_TYPES,
  RecurrenceType, RecurrentNetwork, surroundKernel,
} from './networks';
import { loadRecurrence, mixtureBatch, reconstructionError, RecurrenceKey, trainDecoder, trainRecurrence, TrainedRecurrence } from './train';

/** Batch size of evaluation. */
const EVAL_BATCH = 200;

function recurrenceDir(profile: Profile): string {
  return path.join(runDir(profile), 'recurrence');
}

/** The key of a trained set of recurrent weights of a profile. */
export function recurrenceKeyOf(profile: Profile, core: number, type: 'FB-TT' | 'LR-TT' | 'FB-PC', instance: number, calibration: Calibration): RecurrenceKey {
  return type === 'FB-PC'
    ? { type, instance, core: hashConfig(coreKeyOf(profile, core)), training: profile.recurrence.decoder, calibration: null }
    : { type, instance, core: hashConfig(coreKeyOf(profile, core)), training: profile.recurrence.train, calibration: hashConfig(calibration) };
}

/** Summary of one training job. */
export interface RecurrenceTrainingSummary {
  core: number;
  type: RecurrenceType;
  instance: number;
  imagesPerSec: number;
  trainSeconds: number;
  initialLoss: number;
  finalLoss: number;
  /** FB-PC only: reconstruction error (mean squared) on clean test images before and after training. */
  reconstruction?: { before: number; after: number; testImages: number };
}

async function trainJob(params: Record<string, unknown>): Promise<RecurrenceTrainingSummary> {
  const profile = getProfile(String(params.profile));
  const coreIndex = Number(params.core);
  const type = String(params.type);
  const instance = Number(params.instance);
  await initBackend();
  const mnist = loadMnist();
  const calibration = await ensureCalibration(profile, { inProcess: true });
  const core = loadProfileCore(profile, coreIndex);
  const coreHash = hashConfig(coreKeyOf(profile, coreIndex));
  const label = `${type} core ${coreIndex} i${instance}`;
  let trained: TrainedRecurrence;
  let reconstruction: RecurrenceTrainingSummary['reconstruction'];
  if (type === 'FB-PC') {
    trained = await trainDecoder({ instance, core, coreHash, training: profile.recurrence.decoder, train: mnist.train, dir: recurrenceDir(profile), label });
    reconstruction = decoderErrors(core, trained, mnist, profile);
  } else if (type === 'FB-TT' || type === 'LR-TT') {
    trained = await trainRecurrence({ type, instance, core, coreHash, calibration, training: profile.recurrence.train, train: mnist.train, fillValue: mnist.trainMean, dir: recurrenceDir(profile), label });
  } else {
    throw new Error(`train-recurrence: ${type} has no trained weights`);
  }
  tf.dispose(Object.values(trained.params));
  disposeWeights(core);
  const i = trained.info;
  return { core: coreIndex, type, instance, imagesPerSec: i.imagesPerSec, trainSeconds: i.trainSeconds, initialLoss: i.initialLoss, finalLoss: i.finalLoss, ...(reconstruction ? { reconstruction } : {}) };
}

/** The decoder's reconstruction error on clean test images, untrained (init) vs trained. */
function decoderErrors(core: CoreWeights, trained: TrainedRecurrence, mnist: Mnist, profile: Profile): RecurrenceTrainingSummary['reconstruction'] {
  const n = Math.min(500, mnist.test.n);
  return tf.tidy(() => {
    const x = tf.tensor4d(mnist.test.images.subarray(0, n * NUM_PIXELS), [n, 28, 28, 1]);
    const before = reconstructionError(initRecurrentParams('FB-PC', 1000 * (trained.info.key.instance + 1) + 3, profile.recurrence.decoder.initSd), core, x).dataSync()[0]!;
    const after = reconstructionError(trained.params, core, x).dataSync()[0]!;
    return { before, after, testImages: n };
  }) as RecurrenceTrainingSummary['reconstruction'];
}

/** Tuned LR-SS widths and Grads step, with the grid measured. */
export interface Tuning {
  surround: { sigmaExc: number; sigmaInh: number; accuracy: number };
  /** The paper's widths on the same images, for comparison. */
  surroundPaper: { sigmaExc: number; sigmaInh: number; accuracy: number };
  surroundGrid: { sigmaExc: number; sigmaInh: number; accuracy: number }[];
  gradStep: { eta: number; accuracy: number };
  gradGrid: { eta: number; accuracy: number }[];
  /** Feedforward accuracy on the same images. */
  feedforward: number;
  images: number;
}

/** Surround widths tried: σe × ratio σi/σe (the paper's 1.2 and 1.68 are in the grid). */
export const SURROUND_GRID = { sigmaExc: [0.8, 1.0, 1.2, 1.5], ratio: [1.2, 1.4, 1.7] } as const;
export const GRAD_STEP_GRID = [0.3, 1, 3, 10, 30, 100] as const;

/** The tuning set: validation images, equal fifths clean and each noise type at level 3 (the training mixture). */
function tuningBatch(mnist: Mnist, calibration: Calibration, images: number): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const v = mnist.validation;
  const n = Math.min(v.n, images * (NOISE_TYPES.length + 1));
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  return mixtureBatch(v, idx, calibration, 3, mnist.trainMean);
}

function lastStepAccuracy(net: RecurrentNetwork, x: tf.Tensor4D, y: tf.Tensor1D): number {
  const labels = y.dataSync() as Int32Array;
  const last = net.steps - 1;
  const [pred] = predictAtSteps(net, x.dataSync() as Float32Array, labels, (t) => t === last, EVAL_BATCH);
  let hits = 0;
  for (let i = 0; i < labels.length; i++) if (pred![i] === labels[i]) hits++;
  return hits / labels.length;
}

async function tuneJob(params: Record<string, unknown>): Promise<Tuning> {
  const profile = getProfile(String(params.profile));
  const calibration = await ensureCalibration(profile, { inProcess: true });
  const file = path.join(recurrenceDir(profile), `tuning-${hashConfig({ core: coreKeyOf(profile, 0), cal: hashConfig(calibration), images: profile.recurrence.tuneImages, SURROUND_GRID, GRAD_STEP_GRID })}.json`);
  const cached = loadJsonChecked<Tuning>(file);
  if (cached) return cached;
  await initBackend();
  const mnist = loadMnist();
  const core = loadProfileCore(profile, 0);
  const { x, y } = tuningBatch(mnist, calibration, profile.recurrence.tuneImages);
  const progress = createProgress('tune LR-SS and Grads', SURROUND_GRID.sigmaExc.length * SURROUND_GRID.ratio.length + GRAD_STEP_GRID.length + 2);
  let done = 0;
  const surroundAt = (sigmaExc: number, sigmaInh: number) => {
    const kernel = surroundKernel(sigmaExc, sigmaInh);
    const accuracy = lastStepAccuracy(makeNetwork('LR-SS', core, { surround: kernel }), x, y);
    kernel.dispose();
    progress.update(++done, `σe ${sigmaExc} σi ${sigmaInh.toFixed(2)} acc ${(100 * accuracy).toFixed(1)}%`);
    return { sigmaExc, sigmaInh, accuracy };
  };
  const surroundGrid = SURROUND_GRID.sigmaExc.flatMap((se) => SURROUND_GRID.ratio.map((r) => surroundAt(se, Math.round(se * r * 1000) / 1000)));
  const surroundPaper = surroundAt(1.2, 1.68);
  const gradGrid = GRAD_STEP_GRID.map((eta) => {
    const accuracy = lastStepAccuracy(makeNetwork('Grads', core, {}, { gradStep: eta }), x, y);
    progress.update(++done, `η ${eta} acc ${(100 * accuracy).toFixed(1)}%`);
    return { eta, accuracy };
  });
  // Step 0 of any network is the feedforward pass.
  const feedforward = lastStepAccuracy({ ...makeNetwork('LR-SS', core, {}), steps: 1 }, x, y);
  const best = <T extends { accuracy: number }>(xs: T[]) => xs.reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
  const result: Tuning = { surround: best(surroundGrid), surroundPaper, surroundGrid, gradStep: best(gradGrid), gradGrid, feedforward, images: x.shape[0] };
  progress.finish(`LR-SS σ ${result.surround.sigmaExc}/${result.surround.sigmaInh}, Grads η ${result.gradStep.eta}`);
  tf.dispose([x, y]);
  disposeWeights(core);
  saveJsonChecked(file, result);
  return result;
}

/** Builds a network of a profile from the cache (trained weights must exist). */
export function buildNetwork(profile: Profile, coreIndex: number, type: RecurrenceType, instance: number, calibration: Calibration, tuning: Tuning, core: CoreWeights): RecurrentNetwork {
  const load = (t: 'FB-TT' | 'LR-TT' | 'FB-PC'): TrainedRecurrence => {
    const trained = loadRecurrence(recurrenceDir(profile), recurrenceKeyOf(profile, coreIndex, t, instance, calibration));
    if (!trained) throw new Error(`${t} instance ${instance} of core ${coreIndex} (profile ${profile.name}) is not trained yet: run the recurrence stage`);
    return trained;
  };
  switch (type) {
    case 'FB-TT':
    case 'LR-TT':
    case 'FB-PC':
      return makeNetwork(type, core, load(type).params);
    case 'FB-R':
    case 'LR-R': {
      const trained = load(type === 'FB-R' ? 'FB-TT' : 'LR-TT');
      const [name, w] = Object.entries(trained.params)[0]!;
      const params = { [name]: randomControlParams(w, 7000 + 100 * coreIndex + instance) };
      tf.dispose(Object.values(trained.params));
      return makeNetwork(type, core, params);
    }
    case 'LR-SS':
      return makeNetwork(type, core, { surround: surroundKernel(tuning.surround.sigmaExc, tuning.surround.sigmaInh) });
    case 'Grads':
      return makeNetwork(type, core, {}, { gradStep: tuning.gradStep.eta });
  }
}

/**
 * Accuracy of a network at every time step on `images` test images of every
 * condition (clean, and each noise type at levels 1-6).
 */
export function evaluateNetwork(net: RecurrentNetwork, test: ImageSet, calibration: Calibration, fillValue: number, ids: { core: number; instance: number }, onCondition?: () => void): AccuracyRecord[] {
  const conditions: { noise: NoiseType | 'clean'; level: number }[] = [{ noise: 'clean', level: 0 }, ...NOISE_TYPES.flatMap((noise) => Array.from({ length: NUM_LEVELS }, (_, l) => ({ noise, level: l + 1 })))];
  const records: AccuracyRecord[] = [];
  for (const { noise, level } of conditions) {
    const pixels = noise === 'clean' ? test.images : degradeImages(test, noise, noiseParam(calibration, noise, level), { seed: calibration.seed, level, fillValue });
    const hits = predictAtSteps(net, pixels, test.labels, () => true, EVAL_BATCH).map((p) => p.reduce((h, c, i) => h + (c === test.labels[i] ? 1 : 0), 0));
    hits.forEach((h, step) => records.push({ core: ids.core, network: net.type, instance: ids.instance, noise, level, step, accuracy: h / test.n, images: test.n }));
    onCondition?.();
  }
  return records;
}

async function evaluateJob(params: Record<string, unknown>): Promise<AccuracyRecord[]> {
  const profile = getProfile(String(params.profile));
  const coreIndex = Number(params.core);
  const type = String(params.network);
  assertRecurrenceType(type);
  const instance = Number(params.instance);
  const calibration = await ensureCalibration(profile, { inProcess: true });
  const tuning = await tuneJob({ profile: profile.name });
  const keyParts = { core: coreKeyOf(profile, coreIndex), type, instance, cal: hashConfig(calibration), rec: profile.recurrence, tuning: type === 'LR-SS' ? tuning.surround : type === 'Grads' ? tuning.gradStep : null };
  const file = path.join(runDir(profile), 'evaluation', `${type}-c${coreIndex}-i${instance}-${hashConfig(keyParts)}.json`);
  const cached = loadJsonChecked<AccuracyRecord[]>(file);
  if (cached) return cached;
  await initBackend();
  const mnist = loadMnist();
  const core = loadProfileCore(profile, coreIndex);
  const net = buildNetwork(profile, coreIndex, type, instance, calibration, tuning, core);
  const test = sliceSet(mnist.test, 0, profile.recurrence.evalImages);
  const progress = createProgress(`evaluate ${type} core ${coreIndex} i${instance}`, 1 + NOISE_TYPES.length * NUM_LEVELS);
  let done = 0;
  const records = evaluateNetwork(net, test, calibration, mnist.trainMean, { core: coreIndex, instance }, () => progress.update(++done));
  progress.finish();
  tf.dispose(Object.values(net.params));
  disposeWeights(core);
  saveJsonChecked(file, records);
  return records;
}

/** The jobs of the recurrence stage, by phase. */
export function recurrenceJobs(profile: Profile): { training: Job[]; evaluation: Job[] } {
  const training: Job[] = [{ id: 'tune', kind: 'tune-recurrence', params: { profile: profile.name } }];
  const evaluation: Job[] = [];
  for (let core = 0; core < profile.cores; core++) {
    for (const type of ['LR-TT', 'FB-TT', 'FB-PC'] as const) {
      for (let instance = 0; instance < RECURRENCE_SPECS[type].instances; instance++) {
        training.push({ id: `${type}-c${core}-i${instance}`, kind: 'train-recurrence', params: { profile: profile.name, core, type, instance } });
      }
    }
    for (const type of RECURRENCE_TYPES) {
      for (let instance = 0; instance < RECURRENCE_SPECS[type].instances; instance++) {
        evaluation.push({ id: `eval-${type}-c${core}-i${instance}`, kind: 'evaluate-recurrence', params: { profile: profile.name, core, network: type, instance } });
      }
    }
  }
  // Longest first, so the parallel workers finish together.
  const cost: Record<string, number> = { 'FB-PC': 6, 'LR-TT': 3, 'LR-R': 3, 'FB-TT': 2, 'FB-R': 2, Grads: 1, 'LR-SS': 1 };
  evaluation.sort((a, b) => (cost[String(b.params.network)] ?? 0) - (cost[String(a.params.network)] ?? 0));
  return { training, evaluation };
}

/** What the recurrence stage produced. */
export interface RecurrenceStageResult {
  training: RecurrenceTrainingSummary[];
  tuning: Tuning;
  records: AccuracyRecord[];
}

/** Runs (or loads) the whole recurrence stage. */
export async function ensureRecurrence(profile: Profile, options: RunJobsOptions = {}): Promise<RecurrenceStageResult> {
  const { training, evaluation } = recurrenceJobs(profile);
  const trained = await runJobs(training, options);
  assertAllOk('recurrence training', trained);
  const evaluated = await runJobs(evaluation, options);
  assertAllOk('recurrence evaluation', evaluated);
  return {
    tuning: trained[0]!.result as Tuning,
    training: trained.slice(1).map((o) => o.result as RecurrenceTrainingSummary),
    records: evaluated.flatMap((o) => o.result as AccuracyRecord[]),
  };
}

registerJobKind('train-recurrence', trainJob);
registerJobKind('tune-recurrence', tuneJob);
registerJobKind('evaluate-recurrence', evaluateJob);

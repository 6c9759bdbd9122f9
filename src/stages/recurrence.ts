/**
 * The recurrence stage of a run: train the recurrent weights (the task-trained
 * types and the FB-PC decoder; two instantiations per core), tune the LR-SS
 * widths and the Grads step on the validation split, then measure every
 * network's accuracy on every noise type and level at every time step. Each
 * piece is a cached job; the jobs of a phase run in parallel worker processes.
 * Which types are trained, derived or fixed is read from the table of
 * recurrence types ({@link RECURRENCE_SPECS}).
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend';
import { checkKnownKeys, ArgumentError } from '../check';
import { ImageSet, loadMnist, Mnist, NUM_PIXELS, sliceSet } from '../data/mnist';
import { CacheBinding, hashConfig, loadJsonChecked, saveJsonChecked } from '../io/cache';
import { buildOnce } from '../io/lock';
import { createProgress } from '../io/progress';
import { CoreWeights, disposeWeights } from '../model/core';
import { Calibration, noiseParam } from '../noise/calibrate';
import { degradeImages, NOISE_TYPES, NUM_LEVELS } from '../noise/degrade';
import { AccuracyRecord, NoiseCondition, plottedSteps } from '../recurrence/accuracy';
import { disposeNetwork, feedforwardNetwork, makeNetwork, predictAtSteps, predictNetworksAtSteps, randomControlParams, RecurrentNetwork } from '../recurrence/networks';
import { assertRecurrenceType, DEFAULT_RULE_SETTINGS, PredictiveRule, RECURRENCE_SPECS, RECURRENCE_TYPES, RecurrenceType, RuleSettings, trainedTypes } from '../recurrence/rules';
import {
  DecoderTrainingConfig, loadRecurrence, mixtureBatch, reconstructionError, RecurrenceKey, recurrenceKey, RecurrenceTrainingConfig, recurrenceSeed,
  TrainedRecurrence, trainRecurrentWeights,
} from '../recurrence/train';
import { coreKeyOf, ensureCalibration, loadProfileCore } from './cores';
import { Job, Phase, registerJobKind, runPhase, RunJobsOptions } from './jobs';
import { jobIndex, jobProfile, Profile, runDir } from './profiles';

/** Batch size of evaluation. */
const EVAL_BATCH = 200;

/** `data/runs/<profile>/recurrence`: trained recurrent weights and the tuning. */
export function recurrenceDir(profile: Profile): string {
  return path.join(runDir(profile), 'recurrence');
}

/** The training settings of a trained type: task-trained types share one, the FB-PC decoder has its own. */
export function trainingConfigOf(profile: Profile, type: RecurrenceType): RecurrenceTrainingConfig | DecoderTrainingConfig {
  return RECURRENCE_SPECS[type].origin === 'task-trained' ? profile.recurrence.train : profile.recurrence.decoder;
}

/** The key of a trained set of recurrent weights of a profile. */
export function recurrenceKeyOf(profile: Profile, core: number, type: RecurrenceType, instance: number, calibration: Calibration): RecurrenceKey {
  return recurrenceKey({ type, instance, coreHash: hashConfig(coreKeyOf(profile, core)), calibration, training: trainingConfigOf(profile, type), settings: { ...DEFAULT_RULE_SETTINGS, predictive: profile.recurrence.predictive } });
}

/** Summary of one training job. */
export interface RecurrenceTrainingSummary {
  core: number;
  type: RecurrenceType;
  instance: number;
  /** The backend the weights were trained on (perhaps by an earlier run). */
  backend: string;
  imagesPerSec: number;
  trainSeconds: number;
  initialLoss: number;
  finalLoss: number;
  /** Reconstruction-trained types: reconstruction error (mean squared) on clean test images before and after training. */
  reconstruction?: { before: number; after: number; testImages: number };
  /** Training time, whenever it was trained. */
  computeSeconds: number;
}

/** The rule settings of a profile's networks: tuned LR-SS widths and Grads step, the profile's FB-PC options. */
export function ruleSettingsOf(profile: Profile, tuning: Pick<Tuning, 'surround' | 'gradStep'>): RuleSettings {
  return { surround: { sigmaExc: tuning.surround.sigmaExc, sigmaInh: tuning.surround.sigmaInh }, gradStep: tuning.gradStep.eta, predictive: profile.recurrence.predictive };
}

async function trainJob(params: Record<string, unknown>): Promise<RecurrenceTrainingSummary> {
  checkKnownKeys(params, ['profile', 'core', 'type', 'instance'], 'train-recurrence job parameters');
  const profile = jobProfile(params);
  const coreIndex = jobIndex(params, 'core', profile.cores);
  const type = String(params.type);
  assertRecurrenceType(type);
  if (!trainedTypes().includes(type)) throw new ArgumentError(`job parameter 'type': ${type} has no trained weights; trained types are ${trainedTypes().join(', ')}`);
  const instance = jobIndex(params, 'instance', RECURRENCE_SPECS[type].instances);
  await initBackend();
  const mnist = loadMnist();
  const calibration = await ensureCalibration(profile, { inProcess: true });
  const core = loadProfileCore(profile, coreIndex);
  // Training needs no tuned setting: only FB-PC's options enter a rule that trains (its decoder's loss ignores them).
  const settings: RuleSettings = { ...DEFAULT_RULE_SETTINGS, predictive: profile.recurrence.predictive };
  const trained = await trainRecurrentWeights({
    type, instance, core, coreHash: hashConfig(coreKeyOf(profile, coreIndex)), calibration, training: trainingConfigOf(profile, type), settings,
    train: mnist.train, fillValue: mnist.trainMean, dir: recurrenceDir(profile), label: `${type} core ${coreIndex} i${instance}`,
  });
  const reconstruction = RECURRENCE_SPECS[type].origin === 'reconstruction-trained' ? decoderErrors(type, core, trained, mnist, profile, settings) : undefined;
  tf.dispose(Object.values(trained.weights));
  disposeWeights(core);
  const i = trained.info;
  return { core: coreIndex, type, instance, backend: i.backend, imagesPerSec: i.imagesPerSec, trainSeconds: i.trainSeconds, initialLoss: i.initialLoss, finalLoss: i.finalLoss, ...(reconstruction ? { reconstruction } : {}), computeSeconds: i.trainSeconds };
}

/** A reconstruction-trained type's error on clean test images, untrained (init) vs trained. */
function decoderErrors(type: RecurrenceType, core: CoreWeights, trained: TrainedRecurrence, mnist: Mnist, profile: Profile, settings: RuleSettings): RecurrenceTrainingSummary['reconstruction'] {
  const spec = RECURRENCE_SPECS[type];
  const n = Math.min(500, mnist.test.n);
  return tf.tidy(() => {
    const x = tf.tensor4d(mnist.test.images.subarray(0, n * NUM_PIXELS), [n, 28, 28, 1]);
    const error = (weights: Record<string, tf.Tensor>) => {
      const rule = spec.rule(weights, settings);
      if (!(rule instanceof PredictiveRule)) throw new Error(`${type}: reconstruction-trained type without a decoder`);
      return reconstructionError(rule, core, x).dataSync()[0]!;
    };
    const before = error(spec.init!(recurrenceSeed(type, trained.info.key.instance), profile.recurrence.decoder.initSd));
    return { before, after: error(trained.weights), testImages: n };
  });
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
  computeSeconds: number;
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
  const last = net.timeSteps - 1;
  const [pred] = predictAtSteps(net, x.dataSync() as Float32Array, labels, (t) => t === last, EVAL_BATCH);
  let hits = 0;
  for (let i = 0; i < labels.length; i++) if (pred![i] === labels[i]) hits++;
  return hits / labels.length;
}

function tuningBinding(profile: Profile, calibration: Calibration): CacheBinding {
  return { kind: 'tuning', key: { core: coreKeyOf(profile, 0), cal: hashConfig(calibration), images: profile.recurrence.tuneImages, SURROUND_GRID, GRAD_STEP_GRID } };
}

function tuningFile(profile: Profile, calibration: Calibration): string {
  return path.join(recurrenceDir(profile), `tuning-${hashConfig(tuningBinding(profile, calibration).key)}.json`);
}

async function tuneJob(params: Record<string, unknown>): Promise<Tuning> {
  checkKnownKeys(params, ['profile'], 'tune-recurrence job parameters');
  const profile = jobProfile(params);
  await initBackend();
  const calibration = await ensureCalibration(profile, { inProcess: true });
  const file = tuningFile(profile, calibration);
  const binding = tuningBinding(profile, calibration);
  return buildOnce(file, () => loadJsonChecked<Tuning>(file, binding), async () => {
    const result = tune(profile, calibration);
    saveJsonChecked(file, result, binding);
    return result;
  });
}

function tune(profile: Profile, calibration: Calibration): Tuning {
  const mnist = loadMnist();
  const core = loadProfileCore(profile, 0);
  const t0 = Date.now();
  const { x, y } = tuningBatch(mnist, calibration, profile.recurrence.tuneImages);
  const progress = createProgress('tune LR-SS and Grads', SURROUND_GRID.sigmaExc.length * SURROUND_GRID.ratio.length + GRAD_STEP_GRID.length + 2);
  let done = 0;
  const accuracyOf = (net: RecurrentNetwork) => {
    const accuracy = lastStepAccuracy(net, x, y);
    disposeNetwork(net);
    return accuracy;
  };
  const surroundAt = (sigmaExc: number, sigmaInh: number) => {
    const accuracy = accuracyOf(makeNetwork('LR-SS', core, {}, { surround: { sigmaExc, sigmaInh } }));
    progress.update(++done, `σe ${sigmaExc} σi ${sigmaInh.toFixed(2)} acc ${(100 * accuracy).toFixed(1)}%`);
    return { sigmaExc, sigmaInh, accuracy };
  };
  const surroundGrid = SURROUND_GRID.sigmaExc.flatMap((se) => SURROUND_GRID.ratio.map((r) => surroundAt(se, Math.round(se * r * 1000) / 1000)));
  const surroundPaper = surroundAt(1.2, 1.68);
  const gradGrid = GRAD_STEP_GRID.map((eta) => {
    const accuracy = accuracyOf(makeNetwork('Grads', core, {}, { gradStep: eta }));
    progress.update(++done, `η ${eta} acc ${(100 * accuracy).toFixed(1)}%`);
    return { eta, accuracy };
  });
  const feedforward = accuracyOf(feedforwardNetwork(core));
  const best = <T extends { accuracy: number }>(xs: T[]) => xs.reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
  const result: Tuning = { surround: best(surroundGrid), surroundPaper, surroundGrid, gradStep: best(gradGrid), gradGrid, feedforward, images: x.shape[0], computeSeconds: (Date.now() - t0) / 1000 };
  progress.finish(`LR-SS σ ${result.surround.sigmaExc}/${result.surround.sigmaInh}, Grads η ${result.gradStep.eta}`);
  tf.dispose([x, y]);
  disposeWeights(core);
  return result;
}

/** Tunes (or loads) the LR-SS widths and the Grads step, in this process. */
export function ensureTuning(profile: Profile): Promise<Tuning> {
  return tuneJob({ profile });
}

/** The seed of the random weights of a random control. */
function randomControlSeed(core: number, instance: number): number {
  return 7000 + 100 * core + instance;
}

/**
 * Builds a network of a profile from the cache (trained weights must exist):
 * trained types load their weights, random controls draw theirs matched to
 * the trained type they control, the others are built from the settings.
 */
export function buildNetwork(profile: Profile, coreIndex: number, type: RecurrenceType, instance: number, calibration: Calibration, tuning: Tuning, core: CoreWeights): RecurrentNetwork {
  const spec = RECURRENCE_SPECS[type];
  const load = (t: RecurrenceType): TrainedRecurrence => {
    const trained = loadRecurrence(recurrenceDir(profile), recurrenceKeyOf(profile, coreIndex, t, instance, calibration));
    if (!trained) throw new Error(`${t} instance ${instance} of core ${coreIndex} (profile ${profile.name}) is not trained yet: run the recurrence stage`);
    return trained;
  };
  let weights: Record<string, tf.Tensor> = {};
  if (spec.origin === 'task-trained' || spec.origin === 'reconstruction-trained') {
    weights = load(type).weights;
  } else if (spec.origin === 'random') {
    if (!spec.controlOf) throw new Error(`${type}: a random control must name the type it controls`);
    const trained = load(spec.controlOf).weights;
    weights = Object.fromEntries(Object.entries(trained).map(([name, w], k) => [name, randomControlParams(w, randomControlSeed(coreIndex, instance) + 10 * k)]));
    tf.dispose(Object.values(trained));
  }
  return makeNetwork(type, core, weights, ruleSettingsOf(profile, tuning));
}

/** A network to evaluate and the ids its accuracy records carry. */
export interface EvaluatedNetwork {
  net: RecurrentNetwork;
  ids: { core: number; network: RecurrenceType; instance: number };
}

/** The conditions of a noise condition: 'clean' at level 0, a noise type at levels 1-6. */
export function conditionLevels(noise: NoiseCondition): { noise: NoiseCondition; level: number }[] {
  return noise === 'clean' ? [{ noise, level: 0 }] : Array.from({ length: NUM_LEVELS }, (_, l) => ({ noise, level: l + 1 }));
}

/**
 * Accuracy of networks of one core on the `test` images of one noise
 * condition at each of its levels ({@link conditionLevels}), at the time steps
 * their records keep ({@link plottedSteps}: every step, FB-PC's 0, 6 and 12;
 * no consumer reads FB-PC's other steps). The noisy images are made once for
 * all networks, and step 0 is computed once per batch.
 */
export function evaluateNetworks(
  nets: readonly EvaluatedNetwork[], test: ImageSet, calibration: Calibration, fillValue: number, noise: NoiseCondition, onLevel?: () => void,
): AccuracyRecord[] {
  const steps = new Map(nets.map(({ net }) => [net, [...plottedSteps(net.type)].sort((a, b) => a - b)]));
  const at = (net: RecurrentNetwork, t: number) => steps.get(net)?.includes(t) ?? false;
  const records: AccuracyRecord[] = [];
  for (const { level } of conditionLevels(noise)) {
    const pixels = noise === 'clean' ? test.images : degradeImages(test, noise, noiseParam(calibration, noise, level), { seed: calibration.seed, level, fillValue });
    const predicted = predictNetworksAtSteps(nets.map((n) => n.net), pixels, test.labels, { at, batchSize: EVAL_BATCH });
    nets.forEach(({ net, ids }, m) => {
      const recorded = steps.get(net) ?? [];
      predicted[m]!.forEach((classes, k) => {
        const hits = classes.reduce((h, c, i) => h + (c === test.labels[i] ? 1 : 0), 0);
        records.push({ ...ids, noise, level, timeStep: recorded[k]!, accuracy: hits / test.n, images: test.n });
      });
    });
    onLevel?.();
  }
  return records;
}

/** One evaluation job's accuracy records and what computing them cost. */
export interface Evaluation {
  records: AccuracyRecord[];
  computeSeconds: number;
}

/** The instances of every type, as (type, instance) pairs in table order (all types: the networks of a core). */
export function instancesOf(types: readonly RecurrenceType[]): { type: RecurrenceType; instance: number }[] {
  return types.flatMap((type) => Array.from({ length: RECURRENCE_SPECS[type].instances }, (_, instance) => ({ type, instance })));
}

/** The noise conditions of a core's evaluation jobs, longest first. */
const EVALUATION_CONDITIONS: readonly NoiseCondition[] = [...NOISE_TYPES, 'clean'];

function assertNoiseCondition(noise: string): asserts noise is NoiseCondition {
  if (!(EVALUATION_CONDITIONS as readonly string[]).includes(noise)) throw new ArgumentError(`job parameter 'noise': '${noise}' is not one of ${EVALUATION_CONDITIONS.join(', ')}`);
}

/** Why a cached evaluation cannot be used for this core and condition, or null. */
function evaluationProblem(body: unknown, core: number, noise: NoiseCondition, networks: { type: RecurrenceType; instance: number }[]): string | null {
  const levels = conditionLevels(noise).length;
  const want = levels * networks.reduce((n, { type }) => n + plottedSteps(type).length, 0);
  const records = body && typeof body === 'object' && 'records' in body ? (body as { records: unknown }).records : null;
  if (!Array.isArray(records) || records.length !== want) return `holds ${Array.isArray(records) ? records.length : 'no'} records, expected ${want}`;
  const other = (records as Partial<AccuracyRecord>[]).find((x) => x.core !== core || x.noise !== noise);
  return other ? `holds records of core ${other.core} ${other.noise}, expected core ${core} ${noise}` : null;
}

/** Every network of one core (all types and instances) on one noise condition. */
async function evaluateJob(params: Record<string, unknown>): Promise<Evaluation> {
  checkKnownKeys(params, ['profile', 'core', 'noise'], 'evaluate-recurrence job parameters');
  const profile = jobProfile(params);
  const coreIndex = jobIndex(params, 'core', profile.cores);
  const noise = String(params.noise);
  assertNoiseCondition(noise);
  await initBackend();
  const calibration = await ensureCalibration(profile, { inProcess: true });
  const tuning = await ensureTuning(profile);
  const networks = instancesOf(RECURRENCE_TYPES);
  // `format`: 3 = one file per core and noise condition holding every network, FB-PC at its plotted steps.
  const binding: CacheBinding = {
    kind: 'evaluation',
    key: { format: 3, core: coreKeyOf(profile, coreIndex), noise, cal: hashConfig(calibration), rec: profile.recurrence, settings: ruleSettingsOf(profile, tuning), networks },
  };
  const file = path.join(runDir(profile), 'evaluation', `c${coreIndex}-${noise}-${hashConfig(binding.key)}.json`);
  const load = () => loadJsonChecked<Evaluation>(file, { ...binding, check: (body) => evaluationProblem(body, coreIndex, noise, networks) });
  return buildOnce(file, load, async () => {
    const t0 = Date.now();
    const records = evaluate(profile, coreIndex, noise, networks, calibration, tuning);
    const evaluation = { records, computeSeconds: (Date.now() - t0) / 1000 };
    saveJsonChecked(file, evaluation, binding);
    return evaluation;
  });
}

function evaluate(profile: Profile, coreIndex: number, noise: NoiseCondition, networks: { type: RecurrenceType; instance: number }[], calibration: Calibration, tuning: Tuning): AccuracyRecord[] {
  const mnist = loadMnist();
  const core = loadProfileCore(profile, coreIndex);
  const nets = networks.map(({ type, instance }) => ({ net: buildNetwork(profile, coreIndex, type, instance, calibration, tuning, core), ids: { core: coreIndex, network: type, instance } }));
  const test = sliceSet(mnist.test, 0, profile.recurrence.evalImages);
  const progress = createProgress(`evaluate core ${coreIndex} ${noise} (${nets.length} networks)`, conditionLevels(noise).length);
  let done = 0;
  const records = evaluateNetworks(nets, test, calibration, mnist.trainMean, noise, () => progress.update(++done));
  progress.finish();
  nets.forEach(({ net }) => disposeNetwork(net));
  disposeWeights(core);
  return records;
}

/** Phase: tuning, and the training of every trained type's instances on every core. */
export function recurrenceTrainingPhase(profile: Profile): Phase {
  const jobs: Job[] = [{ id: 'tune', kind: 'tune-recurrence', params: { profile } }];
  for (let core = 0; core < profile.cores; core++) {
    for (const { type, instance } of instancesOf(trainedTypes())) jobs.push({ id: `${type}-c${core}-i${instance}`, kind: 'train-recurrence', params: { profile, core, type, instance } });
  }
  return { name: 'recurrence training and tuning', jobs };
}

/**
 * Phase: the accuracy evaluation, one job per core and noise condition, each
 * running every network of the core (so they share step 0 and the noisy
 * images); the noise types before the short clean condition, so parallel
 * workers finish together.
 */
export function recurrenceEvaluationPhase(profile: Profile): Phase {
  const jobs: Job[] = [];
  for (const noise of EVALUATION_CONDITIONS) {
    for (let core = 0; core < profile.cores; core++) jobs.push({ id: `eval-c${core}-${noise}`, kind: 'evaluate-recurrence', params: { profile, core, noise } });
  }
  return { name: 'recurrence evaluation', jobs };
}

/** What the recurrence stage produced. */
export interface RecurrenceStageResult {
  training: RecurrenceTrainingSummary[];
  tuning: Tuning;
  records: AccuracyRecord[];
}

/** Runs (or loads) the whole recurrence stage. */
export async function ensureRecurrence(profile: Profile, options: RunJobsOptions = {}): Promise<RecurrenceStageResult> {
  const [tuning, ...training] = await runPhase<unknown>(recurrenceTrainingPhase(profile), options);
  const evaluated = await runPhase<Evaluation>(recurrenceEvaluationPhase(profile), options);
  return { tuning: tuning as Tuning, training: training as RecurrenceTrainingSummary[], records: evaluated.flatMap((e) => e.records) };
}

registerJobKind('train-recurrence', trainJob);
registerJobKind('tune-recurrence', tuneJob);
registerJobKind('evaluate-recurrence', evaluateJob);

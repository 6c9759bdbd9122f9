/**
 * Does augmentation replace recurrence? Cores of Table 1 trained with each of
 * Azeglio et al.'s augmentations (none, CutMix, AugMix with its consistency
 * loss, phase-noise blending; `augment/train.ts`) are measured twice:
 *
 * - robustness: feedforward accuracy on the clean test images and on our four
 *   calibrated degradations at levels 1-6;
 * - what recurrence still adds: the task-trained types of the profile (LR-TT;
 *   FB-TT where affordable) are trained on each augmented core exactly as on
 *   the main cores (`trainRecurrentWeights`, level-3 mixture, loss at the last
 *   step), and their gain at level 5 (last step minus step 0, the feedforward
 *   pass of that core) is measured.
 *
 * Core k of every augmentation has seed `profile.seed + k` (same init and batch
 * order; only the augmentation differs). The noise parameters are those
 * calibrated on the main core 0, so a level is the same images for every core
 * but not the same accuracy. Cached per job, like the other stages.
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend';
import { loadMnist, mnistIdentity, sliceSet } from '../data/mnist';
import { hashConfig } from '../io/cache';
import { cachedJson } from '../io/lock';
import { createProgress } from '../io/progress';
import { Augmentation, AugmentedCoreKey, augmentedCoreKey, assertAugmentation, trainAugmentedCore } from '../augment/train';
import { disposeWeights } from '../model/core';
import { feedforwardAccuracy } from '../model/evaluate';
import { CoreKey } from '../model/trainCore';
import { AccuracyRecord } from '../recurrence/accuracy';
import { disposeNetwork, makeNetwork, predictAtSteps } from '../recurrence/networks';
import { assertRecurrenceType, DEFAULT_RULE_SETTINGS, RECURRENCE_SPECS, RecurrenceType } from '../recurrence/rules';
import { CoreRobustnessRecord } from '../recurrence/robustness';
import { trainRecurrentWeights } from '../recurrence/train';
import { coresDir, ensureCalibration, ensureCores } from './cores';
import { ALL_LEVELS, degradedSets } from './gated';
import { type TrainingSummary, trainingSummary } from '../model/trainLoop';
import { Job, Phase, registerJobKind, runPhase, RunJobsOptions } from './jobs';
import { jobIndex, jobProfile, Profile, runDir } from './profiles';

/** The level the recurrence gain is measured at (the paper's analyses use 5). */
export const GAIN_LEVEL = 5;

/** One augmented core: its training and its feedforward robustness. */
export interface AugmentedCoreRun {
  augmentation: Augmentation;
  core: number;
  seed: number;
  training: TrainingSummary;
  evalSeconds: number;
  /** Training plus evaluation seconds (`none` with the main cores' settings: their training). */
  computeSeconds: number;
  /** Clean and every noise type at levels 1-6. */
  robustness: CoreRobustnessRecord[];
}

/** One recurrent network on an augmented core: its training and its accuracy at every time step. */
export interface AugmentedRecurrenceRun {
  augmentation: Augmentation;
  core: number;
  type: RecurrenceType;
  instance: number;
  training: TrainingSummary;
  evalSeconds: number;
  computeSeconds: number;
  /** Clean (level 0) and each noise type at level {@link GAIN_LEVEL}, every time step (`core` = the augmented core's index). */
  records: AccuracyRecord[];
}

/** What the augmentation stage produced. */
export interface AugmentationStageResult {
  cores: AugmentedCoreRun[];
  recurrence: AugmentedRecurrenceRun[];
  /** Sum of the runs' compute seconds. */
  computeSeconds: number;
}

function augmentationDir(profile: Profile): string {
  return path.join(runDir(profile), 'augmentation');
}

/** Where an augmented core is cached: with the main cores for `none` (same key, same file), else per augmentation. */
function augmentedCoresDir(profile: Profile, augmentation: Augmentation): string {
  return augmentation === 'none' ? coresDir(profile) : path.join(augmentationDir(profile), 'cores', augmentation);
}

/** The cache key of core `core` trained with `augmentation`. */
export function augmentedCoreKeyOf(profile: Profile, augmentation: Augmentation, core: number): CoreKey | AugmentedCoreKey {
  const a = profile.gated.augmentation;
  return augmentedCoreKey(augmentation, a.settings, profile.seed + core, a.core, mnistIdentity().id);
}

function jobAugmentation(params: Record<string, unknown>, profile: Profile): Augmentation {
  const augmentation = String(params.augmentation);
  assertAugmentation(augmentation);
  if (!profile.gated.augmentation.augmentations.includes(augmentation)) throw new Error(`job parameter 'augmentation': '${augmentation}' is not among the profile's (${profile.gated.augmentation.augmentations.join(', ')})`);
  return augmentation;
}

/** Trains (or loads) an augmented core in a job. */
async function loadAugmentedCore(profile: Profile, augmentation: Augmentation, core: number) {
  const a = profile.gated.augmentation;
  const mnist = loadMnist();
  const trained = await trainAugmentedCore({
    augmentation, settings: a.settings, training: a.core, seed: profile.seed + core, train: mnist.train, dir: augmentedCoresDir(profile, augmentation),
    label: `core ${core} ${augmentation}`,
  });
  return { mnist, trained };
}

async function augmentedCoreJob(params: Record<string, unknown>): Promise<AugmentedCoreRun> {
  const profile = jobProfile(params);
  const a = profile.gated.augmentation;
  const augmentation = jobAugmentation(params, profile);
  const core = jobIndex(params, 'core', a.cores);
  const calibration = await ensureCalibration(profile, { inProcess: true });
  const key = augmentedCoreKeyOf(profile, augmentation, core);
  const binding = { kind: 'augmented-core-robustness', key: { key, calibration: hashConfig(calibration), evalImages: a.evalImages } };
  const file = path.join(augmentationDir(profile), 'robustness', `${augmentation}-c${core}-${hashConfig(binding.key)}.json`);
  return cachedJson(file, binding, async () => {
    await initBackend();
    const { mnist, trained } = await loadAugmentedCore(profile, augmentation, core);
    const start = Date.now();
    const sets = degradedSets(sliceSet(mnist.test, 0, a.evalImages), calibration, mnist.trainMean, ALL_LEVELS);
    const robustness = sets.map((s): CoreRobustnessRecord => ({
      augmentation, core, noise: s.noise, level: s.level, accuracy: feedforwardAccuracy(trained.weights, s.images.pixels, s.images.labels), images: s.images.labels.length,
    }));
    disposeWeights(trained.weights);
    const evalSeconds = (Date.now() - start) / 1000;
    const training = trainingSummary(trained.info, a.core);
    const run: AugmentedCoreRun = { augmentation, core, seed: key.seed, training, evalSeconds, computeSeconds: training.trainSeconds + evalSeconds, robustness };
    return run;
  });
}

async function augmentedRecurrenceJob(params: Record<string, unknown>): Promise<AugmentedRecurrenceRun> {
  const profile = jobProfile(params);
  const a = profile.gated.augmentation;
  const augmentation = jobAugmentation(params, profile);
  const core = jobIndex(params, 'core', a.cores);
  const type = String(params.type);
  assertRecurrenceType(type);
  if (!a.types.includes(type) || RECURRENCE_SPECS[type].origin !== 'task-trained') throw new Error(`job parameter 'type': '${type}' is not a task-trained type of the profile's augmentation experiment (${a.types.join(', ')})`);
  const instance = jobIndex(params, 'instance', a.instances);
  const calibration = await ensureCalibration(profile, { inProcess: true });
  const coreKey = augmentedCoreKeyOf(profile, augmentation, core);
  const evalKey = { core: coreKey, type, instance, training: a.recurrence, calibration: hashConfig(calibration), evalImages: a.evalImages, level: GAIN_LEVEL };
  const file = path.join(augmentationDir(profile), 'gain', `${augmentation}-c${core}-${type}-i${instance}-${hashConfig(evalKey)}.json`);
  return cachedJson(file, { kind: 'augmented-recurrence-gain', key: evalKey }, async () => {
    await initBackend();
    const { mnist, trained: coreTrained } = await loadAugmentedCore(profile, augmentation, core);
    const weights = coreTrained.weights;
    const recurrent = await trainRecurrentWeights({
      type, instance, core: weights, coreHash: hashConfig(coreKey), calibration, training: a.recurrence, settings: DEFAULT_RULE_SETTINGS,
      train: mnist.train, fillValue: mnist.trainMean, dir: path.join(augmentationDir(profile), 'recurrence', augmentation), label: `${type} on core ${core} ${augmentation} i${instance}`,
  });
  const start = Date.now();
  const net = makeNetwork(type, weights, recurrent.weights);
  const sets = degradedSets(sliceSet(mnist.test, 0, a.evalImages), calibration, mnist.trainMean, [0, GAIN_LEVEL]);
  const progress = createProgress(`evaluate ${type} on core ${core} ${augmentation}`, sets.length);
  const records = sets.flatMap((s, k): AccuracyRecord[] => {
    const { pixels, labels } = s.images;
    const predicted = predictAtSteps(net, pixels, labels);
    progress.update(k + 1);
    return predicted.map((classes, timeStep) => ({
      core, network: type, instance, noise: s.noise, level: s.level, timeStep, accuracy: classes.reduce((h, c, i) => h + (c === labels[i] ? 1 : 0), 0) / labels.length, images: labels.length,
    }));
  });
  progress.finish();
  disposeNetwork(net);
  disposeWeights(weights);
  tf.dispose(Object.values(recurrent.weights));
  const evalSeconds = (Date.now() - start) / 1000;
  const training = trainingSummary(recurrent.info, a.recurrence);
  const run: AugmentedRecurrenceRun = { augmentation, core, type, instance, training, evalSeconds, computeSeconds: training.trainSeconds + evalSeconds, records };
  return run;
  });
}

/**
 * The augmentation phases (need the calibration): the augmented cores and
 * their robustness, one job per (augmentation, core); then the recurrence on
 * them, one job per (augmentation, core, type, instance).
 */
export function augmentationPhases(profile: Profile): Phase[] {
  const a = profile.gated.augmentation;
  const augmentations = a.augmentations;
  const cores = Array.from({ length: a.cores }, (_, core) => core);
  const instances = Array.from({ length: a.instances }, (_, instance) => instance);
  return [
    {
      name: 'augmented cores and their robustness (needs the calibration)',
      jobs: augmentations.flatMap((augmentation) => cores.map((core): Job => ({ id: `core-${augmentation}-c${core}`, kind: 'augmented-core', params: { profile, augmentation, core } }))),
    },
    {
      name: 'recurrence on the augmented cores',
      jobs: augmentations.flatMap((augmentation) => cores.flatMap((core) => a.types.flatMap((type) => instances.map((instance): Job => ({
        id: `${type}-${augmentation}-c${core}-i${instance}`, kind: 'augmented-recurrence', params: { profile, augmentation, core, type, instance },
      }))))),
    },
  ];
}

/** Trains and evaluates (or loads) every augmented core and its recurrence, after the cores and the calibration it needs. */
export async function ensureAugmentation(profile: Profile, options: RunJobsOptions = {}): Promise<AugmentationStageResult> {
  await ensureCores(profile, options);
  await ensureCalibration(profile, options);
  const [corePhase, recurrencePhase] = augmentationPhases(profile);
  const cores = await runPhase<AugmentedCoreRun>(corePhase, options);
  const recurrence = await runPhase<AugmentedRecurrenceRun>(recurrencePhase, options);
  const computeSeconds = [...cores, ...recurrence].reduce((s, r) => s + r.computeSeconds, 0);
  return { cores, recurrence, computeSeconds };
}

registerJobKind('augmented-core', augmentedCoreJob);
registerJobKind('augmented-recurrence', augmentedRecurrenceJob);

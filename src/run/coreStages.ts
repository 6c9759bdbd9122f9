/**
 * The foundation stages of a run: train the feedforward cores, then calibrate
 * the noise levels on core 0 (the same noise parameters serve every core and
 * network, so all see identical noisy images). Both are cached under
 * `data/runs/<profile>/` and run as parallel jobs.
 */
import * as path from 'node:path';
import { initBackend } from '../backend';
import { loadMnist, Mnist, sliceSet } from '../data/mnist';
import { CoreWeights, disposeWeights } from '../model/core';
import { coreAccuracy } from '../model/evaluate';
import { CoreKey, CoreTrainingInfo, loadCore, trainCore } from '../model/trainCore';
import { calibrateType, CALIBRATION_TARGETS, TypeCalibration } from '../noise/calibrate';
import { degradeImages, NOISE_TYPES, NoiseType, assertNoiseType, assertLevel } from '../noise/degrade';
import { hashConfig, loadJsonChecked, saveJsonChecked } from './cache';
import { assertAllOk, Job, registerJobKind, runJobs, RunJobsOptions } from './jobs';
import { getProfile, Profile, runDir } from './profiles';
import { createProgress } from './progress';

/** The cache key of core `index` of a profile. */
export function coreKeyOf(profile: Profile, index: number): CoreKey {
  return { arch: 'table1', seed: profile.seed + index, training: profile.core };
}

function coresDir(profile: Profile): string {
  return path.join(runDir(profile), 'cores');
}

/** A trained core with its clean test accuracy. */
export interface CoreSummary {
  index: number;
  seed: number;
  testAccuracy: number;
  testImages: number;
  info: CoreTrainingInfo;
}

async function coreJob(params: Record<string, unknown>): Promise<CoreSummary> {
  const profile = getProfile(String(params.profile));
  const index = Number(params.index);
  await initBackend();
  const mnist = loadMnist();
  const key = coreKeyOf(profile, index);
  const { weights, info } = await trainCore({ training: profile.core, seed: key.seed, train: mnist.train, dir: coresDir(profile), label: `core ${index}` });
  const testAccuracy = coreAccuracy(weights, mnist.test.images, mnist.test.labels, profile.testImages);
  disposeWeights(weights);
  return { index, seed: key.seed, testAccuracy, testImages: profile.testImages, info };
}

/** Trains (or loads) every core of the profile, in parallel jobs. */
export async function ensureCores(profile: Profile, options: RunJobsOptions = {}): Promise<CoreSummary[]> {
  const jobs: Job[] = Array.from({ length: profile.cores }, (_, index) => ({ id: `core-${index}`, kind: 'core', params: { profile: profile.name, index } }));
  const outcomes = await runJobs(jobs, options);
  assertAllOk('core training', outcomes);
  return outcomes.map((o) => o.result as CoreSummary);
}

/** Loads core `index` of a profile from the cache; an error says to train it first. */
export function loadProfileCore(profile: Profile, index: number): CoreWeights {
  const core = loadCore(coresDir(profile), coreKeyOf(profile, index));
  if (!core) throw new Error(`core ${index} of profile ${profile.name} is not trained yet: run \`repro reproduce --profile ${profile.name}\` or ensureCores()`);
  return core.weights;
}

/** Noise parameters per type and level (index 0 = level 1), with what they achieved. */
export interface Calibration {
  /** Hash of the core the levels were calibrated on. */
  coreHash: string;
  seed: number;
  images: number;
  targets: readonly number[];
  types: Record<NoiseType, TypeCalibration>;
}

/** The validation images calibration uses: the last `images` of the validation split. */
export function calibrationSet(mnist: Mnist, profile: Profile) {
  const v = mnist.validation;
  return sliceSet(v, Math.max(0, v.n - profile.calibration.images), v.n);
}

function calibrationFile(profile: Profile, type: NoiseType): string {
  const key = { core: hashConfig(coreKeyOf(profile, 0)), type, targets: CALIBRATION_TARGETS, calibration: profile.calibration, seed: profile.seed };
  return path.join(runDir(profile), 'calibration', `${type}-${hashConfig(key)}.json`);
}

async function calibrateJob(params: Record<string, unknown>): Promise<TypeCalibration> {
  const profile = getProfile(String(params.profile));
  const type = String(params.type);
  assertNoiseType(type);
  const file = calibrationFile(profile, type);
  const cached = loadJsonChecked<TypeCalibration>(file);
  if (cached) return cached;
  await initBackend();
  const mnist = loadMnist();
  const set = calibrationSet(mnist, profile);
  const weights = loadProfileCore(profile, 0);
  const progress = createProgress(`calibrate ${type}`, 6 * profile.calibration.maxSteps);
  let evaluations = 0;
  const result = calibrateType(
    type,
    (param, level) => coreAccuracy(weights, degradeImages(set, type, param, { seed: profile.seed, level, fillValue: mnist.trainMean }), set.labels),
    {
      tolerance: profile.calibration.tolerance,
      maxSteps: profile.calibration.maxSteps,
      onEvaluate: (p) => progress.update(++evaluations, `level key ${p.level} param ${p.param.toPrecision(3)} acc ${(100 * p.accuracy).toFixed(1)}%`),
    },
  );
  progress.finish(result.levels.map((l) => `${(100 * l.accuracy).toFixed(1)}%`).join(' '));
  disposeWeights(weights);
  saveJsonChecked(file, result);
  return result;
}

/** Calibrates (or loads) all four noise types on core 0, in parallel jobs. */
export async function ensureCalibration(profile: Profile, options: RunJobsOptions = {}): Promise<Calibration> {
  const jobs: Job[] = NOISE_TYPES.map((type) => ({ id: `calibrate-${type}`, kind: 'calibrate', params: { profile: profile.name, type } }));
  const outcomes = await runJobs(jobs, options);
  assertAllOk('noise calibration', outcomes);
  const types = Object.fromEntries(outcomes.map((o, i) => [NOISE_TYPES[i]!, o.result as TypeCalibration])) as Record<NoiseType, TypeCalibration>;
  return { coreHash: hashConfig(coreKeyOf(profile, 0)), seed: profile.seed, images: profile.calibration.images, targets: CALIBRATION_TARGETS, types };
}

/** The calibrated parameter of a noise type and level (level 0 = clean: the type's neutral value). */
export function noiseParam(calibration: Calibration, type: NoiseType, level: number): number {
  assertNoiseType(type);
  assertLevel(level);
  if (level === 0) return type === 'contrast' ? 1 : 0;
  const l = calibration.types[type].levels[level - 1];
  if (!l) throw new Error(`calibration for ${type} has no level ${level}`);
  return l.param;
}

registerJobKind('core', coreJob);
registerJobKind('calibrate', calibrateJob);

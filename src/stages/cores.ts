/**
 * The foundation stages of a run: train the feedforward cores, then calibrate
 * the noise levels on core 0 (the same noise parameters serve every core and
 * network, so all see identical noisy images). Both are cached under
 * `data/runs/<profile>/` and run as parallel jobs.
 */
import * as path from 'node:path';
import { initBackend } from '../backend';
import { checkKnownKeys } from '../check';
import { loadMnist, Mnist, mnistIdentity, sliceSet } from '../data/mnist';
import { CacheBinding, hashConfig, loadJsonChecked, saveJsonChecked } from '../io/cache';
import { buildOnce } from '../io/lock';
import { createProgress } from '../io/progress';
import { CoreWeights, disposeWeights } from '../model/core';
import { feedforwardAccuracy } from '../model/evaluate';
import { CoreKey, CoreTrainingInfo, loadCore, trainCore } from '../model/trainCore';
import { Calibration, calibrateType, CALIBRATION_TARGETS, TypeCalibration } from '../noise/calibrate';
import { assertNoiseParam, degradeImages, NOISE_TYPES, NoiseType, assertNoiseType, NUM_LEVELS } from '../noise/degrade';
import { Job, Phase, registerJobKind, runPhase, RunJobsOptions } from './jobs';
import { jobIndex, jobProfile, Profile, runDir } from './profiles';

/** The cache key of core `index` of a profile, on the MNIST files in use ({@link mnistIdentity}). */
export function coreKeyOf(profile: Profile, index: number): CoreKey {
  return { arch: 'table1', seed: profile.seed + index, training: profile.core, data: mnistIdentity().id };
}

/** Where the cores of a profile are cached. */
export function coresDir(profile: Profile): string {
  return path.join(runDir(profile), 'cores');
}

/** A trained core with its clean test accuracy. */
export interface CoreSummary {
  index: number;
  seed: number;
  testAccuracy: number;
  testImages: number;
  info: CoreTrainingInfo;
  /** Training time (whenever it was trained) plus this run's test evaluation. */
  computeSeconds: number;
}

async function coreJob(params: Record<string, unknown>): Promise<CoreSummary> {
  checkKnownKeys(params, ['profile', 'index'], 'core job parameters');
  const profile = jobProfile(params);
  const index = jobIndex(params, 'index', profile.cores);
  await initBackend();
  const mnist = loadMnist();
  const key = coreKeyOf(profile, index);
  const t0 = Date.now();
  const { weights, info } = await trainCore({ training: profile.core, seed: key.seed, train: mnist.train, dir: coresDir(profile), label: `core ${index}` });
  const testAccuracy = feedforwardAccuracy(weights, mnist.test.images, mnist.test.labels, profile.testImages);
  disposeWeights(weights);
  return { index, seed: key.seed, testAccuracy, testImages: profile.testImages, info, computeSeconds: Math.max(info.trainSeconds, (Date.now() - t0) / 1000) };
}

/** The core-training phase: one job per core. */
export function corePhase(profile: Profile): Phase {
  return { name: 'cores', jobs: Array.from({ length: profile.cores }, (_, index): Job => ({ id: `core-${index}`, kind: 'core', params: { profile, index } })) };
}

/** Trains (or loads) every core of the profile, in parallel jobs. */
export function ensureCores(profile: Profile, options: RunJobsOptions = {}): Promise<CoreSummary[]> {
  return runPhase<CoreSummary>(corePhase(profile), options);
}

/** Loads core `index` of a profile from the cache; an error says to train it first. */
export function loadProfileCore(profile: Profile, index: number): CoreWeights {
  const core = loadCore(coresDir(profile), coreKeyOf(profile, index));
  if (!core) throw new Error(`core ${index} of profile ${profile.name} is not trained yet: run \`repro reproduce --profile ${profile.name}\` or ensureCores()`);
  return core.weights;
}

/** The validation images calibration uses: the last `images` of the validation split. */
export function calibrationSet(mnist: Mnist, profile: Profile) {
  const v = mnist.validation;
  return sliceSet(v, Math.max(0, v.n - profile.calibration.images), v.n);
}

function calibrationBinding(profile: Profile, type: NoiseType): CacheBinding {
  return { kind: 'calibration', key: { core: hashConfig(coreKeyOf(profile, 0)), type, targets: CALIBRATION_TARGETS, calibration: profile.calibration, seed: profile.seed } };
}

function calibrationFile(profile: Profile, type: NoiseType): string {
  return path.join(runDir(profile), 'calibration', `${type}-${hashConfig(calibrationBinding(profile, type).key)}.json`);
}

/** Why a cached calibration of `type` cannot be used, or null: another type, missing levels, a parameter out of range. */
function calibrationProblem(type: NoiseType, body: unknown): string | null {
  const c = body as Partial<TypeCalibration> | null;
  if (!c || c.type !== type) return `holds the calibration of ${JSON.stringify(c?.type)}, expected ${type}`;
  if (!Array.isArray(c.levels) || c.levels.length !== NUM_LEVELS) return `has ${Array.isArray(c.levels) ? c.levels.length : 'no'} levels, expected ${NUM_LEVELS}`;
  try {
    for (const l of c.levels) assertNoiseParam(type, l.param);
  } catch (err) {
    return (err as Error).message;
  }
  return null;
}

function loadCalibration(profile: Profile, type: NoiseType): (TypeCalibration & { computeSeconds: number }) | null {
  return loadJsonChecked<TypeCalibration & { computeSeconds: number }>(calibrationFile(profile, type), { ...calibrationBinding(profile, type), check: (body) => calibrationProblem(type, body) });
}

async function calibrateJob(params: Record<string, unknown>): Promise<TypeCalibration & { computeSeconds: number }> {
  checkKnownKeys(params, ['profile', 'type'], 'calibrate job parameters');
  const profile = jobProfile(params);
  const type = String(params.type);
  assertNoiseType(type);
  await initBackend();
  const file = calibrationFile(profile, type);
  return buildOnce(file, () => loadCalibration(profile, type), () => calibrate(profile, type, file));
}

async function calibrate(profile: Profile, type: NoiseType, file: string): Promise<TypeCalibration & { computeSeconds: number }> {
  const t0 = Date.now();
  const mnist = loadMnist();
  const set = calibrationSet(mnist, profile);
  const weights = loadProfileCore(profile, 0);
  const progress = createProgress(`calibrate ${type}`, 6 * profile.calibration.maxSteps);
  let evaluations = 0;
  const result = calibrateType(
    type,
    (param, level) => feedforwardAccuracy(weights, degradeImages(set, type, param, { seed: profile.seed, level, fillValue: mnist.trainMean }), set.labels),
    {
      tolerance: profile.calibration.tolerance,
      maxSteps: profile.calibration.maxSteps,
      onEvaluate: (p) => progress.update(++evaluations, `level key ${p.level} param ${p.param.toPrecision(3)} acc ${(100 * p.accuracy).toFixed(1)}%`),
    },
  );
  progress.finish(result.levels.map((l) => `${(100 * l.accuracy).toFixed(1)}%`).join(' '));
  disposeWeights(weights);
  const out = { ...result, computeSeconds: (Date.now() - t0) / 1000 };
  saveJsonChecked(file, out, calibrationBinding(profile, type));
  return out;
}

/** The calibration phase (needs core 0): one job per noise type. */
export function calibrationPhase(profile: Profile): Phase {
  return { name: 'noise calibration (needs core 0)', jobs: NOISE_TYPES.map((type): Job => ({ id: `calibrate-${type}`, kind: 'calibrate', params: { profile, type } })) };
}

/** Calibrates (or loads) all four noise types on core 0, in parallel jobs. */
export async function ensureCalibration(profile: Profile, options: RunJobsOptions = {}): Promise<Calibration> {
  const results = await runPhase<TypeCalibration & { computeSeconds: number }>(calibrationPhase(profile), options);
  const types = Object.fromEntries(results.map(({ computeSeconds: _s, ...r }, i) => [NOISE_TYPES[i]!, r])) as Record<NoiseType, TypeCalibration>;
  return { coreHash: hashConfig(coreKeyOf(profile, 0)), seed: profile.seed, images: profile.calibration.images, targets: CALIBRATION_TARGETS, types };
}

registerJobKind('core', coreJob);
registerJobKind('calibrate', calibrateJob);

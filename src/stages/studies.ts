/**
 * The studies of `src/recurrence/studies` on one core of a profile, as cached
 * jobs in two phases each:
 *
 * - FB-PC variants: first the distinct decoders the variants need (the
 *   default's is the recurrence stage's own, so a run's cache serves it; the
 *   linear decoder and the longer training are new), as `train-recurrence`
 *   jobs of the variant's edited profile; then one job per variant that
 *   evaluates both instances.
 * - Training length: FB-TT, LR-TT and the FB-PC decoder trained at each
 *   factor times the profile's batches (factor 1 is the recurrence stage's
 *   own training), then one evaluation job per (factor, type).
 *
 * Each evaluation runs the clean test images and every noise type at level
 * 5 through the network once ({@link networkEndpoints}). Results are cached
 * under `data/runs/<profile>/studies`; the tables, JSON and figures are
 * written to `figures/studies/<profile>/`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend';
import { ArgumentError, checkKnownKeys, checkNumber } from '../check';
import { loadMnist, NUM_PIXELS, sliceSet } from '../data/mnist';
import { figFbpcVariants, figTrainingLength } from '../figures/figStudies';
import { saveFigure } from '../figures/figure';
import { hashConfig, writeFileAtomic } from '../io/cache';
import { cachedJson } from '../io/lock';
import { createProgress } from '../io/progress';
import { CoreWeights, disposeWeights } from '../model/core';
import { trainingSummary } from '../model/trainLoop';
import { Calibration } from '../noise/calibrate';
import { NOISE_TYPES } from '../noise/degrade';
import { Endpoints, networkEndpoints } from '../recurrence/endpoints';
import { disposeNetwork, makeNetwork } from '../recurrence/networks';
import { assertRecurrenceType, decoderReach, PredictiveRule, RECURRENCE_SPECS, RecurrenceType } from '../recurrence/rules';
import {
  applyFbpcVariant, checkFbpcVariant, FBPC_VARIANTS, FbpcVariant, FbpcVariantInstance, FbpcVariantResult, fbpcVariantMarkdown, FbpcVariantStudy,
  InstanceEndpoints, STUDY_LEVEL, TRAINING_LENGTH_TYPES, TrainingLengthResult, TrainingLengthStudy, trainingLengthMarkdown,
} from '../recurrence/studies';
import { loadRecurrence, reconstructionError, recurrenceSeed, TrainedRecurrence } from '../recurrence/train';
import { coreKeyOf, ensureCalibration, ensureCores, loadProfileCore } from './cores';
import { DegradedSet, degradedSets } from './gated';
import { Job, Phase, registerJobKind, runPhase, RunJobsOptions } from './jobs';
import { checkProfileNumbers, jobIndex, jobProfile, Profile, projectRoot, runDir } from './profiles';
import { recurrenceDir, recurrenceKeyOf, trainingConfigOf } from './recurrence';

/** Images per evaluation batch. */
const EVAL_BATCH = 200;
/** The training-length study's default factors on the profile's batches. */
export const DEFAULT_LENGTH_FACTORS: readonly number[] = [1, 4, 16];

/** `figures/studies/<profile>`: the studies' tables, JSON and figures. */
export function studiesDir(profile: Profile | string): string {
  return path.join(projectRoot(), 'figures', 'studies', typeof profile === 'string' ? profile : profile.name);
}

function studyCacheDir(profile: Profile): string {
  return path.join(runDir(profile), 'studies');
}

/** Options of the studies: the core they run on, and how their jobs run. */
export interface StudyOptions extends RunJobsOptions {
  /** Index of the core (default 0). */
  core?: number;
}

function studyCore(profile: Profile, options: StudyOptions): number {
  return checkNumber(options.core ?? 0, `core (profile ${profile.name} has ${profile.cores})`, { integer: true, min: 0, max: profile.cores - 1 });
}

/** The profile of a variant: the profile with the variant's FB-PC options and decoder training (checked). */
export function fbpcVariantProfile(profile: Profile, variant: FbpcVariant): Profile {
  const edited = structuredClone(profile);
  Object.assign(edited.recurrence, applyFbpcVariant(variant, profile.recurrence.predictive, profile.recurrence.decoder));
  checkProfileNumbers(edited, `FB-PC variant '${variant.id}': `);
  return edited;
}

/** The profile whose task-trained types and FB-PC decoder train `factor` times as many batches. */
export function trainingLengthProfile(profile: Profile, factor: number): Profile {
  checkNumber(factor, 'training-length factor', { integer: true, min: 1 });
  const edited = structuredClone(profile);
  edited.recurrence.train.batches *= factor;
  edited.recurrence.decoder.batches *= factor;
  return edited;
}

function instancesOf(type: RecurrenceType): number[] {
  return Array.from({ length: RECURRENCE_SPECS[type].instances }, (_, i) => i);
}

/** The conditions of the studies: the clean test images and each noise type at {@link STUDY_LEVEL}. */
function studySets(profile: Profile, calibration: Calibration): { sets: DegradedSet[]; images: number } {
  const mnist = loadMnist();
  const test = sliceSet(mnist.test, 0, profile.recurrence.evalImages);
  return { sets: degradedSets(test, calibration, mnist.trainMean, [0, STUDY_LEVEL]), images: test.n };
}

/** One instance's endpoints on the clean set and each noise type. */
function instanceEndpoints(instance: number, endpoints: (set: DegradedSet) => Endpoints, sets: readonly DegradedSet[]): InstanceEndpoints {
  const clean = sets.find((s) => s.noise === 'clean');
  if (!clean) throw new Error('the study conditions have no clean set');
  return {
    instance,
    clean: endpoints(clean),
    noisy: NOISE_TYPES.map((noise) => {
      const set = sets.find((s) => s.noise === noise);
      if (!set) throw new Error(`the study conditions have no '${noise}' set`);
      return { noise, ...endpoints(set) };
    }),
  };
}

/** Trained weights of a profile that the study's first phase must have made. */
function loadTrained(profile: Profile, core: number, type: RecurrenceType, instance: number, calibration: Calibration): TrainedRecurrence {
  const trained = loadRecurrence(recurrenceDir(profile), recurrenceKeyOf(profile, core, type, instance, calibration));
  if (!trained) throw new Error(`${type} instance ${instance} of core ${core} (${trainingConfigOf(profile, type).batches} batches) is not trained yet: its training job runs first`);
  return trained;
}

/** Mean squared reconstruction error of r1 from r2 on `n` clean images, in batches. */
function reconstructionMse(rule: PredictiveRule, core: CoreWeights, pixels: Float32Array, n: number): number {
  let sum = 0;
  for (let s = 0; s < n; s += EVAL_BATCH) {
    const m = Math.min(EVAL_BATCH, n - s);
    sum += m * tf.tidy(() => reconstructionError(rule, core, tf.tensor4d(pixels.subarray(s * NUM_PIXELS, (s + m) * NUM_PIXELS), [m, 28, 28, 1])).dataSync()[0]!);
  }
  return sum / n;
}

/** The FB-PC variant phases on one core: the distinct decoders, then one evaluation per variant. */
export function fbpcVariantPhases(profile: Profile, core: number, variants: readonly FbpcVariant[] = FBPC_VARIANTS): Phase[] {
  const training: Job[] = [];
  const seen = new Set<string>();
  for (const variant of variants) {
    const edited = fbpcVariantProfile(profile, variant);
    const decoder = JSON.stringify({ relu: edited.recurrence.predictive.decoderRelu, training: edited.recurrence.decoder });
    if (seen.has(decoder)) continue;
    seen.add(decoder);
    for (const instance of instancesOf('FB-PC')) training.push({ id: `decoder-${variant.id}-c${core}-i${instance}`, kind: 'train-recurrence', params: { profile: edited, core, type: 'FB-PC', instance } });
  }
  // Longest training first, so parallel workers finish together.
  training.sort((a, b) => (b.params.profile as Profile).recurrence.decoder.batches - (a.params.profile as Profile).recurrence.decoder.batches);
  return [
    { name: 'FB-PC variants: decoders', jobs: training },
    { name: 'FB-PC variants: evaluation', jobs: variants.map((variant) => ({ id: `fbpc-${variant.id}-c${core}`, kind: 'study-fbpc-variant', params: { profile, core, variant } })) },
  ];
}

async function fbpcVariantJob(params: Record<string, unknown>): Promise<FbpcVariantResult> {
  checkKnownKeys(params, ['profile', 'core', 'variant'], 'study-fbpc-variant job parameters');
  const profile = jobProfile(params);
  const core = jobIndex(params, 'core', profile.cores);
  const variant = checkFbpcVariant(params.variant, "job parameter 'variant'");
  const edited = fbpcVariantProfile(profile, variant);
  await initBackend();
  const calibration = await ensureCalibration(profile, { inProcess: true });
  const instances = instancesOf('FB-PC');
  const key = {
    format: 1, core: coreKeyOf(profile, core), cal: hashConfig(calibration), level: STUDY_LEVEL, images: profile.recurrence.evalImages, batch: EVAL_BATCH,
    options: edited.recurrence.predictive, decoders: instances.map((i) => recurrenceKeyOf(edited, core, 'FB-PC', i, calibration)),
  };
  const file = path.join(studyCacheDir(profile), `fbpc-${variant.id}-c${core}-${hashConfig(key)}.json`);
  return cachedJson(file, { kind: 'study-fbpc-variant', key }, async () => {
    const t0 = Date.now();
    const weights = loadProfileCore(profile, core);
    const { sets, images } = studySets(profile, calibration);
    const options = edited.recurrence.predictive;
    const progress = createProgress(`FB-PC variant ${variant.id}, core ${core}`, instances.length * sets.length);
    let done = 0;
    const results = instances.map((instance): FbpcVariantInstance => {
      const trained = loadTrained(edited, core, 'FB-PC', instance, calibration);
      const net = makeNetwork('FB-PC', weights, trained.weights, { predictive: options });
      const rule = net.rule;
      if (!(rule instanceof PredictiveRule)) throw new Error('FB-PC: its rule has no decoder');
      const endpoints = instanceEndpoints(instance, (set) => {
        const e = networkEndpoints(net, set.images.pixels, set.images.labels, EVAL_BATCH);
        progress.update(++done, `${set.noise} level ${set.level}`);
        return e;
      }, sets);
      const clean = sets.find((s) => s.noise === 'clean')!;
      const initial = RECURRENCE_SPECS['FB-PC'].init!(recurrenceSeed('FB-PC', instance), edited.recurrence.decoder.initSd);
      const reach = {
        trained: decoderReach(rule.decoder, options.decoderRelu ? rule.decoderBias : null),
        initial: decoderReach(initial.decoder as tf.Tensor4D, options.decoderRelu ? (initial.decoderBias as tf.Tensor1D) : null),
      };
      tf.dispose(Object.values(initial));
      const reconstruction = reconstructionMse(rule, weights, clean.images.pixels, images);
      disposeNetwork(net);
      return { ...endpoints, reconstruction, reach, training: trainingSummary(trained.info, edited.recurrence.decoder) };
    });
    progress.finish();
    disposeWeights(weights);
    const evalSeconds = (Date.now() - t0) / 1000;
    return {
      variant, options, decoder: edited.recurrence.decoder, core, level: STUDY_LEVEL, images, instances: results,
      evalSeconds, evalImagesPerSec: (images * sets.length * instances.length) / evalSeconds, computeSeconds: evalSeconds,
    };
  });
}

/** Runs (or loads) the FB-PC variant study on one core, after the cores and the calibration. */
export async function ensureFbpcVariantStudy(profile: Profile, options: StudyOptions = {}, variants: readonly FbpcVariant[] = FBPC_VARIANTS): Promise<FbpcVariantStudy> {
  const core = studyCore(profile, options);
  await ensureCores(profile, options);
  await ensureCalibration(profile, options);
  const [training, evaluation] = fbpcVariantPhases(profile, core, variants);
  await runPhase(training!, options);
  const results = await runPhase<FbpcVariantResult>(evaluation!, options);
  return { profile: profile.name, core, level: STUDY_LEVEL, results };
}

/** Checks training-length factors: distinct integers ≥ 1, returned ascending. */
export function checkLengthFactors(factors: readonly number[], where: string): number[] {
  if (factors.length === 0) throw new ArgumentError(`${where}: no factors given`);
  factors.forEach((f, i) => checkNumber(f, `${where}[${i}]`, { integer: true, min: 1 }));
  if (new Set(factors).size !== factors.length) throw new ArgumentError(`${where}: ${factors.join(',')} repeats a factor`);
  return [...factors].sort((a, b) => a - b);
}

/** The training-length phases on one core: every (factor, type, instance) trained, longest first; then one evaluation per (factor, type). */
export function trainingLengthPhases(profile: Profile, core: number, factors: readonly number[] = DEFAULT_LENGTH_FACTORS): Phase[] {
  const sorted = checkLengthFactors(factors, 'training-length factors');
  const descending = [...sorted].reverse();
  const training = descending.flatMap((factor) => TRAINING_LENGTH_TYPES.flatMap((type) => instancesOf(type).map((instance): Job => ({
    id: `${type}-x${factor}-c${core}-i${instance}`, kind: 'train-recurrence', params: { profile: trainingLengthProfile(profile, factor), core, type, instance },
  }))));
  const evaluation = descending.flatMap((factor) => TRAINING_LENGTH_TYPES.map((type): Job => ({
    id: `length-${type}-x${factor}-c${core}`, kind: 'study-training-length', params: { profile, core, type, factor },
  })));
  return [{ name: 'training length: training', jobs: training }, { name: 'training length: evaluation', jobs: evaluation }];
}

async function trainingLengthJob(params: Record<string, unknown>): Promise<TrainingLengthResult> {
  checkKnownKeys(params, ['profile', 'core', 'type', 'factor'], 'study-training-length job parameters');
  const profile = jobProfile(params);
  const core = jobIndex(params, 'core', profile.cores);
  const type = String(params.type);
  assertRecurrenceType(type);
  if (!TRAINING_LENGTH_TYPES.includes(type)) throw new ArgumentError(`job parameter 'type': ${type}, expected one of ${TRAINING_LENGTH_TYPES.join(', ')}`);
  const factor = checkNumber(params.factor, "job parameter 'factor'", { integer: true, min: 1 });
  const edited = trainingLengthProfile(profile, factor);
  const config = trainingConfigOf(edited, type);
  await initBackend();
  const calibration = await ensureCalibration(profile, { inProcess: true });
  const instances = instancesOf(type);
  const key = {
    format: 1, core: coreKeyOf(profile, core), cal: hashConfig(calibration), level: STUDY_LEVEL, images: profile.recurrence.evalImages, batch: EVAL_BATCH,
    options: profile.recurrence.predictive, weights: instances.map((i) => recurrenceKeyOf(edited, core, type, i, calibration)),
  };
  const file = path.join(studyCacheDir(profile), `length-${type}-x${factor}-c${core}-${hashConfig(key)}.json`);
  return cachedJson(file, { kind: 'study-training-length', key }, async () => {
    const t0 = Date.now();
    const weights = loadProfileCore(profile, core);
    const { sets, images } = studySets(profile, calibration);
    const progress = createProgress(`${type} at ${factor}x, core ${core}`, instances.length * sets.length);
    let done = 0;
    const results = instances.map((instance) => {
      const trained = loadTrained(edited, core, type, instance, calibration);
      const net = makeNetwork(type, weights, trained.weights, { predictive: profile.recurrence.predictive });
      const endpoints = instanceEndpoints(instance, (set) => {
        const e = networkEndpoints(net, set.images.pixels, set.images.labels, EVAL_BATCH);
        progress.update(++done, `${set.noise} level ${set.level}`);
        return e;
      }, sets);
      disposeNetwork(net);
      return { ...endpoints, training: trainingSummary(trained.info, config) };
    });
    progress.finish();
    disposeWeights(weights);
    const evalSeconds = (Date.now() - t0) / 1000;
    return {
      type, factor, batches: config.batches, batchSize: config.batchSize, core, level: STUDY_LEVEL, images, instances: results,
      evalSeconds, evalImagesPerSec: (images * sets.length * instances.length) / evalSeconds, computeSeconds: evalSeconds,
    };
  });
}

/** Runs (or loads) the training-length study on one core, after the cores and the calibration. */
export async function ensureTrainingLengthStudy(profile: Profile, options: StudyOptions & { factors?: readonly number[] } = {}): Promise<TrainingLengthStudy> {
  const core = studyCore(profile, options);
  const factors = checkLengthFactors(options.factors ?? DEFAULT_LENGTH_FACTORS, 'training-length factors');
  await ensureCores(profile, options);
  await ensureCalibration(profile, options);
  const [training, evaluation] = trainingLengthPhases(profile, core, factors);
  await runPhase(training!, options);
  const results = await runPhase<TrainingLengthResult>(evaluation!, options);
  return { profile: profile.name, core, level: STUDY_LEVEL, factors, results };
}

/** Files written for a study. */
export interface WrittenStudy {
  json: string;
  markdown: string;
  png: string;
}

/** Writes the FB-PC variant study to `dir` (default {@link studiesDir}): `fbpc-variants.json`, `.md`, and the figure. */
export async function writeFbpcVariantStudy(study: FbpcVariantStudy, dir = studiesDir(study.profile)): Promise<WrittenStudy> {
  const json = path.join(dir, 'fbpc-variants.json');
  const markdown = path.join(dir, 'fbpc-variants.md');
  writeFileAtomic(json, JSON.stringify(study, null, 1));
  writeFileAtomic(markdown, `${fbpcVariantMarkdown(study)}\n`);
  return { json, markdown, png: saveFigure(await figFbpcVariants(study), dir).png };
}

/** Writes the training-length study to `dir` (default {@link studiesDir}): `training-length.json`, `.md`, and the figure. */
export async function writeTrainingLengthStudy(study: TrainingLengthStudy, dir = studiesDir(study.profile)): Promise<WrittenStudy> {
  const json = path.join(dir, 'training-length.json');
  const markdown = path.join(dir, 'training-length.md');
  writeFileAtomic(json, JSON.stringify(study, null, 1));
  writeFileAtomic(markdown, `${trainingLengthMarkdown(study)}\n`);
  return { json, markdown, png: saveFigure(await figTrainingLength(study), dir).png };
}

/** The studies written for a profile, or null where a study has not been run. */
export interface SavedStudies {
  fbpcVariants: FbpcVariantStudy | null;
  trainingLength: TrainingLengthStudy | null;
}

/** Reads the studies in {@link studiesDir} (the notebooks show them when present). */
export function loadStudies(profile: Profile | string): SavedStudies {
  const dir = studiesDir(profile);
  const name = typeof profile === 'string' ? profile : profile.name;
  const read = <T extends { profile: string; results: unknown[] }>(file: string): T | null => {
    const p = path.join(dir, file);
    if (!fs.existsSync(p)) return null;
    const body = JSON.parse(fs.readFileSync(p, 'utf8')) as Partial<T>;
    if (body.profile !== name || !Array.isArray(body.results)) throw new Error(`${p}: not a study of profile ${name} (profile ${JSON.stringify(body.profile)}, results ${Array.isArray(body.results) ? 'present' : 'missing'})`);
    return body as T;
  };
  return { fbpcVariants: read<FbpcVariantStudy>('fbpc-variants.json'), trainingLength: read<TrainingLengthStudy>('training-length.json') };
}

registerJobKind('study-fbpc-variant', fbpcVariantJob);
registerJobKind('study-training-length', trainingLengthJob);

/**
 * Run profiles: how much of the paper's compute a run spends.
 *
 * - `smoke`: tests and CI, a few minutes; numbers are not meaningful.
 * - `quick`: the largest run that finishes well under an hour on a 2-core CPU,
 *   with 2 cores so every figure has error bars. Its figures are committed.
 * - `paper`: the paper's scale (5 cores, 40000 batches of 256); meant for a GPU.
 */
import * as path from 'node:path';
import { checkNumber, ArgumentError } from '../check';
import { checkTrainingConfig } from '../model/trainLoop';
import type { CoreTrainingConfig } from '../model/trainCore';
import { checkCalibrationConfig, type CalibrationConfig } from '../noise/calibrate';
import { checkRecurrenceTrainingConfig, type DecoderTrainingConfig, type RecurrenceTrainingConfig } from '../recurrence/train';
import { checkPredictiveOptions, DEFAULT_PREDICTIVE, type PredictiveOptions } from '../recurrence/rules';

export const PROFILE_NAMES = ['smoke', 'quick', 'paper'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

/** Settings of the recurrence stage (section 2.1, Methods 4.1). */
export interface RecurrenceConfig {
  /** FB-TT and LR-TT: cross-entropy at the last step on the level-3 noise mixture. */
  train: RecurrenceTrainingConfig;
  /** FB-PC decoder: reconstruction of r1 from r2 on clean images. */
  decoder: DecoderTrainingConfig;
  /** FB-PC dynamics (α, λ, β, error normalisation). */
  predictive: PredictiveOptions;
  /** Test images per condition for the accuracy evaluation. */
  evalImages: number;
  /** Validation images per condition for tuning LR-SS widths and the Grads step. */
  tuneImages: number;
}

/** A run profile. */
export interface Profile {
  name: ProfileName;
  /** Number of feedforward cores (different seeds). */
  cores: number;
  core: CoreTrainingConfig;
  calibration: CalibrationConfig;
  /** Test images used for the cores' clean accuracy. */
  testImages: number;
  recurrence: RecurrenceConfig;
  /** Base seed; core k uses seed + k. */
  seed: number;
}

const PROFILES: Record<ProfileName, Profile> = {
  smoke: {
    name: 'smoke',
    cores: 1,
    core: { batchSize: 64, batches: 150, learningRate: 0.05, momentum: 0.9, initSd: 0.02, trainImages: 55000, checkpointEvery: 50 },
    calibration: { images: 500, tolerance: 0.03, maxSteps: 6 },
    testImages: 1000,
    recurrence: {
      train: { batchSize: 32, batches: 20, learningRate: 0.05, momentum: 0.9, initSd: 0.001, trainImages: 55000, checkpointEvery: 10, noiseLevel: 3 },
      decoder: { batchSize: 32, batches: 30, learningRate: 5, momentum: 0.9, initSd: 0.001, trainImages: 55000, checkpointEvery: 10 },
      predictive: DEFAULT_PREDICTIVE,
      evalImages: 50,
      tuneImages: 30,
    },
    seed: 1,
  },
  quick: {
    name: 'quick',
    cores: 2,
    core: { batchSize: 64, batches: 2000, learningRate: 0.05, momentum: 0.9, initSd: 0.02, trainImages: 55000, checkpointEvery: 250 },
    calibration: { images: 5000, tolerance: 0.01, maxSteps: 10 },
    testImages: 10000,
    recurrence: {
      train: { batchSize: 64, batches: 150, learningRate: 0.05, momentum: 0.9, initSd: 0.001, trainImages: 55000, checkpointEvery: 50, noiseLevel: 3 },
      decoder: { batchSize: 64, batches: 300, learningRate: 5, momentum: 0.9, initSd: 0.001, trainImages: 55000, checkpointEvery: 100 },
      predictive: DEFAULT_PREDICTIVE,
      evalImages: 300,
      tuneImages: 200,
    },
    seed: 1,
  },
  paper: {
    name: 'paper',
    cores: 5,
    core: { batchSize: 256, batches: 40000, learningRate: 0.05, momentum: 0.9, initSd: 0.02, trainImages: 55000, checkpointEvery: 1000 },
    calibration: { images: 5000, tolerance: 0.005, maxSteps: 14 },
    testImages: 10000,
    recurrence: {
      train: { batchSize: 256, batches: 40000, learningRate: 0.05, momentum: 0.9, initSd: 0.001, trainImages: 55000, checkpointEvery: 1000, noiseLevel: 3 },
      decoder: { batchSize: 256, batches: 40000, learningRate: 5, momentum: 0.9, initSd: 0.001, trainImages: 55000, checkpointEvery: 1000 },
      predictive: DEFAULT_PREDICTIVE,
      evalImages: 10000,
      tuneImages: 1000,
    },
    seed: 1,
  },
};

/** The named profile; an unknown name is an error listing the known ones. */
export function getProfile(name: string): Profile {
  if (!(PROFILE_NAMES as readonly string[]).includes(name)) {
    throw new ArgumentError(`unknown profile '${name}': expected one of ${PROFILE_NAMES.join(', ')}`);
  }
  return structuredClone(PROFILES[name as ProfileName]);
}

/** The profile named by `REPRO_PROFILE`, else `fallback` (notebooks use this; CI sets smoke). */
export function profileFromEnv(fallback: ProfileName = 'quick'): Profile {
  const name = process.env.REPRO_PROFILE;
  if (name && !(PROFILE_NAMES as readonly string[]).includes(name)) throw new ArgumentError(`REPRO_PROFILE=${name}: unknown profile, expected one of ${PROFILE_NAMES.join(', ')}`);
  return getProfile(name || fallback);
}

/** The project root (holds package.json), found from this compiled file's location. */
export function projectRoot(): string {
  return process.env.REPRO_ROOT || path.resolve(__dirname, '..', '..', '..');
}

/** `data/runs/<profile>`: weights, calibration, results, manifest. */
export function runDir(profile: Profile | ProfileName): string {
  return path.join(projectRoot(), 'data', 'runs', typeof profile === 'string' ? profile : profile.name);
}

/** `figures/<profile>`: the rendered figures. */
export function figuresDir(profile: Profile | ProfileName): string {
  return path.join(projectRoot(), 'figures', typeof profile === 'string' ? profile : profile.name);
}

/**
 * The profile a job carries in its parameters, checked: an object with a
 * known name and the fields every stage reads. Jobs run exactly this
 * configuration (a notebook may have edited it), never the stock profile of
 * the same name.
 */
export function jobProfile(params: Record<string, unknown>): Profile {
  const p = params.profile;
  const fail = (what: string): never => {
    throw new ArgumentError(`job parameter 'profile': ${what}`);
  };
  if (!p || typeof p !== 'object' || Array.isArray(p)) return fail(`expected a profile object, got ${JSON.stringify(p)}`);
  const o = p as Record<string, unknown>;
  if (typeof o.name !== 'string' || !(PROFILE_NAMES as readonly string[]).includes(o.name)) fail(`name ${JSON.stringify(o.name)}, expected one of ${PROFILE_NAMES.join(', ')}`);
  if (!Number.isInteger(o.cores) || (o.cores as number) < 1) fail(`cores ${JSON.stringify(o.cores)}, expected a positive integer`);
  if (!Number.isInteger(o.seed)) fail(`seed ${JSON.stringify(o.seed)}, expected an integer`);
  for (const field of ['core', 'calibration', 'recurrence']) if (!o[field] || typeof o[field] !== 'object') fail(`missing '${field}' settings`);
  checkProfileNumbers(p as Profile, "job parameter 'profile': ");
  return p as Profile;
}

/** A job parameter that must be a non-negative integer below `limit`. */
export function jobIndex(params: Record<string, unknown>, name: string, limit: number): number {
  const v = params[name];
  if (!Number.isInteger(v) || (v as number) < 0 || (v as number) >= limit) {
    throw new ArgumentError(`job parameter '${name}': ${JSON.stringify(v)}, expected an integer in [0, ${limit - 1}]`);
  }
  return v as number;
}

/**
 * Checks every number of a profile (a job's profile may be edited or typed by
 * hand): counts are positive integers, rates and fractions in range. `prefix`
 * starts each message.
 */
export function checkProfileNumbers(profile: Profile, prefix = ''): void {
  const at = (where: string) => `${prefix}${where}`;
  try {
    checkNumber(profile.cores, at('cores'), { integer: true, min: 1 });
    checkNumber(profile.seed, at('seed'), { integer: true });
    checkNumber(profile.testImages, at('testImages'), { integer: true, min: 1 });
    checkTrainingConfig(profile.core, at('core'));
    checkCalibrationConfig(profile.calibration, at('calibration'));
    const r = profile.recurrence;
    checkRecurrenceTrainingConfig(r.train, at('recurrence.train'));
    checkTrainingConfig(r.decoder, at('recurrence.decoder'));
    checkPredictiveOptions(r.predictive, at('recurrence.predictive'));
    checkNumber(r.evalImages, at('recurrence.evalImages'), { integer: true, min: 1 });
    checkNumber(r.tuneImages, at('recurrence.tuneImages'), { integer: true, min: 1 });
  } catch (err) {
    if (err instanceof TypeError) throw new ArgumentError(`${prefix}a settings object is missing (${err.message})`);
    throw err;
  }
}

/**
 * Run profiles: how much of the paper's compute a run spends.
 *
 * - `smoke`: tests and CI, a few minutes; numbers are not meaningful.
 * - `quick`: the largest run that finishes well under an hour on a 2-core CPU,
 *   with 2 cores so every figure has error bars. Its figures are committed.
 * - `paper`: the paper's scale (5 cores, 40000 batches of 256); meant for a GPU.
 */
import * as path from 'node:path';
import type { CoreTrainingConfig } from '../model/trainCore';
import type { CalibrationConfig } from '../noise/calibrate';
import type { DecoderTrainingConfig, RecurrenceTrainingConfig } from '../recurrence/train';
import { DEFAULT_PREDICTIVE, type PredictiveOptions } from '../recurrence/rules';

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

/** Settings of the activity recording and its analyses (sections 2.2-2.5). */
export interface ActivityConfig {
  /**
   * Test images per noise type; each is recorded clean and with each noise
   * type at level 5, so a recording has 5 × images samples.
   */
  images: number;
  /**
   * Images of each noise type in the PCA of the recurrent influences (Figure
   * 4B-E): the first ones of the recording. The PCA's eigendecomposition costs
   * n³ in JavaScript (13 s at n = 1000, about 115 s at 2000 here), so the
   * quick profile uses 250 per type: 1000 samples, up to 999 PCs, above the
   * paper's largest count (666).
   */
  pcaImages: number;
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
  activity: ActivityConfig;
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
    activity: { images: 40, pcaImages: 40 },
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
    activity: { images: 500, pcaImages: 250 },
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
    activity: { images: 1000, pcaImages: 1000 },
    seed: 1,
  },
};

/** The named profile; an unknown name is an error listing the known ones. */
export function getProfile(name: string): Profile {
  if (!(PROFILE_NAMES as readonly string[]).includes(name)) {
    throw new Error(`unknown profile '${name}': expected one of ${PROFILE_NAMES.join(', ')}`);
  }
  return structuredClone(PROFILES[name as ProfileName]);
}

/** The profile named by `REPRO_PROFILE`, else `fallback` (notebooks use this; CI sets smoke). */
export function profileFromEnv(fallback: ProfileName = 'quick'): Profile {
  return getProfile(process.env.REPRO_PROFILE || fallback);
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
    throw new Error(`job parameter 'profile': ${what}`);
  };
  if (!p || typeof p !== 'object' || Array.isArray(p)) return fail(`expected a profile object, got ${JSON.stringify(p)}`);
  const o = p as Record<string, unknown>;
  if (typeof o.name !== 'string' || !(PROFILE_NAMES as readonly string[]).includes(o.name)) fail(`name ${JSON.stringify(o.name)}, expected one of ${PROFILE_NAMES.join(', ')}`);
  if (!Number.isInteger(o.cores) || (o.cores as number) < 1) fail(`cores ${JSON.stringify(o.cores)}, expected a positive integer`);
  if (!Number.isInteger(o.seed)) fail(`seed ${JSON.stringify(o.seed)}, expected an integer`);
  for (const field of ['core', 'calibration', 'recurrence', 'activity']) if (!o[field] || typeof o[field] !== 'object') fail(`missing '${field}' settings`);
  return p as Profile;
}

/** A job parameter that must be a non-negative integer below `limit`. */
export function jobIndex(params: Record<string, unknown>, name: string, limit: number): number {
  const v = params[name];
  if (!Number.isInteger(v) || (v as number) < 0 || (v as number) >= limit) {
    throw new Error(`job parameter '${name}': ${JSON.stringify(v)}, expected an integer in [0, ${limit - 1}]`);
  }
  return v as number;
}

/**
 * Run profiles: how much of the paper's compute a run spends.
 *
 * - `smoke`: tests and CI, a few minutes; numbers are not meaningful.
 * - `quick`: the largest run that finishes well under an hour on a 2-core CPU,
 *   with 2 cores so every figure has error bars. Its figures are committed.
 * - `paper`: the paper's scale (5 cores, 40000 batches of 256); meant for a GPU.
 */
import * as path from 'node:path';
import type { DecoderTrainingConfig, RecurrenceTrainingConfig } from '../recurrence/train';

export const PROFILE_NAMES = ['smoke', 'quick', 'paper'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

/** Settings of one SGD training run (the core, the recurrent weights, the FB-PC decoder). */
export interface TrainingConfig {
  /** Minibatch size. */
  batchSize: number;
  /** Number of SGD steps. */
  steps: number;
  /** SGD learning rate. */
  learningRate: number;
  /** SGD momentum (0 = plain SGD). */
  momentum: number;
  /** Weight init standard deviation (truncated normal). */
  initSd: number;
  /** Training images used (the first n of the 55000-image train split). */
  trainImages: number;
  /** Steps between checkpoints. */
  checkpointEvery: number;
}

/** Training settings of the feedforward core. */
export type CoreTrainingConfig = TrainingConfig;

/** Noise calibration settings. */
export interface CalibrationConfig {
  /** Validation images used (the last n of the 5000-image validation split when smaller). */
  images: number;
  /** Stop bisecting a level when within this many accuracy points (fraction) of its target. */
  tolerance: number;
  /** Most bisection steps per level. */
  maxSteps: number;
}

/** Settings of the recurrence stage (section 2.1, Methods 4.1). */
export interface RecurrenceConfig {
  /** FB-TT and LR-TT: cross-entropy at the last step on the level-3 noise mixture. */
  train: RecurrenceTrainingConfig;
  /** FB-PC decoder: reconstruction of r1 from r2 on clean images. */
  decoder: DecoderTrainingConfig;
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
    core: { batchSize: 64, steps: 150, learningRate: 0.05, momentum: 0.9, initSd: 0.02, trainImages: 55000, checkpointEvery: 50 },
    calibration: { images: 500, tolerance: 0.03, maxSteps: 6 },
    testImages: 1000,
    recurrence: {
      train: { batchSize: 32, steps: 20, learningRate: 0.05, momentum: 0.9, initSd: 0.001, trainImages: 55000, checkpointEvery: 10, noiseLevel: 3 },
      decoder: { batchSize: 32, steps: 30, learningRate: 5, momentum: 0.9, initSd: 0.001, trainImages: 55000, checkpointEvery: 10 },
      evalImages: 50,
      tuneImages: 30,
    },
    seed: 1,
  },
  quick: {
    name: 'quick',
    cores: 2,
    core: { batchSize: 64, steps: 2000, learningRate: 0.05, momentum: 0.9, initSd: 0.02, trainImages: 55000, checkpointEvery: 250 },
    calibration: { images: 5000, tolerance: 0.01, maxSteps: 10 },
    testImages: 10000,
    recurrence: {
      train: { batchSize: 64, steps: 150, learningRate: 0.05, momentum: 0.9, initSd: 0.001, trainImages: 55000, checkpointEvery: 50, noiseLevel: 3 },
      decoder: { batchSize: 64, steps: 300, learningRate: 5, momentum: 0.9, initSd: 0.001, trainImages: 55000, checkpointEvery: 100 },
      evalImages: 300,
      tuneImages: 200,
    },
    seed: 1,
  },
  paper: {
    name: 'paper',
    cores: 5,
    core: { batchSize: 256, steps: 40000, learningRate: 0.05, momentum: 0.9, initSd: 0.02, trainImages: 55000, checkpointEvery: 1000 },
    calibration: { images: 5000, tolerance: 0.005, maxSteps: 14 },
    testImages: 10000,
    recurrence: {
      train: { batchSize: 256, steps: 40000, learningRate: 0.05, momentum: 0.9, initSd: 0.001, trainImages: 55000, checkpointEvery: 1000, noiseLevel: 3 },
      decoder: { batchSize: 256, steps: 40000, learningRate: 5, momentum: 0.9, initSd: 0.001, trainImages: 55000, checkpointEvery: 1000 },
      evalImages: 10000,
      tuneImages: 1000,
    },
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

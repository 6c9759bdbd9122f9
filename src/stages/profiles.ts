/**
 * Run profiles: how much of the paper's compute a run spends.
 *
 * - `smoke`: tests and CI, a few minutes; numbers are not meaningful.
 * - `quick`: the largest run that finishes in under an hour on a 2-core CPU (52 min measured),
 *   with 2 cores so every figure has error bars. Its figures are committed.
 * - `paper`: the paper's scale (5 cores, 40000 batches of 256); meant for a GPU.
 *
 * The `gated` section sizes Azeglio et al.'s experiments on MNIST (the GRCNN's
 * test-time iterations, the augmented cores). In quick they stay small: one
 * network per variant, one core per augmentation trained on a fifth of the
 * main cores' batches (of half the size), LR-TT only, one instance.
 */
import * as path from 'node:path';
import { type AugmentationSettings, type Augmentation, AUGMENTATIONS, DEFAULT_AUGMENTATION_SETTINGS } from '../augment/train';
import { checkNumber, ArgumentError } from '../check';
import { GRCNN_MNIST_CONFIG, type GrcnnConfig } from '../model/grcnn';
import type { GrcnnTrainingConfig } from '../model/trainGrcnn';
import { checkTrainingConfig } from '../model/trainLoop';
import type { CoreTrainingConfig } from '../model/trainCore';
import { checkCalibrationConfig, type CalibrationConfig } from '../noise/calibrate';
import { checkRecurrenceTrainingConfig, type DecoderTrainingConfig, type RecurrenceTrainingConfig } from '../recurrence/train';
import { LAYER_NAMES, type LayerName } from '../recurrence/recording';
import { checkPredictiveOptions, DEFAULT_PREDICTIVE, type PredictiveOptions, type RecurrenceType } from '../recurrence/rules';

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
  /**
   * Most samples in any Gram matrix of the section 2.4-2.5 analyses: per
   * classification group of Figure 7 (layer and cross-layer dimensionality)
   * and the fit of Figure 6's PCs (Figure 9's cloud sizes use at most 100
   * images of each condition, `CLOUD_SIZE_IMAGES`). Larger
   * groups use a seeded random subset, the same before and after recurrence.
   * Cost per group and time step: the Gram matrices (samples² × units on the
   * tensor backend) and their Cholesky factors (samples³/6 in JavaScript).
   */
  dimensionalitySamples: number;
}

/**
 * Settings of the model-recovery experiment (`./modelRecovery`): one network's
 * units, with noise over repetitions, are the "recording"; every network of
 * the core is scored against it. Cost grows with sources (FF and
 * `sourceInstances` of every type) ×
 * noise levels × neuron counts × replicates × candidate networks × candidate
 * layers × splits PLS fits, each on `components` features.
 */
export interface ModelRecoveryConfig {
  /** Test images per condition (≥ 10), each recorded clean and with each noise type at level 5: 5 × images samples. */
  images: number;
  /** The layer recorded from. */
  layer: 'r1' | 'r2';
  /** The layers of every candidate network the predictivity metric scores (a candidate counts with its best). */
  candidateLayers: LayerName[];
  /**
   * Principal components kept per candidate layer, computed over the samples;
   * samples − 1 or more keeps all there are, which PLS sees as the whole layer.
   */
  components: number;
  /** Numbers of recorded neurons. */
  neurons: number[];
  /** Noise levels: noise s.d. per repetition over the neuron's signal s.d. */
  noiseLevels: number[];
  /** Repetitions of every stimulus (≥ 2). */
  repetitions: number;
  /** Recordings per (source network, noise level, neuron count), each with its own neurons and noise. */
  replicates: number;
  /** Splits of the predictivity metric (Brain-Score: 10). */
  splits: number;
  /**
   * Instances of each type recorded from (1: A only; 2: A and B); FF and
   * every instance are candidates whatever this is.
   */
  sourceInstances: 1 | 2;
}

/** Settings of the GRCNN experiment (Azeglio et al.): accuracy under degradation against test-time iterations. */
export interface GrcnnExperimentConfig {
  /** Sizes of the network (iterations T with weights). */
  config: GrcnnConfig;
  /** Training on clean MNIST. */
  training: GrcnnTrainingConfig;
  /** Networks per variant; network k has seed `profile.seed + k`. */
  networks: number;
  /** Also train and test the ungated control (GRCLs without B and C, σ ≡ 1). */
  ungated: boolean;
  /** Training images whose batch statistics set the batch-norm running statistics, re-estimated per iteration count. */
  statsImages: number;
  /** Test images per condition (clean, and each noise type at levels 1-6). */
  evalImages: number;
}

/** Settings of the augmentation experiment: does augmentation replace recurrence? */
export interface AugmentationExperimentConfig {
  augmentations: Augmentation[];
  settings: AugmentationSettings;
  /** Cores per augmentation; core k has seed `profile.seed + k`, as the main cores. */
  cores: number;
  /** Training of the augmented cores (with the main cores' settings, `none` reuses them). */
  core: CoreTrainingConfig;
  /** Task-trained recurrence types trained on every augmented core. */
  types: RecurrenceType[];
  /** Instantiations of each type per core. */
  instances: number;
  /** Their training (level-3 noise mixture, loss at the last step). */
  recurrence: RecurrenceTrainingConfig;
  /** Test images per condition. */
  evalImages: number;
}

/** Azeglio et al.'s experiments on MNIST. */
export interface GatedConfig {
  grcnn: GrcnnExperimentConfig;
  augmentation: AugmentationExperimentConfig;
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
  /** Azeglio et al.'s GRCNN and augmentation experiments. */
  gated: GatedConfig;
  /** Model recovery from simulated recordings. */
  modelRecovery: ModelRecoveryConfig;
  /** Base seed; core k uses seed + k. */
  seed: number;
}

/** The paper's core training (Methods 4.1); the paper profile's augmentation experiment reuses it, so its `none` cores are the main cores. */
const PAPER_CORE: CoreTrainingConfig = { batchSize: 256, batches: 40000, learningRate: 0.05, momentum: 0.9, initSd: 0.02, trainImages: 55000, checkpointEvery: 1000 };
const PAPER_RECURRENCE_TRAINING: RecurrenceTrainingConfig = { batchSize: 256, batches: 40000, learningRate: 0.05, momentum: 0.9, initSd: 0.001, trainImages: 55000, checkpointEvery: 1000, noiseLevel: 3 };
/** A smaller GRCNN for tests: 8 stem channels, two GRCLs (16 and 32 channels), T = 3. */
const SMOKE_GRCNN_CONFIG: GrcnnConfig = { stemChannels: 8, blocks: [{ channels: 16, bottleneck: 4 }, { channels: 32, bottleneck: 8 }], iterations: 3 };

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
    activity: { images: 40, pcaImages: 40, dimensionalitySamples: 100 },
    gated: {
      grcnn: {
        config: SMOKE_GRCNN_CONFIG,
        training: { batchSize: 32, batches: 60, learningRate: 0.05, momentum: 0.9, trainImages: 55000, checkpointEvery: 20 },
        networks: 1,
        ungated: true,
        statsImages: 128,
        evalImages: 50,
      },
      augmentation: {
        augmentations: [...AUGMENTATIONS],
        settings: DEFAULT_AUGMENTATION_SETTINGS,
        cores: 1,
        core: { batchSize: 32, batches: 30, learningRate: 0.05, momentum: 0.9, initSd: 0.02, trainImages: 55000, checkpointEvery: 10 },
        types: ['LR-TT'],
        instances: 1,
        recurrence: { batchSize: 20, batches: 6, learningRate: 0.05, momentum: 0.9, initSd: 0.001, trainImages: 55000, checkpointEvery: 3, noiseLevel: 3 },
        evalImages: 50,
      },
    },
    modelRecovery: { images: 10, layer: 'r1', candidateLayers: ['r1', 'r2'], components: 20, neurons: [8, 20], noiseLevels: [0.5, 4], repetitions: 4, replicates: 1, splits: 10, sourceInstances: 1 },
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
    activity: { images: 500, pcaImages: 250, dimensionalitySamples: 300 },
    gated: {
      grcnn: {
        config: GRCNN_MNIST_CONFIG,
        training: { batchSize: 32, batches: 250, learningRate: 0.05, momentum: 0.9, trainImages: 55000, checkpointEvery: 50 },
        networks: 1,
        ungated: true,
        statsImages: 640,
        evalImages: 200,
      },
      augmentation: {
        augmentations: [...AUGMENTATIONS],
        settings: DEFAULT_AUGMENTATION_SETTINGS,
        cores: 1,
        core: { batchSize: 32, batches: 400, learningRate: 0.05, momentum: 0.9, initSd: 0.02, trainImages: 55000, checkpointEvery: 100 },
        types: ['LR-TT'],
        instances: 1,
        recurrence: { batchSize: 32, batches: 100, learningRate: 0.05, momentum: 0.9, initSd: 0.001, trainImages: 55000, checkpointEvery: 50, noiseLevel: 3 },
        evalImages: 300,
      },
    },
    modelRecovery: { images: 30, layer: 'r1', candidateLayers: ['r1', 'r2'], components: 60, neurons: [10, 40], noiseLevels: [0.25, 1, 4], repetitions: 4, replicates: 1, splits: 10, sourceInstances: 1 },
    seed: 1,
  },
  paper: {
    name: 'paper',
    cores: 5,
    core: PAPER_CORE,
    calibration: { images: 5000, tolerance: 0.005, maxSteps: 14 },
    testImages: 10000,
    recurrence: {
      train: PAPER_RECURRENCE_TRAINING,
      decoder: { batchSize: 256, batches: 40000, learningRate: 5, momentum: 0.9, initSd: 0.001, trainImages: 55000, checkpointEvery: 1000 },
      predictive: DEFAULT_PREDICTIVE,
      evalImages: 10000,
      tuneImages: 1000,
    },
    activity: { images: 1000, pcaImages: 1000, dimensionalitySamples: 2000 },
    gated: {
      grcnn: {
        config: GRCNN_MNIST_CONFIG,
        training: { batchSize: 64, batches: 10000, learningRate: 0.05, momentum: 0.9, trainImages: 55000, checkpointEvery: 1000 },
        networks: 5,
        ungated: true,
        statsImages: 5120,
        evalImages: 10000,
      },
      augmentation: {
        augmentations: [...AUGMENTATIONS],
        settings: DEFAULT_AUGMENTATION_SETTINGS,
        cores: 5,
        core: PAPER_CORE,
        types: ['LR-TT', 'FB-TT'],
        instances: 2,
        recurrence: PAPER_RECURRENCE_TRAINING,
        evalImages: 10000,
      },
    },
    modelRecovery: { images: 100, layer: 'r1', candidateLayers: ['r1', 'r2', 'r3'], components: 200, neurons: [20, 100, 400], noiseLevels: [0.25, 1, 4], repetitions: 8, replicates: 5, splits: 10, sourceInstances: 2 },
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
  return checkedProfile(params.profile, "job parameter 'profile': ");
}

/**
 * `p` checked as a profile (a job's parameter, a file given to `repro
 * reproduce --profile-file`): an object with a known name and the fields every
 * stage reads, its numbers in range. `prefix` starts each message.
 */
export function checkedProfile(p: unknown, prefix: string): Profile {
  const fail = (what: string): never => {
    throw new ArgumentError(`${prefix}${what}`);
  };
  if (!p || typeof p !== 'object' || Array.isArray(p)) return fail(`expected a profile object, got ${JSON.stringify(p)}`);
  const o = p as Record<string, unknown>;
  if (typeof o.name !== 'string' || !(PROFILE_NAMES as readonly string[]).includes(o.name)) fail(`name ${JSON.stringify(o.name)}, expected one of ${PROFILE_NAMES.join(', ')}`);
  if (!Number.isInteger(o.cores) || (o.cores as number) < 1) fail(`cores ${JSON.stringify(o.cores)}, expected a positive integer`);
  if (!Number.isInteger(o.seed)) fail(`seed ${JSON.stringify(o.seed)}, expected an integer`);
  for (const field of ['core', 'calibration', 'recurrence', 'activity', 'gated', 'modelRecovery']) if (!o[field] || typeof o[field] !== 'object') fail(`missing '${field}' settings`);
  checkProfileNumbers(p as Profile, prefix);
  return p as Profile;
}

/** Checks the model-recovery settings; `where` names them in messages. */
export function checkModelRecoveryConfig(c: ModelRecoveryConfig, where: string): void {
  // Splits stratified by the 5 conditions hold out 10 %: at least one sample per condition needs 10 images.
  checkNumber(c.images, `${where}.images`, { integer: true, min: 10 });
  if (c.layer !== 'r1' && c.layer !== 'r2') throw new ArgumentError(`${where}.layer: ${JSON.stringify(c.layer)}, expected 'r1' or 'r2'`);
  if (!Array.isArray(c.candidateLayers) || c.candidateLayers.length === 0 || !c.candidateLayers.every((l) => (LAYER_NAMES as string[]).includes(l))) {
    throw new ArgumentError(`${where}.candidateLayers: ${JSON.stringify(c.candidateLayers)}, expected a non-empty list of ${LAYER_NAMES.join(', ')}`);
  }
  checkNumber(c.components, `${where}.components`, { integer: true, min: 1 });
  for (const [name, list] of [['neurons', c.neurons], ['noiseLevels', c.noiseLevels]] as const) {
    if (!Array.isArray(list) || list.length === 0) throw new ArgumentError(`${where}.${name}: ${JSON.stringify(list)}, expected a non-empty list of numbers`);
  }
  c.neurons.forEach((q, k) => checkNumber(q, `${where}.neurons[${k}]`, { integer: true, min: 2, max: RECOVERY_POOL_UNITS }));
  c.noiseLevels.forEach((l, k) => checkNumber(l, `${where}.noiseLevels[${k}]`, { min: 0 }));
  checkNumber(c.repetitions, `${where}.repetitions`, { integer: true, min: 2 });
  checkNumber(c.replicates, `${where}.replicates`, { integer: true, min: 1 });
  checkNumber(c.splits, `${where}.splits`, { integer: true, min: 1 });
  if (c.sourceInstances !== 1 && c.sourceInstances !== 2) throw new ArgumentError(`${where}.sourceInstances: ${JSON.stringify(c.sourceInstances)}, expected 1 or 2`);
}

/**
 * Units of the recorded layer that model recovery draws neurons from: a
 * random pool of this many of the layer's units that respond (vary over the
 * samples), the same units in every network of a core.
 */
export const RECOVERY_POOL_UNITS = 2000;

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
    // ≥ 1: tfjs reads a seed of 0 as "no seed", so a core of seed 0 would draw different weights on every run.
    checkNumber(profile.seed, at('seed'), { integer: true, min: 1 });
    checkNumber(profile.testImages, at('testImages'), { integer: true, min: 1 });
    checkTrainingConfig(profile.core, at('core'));
    checkCalibrationConfig(profile.calibration, at('calibration'));
    const r = profile.recurrence;
    checkRecurrenceTrainingConfig(r.train, at('recurrence.train'));
    checkTrainingConfig(r.decoder, at('recurrence.decoder'));
    checkPredictiveOptions(r.predictive, at('recurrence.predictive'));
    checkNumber(r.evalImages, at('recurrence.evalImages'), { integer: true, min: 1 });
    checkNumber(r.tuneImages, at('recurrence.tuneImages'), { integer: true, min: 1 });
    checkNumber(profile.activity.images, at('activity.images'), { integer: true, min: 2 });
    checkNumber(profile.activity.pcaImages, at('activity.pcaImages'), { integer: true, min: 1, max: profile.activity.images });
    checkModelRecoveryConfig(profile.modelRecovery, at('modelRecovery'));
    checkNumber(profile.activity.dimensionalitySamples, at('activity.dimensionalitySamples'), { integer: true, min: 5 });
  } catch (err) {
    if (err instanceof TypeError) throw new ArgumentError(`${prefix}a settings object is missing (${err.message})`);
    throw err;
  }
}

/**
 * The GRCNN experiment (Azeglio et al., design section 7): train the small
 * GRCNN on clean MNIST, then measure its accuracy on the clean test images and
 * on each of our four calibrated degradations at levels 1-6 as a function of
 * the number of iterations every GRCL runs at test time (0 … T; training
 * always runs T). Before each iteration count the batch-norm running
 * statistics are re-estimated on clean training images run with that count,
 * so the layers after a GRCL are normalised for the activity they see.
 * The ungated control (GRCLs without B and C, σ ≡ 1: a residual stack) goes
 * through the same when the profile asks for it.
 *
 * The noise parameters are those calibrated on core 0 of Table 1, so the
 * GRCNN's accuracy at a level is not the level's target accuracy.
 *
 * One job per (variant, network), cached: the weights by `trainGrcnn`, the
 * evaluation as a checked JSON file keyed by everything it depends on.
 */
import * as path from 'node:path';
import { initBackend } from '../backend';
import { ImageSet, loadMnist, mnistIdentity, NUM_PIXELS, sliceSet } from '../data/mnist';
import { hashConfig } from '../io/cache';
import { cachedJson } from '../io/lock';
import { createProgress } from '../io/progress';
import { grcnnAccuracyByIterations, LabelledImages } from '../model/evaluate';
import { GrcnnKey, trainGrcnn } from '../model/trainGrcnn';
import { type TrainingSummary, trainingSummary } from '../model/trainLoop';
import { disposeWeightTensors } from '../model/weightSource';
import { Calibration, noiseParam } from '../noise/calibrate';
import { degradeImages, NOISE_TYPES, NUM_LEVELS } from '../noise/degrade';
import type { NoiseCondition } from '../recurrence/accuracy';
import { GrcnnAccuracyRecord } from '../recurrence/robustness';
import { ensureCalibration, ensureCores } from './cores';
import { Job, Phase, registerJobKind, runPhase, RunJobsOptions } from './jobs';
import { jobIndex, jobProfile, Profile, runDir } from './profiles';

/** Every level, 0 (clean) to 6. */
export const ALL_LEVELS: readonly number[] = Array.from({ length: NUM_LEVELS + 1 }, (_, l) => l);

/** One test condition: its images with the project's keyed noise. */
export interface DegradedSet {
  noise: NoiseCondition;
  level: number;
  images: LabelledImages;
}

/**
 * The test conditions at `levels`: the clean images at level 0, each noise
 * type at levels 1-6 with the calibrated parameter and the noise keyed by
 * (calibration seed, image, type, level), as every network sees it.
 */
export function degradedSets(test: ImageSet, calibration: Calibration, fillValue: number, levels: readonly number[]): DegradedSet[] {
  return levels.flatMap((level): DegradedSet[] => {
    if (level === 0) return [{ noise: 'clean', level, images: { pixels: test.images, labels: test.labels } }];
    return NOISE_TYPES.map((noise) => ({
      noise, level,
      images: { pixels: degradeImages(test, noise, noiseParam(calibration, noise, level), { seed: calibration.seed, level, fillValue }), labels: test.labels },
    }));
  });
}

/** One trained and evaluated GRCNN. */
export interface GrcnnRun {
  gated: boolean;
  network: number;
  seed: number;
  training: TrainingSummary;
  /** Seconds of the evaluation (running statistics and accuracy at every iteration count). */
  evalSeconds: number;
  /** Training plus evaluation seconds. */
  computeSeconds: number;
  /** Every condition (clean, 4 types × levels 1-6) at every iteration count 0 … T. */
  records: GrcnnAccuracyRecord[];
}

/** What the GRCNN stage produced. */
export interface GatedStageResult {
  runs: GrcnnRun[];
  /** Sum of the runs' compute seconds. */
  computeSeconds: number;
}

function gatedDir(profile: Profile): string {
  return path.join(runDir(profile), 'gated');
}

/** The cache key of network `network` of a variant: seed `profile.seed + network`. */
export function grcnnKeyOf(profile: Profile, gated: boolean, network: number): GrcnnKey {
  const g = profile.gated.grcnn;
  return { arch: 'grcnn', config: { ...g.config, gated }, seed: profile.seed + network, training: g.training, data: mnistIdentity().id };
}

const variantName = (gated: boolean) => (gated ? 'gated' : 'ungated');

async function grcnnJob(params: Record<string, unknown>): Promise<GrcnnRun> {
  const profile = jobProfile(params);
  const g = profile.gated.grcnn;
  const network = jobIndex(params, 'network', g.networks);
  const gated = params.gated;
  if (typeof gated !== 'boolean') throw new Error(`job parameter 'gated': ${JSON.stringify(gated)}, expected true or false`);
  const calibration = await ensureCalibration(profile, { inProcess: true });
  const key = grcnnKeyOf(profile, gated, network);
  const evalKey = { key, calibration: hashConfig(calibration), statsImages: g.statsImages, evalImages: g.evalImages };
  const file = path.join(gatedDir(profile), `grcnn-eval-${variantName(gated)}-n${network}-${hashConfig(evalKey)}.json`);
  return cachedJson(file, { kind: 'grcnn-evaluation', key: evalKey }, async () => {
    await initBackend();
    const mnist = loadMnist();
    const label = `GRCNN ${variantName(gated)} n${network}`;
    const trained = await trainGrcnn({ config: key.config, training: g.training, seed: key.seed, train: mnist.train, dir: gatedDir(profile), label });
    const start = Date.now();
    const sets = degradedSets(sliceSet(mnist.test, 0, g.evalImages), calibration, mnist.trainMean, ALL_LEVELS);
    const counts = Array.from({ length: g.config.iterations + 1 }, (_, k) => k);
    const progress = createProgress(`evaluate ${label}`, counts.length);
    const accuracy = grcnnAccuracyByIterations(trained.weights, sets.map((s) => s.images), {
      statsImages: mnist.train.images.subarray(0, g.statsImages * NUM_PIXELS),
      statsBatchSize: g.training.batchSize,
      iterations: counts,
      onCount: (i) => progress.update(i + 1, `${counts[i]} iterations`),
  });
  progress.finish();
  disposeWeightTensors(trained.weights);
  const records = counts.flatMap((iterations, i) => sets.map((s, j): GrcnnAccuracyRecord => ({
    gated, network, noise: s.noise, level: s.level, iterations, accuracy: accuracy[i][j], images: s.images.labels.length,
  })));
  const evalSeconds = (Date.now() - start) / 1000;
  const training = trainingSummary(trained.info, g.training);
  const run: GrcnnRun = { gated, network, seed: key.seed, training, evalSeconds, computeSeconds: training.trainSeconds + evalSeconds, records };
  return run;
  });
}

/** The GRCNN phase (needs the calibration): one job per variant (gated, then ungated if asked) and network. */
export function gatedPhases(profile: Profile): Phase[] {
  const g = profile.gated.grcnn;
  const variants = g.ungated ? [true, false] : [true];
  const jobs = variants.flatMap((gated) => Array.from({ length: g.networks }, (_, network): Job => ({
    id: `grcnn-${variantName(gated)}-n${network}`, kind: 'grcnn', params: { profile, gated, network },
  })));
  return [{ name: 'GRCNN training and test-time iterations (needs the calibration)', jobs }];
}

/** Trains and evaluates (or loads) every GRCNN of the profile, after the cores and the calibration it needs. */
export async function ensureGated(profile: Profile, options: RunJobsOptions = {}): Promise<GatedStageResult> {
  await ensureCores(profile, options);
  await ensureCalibration(profile, options);
  const runs: GrcnnRun[] = [];
  for (const phase of gatedPhases(profile)) runs.push(...(await runPhase<GrcnnRun>(phase, options)));
  return { runs, computeSeconds: runs.reduce((s, r) => s + r.computeSeconds, 0) };
}

registerJobKind('grcnn', grcnnJob);

/**
 * The model-recovery stage: can the analyses the paper proposes for real
 * recordings (de-noising, dimensionality) and Brain-Score's predictivity tell
 * which network a recording came from? One job per core records every network
 * of the core once over the test images, clean and with each noise type at
 * level 5 (the activity stage's recording set, `images` per condition), and
 * runs `modelRecovery` (src/analysis/modelRecovery.ts): recordings from FF
 * and the first `sourceInstances` instances of every type, every network a
 * candidate.
 *
 * What a network offers:
 * - the recorded layer (`layer`, r1 or r2) at step 0 and at its last step, on
 *   a pool of {@link RECOVERY_POOL_UNITS} of the layer's units drawn at random
 *   among those that vary over the samples at step 0 (the same pool in every
 *   network; neurons are drawn from it);
 * - for the predictivity metric, each candidate layer at its last step reduced
 *   to its first `components` principal-component scores over the samples
 *   (`principalScores`, tensor backend). PLS on all the scores is PLS on the
 *   layer (it only centres and does not change when its features are rotated),
 *   so with components ≥ samples − 1 nothing is lost; fewer components make
 *   every fit cheaper (the layer has up to 25088 units) at the price of the
 *   small-variance directions.
 * The feedforward core (FF) is a candidate too: its "last step" is step 0.
 *
 * Cached per core as one checked JSON file keyed by the settings and every
 * network's key.
 */
import * as path from 'node:path';
import { initBackend } from '../backend';
import { loadMnist } from '../data/mnist';
import { hashConfig } from '../io/cache';
import { cachedJson } from '../io/lock';
import { createProgress } from '../io/progress';
import { disposeWeights } from '../model/core';
import type { Calibration } from '../noise/calibrate';
import { NOISE_TYPES } from '../noise/degrade';
import { modelRecovery, type PredictivitySummary, predictivitySummary, type RecoveryConfusion, recoveryConfusion, type RecoveryDesign, type RecoveryNetwork, type RecoveryTrial } from '../analysis/modelRecovery';
import { principalScores } from '../analysis/pca';
import { CONDITIONS, networkLabel, recordingSet } from '../recurrence/activity';
import { disposeNetwork, feedforwardNetwork } from '../recurrence/networks';
import { type LayerActivity, LAYER_UNITS, type LayerName, recordActivity } from '../recurrence/recording';
import { RECURRENCE_SPECS, RECURRENCE_TYPES, type RecurrenceType } from '../recurrence/rules';
import { Rng } from '../random';
import { coreKeyOf, ensureCalibration, loadProfileCore } from './cores';
import { type Job, type Phase, registerJobKind, runPhase, type RunJobsOptions } from './jobs';
import { jobIndex, jobProfile, type ModelRecoveryConfig, type Profile, RECOVERY_POOL_UNITS, runDir } from './profiles';
import { buildNetwork, ensureTuning, recurrenceKeyOf, type Tuning } from './recurrence';

/** A candidate network of the experiment: its label and the type it is scored by. */
export interface RecoveryNetworkInfo {
  label: string;
  /** Recurrence type, or `FF` for the feedforward core. */
  group: string;
  /** Principal components each candidate layer kept, in `candidateLayers` order. */
  components: number[];
}

/** One core's model-recovery experiment. */
export interface CoreModelRecovery {
  core: number;
  /** The settings it ran with. */
  settings: ModelRecoveryConfig;
  /** Samples (stimuli): images × conditions. */
  samples: number;
  /** Units of the pool the neurons were drawn from. */
  poolUnits: number;
  networks: RecoveryNetworkInfo[];
  trials: RecoveryTrial[];
  /** Confusion matrices by type, per method, noise level and neuron count. */
  confusion: RecoveryConfusion[];
  computeSeconds: number;
}

function recoveryFile(profile: Profile, core: number, key: unknown): string {
  return path.join(runDir(profile), 'model-recovery', `core${core}-${hashConfig(key)}.json`);
}

/** The recurrent networks of a core in table order: every type's instances. */
function recurrentNetworks(): { type: RecurrenceType; instance: number }[] {
  return RECURRENCE_TYPES.flatMap((type) => Array.from({ length: RECURRENCE_SPECS[type].instances }, (_, instance) => ({ type, instance })));
}

/** The columns `units` of row-major `[samples, width]` data, as `[samples, units.length]`. */
function columns(data: Float32Array, samples: number, width: number, units: Int32Array): Float32Array {
  const out = new Float32Array(samples * units.length);
  for (let i = 0; i < samples; i++) for (let k = 0; k < units.length; k++) out[i * units.length + k] = data[i * width + units[k]!]!;
  return out;
}

/** Up to `count` units of a layer that vary over the samples, at random. */
function unitPool(data: Float32Array, samples: number, width: number, count: number, rng: Rng): Int32Array {
  const varying: number[] = [];
  for (let j = 0; j < width; j++) {
    const first = data[j]!;
    for (let i = 1; i < samples; i++) {
      if (data[i * width + j] !== first) {
        varying.push(j);
        break;
      }
    }
  }
  const order = rng.permutation(varying.length);
  return Int32Array.from({ length: Math.min(count, varying.length) }, (_, k) => varying[order[k]!]!).sort();
}

/** The first `k` columns of row-major `[samples, width]` data. */
function firstColumns(data: Float64Array, samples: number, width: number, k: number): Float64Array {
  const out = new Float64Array(samples * k);
  for (let i = 0; i < samples; i++) out.set(data.subarray(i * width, i * width + k), i * k);
  return out;
}

/** A candidate's layers after recurrence as principal-component scores. */
function candidateLayers(activity: LayerActivity, samples: number, config: ModelRecoveryConfig): RecoveryNetwork['layers'] {
  return config.candidateLayers.map((name: LayerName) => {
    const all = principalScores(activity[name], { samples, units: LAYER_UNITS[name] });
    const rank = all.length / samples;
    const k = Math.min(config.components, rank);
    return { name, data: firstColumns(all, samples, rank, k), columns: k };
  });
}

async function modelRecoveryJob(params: Record<string, unknown>): Promise<CoreModelRecovery> {
  const profile = jobProfile(params);
  const core = jobIndex(params, 'core', profile.cores);
  const calibration = await ensureCalibration(profile, { inProcess: true });
  const tuning = await ensureTuning(profile);
  const networks = recurrentNetworks();
  const key = {
    core: coreKeyOf(profile, core), settings: profile.modelRecovery, pool: RECOVERY_POOL_UNITS, seed: profile.seed, calibration: hashConfig(calibration),
    predictive: profile.recurrence.predictive, tuning: { surround: tuning.surround, gradStep: tuning.gradStep },
    trained: networks.filter((n) => RECURRENCE_SPECS[n.type].init).map((n) => hashConfig(recurrenceKeyOf(profile, core, n.type, n.instance, calibration))),
  };
  return cachedJson(recoveryFile(profile, core, key), { kind: 'model-recovery', key }, () => recordAndRecover(profile, core, calibration, tuning));
}

/** Records every network of a core once and runs the model-recovery experiment on the recordings. */
async function recordAndRecover(profile: Profile, core: number, calibration: Calibration, tuning: Tuning): Promise<CoreModelRecovery> {
  const config = profile.modelRecovery;
  const t0 = Date.now();
  await initBackend();
  const mnist = loadMnist();
  const coreWeights = loadProfileCore(profile, core);
  const set = recordingSet(mnist, calibration, config.images);
  const samples = set.labels.length;
  const width = LAYER_UNITS[config.layer];
  const networks = recurrentNetworks();
  const progress = createProgress(`model recovery core ${core}: recording`, networks.length + 1);
  const ff = feedforwardNetwork(coreWeights);
  const first = recordActivity(ff, set.pixels, set.labels, [0]).get(0)!;
  disposeNetwork(ff);
  const pool = unitPool(first[config.layer], samples, width, RECOVERY_POOL_UNITS, Rng.keyed(profile.seed, core, 0x9e0));
  const ffUnits = columns(first[config.layer], samples, width, pool);
  const recovery: RecoveryNetwork[] = [{ label: 'FF', group: 'FF', ff: ffUnits, rec: ffUnits, layers: candidateLayers(first, samples, config) }];
  progress.update(1, 'FF');
  for (const [k, { type, instance }] of networks.entries()) {
    const net = buildNetwork(profile, core, type, instance, calibration, tuning, coreWeights);
    const last = recordActivity(net, set.pixels, set.labels, [net.timeSteps - 1]).get(net.timeSteps - 1)!;
    disposeNetwork(net);
    recovery.push({ label: networkLabel(type, instance), group: type, ff: ffUnits, rec: columns(last[config.layer], samples, width, pool), layers: candidateLayers(last, samples, config) });
    progress.update(k + 2, networkLabel(type, instance));
  }
  disposeWeights(coreWeights);
  progress.finish(`${recovery.length} networks recorded`);
  const images = set.images;
  const noisy = NOISE_TYPES.flatMap((_, kind) => Array.from({ length: images }, (_, i) => ({ clean: i, noisy: (kind + 1) * images + i, kind })));
  const design: RecoveryDesign = {
    samples, units: pool.length, categories: set.conditions,
    pairs: { clean: noisy.map((p) => p.clean), noisy: noisy.map((p) => p.noisy), kind: noisy.map((p) => p.kind), kinds: CONDITIONS.length - 1 },
  };
  const sources = ['FF', ...networks.filter((n) => n.instance < config.sourceInstances).map((n) => networkLabel(n.type, n.instance))];
  const trialCount = sources.length * config.noiseLevels.length * config.neurons.length * config.replicates;
  const scoring = createProgress(`model recovery core ${core}: scoring`, trialCount);
  const trials = modelRecovery(recovery, design, {
    sources, noiseLevels: config.noiseLevels, neurons: config.neurons, repetitions: config.repetitions, replicates: config.replicates, splits: config.splits, seed: profile.seed + core,
    onTrial: (done) => scoring.update(done),
  });
  scoring.finish(`${trials.length} recordings`);
  return {
    core, settings: config, samples, poolUnits: pool.length,
    networks: recovery.map((n) => ({ label: n.label, group: n.group, components: n.layers.map((l) => l.columns) })),
    trials, confusion: recoveryConfusion(trials, recovery), computeSeconds: (Date.now() - t0) / 1000,
  };
}

/** The predictivity scores behind the identifications (recorded network, winner, ceiling), over every core's trials. */
export function recoveryPredictivity(cores: readonly CoreModelRecovery[]): PredictivitySummary[] {
  if (cores.length === 0) return [];
  return predictivitySummary(cores.flatMap((c) => c.trials), cores[0]!.networks.map((n) => n.label));
}

/** Phase: one model-recovery job per core (needs the recurrence stage's weights and tuning). */
export function modelRecoveryPhase(profile: Profile): Phase {
  return { name: 'model recovery', jobs: Array.from({ length: profile.cores }, (_, core): Job => ({ id: `model-recovery-c${core}`, kind: 'model-recovery', params: { profile, core } })) };
}

/** Runs (or loads) every core's model-recovery experiment. */
export function ensureModelRecovery(profile: Profile, options: RunJobsOptions = {}): Promise<CoreModelRecovery[]> {
  return runPhase<CoreModelRecovery>(modelRecoveryPhase(profile), options);
}

registerJobKind('model-recovery', modelRecoveryJob);

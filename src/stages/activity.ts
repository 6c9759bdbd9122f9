/**
 * The activity stage (sections 2.2-2.5): one job per core runs every network
 * of the core once over the recording set and computes every behavioural and
 * neural-activity analysis from those recordings (`recurrence/activity`). The
 * networks of a core run one after another in the same job, so the
 * cross-network analyses have every network's layer-1 influence in memory
 * without writing them to disk. The result is cached as one checked JSON file
 * per core, keyed by the configuration and every network's key.
 */
import * as path from 'node:path';
import { initBackend } from '../backend';
import { loadMnist } from '../data/mnist';
import { hashConfig } from '../io/cache';
import { cachedJson } from '../io/lock';
import type { Calibration } from '../noise/calibrate';
import { createProgress } from '../io/progress';
import { disposeWeights } from '../model/core';
import { Analysed, analyseNetwork, compareNetworks, CoreActivity, FB_PC_MIDDLE_STEP, feedforwardContext, feedforwardProjections, networkLabel, recordingSet } from '../recurrence/activity';
import { PAPER_UNIT_FRACTION } from '../recurrence/layers';
import { disposeNetwork, feedforwardNetwork } from '../recurrence/networks';
import { recordActivity } from '../recurrence/recording';
import { RECURRENCE_SPECS, RECURRENCE_TYPES, RecurrenceType } from '../recurrence/rules';
import { coreKeyOf, ensureCalibration, loadProfileCore } from './cores';
import { Job, Phase, registerJobKind, runPhase, RunJobsOptions } from './jobs';
import { jobIndex, jobProfile, Profile, runDir } from './profiles';
import { buildNetwork, ensureTuning, recurrenceKeyOf, Tuning } from './recurrence';

/** Version of the cached summary's layout: part of the key, so a summary of another layout is rebuilt, never read. */
const ACTIVITY_FORMAT = 2;

function activityFile(profile: Profile, core: number, key: unknown): string {
  return path.join(runDir(profile), 'activity', `core${core}-${hashConfig(key)}.json`);
}

/** The networks of a core in matrix order: every type's instances in table order. */
function networksOfCore(): { network: RecurrenceType; instance: number }[] {
  return RECURRENCE_TYPES.flatMap((network) => Array.from({ length: RECURRENCE_SPECS[network].instances }, (_, instance) => ({ network, instance })));
}

async function activityJob(params: Record<string, unknown>): Promise<CoreActivity> {
  const profile = jobProfile(params);
  const core = jobIndex(params, 'core', profile.cores);
  const calibration = await ensureCalibration(profile, { inProcess: true });
  const tuning = await ensureTuning(profile);
  const networks = networksOfCore();
  const key = {
    format: ACTIVITY_FORMAT, core: coreKeyOf(profile, core), activity: profile.activity, unitFraction: PAPER_UNIT_FRACTION, calibration: hashConfig(calibration), predictive: profile.recurrence.predictive,
    tuning: { surround: tuning.surround, gradStep: tuning.gradStep },
    trained: networks.filter((n) => RECURRENCE_SPECS[n.network].init).map((n) => hashConfig(recurrenceKeyOf(profile, core, n.network, n.instance, calibration))),
  };
  const file = activityFile(profile, core, key);
  return cachedJson(file, { kind: 'activity', key }, () => recordAndAnalyse(profile, core, calibration, tuning));
}

/** Records every network of a core once and analyses the recordings. */
async function recordAndAnalyse(profile: Profile, core: number, calibration: Calibration, tuning: Tuning): Promise<CoreActivity> {
  const networks = networksOfCore();
  const t0 = Date.now();
  await initBackend();
  const mnist = loadMnist();
  const coreWeights = loadProfileCore(profile, core);
  const set = recordingSet(mnist, calibration, profile.activity.images);
  const progress = createProgress(`activity core ${core}`, networks.length + 1);
  const ff = feedforwardNetwork(coreWeights);
  const first = recordActivity(ff, set.pixels, set.labels, [0]).get(0)!;
  disposeNetwork(ff);
  const context = feedforwardContext(first, set, { samples: profile.activity.dimensionalitySamples, subsampleFraction: PAPER_UNIT_FRACTION, seed: profile.seed + core });
  progress.update(1, 'feedforward recorded');
  const analysed: Analysed[] = [];
  for (const [k, { network, instance }] of networks.entries()) {
    const net = buildNetwork(profile, core, network, instance, calibration, tuning, coreWeights);
    const lastStep = net.timeSteps - 1;
    const timeSteps = network === 'FB-PC' ? [0, FB_PC_MIDDLE_STEP, lastStep] : [0, lastStep];
    const recorded = recordActivity(net, set.pixels, set.labels, timeSteps.filter((t) => t > 0));
    disposeNetwork(net);
    analysed.push(analyseNetwork({ network, core, instance }, set, first, recorded, timeSteps, context, coreWeights, profile.activity.pcaImages));
    progress.update(k + 2, `${networkLabel(network, instance)}`);
  }
  const comparisons = compareNetworks(analysed);
  progress.finish(`${analysed.length} networks`);
  disposeWeights(coreWeights);
  return {
    core, images: set.images, labels: Array.from(set.labels), conditions: Array.from(set.conditions),
    ...feedforwardProjections(context, first),
    networks: analysed.map((a) => a.summary), labelsOfNetworks: networks.map((n) => networkLabel(n.network, n.instance)),
    ...comparisons, computeSeconds: (Date.now() - t0) / 1000,
  };
}

/** Phase: one activity job per core (needs the recurrence stage's weights and tuning). */
export function activityPhase(profile: Profile): Phase {
  return { name: 'activity recording and analyses', jobs: Array.from({ length: profile.cores }, (_, core): Job => ({ id: `activity-c${core}`, kind: 'activity', params: { profile, core } })) };
}

/** Records (or loads) every core's activity and analyses. */
export function ensureActivity(profile: Profile, options: RunJobsOptions = {}): Promise<CoreActivity[]> {
  return runPhase<CoreActivity>(activityPhase(profile), options);
}

registerJobKind('activity', activityJob);

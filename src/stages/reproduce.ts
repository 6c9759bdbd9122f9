/**
 * `repro reproduce --profile P`: every stage built so far, in order, each
 * cached, writing `data/runs/P/manifest.json`, `data/runs/P/results/*.json`
 * and `figures/P/`.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { BackendInfo, initBackend } from '../backend';
import { ArgumentError, checkNumber } from '../check';
import { loadMnist, mnistIdentity, type MnistIdentity } from '../data/mnist';
import { fig1b, figCalibration } from '../figures/fig1';
import { saveFigure } from '../figures/figure';
import { fig2a } from '../figures/fig2';
import { artefactLedger, type ArtefactRecord, writeFileAtomic } from '../io/cache';
import { Calibration } from '../noise/calibrate';
import { NOISE_TYPES, NoiseType } from '../noise/degrade';
import { levelGainTable } from '../recurrence/accuracy';
import { calibrationPhase, corePhase, CoreSummary, ensureCalibration, ensureCores } from './cores';
import { runFmriStage } from './fmri';
import { Phase, phaseLog } from './jobs';
import { figuresDir, Profile, projectRoot, runDir } from './profiles';
import { ensureRecurrence, recurrenceEvaluationPhase, recurrenceTrainingPhase } from './recurrence';
import { activityPhase, ensureActivity } from './activity';
import { augmentationPhases, ensureAugmentation } from './augmentation';
import { ensureGated, gatedPhases } from './gated';
import { ensureModelRecovery, modelRecoveryPhase, recoveryPredictivity } from './modelRecovery';
import { figModelRecovery } from '../figures/figRecovery';
import { figAugmentation, figGrcnnIterations } from '../figures/figGated';
import { fig2b, fig2cd } from '../figures/figBehaviour';
import { fig3a, fig3b, fig3c, fig4a, fig4b, fig4c, fig4d, fig4e } from '../figures/figActivity';
import { accuracyClaims, activityClaims, gainClaims, gatedClaims, layerClaims, modelRecoveryClaims, trainingLengthClaims } from '../recurrence/claims';
import { loadStudies } from './studies';
import { pooledConfusion } from '../analysis/modelRecovery';
import { fig5, fig6, fig7a, fig7b, fig9 } from '../figures/figLayers';

/** A stage's cost in the manifest. */
export interface StageRecord {
  name: string;
  /** Wall time in this run. */
  wallSeconds: number;
  /** Jobs the stage ran (0 for stages that run in this process). */
  jobs: number;
  /**
   * Compute time of everything the stage produced, whenever it was computed:
   * the sum of its jobs' own records (kept in the cache with the results), or
   * the wall time for stages that run in this process.
   */
  computeSeconds: number;
}

/** `data/runs/<profile>/manifest.json`. */
export interface Manifest {
  profile: Profile;
  commit: string | null;
  startedAt: string;
  finishedAt: string;
  wallSeconds: number;
  versions: { node: string; tfjs: string };
  /** The MNIST files used (their identity is part of every cache key). */
  data: MnistIdentity;
  machine: { cpus: number; memoryGiB: number; platform: string };
  backend: BackendInfo;
  /** Seeds used: core k has seed profile.seed + k; noise uses profile.seed. */
  seeds: { cores: number[]; noise: number };
  /** Per stage: this run's wall time and the compute time its results cost (kept across cached re-runs). */
  stages: StageRecord[];
  /** Sum of the stages' compute times: what the whole reproduction costs from scratch on this machine. */
  computeSeconds: number;
  /** Training time of each core when it was trained (possibly by an earlier invocation), seconds. */
  coreTrainSeconds: number[];
  results: string[];
  figures: string[];
  /** Every cache file this run reused or made (relative paths), with the backend that made it. */
  artefacts: ArtefactRecord[];
}

/** Options for {@link reproduce}. */
export interface ReproduceOptions {
  /** Most parallel worker processes (default: CPU count). */
  workers?: number;
}

/**
 * Every job of a reproduction, in phases: the list `reproduce` runs (through
 * the `ensure…` functions, which build the same phases) and `--print-jobs`
 * prints for a cluster scheduler.
 */
export function reproductionPhases(profile: Profile): Phase[] {
  return [corePhase(profile), calibrationPhase(profile), recurrenceTrainingPhase(profile), recurrenceEvaluationPhase(profile), activityPhase(profile), ...gatedPhases(profile), ...augmentationPhases(profile), modelRecoveryPhase(profile)];
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: projectRoot(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** How far each calibrated level landed from its target (validation split). */
export function calibrationErrors(calibration: Calibration): { type: NoiseType; level: number; target: number; accuracy: number; error: number }[] {
  return NOISE_TYPES.flatMap((type) => calibration.types[type].levels.map((l) => ({ type, level: l.level, target: l.target, accuracy: l.accuracy, error: l.accuracy - l.target })));
}

/** Runs every stage of the profile. */
export async function reproduce(profile: Profile, options: ReproduceOptions = {}): Promise<Manifest> {
  const started = new Date();
  const backend = await initBackend();
  const stages: StageRecord[] = [];
  const results: string[] = [];
  const figures: string[] = [];
  const resultsDir = path.join(runDir(profile), 'results');
  const stage = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    const logged = phaseLog.length;
    process.stderr.write(`[repro] stage ${name} (profile ${profile.name})\n`);
    const out = await run();
    const wallSeconds = (Date.now() - t0) / 1000;
    // A phase an earlier stage already ran (e.g. the cores, loaded again by a later stage) is counted there only.
    const seen = new Set(phaseLog.slice(0, logged).map((p) => p.name));
    const phases = phaseLog.slice(logged).filter((p) => !seen.has(p.name));
    stages.push({ name, wallSeconds, jobs: phases.reduce((s, p) => s + p.jobs, 0), computeSeconds: phases.length ? phases.reduce((s, p) => s + p.computeSeconds, 0) : wallSeconds });
    return out;
  };
  const saveResult = (name: string, value: unknown) => {
    const file = path.join(resultsDir, `${name}.json`);
    writeFileAtomic(file, JSON.stringify(value, null, 1));
    results.push(path.relative(projectRoot(), file));
  };
  const jobOptions = { workers: options.workers ?? os.cpus().length };

  const cores = await stage('cores', () => ensureCores(profile, jobOptions));
  saveResult('cores', cores satisfies CoreSummary[]);
  const calibration = await stage('calibration', () => ensureCalibration(profile, jobOptions));
  saveResult('calibration', { ...calibration, errors: calibrationErrors(calibration) });

  await stage('figures-fig1', async () => {
    const mnist = loadMnist();
    for (const fig of [await fig1b(mnist.test, calibration, { fillValue: mnist.trainMean }), await figCalibration(calibration)]) {
      figures.push(path.relative(projectRoot(), saveFigure(fig, figuresDir(profile)).png));
    }
  });

  const fmri = await stage('fmri', () => runFmriStage(profile));
  results.push(path.relative(projectRoot(), fmri.resultsFile));
  figures.push(...fmri.saved.map((f) => path.relative(projectRoot(), f.png)));

  const recurrence = await stage('recurrence', () => ensureRecurrence(profile, jobOptions));
  saveResult('recurrence', { training: recurrence.training, tuning: recurrence.tuning, level5Gain: levelGainTable(recurrence.records, 5) });
  saveResult('recurrence-accuracy', { records: recurrence.records });
  const activity = await stage('activity', () => ensureActivity(profile, jobOptions));
  saveResult('activity', activity.map(({ networks, ...core }) => ({ ...core, networks: networks.map(({ predictions: _p, logitDifference: _l, ...n }) => n) })));
  await stage('figures-fig2-4', async () => {
    const cd = await fig2cd(activity);
    const c3 = await fig3c(activity);
    const e4 = await fig4e(activity);
    const all = [await fig2a(recurrence.records), await fig2b(recurrence.records), cd.c, cd.d, await fig3a(activity[0]!), await fig3b(activity[0]!), c3.figure, await fig4a(activity), await fig4b(activity), await fig4c(activity), await fig4d(activity), e4.figure];
    for (const fig of all) figures.push(path.relative(projectRoot(), saveFigure(fig, figuresDir(profile)).png));
  });
  await stage('figures-fig5-7', async () => {
    const all = [await fig5(activity), await fig6(activity[0]!), await fig7a(activity), await fig7b(activity), await fig9(activity[0]!)];
    for (const fig of all) figures.push(path.relative(projectRoot(), saveFigure(fig, figuresDir(profile)).png));
  });
  const gated = await stage('gated', () => ensureGated(profile, jobOptions));
  saveResult('gated', gated);
  const augmentation = await stage('augmentation', () => ensureAugmentation(profile, jobOptions));
  saveResult('augmentation', augmentation);
  await stage('figures-gated', async () => {
    const label = `profile ${profile.name}`;
    const all = [await figGrcnnIterations(gated.runs.flatMap((r) => r.records), { dataLabel: label }), await figAugmentation({ robustness: augmentation.cores.flatMap((c) => c.robustness), recurrence: augmentation.recurrence }, { dataLabel: label })];
    for (const fig of all) figures.push(path.relative(projectRoot(), saveFigure(fig, figuresDir(profile)).png));
  });
  const recovery = await stage('model-recovery', () => ensureModelRecovery(profile, jobOptions));
  saveResult('model-recovery', recovery);
  await stage('figures-model-recovery', async () => {
    figures.push(path.relative(projectRoot(), saveFigure(await figModelRecovery(recovery, { dataLabel: `profile ${profile.name}` }), figuresDir(profile)).png));
  });
  // The training-length study runs beside the reproduction (`repro study training-length`); its claims join the table when its results exist.
  const lengthStudy = loadStudies(profile).trainingLength;
  const ownClaims = [
    ...gatedClaims({ records: recurrence.records, activity, grcnn: gated.runs.flatMap((r) => r.records), robustness: augmentation.cores.flatMap((c) => c.robustness), augmentedRecurrence: augmentation.recurrence }),
    ...modelRecoveryClaims(pooledConfusion(recovery), recoveryPredictivity(recovery)),
    ...(lengthStudy ? trainingLengthClaims(lengthStudy) : []),
  ];
  saveResult('claims', { claims: [...accuracyClaims(recurrence.records), ...gainClaims(recurrence.records), ...activityClaims(activity), ...layerClaims(activity), ...ownClaims] });

  const finished = new Date();
  const manifest: Manifest = {
    profile,
    commit: gitCommit(),
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    wallSeconds: (finished.getTime() - started.getTime()) / 1000,
    versions: { node: process.version, tfjs: tf.version_core },
    data: mnistIdentity(),
    machine: { cpus: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), platform: `${os.platform()} ${os.arch()}` },
    backend,
    seeds: { cores: cores.map((c) => c.seed), noise: profile.seed },
    stages,
    computeSeconds: stages.reduce((s, x) => s + x.computeSeconds, 0),
    coreTrainSeconds: cores.map((c) => Math.round(c.info.trainSeconds)),
    results,
    figures,
    artefacts: artefactLedger().map((a) => ({ ...a, file: path.relative(projectRoot(), a.file) })),
  };
  writeFileAtomic(path.join(runDir(profile), 'manifest.json'), JSON.stringify(manifest, null, 1));
  return manifest;
}

/** The part of a manifest {@link stageReport} reads. */
export type ManifestCost = Pick<Manifest, 'stages' | 'computeSeconds' | 'wallSeconds'>;

/**
 * Reads a manifest's cost part from `file` (a run's `manifest.json`, or one
 * committed beside its results); an unreadable file or a missing or mistyped
 * field is an error naming the file and the field.
 */
export function readManifestCost(file: string): ManifestCost {
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ArgumentError(`${file}: not a readable JSON manifest (${(err as Error).message.split('\n')[0]})`);
  }
  const bad = (field: string, expected: string) => new ArgumentError(`${file}: field '${field}' must be ${expected}`);
  const finite = (v: unknown, field: string) => checkNumber(v, `${file}: field '${field}'`, {});
  if (!value || typeof value !== 'object') throw bad('(top level)', 'an object');
  const m = value as Record<string, unknown>;
  for (const k of ['wallSeconds', 'computeSeconds']) finite(m[k], k);
  if (!Array.isArray(m.stages)) throw bad('stages', 'an array of stage records');
  m.stages.forEach((s: unknown, i) => {
    const r = (s ?? {}) as Record<string, unknown>;
    if (typeof r.name !== 'string') throw bad(`stages[${i}].name`, 'a string');
    for (const k of ['jobs', 'wallSeconds', 'computeSeconds']) finite(r[k], `stages[${i}].${k}`);
  });
  return m as unknown as ManifestCost;
}

/** The manifest's cost table as text: stage, jobs, wall time, compute time, share of the compute total. */
export function stageReport(manifest: ManifestCost): string {
  const total = manifest.computeSeconds || 1;
  const rows = manifest.stages.map((s) => [s.name, String(s.jobs), s.wallSeconds.toFixed(0), s.computeSeconds.toFixed(0), `${((100 * s.computeSeconds) / total).toFixed(1)} %`]);
  const header = ['stage', 'jobs', 'wall s (this run)', 'compute s', 'share'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), ...rows.map(line), line(['total', '', manifest.wallSeconds.toFixed(0), manifest.computeSeconds.toFixed(0), '100 %'])].join('\n');
}

/**
 * `repro reproduce --profile P`: every stage built so far, in order, each
 * cached, writing `data/runs/P/manifest.json`, `data/runs/P/results/*.json`
 * and `figures/P/`.
 */
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { BackendInfo, initBackend } from '../backend';
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
import { Phase } from './jobs';
import { figuresDir, Profile, projectRoot, runDir } from './profiles';
import { ensureRecurrence, recurrenceEvaluationPhase, recurrenceTrainingPhase } from './recurrence';

/** A stage's timing in the manifest. */
export interface StageRecord {
  name: string;
  seconds: number;
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
  /** Wall time of this invocation per stage (cached work takes little). */
  stages: StageRecord[];
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
  return [corePhase(profile), calibrationPhase(profile), recurrenceTrainingPhase(profile), recurrenceEvaluationPhase(profile)];
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
    process.stderr.write(`[repro] stage ${name} (profile ${profile.name})\n`);
    const out = await run();
    stages.push({ name, seconds: (Date.now() - t0) / 1000 });
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
  await stage('figures-fig2', async () => {
    figures.push(path.relative(projectRoot(), saveFigure(await fig2a(recurrence.records), figuresDir(profile)).png));
  });

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
    coreTrainSeconds: cores.map((c) => Math.round(c.info.trainSeconds)),
    results,
    figures,
    artefacts: artefactLedger().map((a) => ({ ...a, file: path.relative(projectRoot(), a.file) })),
  };
  writeFileAtomic(path.join(runDir(profile), 'manifest.json'), JSON.stringify(manifest, null, 1));
  return manifest;
}

/**
 * The one training loop of the project: SGD with momentum on a set of named
 * parameters, with checkpoints every `checkpointEvery` batches, resume after a
 * kill, a finished file keyed by a configuration hash, and progress. The core
 * (`trainCore`) and every trained recurrence use it; only the loss differs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ArraysExpectation, CacheBinding, hashConfig, loadArraysIfValid, NamedArray, saveArrays } from '../io/cache';
import { createProgress } from '../io/progress';
import { checkNumber } from '../check';

/** Optimiser and schedule of a training run. */
export interface LoopConfig {
  /** Number of SGD updates (minibatches); not the recurrent time steps of `recurrence/`. */
  batches: number;
  /** SGD learning rate. */
  learningRate: number;
  /** SGD momentum (0 = plain SGD). */
  momentum: number;
  /** Batches between checkpoints. */
  checkpointEvery: number;
}

/** Settings of one SGD training run (the core, the recurrent weights, the FB-PC decoder). */
export interface TrainingConfig extends LoopConfig {
  /** Minibatch size. */
  batchSize: number;
  /** Weight init standard deviation (truncated normal). */
  initSd: number;
  /** Training images used (the first n of the 55000-image train split). */
  trainImages: number;
}

/** Checks a schedule's numbers (a profile may come from a job's parameters); `where` prefixes the message. */
export function checkTrainingSchedule(cfg: LoopConfig, where: string): void {
  checkNumber(cfg.batches, `${where}.batches`, { integer: true, min: 1 });
  checkNumber(cfg.learningRate, `${where}.learningRate`, { min: 0, minOpen: true });
  checkNumber(cfg.momentum, `${where}.momentum`, { min: 0, max: 1, maxOpen: true });
  checkNumber(cfg.checkpointEvery, `${where}.checkpointEvery`, { integer: true, min: 1 });
}

/** Checks every number of a training configuration. */
export function checkTrainingConfig(cfg: TrainingConfig, where: string): void {
  checkTrainingSchedule(cfg, where);
  checkNumber(cfg.batchSize, `${where}.batchSize`, { integer: true, min: 1 });
  checkNumber(cfg.initSd, `${where}.initSd`, { min: 0, minOpen: true });
  checkNumber(cfg.trainImages, `${where}.trainImages`, { integer: true, min: 1 });
}

/** What a training run cost and reached (from the training loop's record). */
export interface TrainingSummary {
  batches: number;
  batchSize: number;
  /** Seconds of training when it was trained (summed over resumed sessions; possibly by an earlier run). */
  trainSeconds: number;
  imagesPerSec: number;
  /** Mean loss over the first and the last 100 batches. */
  initialLoss: number;
  finalLoss: number;
}

/** The summary of a finished training loop. */
export function trainingSummary(info: LoopInfo, config: { batches: number; batchSize: number }): TrainingSummary {
  return { batches: config.batches, batchSize: config.batchSize, trainSeconds: info.trainSeconds, imagesPerSec: info.imagesPerSec, initialLoss: info.initialLoss, finalLoss: info.finalLoss };
}

/** What a finished file records about its training. */
export interface LoopInfo {
  hash: string;
  /** Seconds spent training (summed over resumed sessions). */
  trainSeconds: number;
  /** Training throughput of the last session, images per second. */
  imagesPerSec: number;
  /** Mean loss over the last 100 batches. */
  finalLoss: number;
  /** Mean loss over the first 100 batches (to show it fell). */
  initialLoss: number;
  backend: string;
  /** Number of times training resumed from a checkpoint. */
  resumes: number;
}

/** Options for {@link trainLoop}. */
export interface TrainLoopOptions {
  /** What the finished file holds (e.g. `core`); its checkpoint is of kind `<kind>-checkpoint`. */
  kind: string;
  /** Everything that determines the result; both files are bound to its hash. */
  key: unknown;
  /** The finished file; the checkpoint is `<file>.ckpt`. */
  file: string;
  /** Initial values of the trained parameters (called only when no checkpoint exists). */
  init: () => Record<string, tf.Tensor>;
  /** The loss of minibatch number `batch` given the current parameters; images in the batch for throughput. */
  loss: (params: Record<string, tf.Variable>, batch: number) => { loss: tf.Scalar; images: number };
  config: LoopConfig;
  label: string;
  /** Extra fields saved with the info in the finished file. */
  meta?: Record<string, unknown>;
  /** Stop after this many batches of this session (tests use it to simulate a kill). */
  stopAfterBatches?: number;
}

/** Trained parameters and their record. */
export interface LoopResult {
  params: Record<string, tf.Tensor>;
  info: LoopInfo;
}

/** Thrown when training stops early on request (`stopAfterBatches`); the checkpoint is on disk. */
export class TrainingInterrupted extends Error {
  constructor(readonly batch: number) {
    super(`training stopped at batch ${batch}; rerun to resume`);
    this.name = 'TrainingInterrupted';
  }
}

function toArrays(w: Record<string, tf.Tensor>, prefix = ''): Record<string, NamedArray> {
  const out: Record<string, NamedArray> = {};
  for (const [name, t] of Object.entries(w)) out[prefix + name] = { shape: t.shape, data: t.dataSync() as Float32Array };
  return out;
}

function fromArrays(arrays: Record<string, NamedArray>, names: string[], prefix = ''): Record<string, tf.Tensor> {
  return Object.fromEntries(names.map((n) => {
    const a = arrays[prefix + n];
    if (!a) throw new Error(`missing array ${prefix + n}`);
    return [n, tf.tensor(a.data, a.shape)];
  }));
}

/**
 * Loads a finished file's parameters (all arrays) and meta, or null when
 * absent, corrupt, or not the file `expect` describes (then reported and removed).
 */
export function loadTrained(file: string, expect: ArraysExpectation): { params: Record<string, tf.Tensor>; meta: unknown } | null {
  const loaded = loadArraysIfValid(file, expect);
  if (!loaded) return null;
  return { params: fromArrays(loaded.arrays, Object.keys(loaded.arrays)), meta: loaded.meta };
}

/** Saves parameters and meta as a finished file bound to `binding`. */
export function saveTrained(file: string, params: Record<string, tf.Tensor>, binding: CacheBinding, meta: unknown): void {
  saveArrays(file, toArrays(params), binding, meta);
}

/**
 * One SGD-with-momentum update in place: `v ← m·v + g`, `w ← w − lr·v` for
 * every parameter of `vars` (grads keyed by variable name, as `tf.variableGrads` returns them).
 */
export function applySgdMomentum(
  vars: Record<string, tf.Variable>,
  velocity: Record<string, tf.Tensor>,
  grads: tf.NamedTensorMap,
  cfg: Pick<LoopConfig, 'learningRate' | 'momentum'>,
): void {
  for (const [k, w] of Object.entries(vars)) {
    const g = grads[w.name];
    const v0 = velocity[k];
    if (!g || !v0) throw new Error(`applySgdMomentum: no gradient or velocity for ${k}`);
    const v = tf.add(tf.mul(v0, cfg.momentum), g);
    v0.dispose();
    velocity[k] = tf.keep(v);
    w.assign(tf.sub(w, tf.mul(v, cfg.learningRate)));
  }
}

/**
 * Runs (or resumes) SGD with momentum, `v ← m·v + g`, `w ← w − lr·v`, and saves
 * the result. Does not consult the finished file: callers load it first.
 */
export async function trainLoop(options: TrainLoopOptions): Promise<LoopResult> {
  const { config: cfg, file, label } = options;
  const hash = hashConfig(options.key);
  const ckptFile = `${file}.ckpt`;
  let startBatch = 0;
  let trainSeconds = 0;
  let resumes = 0;
  let initialLoss = Number.NaN;
  let init: Record<string, tf.Tensor>;
  let velocity: Record<string, tf.Tensor>;
  checkTrainingSchedule(cfg, `${label}: config`);
  const ckptBinding: CacheBinding = { kind: `${options.kind}-checkpoint`, key: options.key };
  // A checkpoint of another configuration fails the binding check: it is reported, removed, and training starts afresh.
  const ckpt = loadArraysIfValid(ckptFile, ckptBinding);
  if (ckpt) {
    const meta = ckpt.meta as { batch: number; trainSeconds: number; resumes: number; initialLoss: number; names: string[] };
    init = fromArrays(ckpt.arrays, meta.names);
    velocity = fromArrays(ckpt.arrays, meta.names, 'v_');
    startBatch = meta.batch;
    trainSeconds = meta.trainSeconds;
    resumes = meta.resumes + 1;
    initialLoss = meta.initialLoss;
    process.stderr.write(`[repro] resuming ${path.basename(file)} at batch ${startBatch}/${cfg.batches}\n`);
  } else {
    init = options.init();
    velocity = tf.tidy(() => Object.fromEntries(Object.entries(init).map(([k, t]) => [k, tf.zerosLike(t)])));
  }
  const names = Object.keys(init);
  const vars = Object.fromEntries(names.map((k) => [k, tf.variable(init[k]!)])) as Record<string, tf.Variable>;
  tf.dispose(Object.values(init));
  const varList = names.map((k) => vars[k]!);

  const progress = createProgress(label, cfg.batches);
  const losses: number[] = [];
  const firstLosses: number[] = [];
  const sessionStart = Date.now();
  let sessionImages = 0;
  let sessionBatches = 0;
  const checkpoint = (batch: number) => {
    const secs = trainSeconds + (Date.now() - sessionStart) / 1000;
    saveArrays(ckptFile, { ...toArrays(vars), ...toArrays(velocity, 'v_') }, ckptBinding, { batch, trainSeconds: secs, resumes, initialLoss, names });
  };
  const disposeState = () => tf.dispose([...varList, ...Object.values(velocity)]);

  for (let batch = startBatch; batch < cfg.batches; batch++) {
    if (options.stopAfterBatches !== undefined && sessionBatches >= options.stopAfterBatches) {
      checkpoint(batch);
      disposeState();
      throw new TrainingInterrupted(batch);
    }
    let images = 0;
    const loss = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => {
        const out = options.loss(vars, batch);
        images = out.images;
        return out.loss;
      }, varList);
      applySgdMomentum(vars, velocity, grads, cfg);
      return value.dataSync()[0]!;
    });
    if (!Number.isFinite(loss)) {
      disposeState();
      throw new Error(`${label}: loss became ${loss} at batch ${batch}; lower the learning rate`);
    }
    losses.push(loss);
    if (losses.length > 100) losses.shift();
    if (startBatch === 0 && firstLosses.length < 100) firstLosses.push(loss);
    sessionBatches++;
    sessionImages += images;
    const done = batch + 1;
    if (done % cfg.checkpointEvery === 0 && done < cfg.batches) {
      if (startBatch === 0 && Number.isNaN(initialLoss) && firstLosses.length) initialLoss = mean(firstLosses);
      checkpoint(done);
    }
    progress.update(done, `loss ${mean(losses).toFixed(4)} ${(sessionImages / ((Date.now() - sessionStart) / 1000)).toFixed(0)} img/s`);
  }
  if (Number.isNaN(initialLoss) && firstLosses.length) initialLoss = mean(firstLosses);
  const seconds = (Date.now() - sessionStart) / 1000;
  const info: LoopInfo = {
    hash,
    trainSeconds: trainSeconds + seconds,
    imagesPerSec: sessionImages / Math.max(1e-9, seconds),
    finalLoss: mean(losses),
    initialLoss,
    backend: tf.getBackend(),
    resumes,
  };
  progress.finish(`loss ${mean(firstLosses.length ? firstLosses : losses).toFixed(4)} → ${info.finalLoss.toFixed(4)}`);
  const params = tf.tidy(() => Object.fromEntries(names.map((k) => [k, tf.clone(vars[k]!)])));
  disposeState();
  // The finished file first, then the checkpoint goes: a kill in between loses nothing.
  saveTrained(file, params, { kind: options.kind, key: options.key }, { ...options.meta, ...info });
  fs.rmSync(ckptFile, { force: true });
  return { params, info };
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
}

/**
 * Training of the feedforward core on clean MNIST (Methods 4.1): minibatch SGD
 * on the cross-entropy, truncated-normal init. Checkpoints every
 * `checkpointEvery` steps and resumes from the last checkpoint after a kill;
 * the finished weights are cached under a hash of the configuration.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ImageSet, NUM_PIXELS } from '../data/mnist';
import { Rng } from '../random';
import { hashConfig, loadArraysIfValid, NamedArray, saveArrays } from '../run/cache';
import { CoreTrainingConfig } from '../run/profiles';
import { createProgress } from '../run/progress';
import { CORE_PARAM_NAMES, CORE_PARAM_SHAPES, CoreParamName, CoreWeights, mapCoreWeights, coreLogits, crossEntropy, initCoreWeights } from './core';

/** Everything that determines a trained core; its hash keys the cache. */
export interface CoreKey {
  arch: 'table1';
  seed: number;
  training: CoreTrainingConfig;
}

/** What the cache records about a trained core. */
export interface CoreTrainingInfo {
  key: CoreKey;
  hash: string;
  /** Seconds spent training (summed over resumed sessions). */
  trainSeconds: number;
  /** Training throughput, images per second. */
  imagesPerSec: number;
  /** Mean loss over the last 100 steps. */
  finalLoss: number;
  /** Backend used. */
  backend: string;
  /** Number of times training resumed from a checkpoint. */
  resumes: number;
}

/** A trained core and its record. */
export interface TrainedCore {
  weights: CoreWeights;
  info: CoreTrainingInfo;
}

/** Options for {@link trainCore}. */
export interface TrainCoreOptions {
  training: CoreTrainingConfig;
  seed: number;
  /** Training images (clean). */
  train: ImageSet;
  /** Cache directory, e.g. `data/runs/<profile>/cores`. */
  dir: string;
  /** Label for progress lines. */
  label?: string;
  /** Stop after this many steps of this session (tests use it to simulate a kill). */
  stopAfterSteps?: number;
}

/** File of the finished core for a key. */
export function coreFile(dir: string, key: CoreKey): string {
  return path.join(dir, `core-s${key.seed}-${hashConfig(key)}.rvt`);
}

function toArrays(w: Record<string, tf.Tensor>, prefix = ''): Record<string, NamedArray> {
  const out: Record<string, NamedArray> = {};
  for (const [name, t] of Object.entries(w)) out[prefix + name] = { shape: t.shape, data: t.dataSync() as Float32Array };
  return out;
}

function weightsFromArrays(arrays: Record<string, NamedArray>, file: string, prefix = ''): CoreWeights {
  const w = {} as CoreWeights;
  for (const name of CORE_PARAM_NAMES) {
    const a = arrays[prefix + name];
    const shape = [...CORE_PARAM_SHAPES[name]];
    if (!a || a.shape.join('x') !== shape.join('x')) {
      throw new Error(`${file}: ${prefix + name} should have shape [${shape}], found ${a ? `[${a.shape}]` : 'nothing'}`);
    }
    w[name] = tf.tensor(a.data, shape);
  }
  return w;
}

/** Loads a finished core from the cache, or null when absent or invalid. */
export function loadCore(dir: string, key: CoreKey): TrainedCore | null {
  const file = coreFile(dir, key);
  const loaded = loadArraysIfValid(file);
  if (!loaded) return null;
  return { weights: weightsFromArrays(loaded.arrays, file), info: loaded.meta as CoreTrainingInfo };
}

/** Saves weights as a finished core (used by training and by tests). */
export function saveCore(dir: string, key: CoreKey, weights: CoreWeights, info: CoreTrainingInfo): void {
  saveArrays(coreFile(dir, key), toArrays(weights), info);
}

/** Image indices of minibatch `step`: a fresh seeded permutation each epoch. */
export function batchIndices(seed: number, step: number, batchSize: number, n: number): Int32Array {
  const perEpoch = Math.floor(n / batchSize);
  const epoch = Math.floor(step / perEpoch);
  const perm = permutationCache.get(seed, epoch, n);
  const start = (step % perEpoch) * batchSize;
  return perm.subarray(start, start + batchSize);
}

const permutationCache = {
  key: '',
  perm: new Int32Array(0),
  get(seed: number, epoch: number, n: number): Int32Array {
    const k = `${seed}:${epoch}:${n}`;
    if (k !== this.key) {
      this.key = k;
      this.perm = Rng.keyed(seed, 0x5eed, epoch).permutation(n);
    }
    return this.perm;
  },
};

/** Copies the images and labels of `indices` into a batch. */
export function gatherBatch(set: ImageSet, indices: Int32Array): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const pixels = new Float32Array(indices.length * NUM_PIXELS);
  const labels = new Int32Array(indices.length);
  indices.forEach((idx, i) => {
    pixels.set(set.images.subarray(idx * NUM_PIXELS, (idx + 1) * NUM_PIXELS), i * NUM_PIXELS);
    labels[i] = set.labels[idx]!;
  });
  return { x: tf.tensor4d(pixels, [indices.length, 28, 28, 1]), y: tf.tensor1d(labels, 'int32') };
}

/**
 * Trains a core (or loads it from the cache). Resumes from a checkpoint when
 * one exists for the same key.
 */
export async function trainCore(options: TrainCoreOptions): Promise<TrainedCore> {
  const { training: cfg, seed, train, dir } = options;
  const key: CoreKey = { arch: 'table1', seed, training: cfg };
  const cached = loadCore(dir, key);
  if (cached) return cached;
  const file = coreFile(dir, key);
  const ckptFile = `${file}.ckpt`;
  const n = Math.min(cfg.trainImages, train.n);
  if (n < cfg.batchSize) throw new Error(`trainCore: ${n} training images is fewer than one batch of ${cfg.batchSize}`);

  let startStep = 0;
  let trainSeconds = 0;
  let resumes = 0;
  let init: CoreWeights;
  let velocity: CoreWeights;
  const ckpt = loadArraysIfValid(ckptFile);
  if (ckpt) {
    const meta = ckpt.meta as { step: number; trainSeconds: number; resumes: number; hash: string };
    if (meta.hash !== hashConfig(key)) throw new Error(`${ckptFile}: checkpoint belongs to another configuration`);
    init = weightsFromArrays(ckpt.arrays, ckptFile);
    velocity = weightsFromArrays(ckpt.arrays, ckptFile, 'v_');
    startStep = meta.step;
    trainSeconds = meta.trainSeconds;
    resumes = meta.resumes + 1;
    process.stderr.write(`[repro] resuming ${path.basename(file)} at step ${startStep}/${cfg.steps}\n`);
  } else {
    init = initCoreWeights(seed, cfg.initSd);
    velocity = tf.tidy(() => mapCoreWeights((k) => tf.zerosLike(init[k])));
  }
  const vars = mapCoreWeights((k) => tf.variable(init[k])) as Record<CoreParamName, tf.Variable>;
  for (const t of Object.values(init)) t.dispose();
  const weights: CoreWeights = vars;

  const sgdStep = makeSgdStep(vars, velocity, cfg);
  const label = options.label ?? `core s${seed}`;
  const progress = createProgress(label, cfg.steps);
  const losses: number[] = [];
  const sessionStart = Date.now();
  let sessionSteps = 0;
  const checkpoint = (step: number) => {
    const secs = trainSeconds + (Date.now() - sessionStart) / 1000;
    saveArrays(ckptFile, { ...toArrays(weights), ...toArrays(velocity, 'v_') }, { step, trainSeconds: secs, resumes, hash: hashConfig(key) });
  };

  for (let step = startStep; step < cfg.steps; step++) {
    if (options.stopAfterSteps !== undefined && sessionSteps >= options.stopAfterSteps) {
      checkpoint(step);
      tf.dispose([...Object.values(vars), ...Object.values(velocity)]);
      throw new TrainingInterrupted(step);
    }
    const { x, y } = gatherBatch(train, batchIndices(seed, step, cfg.batchSize, n));
    const loss = sgdStep(x, y);
    tf.dispose([x, y]);
    if (!Number.isFinite(loss)) throw new Error(`trainCore(${label}): loss became ${loss} at step ${step}; lower the learning rate`);
    losses.push(loss);
    if (losses.length > 100) losses.shift();
    sessionSteps++;
    const done = step + 1;
    if (done % cfg.checkpointEvery === 0 && done < cfg.steps) checkpoint(done);
    const rate = (sessionSteps * cfg.batchSize) / ((Date.now() - sessionStart) / 1000);
    progress.update(done, `loss ${mean(losses).toFixed(4)} ${rate.toFixed(0)} img/s`);
  }
  trainSeconds += (Date.now() - sessionStart) / 1000;
  const info: CoreTrainingInfo = {
    key,
    hash: hashConfig(key),
    trainSeconds,
    imagesPerSec: (sessionSteps * cfg.batchSize) / Math.max(1e-9, (Date.now() - sessionStart) / 1000),
    finalLoss: mean(losses),
    backend: tf.getBackend(),
    resumes,
  };
  progress.finish(`loss ${info.finalLoss.toFixed(4)}`);
  const final = tf.tidy(() => mapCoreWeights((k) => tf.clone(vars[k])));
  tf.dispose([...Object.values(vars), ...Object.values(velocity)]);
  saveCore(dir, key, final, info);
  fs.rmSync(ckptFile, { force: true });
  return { weights: final, info };
}

/**
 * One SGD-with-momentum step on the core's cross-entropy, `v ← m·v + g`,
 * `w ← w − lr·v`, updating `vars` and `velocity` in place; returns the loss.
 * The benchmark times exactly this function.
 */
export function makeSgdStep(
  vars: Record<CoreParamName, tf.Variable>,
  velocity: CoreWeights,
  cfg: Pick<CoreTrainingConfig, 'learningRate' | 'momentum'>,
): (x: tf.Tensor4D, y: tf.Tensor1D) => number {
  const varList = CORE_PARAM_NAMES.map((k) => vars[k]);
  return (x, y) =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => crossEntropy(coreLogits(vars, x), y), varList);
      for (const k of CORE_PARAM_NAMES) {
        const v = tf.add(tf.mul(velocity[k], cfg.momentum), grads[vars[k].name]!);
        velocity[k].dispose();
        velocity[k] = tf.keep(v);
        vars[k].assign(tf.sub(vars[k], tf.mul(v, cfg.learningRate)));
      }
      return value.dataSync()[0]!;
    });
}

/** Thrown when training stops early on request (`stopAfterSteps`); the checkpoint is on disk. */
export class TrainingInterrupted extends Error {
  constructor(readonly step: number) {
    super(`training stopped at step ${step}; rerun to resume`);
    this.name = 'TrainingInterrupted';
  }
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
}

/**
 * Training of the feedforward core on clean MNIST (Methods 4.1): minibatch SGD
 * on the cross-entropy, truncated-normal init. Checkpoints every
 * `checkpointEvery` batches and resumes from the last checkpoint after a kill;
 * the finished weights are cached under a hash of the configuration.
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ImageSet, NUM_PIXELS } from '../data/mnist';
import { Rng } from '../random';
import { checkNumber } from '../check';
import { hashConfig } from '../io/cache';
import { buildOnce } from '../io/lock';
import { applySgdMomentum, checkTrainingConfig, LoopInfo, loadTrained, TrainingConfig, trainLoop } from './trainLoop';
import { CORE_PARAM_NAMES, CORE_PARAM_SHAPES, CoreParamName, CoreWeights, mapCoreWeights, coreLogits, crossEntropy, initCoreWeights } from './core';

/** Training settings of the feedforward core. */
export type CoreTrainingConfig = TrainingConfig;

/** Everything that determines a trained core; its hash keys the cache. */
export interface CoreKey {
  arch: 'table1';
  seed: number;
  training: CoreTrainingConfig;
  /** Identity of the training data (`ImageSet.dataset`). */
  data: string;
}

/** What the cache records about a trained core. */
export interface CoreTrainingInfo extends LoopInfo {
  key: CoreKey;
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
  /** Stop after this many batches of this session (tests use it to simulate a kill). */
  stopAfterBatches?: number;
}

/** File of the finished core for a key. */
export function coreFile(dir: string, key: CoreKey): string {
  return path.join(dir, `core-s${key.seed}-${hashConfig(key)}.rvt`);
}

/** The parameters as core weights (the loader has checked the names and shapes). */
function asCoreWeights(params: Record<string, tf.Tensor>): CoreWeights {
  return mapCoreWeights((k) => {
    const t = params[k];
    if (!t) throw new Error(`core weights: no parameter ${k}`);
    return t;
  });
}

/**
 * Loads a finished core from the cache, or null when absent or invalid: a
 * file of another kind or key, or with other shapes, is reported and removed.
 */
export function loadCore(dir: string, key: CoreKey): TrainedCore | null {
  const loaded = loadTrained(coreFile(dir, key), { kind: 'core', key, shapes: CORE_PARAM_SHAPES });
  if (!loaded) return null;
  return { weights: asCoreWeights(loaded.params), info: loaded.meta as CoreTrainingInfo };
}

/** Image indices of minibatch number `batch`: a fresh seeded permutation each epoch. */
export function batchIndices(seed: number, batch: number, batchSize: number, n: number): Int32Array {
  const perEpoch = Math.floor(n / batchSize);
  const epoch = Math.floor(batch / perEpoch);
  const perm = permutationCache.get(seed, epoch, n);
  const start = (batch % perEpoch) * batchSize;
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
  checkNumber(seed, 'trainCore: seed', { integer: true });
  checkTrainingConfig(cfg, 'trainCore: training');
  const key: CoreKey = { arch: 'table1', seed, training: cfg, data: train.dataset };
  const file = coreFile(dir, key);
  return buildOnce(file, () => loadCore(dir, key), async () => {
    const n = Math.min(cfg.trainImages, train.n);
    if (n < cfg.batchSize) throw new Error(`trainCore: ${n} training images is fewer than one batch of ${cfg.batchSize}`);
    const { params, info } = await trainLoop({
      kind: 'core',
      key,
      file,
      init: () => initCoreWeights(seed, cfg.initSd),
      loss: (vars, batch) => {
        const { x, y } = gatherBatch(train, batchIndices(seed, batch, cfg.batchSize, n));
        return { loss: crossEntropy(coreLogits(vars as unknown as CoreWeights, x), y), images: cfg.batchSize };
      },
      config: cfg,
      label: options.label ?? `core s${seed}`,
      meta: { key },
      stopAfterBatches: options.stopAfterBatches,
    });
    return { weights: asCoreWeights(params), info: { ...info, key } };
  });
}

/**
 * One SGD update of the core on a given batch, the update {@link trainLoop}
 * applies; returns the loss. The benchmark times this function.
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
      applySgdMomentum(vars, velocity, grads, cfg);
      return value.dataSync()[0]!;
    });
}

export { TrainingInterrupted } from './trainLoop';

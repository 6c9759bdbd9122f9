/**
 * Training of the recurrent weights (Methods 4.1). The core stays frozen:
 * only the recurrent parameters are variables.
 *
 * - FB-TT, LR-TT: cross-entropy at the last of 3 time steps, on batches made
 *   of equal fifths of clean images and of each noise type at level 3.
 * - FB-PC: the decoder P is trained to reconstruct r1 from r2 (mean squared
 *   error) on clean images, through the core's feedforward pass.
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ImageSet, NUM_PIXELS, sliceSet } from '../data/mnist';
import { CoreWeights, crossEntropy, coreForward } from '../model/core';
import { batchIndices, gatherBatch } from '../model/trainCore';
import { LoopInfo, loadTrained, trainLoop } from '../model/trainLoop';
import { degradeImages, NOISE_TYPES } from '../noise/degrade';
import { hashConfig } from '../run/cache';
import type { Calibration } from '../run/coreStages';
import type { TrainingConfig } from '../run/profiles';
import { noiseParam } from '../run/coreStages';
import { finalLogits, initRecurrentParams, makeNetwork, predictR1, RecurrenceType } from './networks';

/** Training settings of FB-TT and LR-TT (init s.d. in the paper: .001). */
export interface RecurrenceTrainingConfig extends TrainingConfig {
  /** Noise level of the training mixture (paper: 3). */
  noiseLevel: number;
}

/** Settings of the FB-PC decoder's reconstruction training. */
export type DecoderTrainingConfig = TrainingConfig;

/** Everything that determines a trained set of recurrent weights. */
export interface RecurrenceKey {
  type: RecurrenceType;
  instance: number;
  /** Hash of the core's key. */
  core: string;
  training: RecurrenceTrainingConfig | DecoderTrainingConfig;
  /** Hash of the calibration (task-trained types train on calibrated noise). */
  calibration: string | null;
}

/** A trained set of recurrent weights and its record. */
export interface TrainedRecurrence {
  params: Record<string, tf.Tensor>;
  info: LoopInfo & { key: RecurrenceKey };
}

/** The file of trained weights for a key. */
export function recurrenceFile(dir: string, key: RecurrenceKey): string {
  return path.join(dir, `${key.type}-i${key.instance}-${hashConfig(key)}.rvt`);
}

/** Loads trained recurrent weights, or null when absent or corrupt. */
export function loadRecurrence(dir: string, key: RecurrenceKey): TrainedRecurrence | null {
  const loaded = loadTrained(recurrenceFile(dir, key));
  return loaded ? { params: loaded.params, info: loaded.meta as TrainedRecurrence['info'] } : null;
}

/**
 * A training batch of equal fifths: clean, then each noise type at `level`
 * (Methods 4.1). Image `i` of the batch gets condition `i mod 5`; the noise
 * is keyed like every other noisy image, so it is reproducible.
 */
export function mixtureBatch(train: ImageSet, indices: Int32Array, calibration: Calibration, level: number, fillValue: number): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const pixels = new Float32Array(indices.length * NUM_PIXELS);
  const labels = new Int32Array(indices.length);
  indices.forEach((idx, i) => {
    const one = sliceSet(train, idx, idx + 1);
    const condition = i % (NOISE_TYPES.length + 1);
    const img = condition === 0
      ? one.images
      : degradeImages(one, NOISE_TYPES[condition - 1]!, noiseParam(calibration, NOISE_TYPES[condition - 1]!, level), { seed: calibration.seed, level, fillValue });
    pixels.set(img, i * NUM_PIXELS);
    labels[i] = train.labels[idx]!;
  });
  return { x: tf.tensor4d(pixels, [indices.length, 28, 28, 1]), y: tf.tensor1d(labels, 'int32') };
}

/** Options for {@link trainRecurrence}. */
export interface TrainRecurrenceOptions {
  type: 'FB-TT' | 'LR-TT';
  instance: number;
  core: CoreWeights;
  coreHash: string;
  calibration: Calibration;
  training: RecurrenceTrainingConfig;
  train: ImageSet;
  fillValue: number;
  dir: string;
  label?: string;
  stopAfterSteps?: number;
}

/** Trains FB-TT or LR-TT weights on the noise mixture (or loads them). */
export async function trainRecurrence(options: TrainRecurrenceOptions): Promise<TrainedRecurrence> {
  const { type, instance, core, calibration, training: cfg, train } = options;
  const key: RecurrenceKey = { type, instance, core: options.coreHash, training: cfg, calibration: hashConfig(calibration) };
  const cached = loadRecurrence(options.dir, key);
  if (cached) return cached;
  const n = Math.min(cfg.trainImages, train.n);
  const seed = 1000 * (instance + 1) + (type === 'FB-TT' ? 1 : 2);
  const { params, info } = await trainLoop({
    key,
    file: recurrenceFile(options.dir, key),
    init: () => initRecurrentParams(type, seed, cfg.initSd),
    loss: (vars, step) => {
      const { x, y } = mixtureBatch(train, batchIndices(seed, step, cfg.batchSize, n), calibration, cfg.noiseLevel, options.fillValue);
      const net = makeNetwork(type, core, vars);
      return { loss: crossEntropy(finalLogits(net, x), y), images: cfg.batchSize };
    },
    config: cfg,
    label: options.label ?? `${type} i${instance}`,
    meta: { key },
    stopAfterSteps: options.stopAfterSteps,
  });
  return { params, info: { ...info, key } };
}

/** Options for {@link trainDecoder}. */
export interface TrainDecoderOptions {
  instance: number;
  core: CoreWeights;
  coreHash: string;
  training: DecoderTrainingConfig;
  train: ImageSet;
  dir: string;
  label?: string;
}

/** Mean squared reconstruction error of r1 from r2 on clean images `x`. */
export function reconstructionError(params: Record<string, tf.Tensor>, core: CoreWeights, x: tf.Tensor4D): tf.Scalar {
  return tf.tidy(() => {
    const { r1, r2 } = coreForward(core, x);
    return tf.mean(tf.squaredDifference(predictR1(params, r2), r1)) as tf.Scalar;
  });
}

/** Trains the FB-PC decoder to reconstruct r1 from r2 on clean images (or loads it). */
export async function trainDecoder(options: TrainDecoderOptions): Promise<TrainedRecurrence> {
  const { instance, core, training: cfg, train } = options;
  const key: RecurrenceKey = { type: 'FB-PC', instance, core: options.coreHash, training: cfg, calibration: null };
  const cached = loadRecurrence(options.dir, key);
  if (cached) return cached;
  const n = Math.min(cfg.trainImages, train.n);
  const seed = 1000 * (instance + 1) + 3;
  const { params, info } = await trainLoop({
    key,
    file: recurrenceFile(options.dir, key),
    init: () => initRecurrentParams('FB-PC', seed, cfg.initSd),
    loss: (vars, step) => {
      const { x } = gatherBatch(train, batchIndices(seed, step, cfg.batchSize, n));
      return { loss: reconstructionError(vars, core, x), images: cfg.batchSize };
    },
    config: cfg,
    label: options.label ?? `FB-PC decoder i${instance}`,
    meta: { key },
  });
  return { params, info: { ...info, key } };
}

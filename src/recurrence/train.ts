/**
 * Training of the recurrent weights (Methods 4.1). The core stays frozen:
 * only the recurrent weights are variables. What a type is trained on follows
 * from its origin in {@link RECURRENCE_SPECS}:
 *
 * - task-trained (FB-TT, LR-TT): cross-entropy at the last time step, on
 *   batches made of equal fifths of clean images and of each noise type at
 *   level 3;
 * - reconstruction-trained (FB-PC): the decoder P is trained to reconstruct r1
 *   from r2 (mean squared error) on clean images, through the core's
 *   feedforward pass.
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { checkNumber } from '../check';
import { hashConfig } from '../io/cache';
import { ImageSet, NUM_PIXELS, sliceSet } from '../data/mnist';
import { CoreWeights, crossEntropy } from '../model/core';
import { batchIndices, gatherBatch } from '../model/trainCore';
import { buildOnce } from '../io/lock';
import { checkTrainingConfig, LoopInfo, loadTrained, TrainingConfig, trainLoop } from '../model/trainLoop';
import { Calibration, noiseParam } from '../noise/calibrate';
import { degradeImages, NOISE_TYPES, NUM_LEVELS } from '../noise/degrade';
import { feedforwardPass, finalLogits, makeNetwork } from './networks';
import { PredictiveRule, RECURRENCE_SPECS, RecurrenceType, RuleSettings } from './rules';

/** Training settings of the task-trained types (init s.d. in the paper: .001). */
export interface RecurrenceTrainingConfig extends TrainingConfig {
  /** Noise level of the training mixture (paper: 3). */
  noiseLevel: number;
}

/** Checks every number of the task-trained types' configuration. */
export function checkRecurrenceTrainingConfig(cfg: RecurrenceTrainingConfig, where: string): void {
  checkTrainingConfig(cfg, where);
  checkNumber(cfg.noiseLevel, `${where}.noiseLevel`, { integer: true, min: 1, max: NUM_LEVELS });
}

/** Settings of the FB-PC decoder's reconstruction training. */
export type DecoderTrainingConfig = TrainingConfig;

/** Everything that determines a trained set of recurrent weights; its hash keys the cache. */
export interface RecurrenceKey {
  type: RecurrenceType;
  instance: number;
  /** Seed of the initial weights and of the batch order. */
  seed: number;
  /** Hash of the core's key. */
  core: string;
  training: RecurrenceTrainingConfig | DecoderTrainingConfig;
  /** Hash of the calibration (task-trained types train on calibrated noise); null otherwise. */
  calibration: string | null;
  /** Reconstruction-trained types: whether the decoder rectifies its prediction (it changes what trains; α, λ, β do not). */
  decoderRelu?: boolean;
}

/** A trained set of recurrent weights and its record. */
export interface TrainedRecurrence {
  weights: Record<string, tf.Tensor>;
  info: LoopInfo & { key: RecurrenceKey };
}

/** The seed of instance `instance` of a trained type: distinct per type and instance. */
export function recurrenceSeed(type: RecurrenceType, instance: number): number {
  return 1000 * (instance + 1) + 1 + Object.keys(RECURRENCE_SPECS).indexOf(type);
}

/** The file of trained weights for a key. */
export function recurrenceFile(dir: string, key: RecurrenceKey): string {
  return path.join(dir, `${key.type}-i${key.instance}-${hashConfig(key)}.rvt`);
}

/** Names and shapes of a trained type's weights (from its init). */
function weightShapes(type: RecurrenceType): Record<string, number[]> {
  const init = RECURRENCE_SPECS[type].init;
  if (!init) throw new Error(`${type} has no trained weights`);
  const weights = init(0, 1);
  const shapes = Object.fromEntries(Object.entries(weights).map(([name, t]) => [name, t.shape]));
  tf.dispose(Object.values(weights));
  return shapes;
}

/**
 * Loads trained recurrent weights, or null when absent or invalid: a file of
 * another kind or key, or with other weights, is reported and removed.
 */
export function loadRecurrence(dir: string, key: RecurrenceKey): TrainedRecurrence | null {
  const loaded = loadTrained(recurrenceFile(dir, key), { kind: 'recurrence', key, shapes: weightShapes(key.type) });
  return loaded ? { weights: loaded.params, info: loaded.meta as TrainedRecurrence['info'] } : null;
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

/**
 * Mean squared reconstruction error of r1 from r2 on clean images `x` by an
 * FB-PC rule's decoder (the core's feedforward pass up to layer 2: the head
 * does not enter the loss).
 */
export function reconstructionError(rule: PredictiveRule, core: CoreWeights, x: tf.Tensor4D): tf.Scalar {
  return tf.tidy(() => {
    const { r1, r2 } = feedforwardPass(core, x);
    return tf.mean(tf.squaredDifference(rule.predict(r2), r1)) as tf.Scalar;
  });
}

/** Options for {@link trainRecurrentWeights}. */
export interface TrainRecurrentOptions {
  type: RecurrenceType;
  instance: number;
  core: CoreWeights;
  coreHash: string;
  /** Task-trained types: the levels of the training mixture. */
  calibration: Calibration;
  /** The task-trained config for task-trained types, the decoder's for reconstruction-trained ones. */
  training: RecurrenceTrainingConfig | DecoderTrainingConfig;
  /** Rule settings (FB-PC's options matter only at run time, not for the decoder's training). */
  settings: RuleSettings;
  train: ImageSet;
  /** Fill value of occlusion (the mean training intensity). */
  fillValue: number;
  /** Cache directory. */
  dir: string;
  label?: string;
  stopAfterBatches?: number;
}

/** The cache key of a trained type's weights. */
export function recurrenceKey(options: Pick<TrainRecurrentOptions, 'type' | 'instance' | 'coreHash' | 'calibration' | 'training' | 'settings'>): RecurrenceKey {
  const { type, instance, coreHash, calibration, training, settings } = options;
  const origin = RECURRENCE_SPECS[type].origin;
  return {
    type, instance, seed: recurrenceSeed(type, instance), core: coreHash, training, calibration: origin === 'task-trained' ? hashConfig(calibration) : null,
    ...(origin === 'reconstruction-trained' ? { decoderRelu: settings.predictive.decoderRelu } : {}),
  };
}

/** Trains the weights of a trained type (or loads them from the cache). */
export async function trainRecurrentWeights(options: TrainRecurrentOptions): Promise<TrainedRecurrence> {
  const { type, core, calibration, training: cfg, train, settings } = options;
  const spec = RECURRENCE_SPECS[type];
  if (!spec.init || (spec.origin !== 'task-trained' && spec.origin !== 'reconstruction-trained')) throw new Error(`trainRecurrentWeights: ${type} has no trained weights`);
  const init = spec.init;
  const key = recurrenceKey(options);
  checkTrainingConfig(cfg, `trainRecurrentWeights(${type}): training`);
  const file = recurrenceFile(options.dir, key);
  return buildOnce(file, () => loadRecurrence(options.dir, key), async () => {
    const n = Math.min(cfg.trainImages, train.n);
    const { seed } = key;
    const lossOf = (vars: Record<string, tf.Variable>, batch: number): tf.Scalar => {
      if (spec.origin === 'task-trained') {
        if (!('noiseLevel' in cfg)) throw new Error(`trainRecurrentWeights: ${type} is task-trained and needs a training config with a noiseLevel`);
        const { x, y } = mixtureBatch(train, batchIndices(seed, batch, cfg.batchSize, n), calibration, cfg.noiseLevel, options.fillValue);
        return crossEntropy(finalLogits(makeNetwork(type, core, vars, settings), x), y);
      }
      const rule = spec.rule(vars, settings);
      if (!(rule instanceof PredictiveRule)) throw new Error(`trainRecurrentWeights: ${type} is reconstruction-trained but its rule has no decoder`);
      return reconstructionError(rule, core, gatherBatch(train, batchIndices(seed, batch, cfg.batchSize, n)).x);
    };
    const { params, info } = await trainLoop({
      kind: 'recurrence',
      key,
      file,
      init: () => init(seed, cfg.initSd),
      loss: (vars, batch) => ({ loss: lossOf(vars, batch), images: cfg.batchSize }),
      config: cfg,
      label: options.label ?? `${type} i${options.instance}`,
      meta: { key },
      stopAfterBatches: options.stopAfterBatches,
    });
    return { weights: params, info: { ...info, key } };
  });
}

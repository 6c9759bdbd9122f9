/**
 * Training of the feedforward core of Table 1 with one of Azeglio et al.'s
 * augmentations, through the project's training loop (same init, batch order,
 * optimiser and cache as {@link trainCore}; only the loss of a batch differs):
 *
 * - `none`: the plain core, trained by {@link trainCore} itself (same key, so
 *   a configuration equal to the main cores' reuses them);
 * - `cutmix`: with probability `cutmixProbability` a batch is CutMixed (one λ,
 *   box and partner permutation per batch) and trained on the area-mixed soft
 *   labels; otherwise on the clean batch;
 * - `augmix`: cross-entropy on the clean images plus `jsdWeight` times the
 *   Jensen-Shannon consistency among the predictions on the clean image and two
 *   AugMix draws (AugMix's code: one forward pass over the three, weight 12);
 * - `phase-noise`: each batch blended with phase-randomised digits (another
 *   image's amplitude spectrum, random phases), with a weight drawn per batch
 *   uniformly from [0, `phaseNoiseMaxWeight`]; labels unchanged. Azeglio et al.
 *   blend textures and their phase-randomised copies and fine-tune one GRCL
 *   block at a time; here there is no texture set offline and the whole core
 *   trains from scratch, like the other augmentations.
 *
 * Every draw is keyed by (seed, batch), so a run is reproducible and resumes
 * identically after a checkpoint.
 */
import * as tf from '@tensorflow/tfjs';
import { ImageSet, NUM_CLASSES, NUM_PIXELS } from '../data/mnist';
import { CoreWeights, coreLogits, crossEntropy, initCoreWeights, mapCoreWeights } from '../model/core';
import { batchIndices, CoreKey, CoreTrainingConfig, coreFile, loadCore, trainCore, type TrainCoreOptions } from '../model/trainCore';
import { LoopInfo, trainLoop } from '../model/trainLoop';
import { Rng } from '../random';
import { augmix, JSD_WEIGHT, jsdConsistencyLoss } from './augmix';
import { cutmix, softCrossEntropy } from './cutmix';
import { blendPhaseNoise } from './phaseNoise';

export const AUGMENTATIONS = ['none', 'cutmix', 'augmix', 'phase-noise'] as const;
export type Augmentation = (typeof AUGMENTATIONS)[number];

/** Settings of the augmentations. */
export interface AugmentationSettings {
  /** CutMix: probability that a batch is CutMixed (its reference code uses .5 on CIFAR, 1 on ImageNet). */
  cutmixProbability: number;
  /** AugMix: weight of the Jensen-Shannon consistency loss (AugMix's code: 12). */
  jsdWeight: number;
  /** Phase noise: largest blending weight; each batch draws its weight uniformly from [0, this]. */
  phaseNoiseMaxWeight: number;
}

/** CutMix on half the batches (the small-image setting), AugMix's JSD weight 12, phase-noise weights up to .5. */
export const DEFAULT_AUGMENTATION_SETTINGS: AugmentationSettings = { cutmixProbability: 0.5, jsdWeight: JSD_WEIGHT, phaseNoiseMaxWeight: 0.5 };

export function assertAugmentation(name: string): asserts name is Augmentation {
  if (!(AUGMENTATIONS as readonly string[]).includes(name)) throw new Error(`unknown augmentation '${name}': expected one of ${AUGMENTATIONS.join(', ')}`);
}

/** The key of an augmented core: a core's key plus the augmentation and the one setting it reads. */
export interface AugmentedCoreKey extends CoreKey {
  augmentation: Exclude<Augmentation, 'none'>;
  setting: Partial<AugmentationSettings>;
}

/** The key of a core trained with `augmentation` (`none`: the plain core's key). */
export function augmentedCoreKey(augmentation: Augmentation, settings: AugmentationSettings, seed: number, training: CoreTrainingConfig, data: string): CoreKey | AugmentedCoreKey {
  const core: CoreKey = { arch: 'table1', seed, training, data };
  if (augmentation === 'none') return core;
  const setting = augmentation === 'cutmix' ? { cutmixProbability: settings.cutmixProbability }
    : augmentation === 'augmix' ? { jsdWeight: settings.jsdWeight }
      : { phaseNoiseMaxWeight: settings.phaseNoiseMaxWeight };
  return { ...core, augmentation, setting };
}

/** The stream of augmentation draws, apart from the batch permutation's. */
const AUGMENT_STREAM = 0xa06;

/**
 * The training loss of one batch (`images` `[n, 28, 28]` in [0, 1], integer
 * `labels` `[n]`) under `augmentation`, for the core `weights`; `seed` and
 * `batch` key the draws. Returns the loss and the number of images the
 * forward pass saw (AugMix: 3n).
 */
export function augmentedBatchLoss(
  augmentation: Augmentation, settings: AugmentationSettings, weights: CoreWeights, images: Float32Array, labels: Int32Array, seed: number, batch: number,
): { loss: tf.Scalar; images: number } {
  const n = labels.length;
  const rng = Rng.keyed(seed, batch, AUGMENT_STREAM);
  const asBatch = (pixels: Float32Array, count = n) => tf.tensor4d(pixels, [count, 28, 28, 1]);
  return tf.tidy(() => {
    const y = tf.tensor1d(labels, 'int32');
    if (augmentation === 'cutmix' && rng.uniform() < settings.cutmixProbability) {
      const mixed = cutmix(images, labels, { seed: rng.nextUint32() });
      return { loss: softCrossEntropy(coreLogits(weights, asBatch(mixed.images)), tf.tensor2d(mixed.targets, [n, NUM_CLASSES])), images: n };
    }
    if (augmentation === 'augmix') {
      const all = new Float32Array(3 * images.length);
      all.set(images);
      all.set(augmix(images, { seed: rng.nextUint32() }), images.length);
      all.set(augmix(images, { seed: rng.nextUint32() }), 2 * images.length);
      const logits = coreLogits(weights, asBatch(all, 3 * n));
      const [clean, first, second] = [0, 1, 2].map((k) => tf.slice(logits, [k * n, 0], [n, NUM_CLASSES]));
      const loss = tf.add<tf.Scalar>(crossEntropy(clean, y), tf.mul(jsdConsistencyLoss(clean, first, second), settings.jsdWeight));
      return { loss, images: 3 * n };
    }
    if (augmentation === 'phase-noise') {
      const weight = rng.uniform() * settings.phaseNoiseMaxWeight;
      return { loss: crossEntropy(coreLogits(weights, asBatch(blendPhaseNoise(images, { seed: rng.nextUint32(), weight }).images)), y), images: n };
    }
    return { loss: crossEntropy(coreLogits(weights, asBatch(images)), y), images: n };
  });
}

/** Options of {@link trainAugmentedCore}. */
export interface TrainAugmentedCoreOptions extends TrainCoreOptions {
  augmentation: Augmentation;
  settings: AugmentationSettings;
}

/** A core trained with an augmentation, and its record. */
export interface TrainedAugmentedCore {
  weights: CoreWeights;
  info: LoopInfo & { key: CoreKey | AugmentedCoreKey };
}

/** Trains a core with an augmentation (or loads it from the cache). */
export async function trainAugmentedCore(options: TrainAugmentedCoreOptions): Promise<TrainedAugmentedCore> {
  const { augmentation, settings, training: cfg, seed, train, dir } = options;
  const label = options.label ?? `core s${seed} ${augmentation}`;
  if (augmentation === 'none') return trainCore({ training: cfg, seed, train, dir, label, stopAfterBatches: options.stopAfterBatches });
  const key = augmentedCoreKey(augmentation, settings, seed, cfg, train.dataset);
  const cached = loadCore(dir, key);
  if (cached) return { weights: cached.weights, info: { ...cached.info, key } };
  const n = Math.min(cfg.trainImages, train.n);
  if (n < cfg.batchSize) throw new Error(`trainAugmentedCore: ${n} training images is fewer than one batch of ${cfg.batchSize}`);
  const { params, info } = await trainLoop({
    kind: 'core',
    key,
    file: coreFile(dir, key),
    init: () => initCoreWeights(seed, cfg.initSd),
    loss: (vars, batch) => {
      const { images, labels } = gatherImages(train, batchIndices(seed, batch, cfg.batchSize, n));
      return augmentedBatchLoss(augmentation, settings, coreWeightsOf(vars), images, labels, seed, batch);
    },
    config: cfg,
    label,
    meta: { key },
    stopAfterBatches: options.stopAfterBatches,
  });
  return { weights: coreWeightsOf(params), info: { ...info, key } };
}

/** The images `[n, 28, 28]` and labels of `indices`, as arrays (the augmentations work on arrays). */
function gatherImages(set: ImageSet, indices: Int32Array): { images: Float32Array; labels: Int32Array } {
  const images = new Float32Array(indices.length * NUM_PIXELS);
  const labels = new Int32Array(indices.length);
  indices.forEach((idx, i) => {
    images.set(set.images.subarray(idx * NUM_PIXELS, (idx + 1) * NUM_PIXELS), i * NUM_PIXELS);
    labels[i] = set.labels[idx];
  });
  return { images, labels };
}

/** Core weights from a record of named tensors (the loop's variables or its result). */
function coreWeightsOf(record: Record<string, tf.Tensor>): CoreWeights {
  return mapCoreWeights((name) => {
    const t = record[name];
    if (!t) throw new Error(`trainAugmentedCore: no parameter '${name}' among ${Object.keys(record).join(', ')}`);
    return t;
  });
}

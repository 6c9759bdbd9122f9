/**
 * Training of the small GRCNN (`grcnn.ts`) on clean MNIST with the project's
 * training loop: minibatch SGD with momentum on the cross-entropy, batch norms
 * in training mode, He-normal init (gate convolutions s.d. .01, as the GRCNN
 * code). Checkpoints, resume and the finished file keyed by a hash of the
 * configuration come from {@link trainLoop}. Batch-norm running statistics
 * are not trained state: they are estimated after training, per test-time
 * iteration count, by the evaluation (`evaluate.ts`).
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ImageSet } from '../data/mnist';
import { hashConfig } from '../io/cache';
import { crossEntropy } from './core';
import { GrcnnConfig, grcnnFromRecord, grcnnLogits, grcnnParamsToRecord, GrcnnWeights, initGrcnn } from './grcnn';
import { batchIndices, gatherBatch } from './trainCore';
import { LoopConfig, LoopInfo, loadTrained, trainLoop } from './trainLoop';

/** Settings of one GRCNN training run (no init s.d.: the GRCNN has its own initialisation). */
export interface GrcnnTrainingConfig extends LoopConfig {
  /** Minibatch size (also the batch of the running-statistics estimate). */
  batchSize: number;
  /** Training images used (the first n of the 55000-image train split). */
  trainImages: number;
}

/** Everything that determines a trained GRCNN; its hash keys the cache. */
export interface GrcnnKey {
  arch: 'grcnn';
  config: GrcnnConfig;
  seed: number;
  training: GrcnnTrainingConfig;
  /** Identity of the training data (see `mnistIdentity`). */
  data: string;
}

/** A trained GRCNN (parameters only, no running statistics) and its record. */
export interface TrainedGrcnn {
  weights: GrcnnWeights;
  info: LoopInfo & { key: GrcnnKey };
}

/** Options of {@link trainGrcnn}. */
export interface TrainGrcnnOptions {
  config: GrcnnConfig;
  training: GrcnnTrainingConfig;
  /** Seed of the initial weights and of the batch order. */
  seed: number;
  /** Training images (clean). */
  train: ImageSet;
  /** Cache directory. */
  dir: string;
  label?: string;
  /** Stop after this many batches of this session (tests use it to simulate a kill). */
  stopAfterBatches?: number;
}

/** The file of a trained GRCNN; gated and ungated networks are told apart in the name. */
export function grcnnFile(dir: string, key: GrcnnKey): string {
  return path.join(dir, `grcnn-${key.config.gated === false ? 'ungated' : 'gated'}-s${key.seed}-${hashConfig(key)}.rvt`);
}

/** Loads a trained GRCNN, or null when absent or corrupt; a file that does not fit the configuration is an error naming it. */
export function loadGrcnn(dir: string, key: GrcnnKey): TrainedGrcnn | null {
  const file = grcnnFile(dir, key);
  const loaded = loadTrained(file, { kind: 'grcnn', key });
  if (!loaded) return null;
  try {
    return { weights: grcnnFromRecord(key.config, loaded.params), info: loaded.meta as TrainedGrcnn['info'] };
  } catch (err) {
    tf.dispose(Object.values(loaded.params));
    throw new Error(`${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Trains a GRCNN on clean images (or loads it from the cache); resumes from a checkpoint of the same key. */
export async function trainGrcnn(options: TrainGrcnnOptions): Promise<TrainedGrcnn> {
  const { config, training: cfg, seed, train, dir } = options;
  const key: GrcnnKey = { arch: 'grcnn', config, seed, training: cfg, data: train.dataset };
  const cached = loadGrcnn(dir, key);
  if (cached) return cached;
  const n = Math.min(cfg.trainImages, train.n);
  if (n < cfg.batchSize) throw new Error(`trainGrcnn: ${n} training images is fewer than one batch of ${cfg.batchSize}`);
  const { params, info } = await trainLoop({
    kind: 'grcnn',
    key,
    file: grcnnFile(dir, key),
    init: () => grcnnParamsToRecord(initGrcnn(config, seed)),
    loss: (vars, batch) => {
      const { x, y } = gatherBatch(train, batchIndices(seed, batch, cfg.batchSize, n));
      return { loss: crossEntropy(grcnnLogits(grcnnFromRecord(config, vars), x, { training: true }), y), images: cfg.batchSize };
    },
    config: cfg,
    label: options.label ?? `GRCNN s${seed}`,
    meta: { key },
    stopAfterBatches: options.stopAfterBatches,
  });
  return { weights: grcnnFromRecord(config, params), info: { ...info, key } };
}

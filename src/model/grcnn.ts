/**
 * A small gated recurrent CNN (GRCNN) for MNIST, built like the journal GRCNN
 * code's ImageNet network at a smaller scale:
 *
 * - stem: conv 3x3 (1 → stemChannels, no bias), BN, ReLU, max-pool 2 (28 → 14),
 *   conv 3x3 (stemChannels → stemChannels) — the paper's "two initial
 *   convolutional blocks" (the ImageNet stem's 7x7 stride-2 convolution and its
 *   max-pool become one 3x3 convolution and one 2x pool);
 * - GRCL blocks (`grcl.ts`), each followed but the last by a transition
 *   BN-ReLU-conv 1x1 (channels kept) and a 2x2 average pool (14 → 7 → 3 …).
 *   This is the first of the code's two downsampling branches; the second, a
 *   bottleneck with a strided 3x3 convolution added to it, is left out;
 * - head: BN, ReLU, global average pool, dense → 10 logits.
 *
 * Batch norms run in training mode (batch statistics) while training. For
 * inference mode their running statistics are estimated afterwards with
 * {@link estimateGrcnnRunningStats} (see `batchNorm.ts` for why); alternatively
 * a caller may evaluate with `training: true`, normalising each test batch by its
 * own statistics.
 */
import * as tf from '@tensorflow/tfjs';
import { IMAGE_SIZE, NUM_CLASSES, NUM_PIXELS } from '../data/mnist';
import { Rng } from '../random';
import { assertImageBatch } from './core';
import { batchNorm, BatchNormWeights, estimateRunningStats } from './batchNorm';
import { buildGrcl, grclForward, GrclWeights } from './grcl';
import { buildBatchNorm, buildPreActConv, NormModeOptions, preActConv, PreActConv } from './preActConv';
import { initSource, kaimingNormal, recordSource, WeightSource, weightsToRecords } from './weightSource';

/** One GRCL block of the network. */
export interface GrcnnBlockConfig {
  /** Channels of the block's state. */
  channels: number;
  /** Bottleneck width of its updates A_t. */
  bottleneck: number;
}

/** Sizes of a {@link GrcnnWeights} network. */
export interface GrcnnConfig {
  /** Channels of the stem convolutions. */
  stemChannels: number;
  /** The GRCL blocks in order; each but the last is followed by a transition that halves the resolution. */
  blocks: GrcnnBlockConfig[];
  /** Iterations T of every GRCL with their own weights (the paper: 3). */
  iterations: number;
  /** Channel groups of every GRCL's A_0, B and C (default 1, full convolutions). */
  groups?: number;
  /** False builds the ungated control, GRCLs without B and C (default true). */
  gated?: boolean;
}

/** A small default: two stem convolutions and three GRCLs with T = 3 at 14, 7 and 3 pixels. */
export const GRCNN_MNIST_CONFIG: GrcnnConfig = {
  stemChannels: 16,
  blocks: [
    { channels: 32, bottleneck: 8 },
    { channels: 64, bottleneck: 16 },
    { channels: 128, bottleneck: 32 },
  ],
  iterations: 3,
};

/** The stem: conv1, then BN-ReLU-max-pool, then conv2. */
export interface GrcnnStem {
  /** `[3, 3, 1, stemChannels]`. */
  conv1: tf.Tensor4D;
  /** BN-ReLU (then the pool) and conv `[3, 3, stemChannels, stemChannels]`. */
  conv2: PreActConv;
}

/** The readout: BN-ReLU, global average pool, dense. */
export interface GrcnnHead {
  norm: BatchNormWeights;
  /** `[channels of the last block, 10]`. */
  dense: tf.Tensor2D;
  /** `[10]`. */
  bias: tf.Tensor1D;
}

/** Weights of a GRCNN. */
export interface GrcnnWeights {
  config: GrcnnConfig;
  stem: GrcnnStem;
  blocks: GrclWeights[];
  /** After every block but the last. */
  transitions: PreActConv[];
  head: GrcnnHead;
}

/** Options of {@link grcnnForward} and {@link grcnnLogits}. */
export interface GrcnnForwardOptions extends NormModeOptions {
  /** Iterations run by every GRCL, 0 … T (default T). May differ from training's. */
  iterations?: number;
  /** As in `grclForward`: `'none'` runs every GRCL with σ ≡ 1. */
  gate?: 'sigmoid' | 'none';
}

/** Activity of a forward pass. */
export interface GrcnnTaps {
  /** Each GRCL's output x_t (before its transition), `[batch, size, size, channels]`. */
  blocks: tf.Tensor4D[];
  /** `[batch, 10]`. */
  logits: tf.Tensor2D;
}

function validateConfig(config: GrcnnConfig): void {
  const groups = config.groups ?? 1;
  const sizes: [string, number][] = [
    ['stemChannels', config.stemChannels],
    ['iterations', config.iterations],
    ['groups', groups],
    ...config.blocks.flatMap((b, i): [string, number][] => [[`blocks[${i}].channels`, b.channels], [`blocks[${i}].bottleneck`, b.bottleneck]]),
  ];
  for (const [k, v] of sizes) {
    const min = k === 'iterations' ? 0 : 1;
    if (!Number.isInteger(v) || v < min) throw new Error(`GrcnnConfig.${k} must be an integer ≥ ${min}, got ${v}`);
  }
  if (config.blocks.length < 1) throw new Error('GrcnnConfig.blocks must hold at least one block');
  const channels = [config.stemChannels, ...config.blocks.map((b) => b.channels)];
  if (channels.some((c) => c % groups !== 0)) throw new Error(`GrcnnConfig: ${groups} groups do not divide the channels ${channels.join(', ')}`);
  let size = IMAGE_SIZE / 2;
  for (let i = 1; i < config.blocks.length; i++) size = Math.floor(size / 2);
  if (size < 1) throw new Error(`GrcnnConfig: ${config.blocks.length} blocks halve the 14-pixel maps below one pixel`);
}

/**
 * Builds GRCNN weights from `source`, each tensor named by its property path
 * (`stem.conv1`, `blocks.0.a.2.spatial.filter`, `transitions.0.filter`, `head.dense`, …).
 */
export function buildGrcnn(config: GrcnnConfig, source: WeightSource): GrcnnWeights {
  validateConfig(config);
  const { stemChannels: stem, blocks, iterations, groups = 1, gated = true } = config;
  const last = blocks[blocks.length - 1];
  return {
    config,
    stem: {
      conv1: source.filter('stem.conv1', [3, 3, 1, stem], kaimingNormal(9)),
      conv2: buildPreActConv(source, 'stem.conv2', { inChannels: stem, outChannels: stem, kernel: 3 }),
    },
    blocks: blocks.map((b, i) => buildGrcl({
      inChannels: i === 0 ? stem : blocks[i - 1].channels,
      channels: b.channels,
      bottleneck: b.bottleneck,
      iterations,
      groups,
      gated,
    }, source, `blocks.${i}.`)),
    transitions: blocks.slice(0, -1).map((b, i) => buildPreActConv(source, `transitions.${i}`, { inChannels: b.channels, outChannels: b.channels, kernel: 1 })),
    head: {
      norm: buildBatchNorm(source, 'head.norm', last.channels),
      dense: source.matrix('head.dense', [last.channels, NUM_CLASSES], kaimingNormal(last.channels)),
      bias: source.vector('head.bias', NUM_CLASSES, { kind: 'constant', value: 0 }),
    },
  };
}

/** Fresh weights from a seed (He normal convolutions and readout, gate convolutions sd 0.01); no running statistics. */
export function initGrcnn(config: GrcnnConfig, seed: number): GrcnnWeights {
  return buildGrcnn(config, initSource(new Rng(seed)));
}

/**
 * The trainable parameters by name, for `trainLoop` (a training loop's
 * variables go back through {@link grcnnFromRecord}). The tensors are the
 * weights' own.
 */
export function grcnnParamsToRecord(w: GrcnnWeights): Record<string, tf.Tensor> {
  return weightsToRecords(w).params;
}

/** The running statistics by name (`….running.mean`, `….running.variance`); empty before estimation. */
export function grcnnStatsToRecord(w: GrcnnWeights): Record<string, tf.Tensor> {
  return weightsToRecords(w).stats;
}

/**
 * Typed weights from a record of parameters, and optionally running
 * statistics, named as {@link grcnnParamsToRecord} and {@link grcnnStatsToRecord}
 * name them. The tensors are used, not copied (training variables stay variables).
 */
export function grcnnFromRecord(config: GrcnnConfig, record: Record<string, tf.Tensor>): GrcnnWeights {
  const source = recordSource(record, 'grcnnFromRecord');
  const w = buildGrcnn(config, source);
  source.assertAllUsed();
  return w;
}

/** Every layer's activity for `x` `[batch, 28, 28, 1]`. */
export function grcnnForward(w: GrcnnWeights, x: tf.Tensor4D, options: GrcnnForwardOptions): GrcnnTaps {
  assertImageBatch('grcnnForward', x);
  const mode: NormModeOptions = { training: options.training, observe: options.observe };
  const grclOptions = { ...mode, iterations: options.iterations, gate: options.gate };
  return tf.tidy(() => {
    const s = w.stem;
    const stem1 = tf.conv2d<tf.Tensor4D>(x, s.conv1, 1, 'same');
    const pooled = tf.maxPool(tf.relu(batchNorm(s.conv2.norm, stem1, mode)), 2, 2, 'valid');
    let h = tf.conv2d<tf.Tensor4D>(pooled, s.conv2.filter, 1, 'same');
    const blocks: tf.Tensor4D[] = [];
    w.blocks.forEach((block, i) => {
      h = grclForward(block, h, grclOptions).output;
      blocks.push(h);
      if (i < w.transitions.length) h = tf.avgPool(preActConv(w.transitions[i], h, mode), 2, 2, 'valid');
    });
    const pooledFeatures = tf.mean<tf.Tensor2D>(tf.relu(batchNorm(w.head.norm, h, mode)), [1, 2]);
    const logits = tf.add<tf.Tensor2D>(tf.matMul(pooledFeatures, w.head.dense), w.head.bias);
    return { blocks, logits };
  });
}

/** Logits `[batch, 10]` of `x` `[batch, 28, 28, 1]`. */
export function grcnnLogits(w: GrcnnWeights, x: tf.Tensor4D, options: GrcnnForwardOptions): tf.Tensor2D {
  return tf.tidy(() => grcnnForward(w, x, options).logits);
}

/** Options of {@link estimateGrcnnRunningStats}. */
export interface GrcnnStatsOptions {
  /** Images per batch (statistics are per batch, as in training; use the training batch size). */
  batchSize: number;
  /** Number of batches; default as many whole batches as the images hold. */
  batches?: number;
  /** Iterations to run while estimating (default T). Layers after the GRCLs see the activity of this many. */
  iterations?: number;
  /** As in {@link grcnnForward}. */
  gate?: 'sigmoid' | 'none';
}

/**
 * Sets every batch norm's running statistics to the average batch mean and
 * unbiased batch variance over consecutive batches of `images` `[n, 28, 28]`
 * (PyTorch's `momentum=None` over those batches). Run it after training, and
 * again for each test-time iteration count if the later layers should see
 * statistics of that count. Returns the number of batch norms set.
 */
export function estimateGrcnnRunningStats(w: GrcnnWeights, images: Float32Array, options: GrcnnStatsOptions): number {
  const { batchSize, iterations, gate } = options;
  const n = Math.floor(images.length / NUM_PIXELS);
  if (n * NUM_PIXELS !== images.length) throw new Error(`estimateGrcnnRunningStats: images has ${images.length} values, not a whole number of 28x28 images`);
  if (!Number.isInteger(batchSize) || batchSize < 2) throw new Error(`estimateGrcnnRunningStats: batchSize must be an integer ≥ 2, got ${batchSize}`);
  const batches = options.batches ?? Math.floor(n / batchSize);
  if (batches < 1 || batches * batchSize > n) {
    throw new Error(`estimateGrcnnRunningStats: ${batches} batches of ${batchSize} need ${batches * batchSize} images, got ${n}`);
  }
  return estimateRunningStats((observe, b) => {
    tf.tidy(() => {
      const x = tf.tensor4d(images.subarray(b * batchSize * NUM_PIXELS, (b + 1) * batchSize * NUM_PIXELS), [batchSize, IMAGE_SIZE, IMAGE_SIZE, 1]);
      grcnnForward(w, x, { training: true, observe, iterations, gate });
    });
  }, batches);
}

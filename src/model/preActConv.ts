/**
 * The pre-activation convolution of the GRCNN code: `conv(ReLU(BN(x)))`, with
 * an optional bias and optional channel groups.
 *
 * tfjs has no grouped convolution. Groups are done by splitting the input and
 * the filter's output channels into `groups` parts, convolving each pair and
 * concatenating, which is what a grouped convolution computes (PyTorch's
 * `groups`: output group j sees input group j only). Each group is a separate
 * small convolution, so at MNIST scale full convolutions (`groups = 1`, the
 * default of the builders here) are the sensible choice.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNorm, BatchNormWeights, BatchStatsObserver } from './batchNorm';
import { kaimingNormal, ParamInit, WeightSource } from './weightSource';

/** `conv(ReLU(BN(x)))`, stride 1, same padding. */
export interface PreActConv {
  norm: BatchNormWeights;
  /** `[kernel, kernel, inChannels / groups, outChannels]`. */
  filter: tf.Tensor4D;
  /** `[outChannels]`, or null for no bias. */
  bias: tf.Tensor1D | null;
  /** Number of channel groups (1: a full convolution). */
  groups: number;
}

/** How to build a {@link PreActConv}. */
export interface PreActConvSpec {
  inChannels: number;
  outChannels: number;
  kernel: number;
  groups?: number;
  bias?: boolean;
  /** Filter initialisation; default He normal over the fan-in `kernel²·inChannels/groups`. */
  init?: ParamInit;
}

/** Options shared by every forward pass with batch norms. */
export interface NormModeOptions {
  /** Batch statistics (true) or running statistics (false) in every batch norm. */
  training: boolean;
  /** Receives every batch norm's batch statistics in training mode. */
  observe?: BatchStatsObserver;
}

/** Builds a batch norm over `channels` from `source`: `<name>.gamma` (init 1), `<name>.beta` (init 0), running statistics if the source has them. */
export function buildBatchNorm(source: WeightSource, name: string, channels: number): BatchNormWeights {
  return {
    gamma: source.vector(`${name}.gamma`, channels, { kind: 'constant', value: 1 }),
    beta: source.vector(`${name}.beta`, channels, { kind: 'constant', value: 0 }),
    running: source.stats(name, channels),
  };
}

/** Builds a {@link PreActConv} from `source`, its tensors named `<name>.norm.gamma`, `<name>.filter`, … */
export function buildPreActConv(source: WeightSource, name: string, spec: PreActConvSpec): PreActConv {
  const { inChannels, outChannels, kernel, groups = 1, bias = false } = spec;
  if (inChannels % groups !== 0 || outChannels % groups !== 0) {
    throw new Error(`${name}: ${groups} groups do not divide ${inChannels} input and ${outChannels} output channels`);
  }
  const init = spec.init ?? kaimingNormal(kernel * kernel * (inChannels / groups));
  return {
    norm: buildBatchNorm(source, `${name}.norm`, inChannels),
    filter: source.filter(`${name}.filter`, [kernel, kernel, inChannels / groups, outChannels], init),
    bias: bias ? source.vector(`${name}.bias`, outChannels, { kind: 'constant', value: 0 }) : null,
    groups,
  };
}

/**
 * Convolution of `x` `[batch, height, width, inChannels]` with `filter`
 * `[kh, kw, inChannels / groups, outChannels]` in `groups` channel groups,
 * stride 1, same padding.
 */
export function groupedConv2d(x: tf.Tensor4D, filter: tf.Tensor4D, groups: number): tf.Tensor4D {
  if (x.shape[3] !== filter.shape[2] * groups) {
    throw new Error(`groupedConv2d: x has ${x.shape[3]} channels but the filter [${filter.shape.join(', ')}] in ${groups} groups takes ${filter.shape[2] * groups}`);
  }
  if (groups === 1) return tf.conv2d<tf.Tensor4D>(x, filter, 1, 'same');
  return tf.tidy(() => {
    const xs = tf.split<tf.Tensor4D>(x, groups, 3);
    const fs = tf.split<tf.Tensor4D>(filter, groups, 3);
    return tf.concat(xs.map((xg, g) => tf.conv2d<tf.Tensor4D>(xg, fs[g], 1, 'same')), 3);
  });
}

/** `conv(ReLU(BN(x)))` (+ bias) of `x` `[batch, height, width, inChannels]`. */
export function preActConv(layer: PreActConv, x: tf.Tensor4D, options: NormModeOptions): tf.Tensor4D {
  return tf.tidy(() => {
    const y = groupedConv2d(tf.relu(batchNorm(layer.norm, x, options)), layer.filter, layer.groups);
    return layer.bias ? tf.add(y, layer.bias) : y;
  });
}

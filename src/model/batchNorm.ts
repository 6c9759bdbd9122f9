/**
 * Batch normalisation over `[batch, height, width, channels]` activity, with
 * the two modes of PyTorch's `BatchNorm2d` written out:
 *
 * - training: normalise with the batch's own mean and biased variance;
 * - inference: normalise with stored running statistics.
 *
 * Running statistics are state, not SGD parameters. The project's training loop
 * optimises a set of named variables and keeps no other state, so instead of
 * PyTorch's in-loop exponential average (momentum 0.1 by default, 0.05 in the
 * GRCNN code) the running statistics are estimated after training by
 * {@link estimateRunningStats}: the plain average, over a number of batches, of
 * each batch's mean and unbiased variance. That is PyTorch's `momentum=None`
 * (cumulative moving average) run over those batches in training mode.
 */
import * as tf from '@tensorflow/tfjs';

/** PyTorch's default `eps`, added to the variance before the square root. */
export const BATCH_NORM_EPSILON = 1e-5;

/** Per-channel statistics: mean and unbiased variance, each `[channels]`. */
export interface BatchNormStats {
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

/** One batch-norm layer. */
export interface BatchNormWeights {
  /** Scale, `[channels]` (trained; initialised to 1). */
  gamma: tf.Tensor1D;
  /** Shift, `[channels]` (trained; initialised to 0). */
  beta: tf.Tensor1D;
  /** Running statistics for inference mode; null until estimated. */
  running: BatchNormStats | null;
}

/**
 * Receives a batch norm's batch statistics in training mode (mean and unbiased
 * variance, as PyTorch feeds its running average). The tensors belong to the
 * forward pass: read them inside the call, do not keep them.
 */
export type BatchStatsObserver = (bn: BatchNormWeights, stats: BatchNormStats) => void;

/** Options of {@link batchNorm}. */
export interface BatchNormOptions {
  /** Batch statistics (true) or running statistics (false). */
  training: boolean;
  /** Called with the batch statistics in training mode. */
  observe?: BatchStatsObserver;
}

/** A fresh layer: gamma 1, beta 0, no running statistics. */
export function initBatchNorm(channels: number): BatchNormWeights {
  return { gamma: tf.ones([channels]), beta: tf.zeros([channels]), running: null };
}

/**
 * `γ·(x − μ)/√(σ² + ε) + β` per channel of `x` `[batch, height, width, channels]`,
 * with μ, σ² the batch mean and biased variance (training) or the running
 * statistics (inference).
 */
export function batchNorm(bn: BatchNormWeights, x: tf.Tensor4D, options: BatchNormOptions): tf.Tensor4D {
  const channels = bn.gamma.shape[0];
  if (x.rank !== 4 || x.shape[3] !== channels) {
    throw new Error(`batchNorm: x must have shape [batch, height, width, ${channels}], got [${x.shape.join(', ')}]`);
  }
  return tf.tidy(() => {
    let mean: tf.Tensor;
    let variance: tf.Tensor;
    if (options.training) {
      const n = x.shape[0] * x.shape[1] * x.shape[2];
      if (n < 2) throw new Error(`batchNorm: training mode needs more than one value per channel, got x of shape [${x.shape.join(', ')}]`);
      ({ mean, variance } = tf.moments(x, [0, 1, 2]));
      if (options.observe) {
        options.observe(bn, { mean: mean as tf.Tensor1D, variance: tf.mul(variance, n / (n - 1)) as tf.Tensor1D });
      }
    } else {
      if (!bn.running) throw new Error('batchNorm: inference mode needs running statistics; estimate them first (estimateRunningStats) or use training mode');
      mean = bn.running.mean;
      variance = bn.running.variance;
    }
    const scale = tf.mul(bn.gamma, tf.rsqrt(tf.add(variance, BATCH_NORM_EPSILON)));
    return tf.add(tf.mul(tf.sub(x, mean), scale), bn.beta) as tf.Tensor4D;
  });
}

/**
 * Sets the running statistics of every batch norm that `run` visits to the
 * average over `batches` calls of its batch mean and unbiased batch variance.
 * `run(observe, batch)` must make a training-mode forward pass on batch number
 * `batch` with `observe` passed down. Previous running statistics of the visited
 * layers are disposed; layers not visited are left as they are. Returns the
 * number of layers set.
 */
export function estimateRunningStats(run: (observe: BatchStatsObserver, batch: number) => void, batches: number): number {
  if (!Number.isInteger(batches) || batches < 1) throw new Error(`estimateRunningStats: batches must be a positive integer, got ${batches}`);
  const sums = new Map<BatchNormWeights, { mean: Float64Array; variance: Float64Array; count: number }>();
  const observe: BatchStatsObserver = (bn, stats) => {
    const c = bn.gamma.shape[0];
    let acc = sums.get(bn);
    if (!acc) {
      acc = { mean: new Float64Array(c), variance: new Float64Array(c), count: 0 };
      sums.set(bn, acc);
    }
    const m = stats.mean.dataSync();
    const v = stats.variance.dataSync();
    for (let i = 0; i < c; i++) {
      acc.mean[i] += m[i];
      acc.variance[i] += v[i];
    }
    acc.count++;
  };
  for (let b = 0; b < batches; b++) run(observe, b);
  for (const [bn, acc] of sums) {
    if (bn.running) tf.dispose([bn.running.mean, bn.running.variance]);
    bn.running = {
      mean: tf.tensor1d(Float32Array.from(acc.mean, (s) => s / acc.count)),
      variance: tf.tensor1d(Float32Array.from(acc.variance, (s) => s / acc.count)),
    };
  }
  return sums.size;
}

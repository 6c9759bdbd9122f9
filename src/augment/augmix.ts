/**
 * AugMix (Hendrycks et al. 2020), as its reference code does it per image:
 * `width` chains of `depth` random operations (depth 1 to 3 drawn per chain
 * unless fixed), chain outputs mixed with Dirichlet(α) weights, and the mix
 * blended with the original by m ~ Beta(α, α):
 * `x̃ = (1 − m)·x + m·Σ_i w_i·chain_i(x)`. Operations: `augmixOps.ts`.
 *
 * Training adds the Jensen-Shannon consistency loss between the predictions on
 * the clean image and on two AugMix draws, weighted by {@link JSD_WEIGHT}.
 */
import * as tf from '@tensorflow/tfjs';
import { NUM_PIXELS } from '../data/mnist';
import { Rng } from '../random';
import { AUGMIX_OPS } from './augmixOps';
import { imageCount } from './images';

/** Weight of the Jensen-Shannon consistency loss in AugMix's training loss (its code's `12 * jsd`). */
export const JSD_WEIGHT = 12;

/** Options of {@link augmix}. */
export interface AugmixOptions {
  /** Image i's draws come from `Rng.keyed(seed, i)`. */
  seed: number;
  /** Number of chains; default 3. */
  width?: number;
  /** Operations per chain; default drawn uniformly from 1, 2, 3 for each chain. */
  depth?: number;
  /** Magnitude of the operations, 1 … 10; default 3 (AugMix's CIFAR setting). */
  severity?: number;
  /** Dirichlet and Beta parameter; default 1. */
  alpha?: number;
  /** Fixes m, the weight of the mix against the original, instead of drawing it (0 returns the input). */
  mixWeight?: number;
}

/** AugMix of every image of `images` `[n, 28, 28]` in [0, 1]; the result is in [0, 1]. */
export function augmix(images: Float32Array, options: AugmixOptions): Float32Array {
  const { seed, width = 3, depth, severity = 3, alpha = 1, mixWeight } = options;
  const n = imageCount('augmix', images);
  if (!Number.isInteger(width) || width < 1) throw new Error(`augmix: width must be a positive integer, got ${width}`);
  if (depth !== undefined && (!Number.isInteger(depth) || depth < 1)) throw new Error(`augmix: depth must be a positive integer, got ${depth}`);
  if (!(severity >= 1 && severity <= 10)) throw new Error(`augmix: severity must be in [1, 10], got ${severity}`);
  if (!(alpha > 0)) throw new Error(`augmix: alpha must be positive, got ${alpha}`);
  if (mixWeight !== undefined && !(mixWeight >= 0 && mixWeight <= 1)) throw new Error(`augmix: mixWeight must be in [0, 1], got ${mixWeight}`);
  const out = new Float32Array(images.length);
  for (let i = 0; i < n; i++) {
    const rng = Rng.keyed(seed, i);
    const original = images.subarray(i * NUM_PIXELS, (i + 1) * NUM_PIXELS);
    const weights = rng.dirichlet(new Array<number>(width).fill(alpha));
    const m = mixWeight ?? rng.beta(alpha, alpha);
    const mix = new Float64Array(NUM_PIXELS);
    for (let c = 0; c < width; c++) {
      let image = original.slice();
      const ops = depth ?? 1 + rng.int(3);
      for (let k = 0; k < ops; k++) image = AUGMIX_OPS[rng.int(AUGMIX_OPS.length)].apply(image, severity, rng);
      for (let p = 0; p < NUM_PIXELS; p++) mix[p] += weights[c] * image[p];
    }
    for (let p = 0; p < NUM_PIXELS; p++) {
      // Rounding may step a hair outside [0, 1].
      out[i * NUM_PIXELS + p] = Math.min(1, Math.max(0, (1 - m) * original[p] + m * mix[p]));
    }
  }
  return out;
}

/**
 * The Jensen-Shannon divergence among the softmax predictions of three logits
 * `[batch, classes]`, as AugMix's code computes it: with p_i = softmax(logits_i)
 * and M = (p_1 + p_2 + p_3)/3, `mean_i KL(p_i ‖ M)`, with M clamped to [1e-7, 1]
 * before the log, summed over classes and averaged over the batch. In
 * [0, ln 3]; 0 when the three agree. Unweighted: multiply by {@link JSD_WEIGHT}.
 */
export function jsdConsistencyLoss(logitsClean: tf.Tensor2D, logitsAug1: tf.Tensor2D, logitsAug2: tf.Tensor2D): tf.Scalar {
  const all = [logitsClean, logitsAug1, logitsAug2];
  if (all.some((l) => l.rank !== 2 || l.shape[0] !== logitsClean.shape[0] || l.shape[1] !== logitsClean.shape[1])) {
    throw new Error(`jsdConsistencyLoss: the three logits must have the same shape [batch, classes], got ${all.map((l) => `[${l.shape.join(', ')}]`).join(', ')}`);
  }
  return tf.tidy(() => {
    const logP = all.map((l) => tf.logSoftmax(l));
    const p = logP.map((lp) => tf.exp(lp));
    const logM = tf.log(tf.clipByValue(tf.div(tf.addN(p), 3), 1e-7, 1));
    // KL(p ‖ M) = Σ p (log p − log M); p·log p → 0 where p underflows, as PyTorch's kl_div.
    const kl = p.map((pi, i) => tf.sum(tf.mul(pi, tf.sub(logP[i], logM)), 1));
    return tf.div(tf.mean(tf.addN(kl)), 3) as tf.Scalar;
  });
}

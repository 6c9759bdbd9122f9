/**
 * CutMix (Yun et al. 2019), as its reference code applies it to a batch: one
 * λ ~ Beta(α, α), one box of side ⌊28·√(1 − λ)⌋ pixels (area about 1 − λ) centred
 * on a uniformly drawn pixel and clipped to the image, and one random
 * permutation of the batch; every image gets the box pasted from its partner.
 * Targets mix the two one-hot labels by the area actually pasted after clipping.
 *
 * The reference code's box spans `centre ± ⌊side/2⌋`, an even side; here the
 * box spans exactly `side` pixels before clipping.
 */
import * as tf from '@tensorflow/tfjs';
import { IMAGE_SIZE, NUM_CLASSES, NUM_PIXELS } from '../data/mnist';
import { Rng } from '../random';
import { imageCount } from './images';

/** Options of {@link cutmix}. */
export interface CutMixOptions {
  /** Draws λ, the box centre and the partners. */
  seed: number;
  /** λ ~ Beta(alpha, alpha); default 1 (uniform). */
  alpha?: number;
}

/** Rows `[top, bottom)` and columns `[left, right)` of the pasted box. */
export interface CutMixBox {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/** What {@link cutmix} returns. */
export interface CutMixResult {
  /** `[n, 28, 28]`. */
  images: Float32Array;
  /** Soft labels `[n, 10]`: (1 − pasted)·onehot(own label) + pasted·onehot(partner's label). */
  targets: Float32Array;
  /** Image i's box comes from image `partner[i]`. */
  partner: Int32Array;
  box: CutMixBox;
  /** The drawn λ. */
  lambda: number;
  /** Fraction of the image the box covers after clipping, in [0, 1]. */
  pasted: number;
}

/** CutMix on `images` `[n, 28, 28]` with integer `labels` `[n]` in 0 … 9. */
export function cutmix(images: Float32Array, labels: ArrayLike<number>, options: CutMixOptions): CutMixResult {
  const { seed, alpha = 1 } = options;
  const n = imageCount('cutmix', images);
  if (labels.length !== n) throw new Error(`cutmix: ${n} images but ${labels.length} labels`);
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    if (!Number.isInteger(y) || y < 0 || y >= NUM_CLASSES) throw new Error(`cutmix: label ${y} at index ${i} is not a class 0-${NUM_CLASSES - 1}`);
  }
  if (!(alpha > 0)) throw new Error(`cutmix: alpha must be positive, got ${alpha}`);
  const rng = new Rng(seed);
  const lambda = rng.beta(alpha, alpha);
  const side = Math.floor(IMAGE_SIZE * Math.sqrt(1 - lambda));
  const clip = (v: number) => Math.min(IMAGE_SIZE, Math.max(0, v));
  const cy = rng.int(IMAGE_SIZE);
  const cx = rng.int(IMAGE_SIZE);
  const top = cy - Math.floor(side / 2);
  const left = cx - Math.floor(side / 2);
  const box = { top: clip(top), bottom: clip(top + side), left: clip(left), right: clip(left + side) };
  const pasted = ((box.bottom - box.top) * (box.right - box.left)) / NUM_PIXELS;
  const partner = rng.permutation(n);

  const out = images.slice();
  const targets = new Float32Array(n * NUM_CLASSES);
  for (let i = 0; i < n; i++) {
    const j = partner[i];
    for (let r = box.top; r < box.bottom; r++) {
      const row = r * IMAGE_SIZE;
      out.set(images.subarray(j * NUM_PIXELS + row + box.left, j * NUM_PIXELS + row + box.right), i * NUM_PIXELS + row + box.left);
    }
    targets[i * NUM_CLASSES + labels[i]] += 1 - pasted;
    targets[i * NUM_CLASSES + labels[j]] += pasted;
  }
  return { images: out, targets, partner, box, lambda, pasted };
}

/** Mean cross-entropy of `logits` `[batch, classes]` against soft `targets` `[batch, classes]` (rows summing to 1). */
export function softCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  if (logits.rank !== 2 || targets.rank !== 2 || logits.shape[0] !== targets.shape[0] || logits.shape[1] !== targets.shape[1]) {
    throw new Error(`softCrossEntropy: logits [${logits.shape.join(', ')}] and targets [${targets.shape.join(', ')}] must both be [batch, classes]`);
  }
  return tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(targets, tf.logSoftmax(logits)), 1))) as tf.Scalar);
}

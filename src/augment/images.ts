/** Checks on image batches `[n, 28, 28]` shared by the augmentations. */
import { NUM_PIXELS } from '../data/mnist';

/** Number of images in `images` `[n, 28, 28]`; an error naming `fn` when it is not a whole number. */
export function imageCount(fn: string, images: Float32Array): number {
  if (images.length === 0 || images.length % NUM_PIXELS !== 0) {
    throw new Error(`${fn}: images must have shape [n, 28, 28] with n ≥ 1, got ${images.length} values`);
  }
  return images.length / NUM_PIXELS;
}

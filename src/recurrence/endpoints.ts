/**
 * What a network does between its first and its last time step on a set of
 * images, in one pass: the accuracy at step 0 and at the last step, and the
 * mean recurrent influence on layer 1 (Figure 3C's mean: r1 at the last step
 * minus r1 at step 0, over images and units). The studies of FB-PC's reading
 * and of training length read these; nothing else of the dynamics is kept.
 */
import * as tf from '@tensorflow/tfjs';
import { NUM_PIXELS } from '../data/mnist';
import { disposeTaps, RecurrentNetwork, runDynamics } from './networks';

/** A network's endpoints on a set of images. */
export interface Endpoints {
  /** Fraction classified correctly at step 0 (the feedforward pass), in [0, 1]. */
  firstAccuracy: number;
  /** Fraction classified correctly at the network's last time step, in [0, 1]. */
  lastAccuracy: number;
  /** Mean over images and the 25088 layer-1 units of r1(last) − r1(0). */
  meanInfluence: number;
  images: number;
}

/**
 * {@link Endpoints} of `net` on images `pixels` `[n, 28, 28]` with labels
 * `[n]` (Grads reads them), in batches of `batchSize`.
 */
export function networkEndpoints(net: RecurrentNetwork, pixels: Float32Array, labels: Uint8Array | Int32Array, batchSize = 200): Endpoints {
  const n = labels.length;
  if (n === 0) throw new Error('networkEndpoints: no images');
  if (pixels.length !== n * NUM_PIXELS) throw new Error(`networkEndpoints: pixels must hold ${n} images of ${NUM_PIXELS} pixels (one per label), got ${pixels.length} values`);
  const last = net.timeSteps - 1;
  let first = 0;
  let final = 0;
  let influence = 0;
  for (let s = 0; s < n; s += batchSize) {
    const m = Math.min(batchSize, n - s);
    const [hits0, hitsLast, summed] = tf.tidy(() => {
      const x = tf.tensor4d(pixels.subarray(s * NUM_PIXELS, (s + m) * NUM_PIXELS), [m, 28, 28, 1]);
      const y = tf.tensor1d(labels.subarray(s, s + m), 'int32');
      const taps = runDynamics(net, x, { labels: y, keep: (t) => t === 0 || t === last, headAt: (t) => t === 0 || t === last });
      const hits = (t: (typeof taps)[number]) => tf.sum(tf.cast(tf.equal(tf.argMax(t.logits!, 1), y), 'float32')).dataSync()[0]!;
      const out = [hits(taps[0]!), hits(taps.at(-1)!), tf.sum(tf.sub(taps.at(-1)!.r1, taps[0]!.r1)).dataSync()[0]!];
      disposeTaps(taps);
      return out;
    });
    first += hits0;
    final += hitsLast;
    influence += summed;
  }
  return { firstAccuracy: first / n, lastAccuracy: final / n, meanInfluence: influence / (n * 28 * 28 * 32), images: n };
}

/**
 * Recording a network's activity: every layer (r1, r2, r3, logits) at chosen
 * time steps, for a set of images, as `[samples, units]` row-major arrays
 * that the analyses read. A network is run once per recording; every figure
 * reads the recording.
 */
import * as tf from '@tensorflow/tfjs';
import { NUM_PIXELS } from '../data/mnist';
import { CoreWeights, headFromR2, layer2FromR1 } from '../model/core';
import { disposeTaps, RecurrentNetwork, runDynamics } from './networks';

/** The recorded layers (post-ReLU, pre-pool; logits pre-softmax) and their unit counts. */
export const LAYER_UNITS = { r1: 28 * 28 * 32, r2: 14 * 14 * 64, r3: 1024, logits: 10 } as const;
export type LayerName = keyof typeof LAYER_UNITS;
export const LAYER_NAMES = Object.keys(LAYER_UNITS) as LayerName[];

/** Every layer's activity at one time step: `[samples, units]` row-major, units in NHWC order. */
export type LayerActivity = Record<LayerName, Float32Array>;

/** Options for {@link recordActivity}. */
export interface RecordOptions {
  /** Images per forward batch (default 100). */
  batchSize?: number;
  /** Called after each batch with the number of samples done. */
  onBatch?: (done: number) => void;
}

/**
 * Runs `net` once over images `pixels` `[samples, 28, 28]` and returns the
 * activity of every layer at each time step in `timeSteps` (a map from time
 * step to activity). Labels are used by Grads only.
 */
export function recordActivity(net: RecurrentNetwork, pixels: Float32Array, labels: Uint8Array | Int32Array, timeSteps: readonly number[], options: RecordOptions = {}): Map<number, LayerActivity> {
  const n = labels.length;
  if (pixels.length !== n * NUM_PIXELS) throw new Error(`recordActivity: pixels has ${pixels.length} values, expected ${n} images × ${NUM_PIXELS}`);
  for (const t of timeSteps) {
    if (!Number.isInteger(t) || t < 0 || t >= net.timeSteps) throw new Error(`recordActivity: time step ${t} is not one of ${net.type}'s 0-${net.timeSteps - 1}`);
  }
  const { batchSize = 100 } = options;
  const out = new Map<number, LayerActivity>(timeSteps.map((t) => [t, allocate(n)]));
  const wanted = new Set(timeSteps);
  for (let s = 0; s < n; s += batchSize) {
    const m = Math.min(batchSize, n - s);
    tf.tidy(() => {
      const x = tf.tensor4d(pixels.subarray(s * NUM_PIXELS, (s + m) * NUM_PIXELS), [m, 28, 28, 1]);
      const y = tf.tensor1d(labels.subarray(s, s + m), 'int32');
      const taps = runDynamics(net, x, { labels: y, keep: (t) => wanted.has(t), headAt: (t) => wanted.has(t) });
      for (const tap of taps) {
        const dest = out.get(tap.timeStep)!;
        dest.r1.set(tap.r1.dataSync() as Float32Array, s * LAYER_UNITS.r1);
        dest.r2.set(tap.r2.dataSync() as Float32Array, s * LAYER_UNITS.r2);
        dest.r3.set(tap.r3!.dataSync() as Float32Array, s * LAYER_UNITS.r3);
        dest.logits.set(tap.logits!.dataSync() as Float32Array, s * LAYER_UNITS.logits);
      }
      disposeTaps(taps);
    });
    options.onBatch?.(s + m);
  }
  return out;
}

function allocate(n: number): LayerActivity {
  return { r1: new Float32Array(n * LAYER_UNITS.r1), r2: new Float32Array(n * LAYER_UNITS.r2), r3: new Float32Array(n * LAYER_UNITS.r3), logits: new Float32Array(n * LAYER_UNITS.logits) };
}

/**
 * Logits of layers 2-4 applied to given layer-1 activity `r1` `[samples, 25088]`
 * (e.g. the feedforward activity plus a reconstructed recurrent influence),
 * in batches: `[samples, 10]`.
 */
export function logitsFromLayer1(core: CoreWeights, r1: Float32Array, batchSize = 200): Float32Array {
  const n = r1.length / LAYER_UNITS.r1;
  if (!Number.isInteger(n)) throw new Error(`logitsFromLayer1: r1 has ${r1.length} values, not a whole number of ${LAYER_UNITS.r1}-unit samples`);
  const out = new Float32Array(n * 10);
  for (let s = 0; s < n; s += batchSize) {
    const m = Math.min(batchSize, n - s);
    const logits = tf.tidy(() => headFromR2(core, layer2FromR1(core, tf.tensor4d(r1.subarray(s * LAYER_UNITS.r1, (s + m) * LAYER_UNITS.r1), [m, 28, 28, 32]))).logits.dataSync());
    out.set(logits, s * 10);
  }
  return out;
}

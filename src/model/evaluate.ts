/**
 * Inference over image arrays in batches, without keeping tensors alive.
 */
import * as tf from '@tensorflow/tfjs';
import { IMAGE_SIZE, NUM_PIXELS } from '../data/mnist';
import { CoreWeights, coreLogits } from './core';
import { estimateGrcnnRunningStats, grcnnLogits, GrcnnWeights } from './grcnn';

/** Default inference batch size (larger batches amortise per-kernel overhead). */
export const INFER_BATCH = 500;

/** A batch of images `[n, 28, 28, 1]` from a flat pixel array, images `start` to `start + n`. */
export function imageBatch(pixels: Float32Array, start: number, n: number): tf.Tensor4D {
  return tf.tensor4d(pixels.subarray(start * NUM_PIXELS, (start + n) * NUM_PIXELS), [n, IMAGE_SIZE, IMAGE_SIZE, 1]);
}

/** Applies `logitsOf` to every image in batches; returns the logits `[n, 10]` row-major. */
export function logitsFor(pixels: Float32Array, n: number, logitsOf: (x: tf.Tensor4D) => tf.Tensor2D, batchSize = INFER_BATCH): Float32Array {
  const out = new Float32Array(n * 10);
  for (let s = 0; s < n; s += batchSize) {
    const m = Math.min(batchSize, n - s);
    const values = tf.tidy(() => logitsOf(imageBatch(pixels, s, m)).dataSync());
    out.set(values, s * 10);
  }
  return out;
}

/** Index of the largest logit of each row of `[n, 10]` logits. */
export function argmaxRows(logits: Float32Array, classes = 10): Int32Array {
  const n = logits.length / classes;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[i * classes + c]! > logits[i * classes + best]!) best = c;
    out[i] = best;
  }
  return out;
}

/** Fraction of predictions equal to the labels. */
export function accuracyOf(predictions: Int32Array, labels: Uint8Array): number {
  let hits = 0;
  for (let i = 0; i < predictions.length; i++) if (predictions[i] === labels[i]) hits++;
  return hits / predictions.length;
}

/** Accuracy of the feedforward core alone on `n` images with their labels. */
export function feedforwardAccuracy(w: CoreWeights, pixels: Float32Array, labels: Uint8Array, n = labels.length): number {
  return accuracyOf(argmaxRows(logitsFor(pixels, n, (x) => coreLogits(w, x))), labels.subarray(0, n));
}

/** Labelled images to evaluate on (e.g. one noise condition): `pixels` `[n, 28, 28]`, `labels` `[n]`. */
export interface LabelledImages {
  pixels: Float32Array;
  labels: Uint8Array;
}

/** Options of {@link grcnnAccuracyByIterations}. */
export interface GrcnnIterationOptions {
  /** Clean images `[m, 28, 28]` whose batch statistics become the running statistics (training images). */
  statsImages: Float32Array;
  /** Images per batch of that estimate (use the training batch size: statistics are per batch, as in training). */
  statsBatchSize: number;
  /** Iteration counts to test, each in 0 … T (default every one, 0 … T). */
  iterations?: number[];
  /** Called after each iteration count with its index in `iterations` (progress). */
  onCount?: (index: number) => void;
}

/**
 * Accuracy of a GRCNN on each set of `sets` when every GRCL runs k iterations
 * at test time, for each k of `iterations`: `out[i][s]` is the accuracy on
 * set s with `iterations[i]` iterations, a fraction in [0, 1]. Inference mode;
 * before each k the batch-norm running statistics are re-estimated on
 * `statsImages` with k iterations (`estimateGrcnnRunningStats`), so the layers
 * after a GRCL are normalised with statistics of the activity they see at
 * that k. The network keeps the statistics of the last k.
 */
export function grcnnAccuracyByIterations(w: GrcnnWeights, sets: readonly LabelledImages[], options: GrcnnIterationOptions): number[][] {
  const trained = w.config.iterations;
  const { iterations = Array.from({ length: trained + 1 }, (_, k) => k) } = options;
  for (const k of iterations) {
    if (!Number.isInteger(k) || k < 0 || k > trained) throw new Error(`grcnnAccuracyByIterations: iteration count ${k}, expected an integer from 0 to ${trained}`);
  }
  sets.forEach((s, i) => {
    if (s.pixels.length !== s.labels.length * NUM_PIXELS) throw new Error(`grcnnAccuracyByIterations: set ${i} has ${s.pixels.length} pixel values for ${s.labels.length} labels`);
  });
  return iterations.map((k, index) => {
    estimateGrcnnRunningStats(w, options.statsImages, { batchSize: options.statsBatchSize, iterations: k });
    const accuracies = sets.map((s) => accuracyOf(argmaxRows(logitsFor(s.pixels, s.labels.length, (x) => grcnnLogits(w, x, { training: false, iterations: k }))), s.labels));
    options.onCount?.(index);
    return accuracies;
  });
}

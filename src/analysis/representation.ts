/**
 * Representation geometry for the activity figures (sections 2.3-2.5):
 * group means (Figures 3A/B and 6 plot class × noise-type means), the
 * classification category of each image (Figures 5 and 7 split by it) and the
 * geometry of each noise type's cloud of images (supplementary Figure 9).
 *
 * Data are `[samples, units]` row-major arrays with their shape; functions are
 * pure and check shapes.
 */
import * as tf from '@tensorflow/tfjs';
import type { ActivityShape } from './dimensionality';
import type { NumericArray } from './denoising';

function checkShape(fn: string, name: string, data: NumericArray, shape: ActivityShape): void {
  if (!Number.isInteger(shape.samples) || !Number.isInteger(shape.units) || shape.samples < 1 || shape.units < 1) {
    throw new Error(`${fn}: ${name} shape [${shape.samples}, ${shape.units}] must be positive integers`);
  }
  if (data.length !== shape.samples * shape.units) throw new Error(`${fn}: ${name} has ${data.length} values, shape [${shape.samples}, ${shape.units}] needs ${shape.samples * shape.units}`);
}

/**
 * Mean activity of each group: `out[g]` is the mean of the rows whose
 * `groups[i] === g`, `[groupCount, units]` row-major (float64). A group
 * without samples is NaN and counted 0 in `counts`.
 */
export function groupMeans(data: NumericArray, shape: ActivityShape, groups: ArrayLike<number>, groupCount: number): { means: Float64Array; counts: Int32Array } {
  const fn = 'groupMeans';
  checkShape(fn, 'data', data, shape);
  if (groups.length !== shape.samples) throw new Error(`${fn}: groups has ${groups.length} entries for ${shape.samples} samples`);
  const { samples, units } = shape;
  const means = new Float64Array(groupCount * units);
  const counts = new Int32Array(groupCount);
  for (let i = 0; i < samples; i++) {
    const g = groups[i]!;
    if (!Number.isInteger(g) || g < 0 || g >= groupCount) throw new Error(`${fn}: groups[${i}] = ${g}, expected an integer in [0, ${groupCount - 1}]`);
    counts[g]!++;
    const row = i * units;
    const out = g * units;
    for (let u = 0; u < units; u++) means[out + u]! += data[row + u]!;
  }
  for (let g = 0; g < groupCount; g++) {
    const c = counts[g]!;
    for (let u = 0; u < units; u++) means[g * units + u] = c ? means[g * units + u]! / c : NaN;
  }
  return { means, counts };
}

/** How recurrence changed an image's classification: step 0 → last step. */
export const CATEGORIES = ['incorrect→correct', 'correct→incorrect', 'correct→correct', 'incorrect→incorrect'] as const;
export type Category = (typeof CATEGORIES)[number];

/** The category of each image from its predicted classes before and after recurrence and its label. */
export function classificationCategories(before: ArrayLike<number>, after: ArrayLike<number>, labels: ArrayLike<number>): Category[] {
  if (before.length !== labels.length || after.length !== labels.length) {
    throw new Error(`classificationCategories: ${before.length} predictions before, ${after.length} after, ${labels.length} labels; expected equal lengths`);
  }
  return Array.from({ length: labels.length }, (_, i) => {
    const a = before[i] === labels[i];
    const b = after[i] === labels[i];
    return a ? (b ? 'correct→correct' : 'correct→incorrect') : b ? 'incorrect→correct' : 'incorrect→incorrect';
  });
}

/** Rows `indices` of `[samples, units]` data, as a new `[indices.length, units]` array. */
export function selectRows(data: Float32Array, shape: ActivityShape, indices: ArrayLike<number>): Float32Array {
  checkShape('selectRows', 'data', data, shape);
  const out = new Float32Array(indices.length * shape.units);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    if (!Number.isInteger(i) || i < 0 || i >= shape.samples) throw new Error(`selectRows: index ${i} outside [0, ${shape.samples - 1}]`);
    out.set(data.subarray(i * shape.units, (i + 1) * shape.units), k * shape.units);
  }
  return out;
}

/**
 * Mean Euclidean distance between distinct rows of `[samples, units]` data
 * (the "cloud size" of supplementary Figure 9): the mean of ‖a_i − a_j‖ over
 * pairs i < j, from the Gram matrix on the tensor backend. NaN for one sample.
 */
export function meanPairwiseDistance(data: Float32Array, shape: ActivityShape): number {
  checkShape('meanPairwiseDistance', 'data', data, shape);
  const n = shape.samples;
  if (n < 2) return NaN;
  const d2 = tf.tidy(() => {
    const x = tf.tensor2d(data, [n, shape.units]);
    const g = tf.matMul(x, x, false, true);
    const sq = tf.sum(tf.square(x), 1);
    return tf.relu(tf.sub(tf.add(tf.reshape(sq, [n, 1]), tf.reshape(sq, [1, n])), tf.mul(g, 2))).dataSync();
  });
  let sum = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) sum += Math.sqrt(d2[i * n + j]!);
  return sum / ((n * (n - 1)) / 2);
}

/** A point in the plane of supplementary Figure 9: distance from the origin and angle from the x axis (radians, in [0, π]). */
export interface PolarPoint {
  distance: number;
  angle: number;
}

/**
 * The polar coordinates of `v` relative to `origin`, with the x axis along
 * `axis` (a direction, need not be unit length): distance ‖v − origin‖ and the
 * angle between v − origin and the axis, in [0, π]. In Figure 9 the origin is
 * the mean feedforward response to clean images and the axis the direction
 * recurrence moves the clean mean.
 */
export function polarAbout(v: ArrayLike<number>, origin: ArrayLike<number>, axis: ArrayLike<number>): PolarPoint {
  if (v.length !== origin.length || axis.length !== origin.length) throw new Error(`polarAbout: lengths ${v.length}, ${origin.length}, ${axis.length} differ`);
  let dd = 0;
  let da = 0;
  let aa = 0;
  for (let u = 0; u < v.length; u++) {
    const d = v[u]! - origin[u]!;
    dd += d * d;
    da += d * axis[u]!;
    aa += axis[u]! * axis[u]!;
  }
  const distance = Math.sqrt(dd);
  const cos = distance > 0 && aa > 0 ? Math.max(-1, Math.min(1, da / (distance * Math.sqrt(aa)))) : 1;
  return { distance, angle: Math.acos(cos) };
}

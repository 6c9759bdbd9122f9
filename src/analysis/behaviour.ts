/**
 * Comparisons of two networks' classification behaviour on the same images
 * (section 2.2, Methods 4.2): agreement of their mistakes (Figure 2C) and
 * correlation of how recurrence changes their logits (Figure 2D).
 */
import { pearsonR } from './denoising';

/** A per-image mask: 1/true where the condition holds. */
export type ImageMask = Uint8Array | ArrayLike<boolean>;

/** Result of {@link incorrectLabelAgreement}. */
export interface LabelAgreementResult {
  /** Fraction of the images both networks get wrong that they give the same (wrong) label, in [0, 1]; NaN when there are none. */
  agreement: number;
  /** Number of images both networks classify incorrectly. */
  bothIncorrect: number;
}

/**
 * Figure 2C: of the images both networks classify incorrectly, the fraction
 * given the same label by both. `predA`, `predB`, `labels`: `[images]`
 * predicted and true classes.
 */
export function incorrectLabelAgreement(predA: Int32Array, predB: Int32Array, labels: ArrayLike<number>): LabelAgreementResult {
  const n = labels.length;
  if (predA.length !== n || predB.length !== n) {
    throw new Error(`incorrectLabelAgreement: predA [${predA.length}], predB [${predB.length}] and labels [${n}] must have one entry per image`);
  }
  let both = 0;
  let same = 0;
  for (let i = 0; i < n; i++) {
    const label = labels[i]!;
    if (predA[i] === label || predB[i] === label) continue;
    both++;
    if (predA[i] === predB[i]) same++;
  }
  return { agreement: both ? same / both : NaN, bothIncorrect: both };
}

/** Result of {@link logitDifferenceCorrelation}. */
export interface LogitCorrelationResult {
  /** Mean over the averaged images of the per-image Pearson r, in [-1, 1]; NaN when no image qualifies. */
  correlation: number;
  /** Number of images averaged: correct in both networks, with a defined r. */
  images: number;
  /** Images correct in both networks but left out: a logit difference constant over classes (or not finite). */
  skipped: number;
}

function maskValue(mask: ImageMask, i: number): boolean {
  return Boolean(mask[i]);
}

/**
 * Figure 2D (Methods 4.2): for each image both networks classify correctly,
 * the Pearson correlation over classes between their logit differences
 * (logits at the last time step minus the first), averaged over those images.
 * `diffA`, `diffB`: row-major `[images, classes]`; `correctA`, `correctB`:
 * `[images]` masks of correct classification.
 *
 * A logit difference that is the same for every class (no change, or a
 * uniform shift, which leaves the softmax unchanged) has no correlation; such
 * images (and any with a non-finite difference) are left out of the mean and
 * counted in `skipped`.
 */
export function logitDifferenceCorrelation(
  diffA: Float32Array, diffB: Float32Array, correctA: ImageMask, correctB: ImageMask, classes = 10,
): LogitCorrelationResult {
  const fn = 'logitDifferenceCorrelation';
  if (!(Number.isInteger(classes) && classes >= 2)) throw new Error(`${fn}: classes must be an integer ≥ 2, got ${classes}`);
  const n = correctA.length;
  for (const [name, d] of [['diffA', diffA], ['diffB', diffB]] as const) {
    if (d.length !== n * classes) throw new Error(`${fn}: ${name} has ${d.length} values, expected [images ${n}, classes ${classes}] = ${n * classes}`);
  }
  if (correctB.length !== n) throw new Error(`${fn}: correctA has ${n} images, correctB ${correctB.length}`);
  let sum = 0;
  let images = 0;
  let skipped = 0;
  for (let i = 0; i < n; i++) {
    if (!maskValue(correctA, i) || !maskValue(correctB, i)) continue;
    const r = pearsonR(diffA.subarray(i * classes, (i + 1) * classes), diffB.subarray(i * classes, (i + 1) * classes));
    if (Number.isNaN(r)) {
      skipped++;
      continue;
    }
    sum += r;
    images++;
  }
  return { correlation: images ? sum / images : NaN, images, skipped };
}

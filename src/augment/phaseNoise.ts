/**
 * Phase-randomised "noise" images (after Freeman et al. 2013, as Azeglio et al.
 * use them): each image keeps its Fourier amplitude spectrum and gets the
 * phase spectrum of white Gaussian noise. The noise's phases are
 * Hermitian-antisymmetric (it is real), so the result is real. The zero
 * frequency keeps its own phase, so the mean intensity is kept.
 *
 * No texture data set is available offline: the noise images here are
 * phase-randomised digits.
 */
import { IMAGE_SIZE, NUM_PIXELS } from '../data/mnist';
import { Rng } from '../random';
import { dft2d, dft2dReal } from './dft';
import { imageCount } from './images';

/** Options of {@link phaseNoise}. */
export interface PhaseNoiseOptions {
  /** Image i's phases come from `Rng.keyed(seed, i)`. */
  seed: number;
}

/** Options of {@link blendPhaseNoise}. */
export interface BlendPhaseNoiseOptions {
  /** Picks the partners and their phases. */
  seed: number;
  /** Weight of the noise in the blend, in [0, 1]. */
  weight: number;
}

/** What {@link blendPhaseNoise} returns. */
export interface BlendPhaseNoiseResult {
  /** `[n, 28, 28]` in [0, 1]. */
  images: Float32Array;
  /** Image i is blended with the noise made from image `partner[i]`. */
  partner: Int32Array;
}

/** One image `[28, 28]` with its amplitude spectrum kept and its phases drawn from `rng`. */
export function phaseRandomise(image: ArrayLike<number>, rng: Rng): Float32Array {
  const spectrum = dft2dReal(image, IMAGE_SIZE);
  const noise = dft2dReal(Float64Array.from({ length: NUM_PIXELS }, () => rng.normal()), IMAGE_SIZE);
  const re = new Float64Array(NUM_PIXELS);
  const im = new Float64Array(NUM_PIXELS);
  re[0] = spectrum.re[0];
  im[0] = spectrum.im[0];
  for (let k = 1; k < NUM_PIXELS; k++) {
    const amplitude = Math.hypot(spectrum.re[k], spectrum.im[k]);
    const norm = Math.hypot(noise.re[k], noise.im[k]);
    // A zero noise coefficient has no phase (probability 0): take phase 0.
    re[k] = norm > 0 ? (amplitude * noise.re[k]) / norm : amplitude;
    im[k] = norm > 0 ? (amplitude * noise.im[k]) / norm : 0;
  }
  return Float32Array.from(dft2d({ re, im }, IMAGE_SIZE, true).re);
}

/**
 * Phase-randomised copies of `images` `[n, 28, 28]`: same amplitude spectrum
 * and mean per image, random phases. Values are not confined to [0, 1].
 */
export function phaseNoise(images: Float32Array, options: PhaseNoiseOptions): Float32Array {
  const n = imageCount('phaseNoise', images);
  const out = new Float32Array(images.length);
  for (let i = 0; i < n; i++) {
    out.set(phaseRandomise(images.subarray(i * NUM_PIXELS, (i + 1) * NUM_PIXELS), Rng.keyed(options.seed, i)), i * NUM_PIXELS);
  }
  return out;
}

/**
 * `clip((1 − weight)·x_i + weight·noise(x_partner[i]), 0, 1)` for every image of
 * `images` `[n, 28, 28]`, with partners a random permutation of the batch, so
 * each image is blended with noise that does not come from itself (unless the
 * permutation fixes it).
 */
export function blendPhaseNoise(images: Float32Array, options: BlendPhaseNoiseOptions): BlendPhaseNoiseResult {
  const { seed, weight } = options;
  const n = imageCount('blendPhaseNoise', images);
  if (!(weight >= 0 && weight <= 1)) throw new Error(`blendPhaseNoise: weight must be in [0, 1], got ${weight}`);
  const partner = new Rng(seed).permutation(n);
  const out = new Float32Array(images.length);
  for (let i = 0; i < n; i++) {
    const j = partner[i];
    const noise = phaseRandomise(images.subarray(j * NUM_PIXELS, (j + 1) * NUM_PIXELS), Rng.keyed(seed, j));
    for (let p = 0; p < NUM_PIXELS; p++) {
      const v = (1 - weight) * images[i * NUM_PIXELS + p] + weight * noise[p];
      out[i * NUM_PIXELS + p] = Math.min(1, Math.max(0, v));
    }
  }
  return { images: out, partner };
}

/**
 * The four image degradations of Figure 1B (Methods 4.1), on images in [0, 1]:
 *
 * - `pixel`: add Gaussian noise of standard deviation `param` to every pixel
 *   (no clipping by default: the paper adds a noise mask; `clip` is an option);
 * - `blur`: Gaussian blur of width (standard deviation, pixels) `param`,
 *   separable, kernel radius ceil(3σ), zero (background) outside the image;
 * - `contrast`: multiply every pixel by `param` in (0, 1] (lower = more noise);
 * - `occlusion`: `param` 3x3 blocks at uniform random positions set to the mean
 *   pixel intensity of the training images.
 *
 * The randomness is keyed by (seed, source file, image index, noise type,
 * level), so every network sees the same noisy image, and common random
 * numbers make accuracy monotone in the parameter during calibration.
 */
import { ArgumentError } from '../check';
import { ImageSet, IMAGE_SIZE, NUM_PIXELS } from '../data/mnist';
import { Rng } from '../random';

export const NOISE_TYPES = ['pixel', 'blur', 'contrast', 'occlusion'] as const;
export type NoiseType = (typeof NOISE_TYPES)[number];

/** Number of calibrated levels per type (level 0 = clean). */
export const NUM_LEVELS = 6;

/** Side of an occlusion block, pixels. */
export const OCCLUSION_BLOCK = 3;

/** How a noise parameter behaves: its range, direction and whether it is a count. */
export interface NoiseParamInfo {
  /** Parameter with no degradation. */
  none: number;
  /** Most extreme parameter calibration may use. */
  extreme: number;
  /** Whole numbers only (occlusion block count). */
  integer: boolean;
  /** Human name of the parameter. */
  label: string;
}

export const NOISE_PARAMS: Record<NoiseType, NoiseParamInfo> = {
  pixel: { none: 0, extreme: 4, integer: false, label: 'noise s.d.' },
  blur: { none: 0, extreme: 6, integer: false, label: 'blur width (px)' },
  contrast: { none: 1, extreme: 0.001, integer: false, label: 'contrast scale' },
  occlusion: { none: 0, extreme: 400, integer: true, label: '3x3 blocks' },
};

/** Options for {@link degradeImages}. */
export interface DegradeOptions {
  /** Noise seed (the run's seed). */
  seed: number;
  /** Level the parameter belongs to (part of the random key; 0-6). */
  level: number;
  /** Occlusion fill value: the mean pixel intensity of the training images. */
  fillValue: number;
  /** Clip pixel noise to [0, 1] (default false). */
  clip?: boolean;
}

export function assertNoiseType(type: string): asserts type is NoiseType {
  if (!(NOISE_TYPES as readonly string[]).includes(type)) {
    throw new ArgumentError(`unknown noise type '${type}': expected one of ${NOISE_TYPES.join(', ')}`);
  }
}

export function assertLevel(level: number): void {
  if (!Number.isInteger(level) || level < 0 || level > NUM_LEVELS) {
    throw new ArgumentError(`noise level ${level} is out of range: expected an integer 0 (clean) to ${NUM_LEVELS}`);
  }
}

/**
 * Throws unless `param` is a valid parameter of `type`: a noise s.d., blur
 * width or block count ≥ 0, a contrast scale in [0, 1].
 */
export function assertNoiseParam(type: NoiseType, param: number): void {
  const { none, extreme, label } = NOISE_PARAMS[type];
  const [lo, hi] = type === 'contrast' ? [0, none] : [none, Infinity];
  if (!Number.isFinite(param) || param < lo || param > hi) {
    throw new ArgumentError(`${type} noise: ${label} ${param} is out of range: expected ${Number.isFinite(hi) ? `a value in [${lo}, ${hi}]` : `a value ≥ ${lo}`} (calibration searches ${none} to ${extreme})`);
  }
}

/** A normalised 1-D Gaussian kernel of standard deviation `sigma`, radius ceil(3σ). */
export function gaussianKernel1d(sigma: number): Float32Array {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    const v = Math.exp(-(i * i) / (2 * sigma * sigma));
    k[i + radius] = v;
    sum += v;
  }
  for (let i = 0; i < k.length; i++) k[i] = k[i]! / sum;
  return k;
}

function blurInto(src: Float32Array, dst: Float32Array, kernel: Float32Array, tmp: Float32Array): void {
  const n = IMAGE_SIZE;
  const r = (kernel.length - 1) / 2;
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      let s = 0;
      for (let k = -r; k <= r; k++) {
        const xx = x + k;
        if (xx >= 0 && xx < n) s += kernel[k + r]! * src[y * n + xx]!;
      }
      tmp[y * n + x] = s;
    }
  }
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      let s = 0;
      for (let k = -r; k <= r; k++) {
        const yy = y + k;
        if (yy >= 0 && yy < n) s += kernel[k + r]! * tmp[yy * n + x]!;
      }
      dst[y * n + x] = s;
    }
  }
}

/**
 * Degrades every image of `set` with one noise type and parameter. Returns new
 * pixels `[n, 28, 28]`; the input is untouched.
 */
export function degradeImages(set: ImageSet, type: NoiseType, param: number, options: DegradeOptions): Float32Array {
  assertNoiseType(type);
  assertLevel(options.level);
  assertNoiseParam(type, param);
  const out = new Float32Array(set.n * NUM_PIXELS);
  const typeIndex = NOISE_TYPES.indexOf(type);
  const sourceId = set.source === 'test' ? 1 : 0;
  const kernel = type === 'blur' && param > 0 ? gaussianKernel1d(param) : null;
  const tmp = new Float32Array(NUM_PIXELS);
  const blocks = type === 'occlusion' ? Math.round(param) : 0;
  for (let i = 0; i < set.n; i++) {
    const src = set.images.subarray(i * NUM_PIXELS, (i + 1) * NUM_PIXELS);
    const dst = out.subarray(i * NUM_PIXELS, (i + 1) * NUM_PIXELS);
    const rng = Rng.keyed(options.seed, sourceId, set.sourceIndex[i]!, typeIndex, options.level);
    switch (type) {
      case 'pixel':
        for (let p = 0; p < NUM_PIXELS; p++) {
          const v = src[p]! + param * rng.normal();
          dst[p] = options.clip ? Math.min(1, Math.max(0, v)) : v;
        }
        break;
      case 'blur':
        if (kernel) blurInto(src, dst, kernel, tmp);
        else dst.set(src);
        break;
      case 'contrast':
        for (let p = 0; p < NUM_PIXELS; p++) dst[p] = src[p]! * param;
        break;
      case 'occlusion': {
        dst.set(src);
        const span = IMAGE_SIZE - OCCLUSION_BLOCK + 1;
        for (let b = 0; b < blocks; b++) {
          const y0 = rng.int(span);
          const x0 = rng.int(span);
          for (let y = y0; y < y0 + OCCLUSION_BLOCK; y++) {
            for (let x = x0; x < x0 + OCCLUSION_BLOCK; x++) dst[y * IMAGE_SIZE + x] = options.fillValue;
          }
        }
        break;
      }
    }
  }
  return out;
}

/**
 * The image operations of AugMix, on one image `[28, 28]` in [0, 1]. They are
 * AugMix's default list (`augmentations` in its reference code), every one of
 * which makes sense for a grey digit: autocontrast, equalize, posterize,
 * rotate, solarize, shear x/y, translate x/y. Left out, as AugMix leaves them
 * out to stay clear of ImageNet-C, are the ops that overlap the project's test
 * degradations (section 4 of the design): contrast and brightness (the
 * low-contrast degradation), sharpness (a smoothing filter, like blur); and
 * colour, which a grey image has not. Nothing adds noise. Autocontrast and
 * equalize only ever raise contrast; on clean digits (range already 0 to 1)
 * autocontrast does next to nothing.
 *
 * Geometric ops sample bilinearly at pixel centres, about the image centre, with
 * 0 (the background) outside; AugMix's PIL code shears about the top-left corner,
 * which also shifts the digit (shifting is translate's job).
 */
import { IMAGE_SIZE, NUM_PIXELS } from '../data/mnist';
import { Rng } from '../random';

/**
 * The image whose pixel at centred position p is the input at `A·p + t`, with
 * `[a, b, c, d, e, f]` meaning `x' = a·x + b·y + c`, `y' = d·x + e·y + f`
 * (x to the right, y down, in pixels from the image centre).
 */
export function affine(image: Float32Array, [a, b, c, d, e, f]: readonly number[]): Float32Array {
  const out = new Float32Array(NUM_PIXELS);
  const half = IMAGE_SIZE / 2;
  const at = (r: number, col: number) => (r >= 0 && r < IMAGE_SIZE && col >= 0 && col < IMAGE_SIZE ? image[r * IMAGE_SIZE + col] : 0);
  for (let row = 0; row < IMAGE_SIZE; row++) {
    for (let col = 0; col < IMAGE_SIZE; col++) {
      const x = col + 0.5 - half;
      const y = row + 0.5 - half;
      const u = a * x + b * y + c + half - 0.5;
      const v = d * x + e * y + f + half - 0.5;
      const c0 = Math.floor(u);
      const r0 = Math.floor(v);
      const fu = u - c0;
      const fv = v - r0;
      out[row * IMAGE_SIZE + col] =
        (1 - fv) * ((1 - fu) * at(r0, c0) + fu * at(r0, c0 + 1)) + fv * ((1 - fu) * at(r0 + 1, c0) + fu * at(r0 + 1, c0 + 1));
    }
  }
  return out;
}

/** Rotation by `degrees` about the centre (positive: anticlockwise on screen, as PIL). */
export function rotate(image: Float32Array, degrees: number): Float32Array {
  const t = (degrees * Math.PI) / 180;
  // Output pixel p shows the input at R(−t)·p in y-down coordinates: for t = 90° the pixel right of
  // the centre shows the one below it, an anticlockwise turn on screen.
  return affine(image, [Math.cos(t), -Math.sin(t), 0, Math.sin(t), Math.cos(t), 0]);
}

/** Horizontal shear: row y moves by −`s`·y pixels (about the centre row). */
export function shearX(image: Float32Array, s: number): Float32Array {
  return affine(image, [1, s, 0, 0, 1, 0]);
}

/** Vertical shear: column x moves by −`s`·x pixels (about the centre column). */
export function shearY(image: Float32Array, s: number): Float32Array {
  return affine(image, [1, 0, 0, s, 1, 0]);
}

/** Shift by `dx` pixels to the right and `dy` down. */
export function translate(image: Float32Array, dx: number, dy: number): Float32Array {
  return affine(image, [1, 0, -dx, 0, 1, -dy]);
}

/** Linear stretch of the image's range onto [0, 1] (unchanged when flat), as PIL's autocontrast with no cutoff. */
export function autocontrast(image: Float32Array): Float32Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of image) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return hi > lo ? image.map((v) => (v - lo) / (hi - lo)) : image.slice();
}

const to8bit = (v: number) => Math.min(255, Math.max(0, Math.round(v * 255)));

/**
 * Histogram equalisation on 256 grey levels, PIL's `ImageOps.equalize`:
 * level v maps to ⌊(⌊step/2⌋ + #pixels below v)/step⌋ with `step` = ⌊(#pixels −
 * #pixels at the highest level present)/255⌋; unchanged when step is 0.
 */
export function equalize(image: Float32Array): Float32Array {
  const levels = Array.from(image, to8bit);
  const hist = new Array<number>(256).fill(0);
  for (const v of levels) hist[v]++;
  let top = 255;
  while (hist[top] === 0) top--;
  const step = Math.floor((levels.length - hist[top]) / 255);
  if (step === 0) return image.slice();
  const lut = new Float32Array(256);
  let below = Math.floor(step / 2);
  for (let v = 0; v < 256; v++) {
    lut[v] = Math.min(255, Math.floor(below / step)) / 255;
    below += hist[v];
  }
  return Float32Array.from(levels, (v) => lut[v]);
}

/** Keeps the top `bits` bits of each 8-bit grey level. */
export function posterize(image: Float32Array, bits: number): Float32Array {
  const mask = (0xff << (8 - bits)) & 0xff;
  return image.map((v) => (to8bit(v) & mask) / 255);
}

/** Inverts (v → 1 − v) every value at or above `threshold`. */
export function solarize(image: Float32Array, threshold: number): Float32Array {
  return image.map((v) => (v >= threshold ? 1 - v : v));
}

// AugMix's severity scale: a level drawn uniformly in [0.1, severity], mapped linearly so that 10 is the maximum.
const sampleLevel = (severity: number, rng: Rng) => 0.1 + rng.uniform() * (severity - 0.1);
const intParameter = (level: number, max: number) => Math.floor((level * max) / 10);
const floatParameter = (level: number, max: number) => (level * max) / 10;
const randomSign = (v: number, rng: Rng) => (rng.uniform() > 0.5 ? -v : v);

/** An AugMix operation: draws its own magnitude at the given severity (1 … 10). */
export interface AugmixOp {
  name: string;
  apply: (image: Float32Array, severity: number, rng: Rng) => Float32Array;
}

/** AugMix's operations with its magnitude ranges (angles up to 30°, shear 0.3, shift a third of the image). */
export const AUGMIX_OPS: readonly AugmixOp[] = [
  { name: 'autocontrast', apply: (img) => autocontrast(img) },
  { name: 'equalize', apply: (img) => equalize(img) },
  { name: 'posterize', apply: (img, s, rng) => posterize(img, 4 - intParameter(sampleLevel(s, rng), 4)) },
  { name: 'rotate', apply: (img, s, rng) => rotate(img, randomSign(intParameter(sampleLevel(s, rng), 30), rng)) },
  { name: 'solarize', apply: (img, s, rng) => solarize(img, (256 - intParameter(sampleLevel(s, rng), 256)) / 255) },
  { name: 'shearX', apply: (img, s, rng) => shearX(img, randomSign(floatParameter(sampleLevel(s, rng), 0.3), rng)) },
  { name: 'shearY', apply: (img, s, rng) => shearY(img, randomSign(floatParameter(sampleLevel(s, rng), 0.3), rng)) },
  { name: 'translateX', apply: (img, s, rng) => translate(img, randomSign(intParameter(sampleLevel(s, rng), IMAGE_SIZE / 3), rng), 0) },
  { name: 'translateY', apply: (img, s, rng) => translate(img, 0, randomSign(intParameter(sampleLevel(s, rng), IMAGE_SIZE / 3), rng)) },
];

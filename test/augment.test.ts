import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { loadMnist, NUM_PIXELS } from '../src/data/mnist';
import { Rng } from '../src/random';
import {
  affine, augmix, AUGMIX_OPS, autocontrast, blendPhaseNoise, cutmix, dft2d, dft2dReal, equalize, JSD_WEIGHT, jsdConsistencyLoss, phaseNoise,
  posterize, rotate, shearX, softCrossEntropy, solarize, translate,
} from '../src/augment';
import { assertClose, assertNoLeak } from './helpers';

before(async () => {
  await initBackend({ force: 'wasm', log: false });
});

const mnist = loadMnist();
const digits = (n: number, start = 0) => mnist.test.images.slice(start * NUM_PIXELS, (start + n) * NUM_PIXELS);
const digit = (i: number) => digits(1, i);

// --- CutMix ------------------------------------------------------------------------------

/** n images, image i filled with the value (i + 1)/(n + 1), so any pasted pixel shows. */
function flatImages(n: number): Float32Array {
  const out = new Float32Array(n * NUM_PIXELS);
  for (let i = 0; i < n; i++) out.fill((i + 1) / (n + 1), i * NUM_PIXELS, (i + 1) * NUM_PIXELS);
  return out;
}

test('CutMix pastes one clipped box from the partner and mixes the labels by the pasted area', () => {
  const n = 6;
  const images = flatImages(n);
  const labels = [0, 1, 2, 3, 4, 5];
  let clipped = 0;
  for (let seed = 0; seed < 40; seed++) {
    const r = cutmix(images, labels, { seed });
    const side = Math.floor(28 * Math.sqrt(1 - r.lambda));
    const { top, bottom, left, right } = r.box;
    if ((bottom - top) * (right - left) < side * side) clipped++;
    for (let i = 0; i < n; i++) {
      let changed = 0;
      for (let p = 0; p < NUM_PIXELS; p++) {
        const v = r.images[i * NUM_PIXELS + p];
        if (v !== images[i * NUM_PIXELS + p]) {
          changed++;
          assert.equal(v, images[r.partner[i] * NUM_PIXELS], `seed ${seed}: pasted pixels come from the partner`);
        }
      }
      const row = Array.from(r.targets.subarray(i * 10, (i + 1) * 10));
      assertClose([row.reduce((a, b) => a + b, 0)], [1], 1e-6, 0, 'targets sum to 1');
      if (r.partner[i] === i) {
        assert.equal(changed, 0);
        assertClose([row[labels[i]]], [1], 1e-6, 0, 'own partner: own label');
      } else {
        assert.equal(changed / NUM_PIXELS, r.pasted, `seed ${seed} image ${i}: changed pixels are the pasted area`);
        assertClose([row[labels[i]], row[labels[r.partner[i]]]], [1 - changed / NUM_PIXELS, changed / NUM_PIXELS], 1e-6, 0, 'label weights');
      }
    }
  }
  assert.ok(clipped > 0, 'some boxes were clipped at the border');
});

test('CutMix is deterministic by seed and checks its input', () => {
  const images = digits(8);
  const labels = Array.from(mnist.test.labels.subarray(0, 8));
  const a = cutmix(images, labels, { seed: 3 });
  assert.deepEqual(cutmix(images, labels, { seed: 3 }), a);
  assert.notDeepEqual(cutmix(images, labels, { seed: 4 }).images, a.images);
  assert.throws(() => cutmix(images, labels.slice(1), { seed: 1 }), /cutmix: 8 images but 7 labels/);
  assert.throws(() => cutmix(images.subarray(1), labels, { seed: 1 }), /cutmix: images must have shape \[n, 28, 28\]/);
  assert.throws(() => cutmix(images, [...labels.slice(1), 10], { seed: 1 }), /label 10 at index 7/);
});

test('soft cross-entropy equals the integer-label cross-entropy for one-hot targets', () => {
  const v = assertNoLeak(() => tf.tidy(() => {
    const logits = tf.tensor2d([[0, Math.log(3)], [1, 1]]);
    return [softCrossEntropy(logits, tf.tensor2d([[0, 1], [1, 0]])).dataSync()[0], softCrossEntropy(logits, tf.tensor2d([[0.5, 0.5], [0.5, 0.5]])).dataSync()[0]];
  }), 'softCrossEntropy');
  assertClose(v, [(-Math.log(0.75) - Math.log(0.5)) / 2, (-0.5 * Math.log(0.25) - 0.5 * Math.log(0.75) - Math.log(0.5)) / 2], 1e-6, 1e-6);
});

// --- AugMix ------------------------------------------------------------------------------

test('AugMix stays in [0, 1], returns the input when the mix weight is 0, and is deterministic per image', () => {
  const images = digits(6);
  const out = augmix(images, { seed: 1 });
  assert.ok(out.every((v) => v >= 0 && v <= 1));
  assert.notDeepEqual(out, images);
  assert.deepEqual(augmix(images, { seed: 1, mixWeight: 0 }), images);
  assert.deepEqual(augmix(images, { seed: 1 }), out);
  assert.notDeepEqual(augmix(images, { seed: 2 }), out);
  // Image i depends on the seed and i only, not on the rest of the batch.
  assert.deepEqual(augmix(images.subarray(0, 2 * NUM_PIXELS), { seed: 1 }), out.subarray(0, 2 * NUM_PIXELS));
  const full = augmix(images, { seed: 1, severity: 10, width: 4, depth: 3, alpha: 0.5 });
  assert.ok(full.every((v) => v >= 0 && v <= 1));
  assert.throws(() => augmix(images, { seed: 1, severity: 11 }), /severity must be in \[1, 10\]/);
  assert.throws(() => augmix(images, { seed: 1, depth: 0 }), /depth must be a positive integer/);
});

test('every AugMix operation keeps [0, 1] at every severity', () => {
  const rng = new Rng(5);
  for (const op of AUGMIX_OPS) {
    for (const severity of [1, 3, 10]) {
      for (let i = 0; i < 5; i++) {
        const out = op.apply(digit(i), severity, rng);
        assert.equal(out.length, NUM_PIXELS);
        assert.ok(out.every((v) => v >= 0 && v <= 1), `${op.name} at severity ${severity}`);
      }
    }
  }
  assert.deepEqual(AUGMIX_OPS.map((o) => o.name), ['autocontrast', 'equalize', 'posterize', 'rotate', 'solarize', 'shearX', 'shearY', 'translateX', 'translateY']);
});

test('geometric operations: whole-pixel shifts are exact, a quarter turn moves right to top, shear moves rows', () => {
  const img = new Float32Array(NUM_PIXELS);
  img[14 * 28 + 20] = 1; // row 14, column 20: right of the centre
  const at = (x: Float32Array) => {
    const i = x.findIndex((v) => v > 0.99);
    return [Math.floor(i / 28), i % 28];
  };
  assert.deepEqual(at(translate(img, 3, -2)), [12, 23]);
  assert.equal(translate(img, 3, -2).reduce((a, b) => a + b, 0), 1);
  assert.deepEqual(affine(img, [1, 0, 0, 0, 1, 0]), img);
  // Anticlockwise on screen: right of the centre goes above it (pixel centres at 14 ± 6).
  assert.deepEqual(at(rotate(img, 90)), [7, 14]);
  // Row 14 is half a pixel below the centre: shear 2 moves it by −1 pixel.
  assert.deepEqual(at(shearX(img, 2)), [14, 19]);
  assert.equal(translate(img, 40, 0).reduce((a, b) => a + b, 0), 0, 'shifted out of the image: background');
});

test('intensity operations: autocontrast, equalize, posterize, solarize', () => {
  const ramp = Float32Array.from({ length: NUM_PIXELS }, (_, i) => 0.2 + (0.5 * i) / (NUM_PIXELS - 1));
  const stretched = autocontrast(ramp);
  assertClose([stretched[0], stretched[NUM_PIXELS - 1]], [0, 1], 1e-6, 0);
  const flat = new Float32Array(NUM_PIXELS).fill(0.3);
  assert.deepEqual(autocontrast(flat), flat);
  // Equalize keeps the order of levels and spreads a narrow ramp over [0, 1].
  const eq = equalize(ramp);
  for (let i = 1; i < NUM_PIXELS; i++) assert.ok(eq[i] >= eq[i - 1]);
  assert.ok(eq[0] < 0.05 && eq[NUM_PIXELS - 1] > 0.95);
  assert.ok(posterize(digit(0), 3).every((v) => Math.abs(Math.round(v * 255) % 32) === 0));
  assert.deepEqual(posterize(digit(0), 8), digit(0).map((v) => Math.round(v * 255) / 255));
  assertClose(Array.from(solarize(Float32Array.from([0.2, 0.6, 0.9]), 0.5)), [0.2, 0.4, 0.1], 1e-6, 0);
});

// --- Jensen-Shannon consistency ---------------------------------------------------------------

const jsd = (a: number[][], b: number[][], c: number[][]) =>
  assertNoLeak(() => tf.tidy(() => jsdConsistencyLoss(tf.tensor2d(a), tf.tensor2d(b), tf.tensor2d(c)).dataSync()[0]), 'jsdConsistencyLoss');

test('JSD consistency loss: 0 for identical predictions, symmetric, bounded, and as AugMix computes it', () => {
  assert.equal(JSD_WEIGHT, 12);
  const a = [[1, 2, 0.5], [0, -1, 3]];
  const b = [[0.3, 0, 2], [1, 1, 1]];
  const c = [[-2, 1, 1], [4, 0, 0]];
  assert.ok(Math.abs(jsd(a, a, a)) < 1e-6);
  const v = jsd(a, b, c);
  for (const [x, y, z] of [[a, c, b], [b, a, c], [b, c, a], [c, a, b], [c, b, a]]) assertClose([jsd(x, y, z)], [v], 1e-6, 1e-6, 'permuted');
  // By hand, in float64: mean over the batch of mean_i KL(p_i ‖ M).
  const softmax = (l: number[]) => {
    const e = l.map(Math.exp);
    const s = e.reduce((p, q) => p + q, 0);
    return e.map((x) => x / s);
  };
  let want = 0;
  for (let r = 0; r < 2; r++) {
    const ps = [a[r], b[r], c[r]].map(softmax);
    const m = ps[0].map((_, k) => (ps[0][k] + ps[1][k] + ps[2][k]) / 3);
    for (const p of ps) want += p.reduce((s, pk, k) => s + pk * Math.log(pk / m[k]), 0) / 3;
  }
  assertClose([v], [want / 2], 1e-6, 1e-5, 'hand computation');
  // Bounds: three disjoint one-hot predictions give ln 3; two alike and one apart give H(1/3, 2/3) < ln 2.
  const big = 200;
  const one = [[big, 0, 0]];
  const two = [[0, big, 0]];
  const three = [[0, 0, big]];
  assertClose([jsd(one, two, three)], [Math.log(3)], 1e-4, 0, 'ln 3');
  const h = -(1 / 3) * Math.log(1 / 3) - (2 / 3) * Math.log(2 / 3);
  assertClose([jsd(one, one, two)], [h], 1e-4, 0, 'H(1/3, 2/3)');
  assert.ok(h < Math.log(2));
  assert.throws(() => jsd(a, b, [[1, 2]]), /jsdConsistencyLoss: the three logits must have the same shape/);
});

// --- Fourier transform and phase noise ---------------------------------------------------------

test('the 2-D DFT matches a direct double sum, and its inverse undoes it', () => {
  const size = 28;
  const rng = new Rng(8);
  const x = { re: Float64Array.from({ length: size * size }, () => rng.normal()), im: Float64Array.from({ length: size * size }, () => rng.normal()) };
  const X = dft2d(x, size);
  for (const [k, l] of [[0, 0], [1, 0], [0, 5], [13, 14], [14, 14], [27, 3]]) {
    let re = 0;
    let im = 0;
    for (let m = 0; m < size; m++) {
      for (let n = 0; n < size; n++) {
        const t = (-2 * Math.PI * (k * m + l * n)) / size;
        re += x.re[m * size + n] * Math.cos(t) - x.im[m * size + n] * Math.sin(t);
        im += x.re[m * size + n] * Math.sin(t) + x.im[m * size + n] * Math.cos(t);
      }
    }
    assertClose([X.re[k * size + l], X.im[k * size + l]], [re, im], 1e-9, 1e-9, `X[${k}, ${l}]`);
  }
  const back = dft2d(X, size, true);
  assertClose(back.re, x.re, 1e-12, 0, 'inverse, real');
  assertClose(back.im, x.im, 1e-12, 0, 'inverse, imaginary');
  assert.throws(() => dft2d({ re: new Float64Array(10), im: new Float64Array(10) }, size), /dft2d: expected 28x28 = 784 values, got 10 real/);
});

test('phase noise keeps each image\'s amplitude spectrum and mean and randomises its phases', () => {
  const images = digits(3);
  const noise = phaseNoise(images, { seed: 4 });
  for (let i = 0; i < 3; i++) {
    const a = dft2dReal(images.subarray(i * NUM_PIXELS, (i + 1) * NUM_PIXELS), 28);
    const b = dft2dReal(noise.subarray(i * NUM_PIXELS, (i + 1) * NUM_PIXELS), 28);
    const amp = (z: typeof a) => Array.from(z.re, (r, k) => Math.hypot(r, z.im[k]));
    assertClose(amp(b), amp(a), 1e-4, 0, `image ${i} amplitude spectrum`);
    let phaseChange = 0;
    let counted = 0;
    for (let k = 1; k < NUM_PIXELS; k++) {
      if (Math.hypot(a.re[k], a.im[k]) < 1e-3) continue;
      const d = Math.atan2(b.im[k], b.re[k]) - Math.atan2(a.im[k], a.re[k]);
      phaseChange += Math.abs(Math.atan2(Math.sin(d), Math.cos(d)));
      counted++;
    }
    // Independent uniform phases differ by π/2 on average.
    assert.ok(phaseChange / counted > 1.2, `image ${i}: mean phase change ${phaseChange / counted}`);
  }
  assert.deepEqual(phaseNoise(images, { seed: 4 }), noise);
  assert.notDeepEqual(phaseNoise(images, { seed: 5 }), noise);
  assert.deepEqual(phaseNoise(images.subarray(0, NUM_PIXELS), { seed: 4 }), noise.subarray(0, NUM_PIXELS));
});

test('blending with phase noise: weight 0 is the input, weight 1 the partner\'s noise clipped to [0, 1]', () => {
  const images = digits(5);
  assert.deepEqual(blendPhaseNoise(images, { seed: 2, weight: 0 }).images, images);
  const { images: pure, partner } = blendPhaseNoise(images, { seed: 2, weight: 1 });
  const noise = phaseNoise(images, { seed: 2 });
  for (let i = 0; i < 5; i++) {
    const j = partner[i];
    assertClose(pure.subarray(i * NUM_PIXELS, (i + 1) * NUM_PIXELS), noise.subarray(j * NUM_PIXELS, (j + 1) * NUM_PIXELS).map((v) => Math.min(1, Math.max(0, v))), 1e-6, 0, `image ${i}`);
  }
  const half = blendPhaseNoise(images, { seed: 2, weight: 0.5 }).images;
  assert.ok(half.every((v) => v >= 0 && v <= 1));
  assert.deepEqual(blendPhaseNoise(images, { seed: 2, weight: 0.5 }).images, half);
  assert.throws(() => blendPhaseNoise(images, { seed: 2, weight: 1.5 }), /weight must be in \[0, 1\], got 1.5/);
});

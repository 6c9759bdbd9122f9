import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ImageSet, loadMnist, sliceSet } from '../src/data/mnist';
import { degradeImages, gaussianKernel1d, OCCLUSION_BLOCK } from '../src/noise/degrade';
import { calibrateType, paramAt } from '../src/noise/calibrate';

const mnist = loadMnist();
const few: ImageSet = sliceSet(mnist.test, 0, 20);
const opts = (level: number) => ({ seed: 1, level, fillValue: mnist.trainMean });

test('noise is deterministic per (image, type, level, seed) and independent of the batch it is in', () => {
  const a = degradeImages(few, 'pixel', 0.5, opts(3));
  const b = degradeImages(few, 'pixel', 0.5, opts(3));
  assert.deepEqual(a, b);
  const alone = degradeImages(sliceSet(few, 5, 6), 'pixel', 0.5, opts(3));
  assert.deepEqual(alone, a.subarray(5 * 784, 6 * 784));
  assert.notDeepEqual(degradeImages(few, 'pixel', 0.5, opts(4)), a);
  assert.notDeepEqual(degradeImages(few, 'pixel', 0.5, { ...opts(3), seed: 2 }), a);
});

test('pixel noise has the requested standard deviation', () => {
  const out = degradeImages(few, 'pixel', 0.7, opts(1));
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < out.length; i++) {
    const d = out[i]! - few.images[i]!;
    s += d;
    s2 += d * d;
  }
  const n = out.length;
  const sd = Math.sqrt(s2 / n - (s / n) ** 2);
  assert.ok(Math.abs(sd - 0.7) < 0.02, `sd ${sd}`);
});

test('contrast multiplies, level 0 parameters leave images untouched', () => {
  const out = degradeImages(few, 'contrast', 0.25, opts(2));
  for (let i = 0; i < 784; i++) assert.equal(out[i], Math.fround(few.images[i]! * 0.25));
  assert.deepEqual(degradeImages(few, 'blur', 0, opts(0)), few.images.slice());
  assert.deepEqual(degradeImages(few, 'occlusion', 0, opts(0)), few.images.slice());
});

test('blur kernel is normalised and blur of a centred point is its outer product', () => {
  const k = gaussianKernel1d(1.5);
  assert.ok(Math.abs(k.reduce((a, b) => a + b, 0) - 1) < 1e-6);
  const img = new Float32Array(784);
  img[14 * 28 + 14] = 1;
  const set: ImageSet = { images: img, labels: new Uint8Array([0]), n: 1, sourceIndex: new Int32Array([0]), source: 'test', dataset: 'test' };
  const out = degradeImages(set, 'blur', 1.5, opts(1));
  const r = (k.length - 1) / 2;
  assert.ok(Math.abs(out[(14 + 1) * 28 + 14 + 2]! - k[r + 1]! * k[r + 2]!) < 1e-7);
  assert.ok(Math.abs(out.reduce((a, b) => a + b, 0) - 1) < 1e-5);
});

test('occlusion sets whole 3x3 blocks to the fill value', () => {
  const blank: ImageSet = { images: new Float32Array(784), labels: new Uint8Array([0]), n: 1, sourceIndex: new Int32Array([3]), source: 'test', dataset: 'test' };
  const out = degradeImages(blank, 'occlusion', 1, opts(1));
  const filled = [...out.keys()].filter((i) => out[i] !== 0);
  assert.equal(filled.length, OCCLUSION_BLOCK * OCCLUSION_BLOCK);
  assert.ok(filled.every((i) => Math.abs(out[i]! - mnist.trainMean) < 1e-7));
});

test('bad noise arguments are rejected with the allowed values', () => {
  assert.throws(() => degradeImages(few, 'speckle' as 'pixel', 1, opts(1)), /unknown noise type 'speckle'.*pixel, blur, contrast, occlusion/);
  assert.throws(() => degradeImages(few, 'pixel', 1, opts(7)), /noise level 7 is out of range/);
  assert.throws(() => degradeImages(few, 'pixel', Number.NaN, opts(1)), /pixel noise: noise s\.d\. NaN is out of range: expected a value ≥ 0/);
  assert.throws(() => degradeImages(few, 'blur', -2, opts(1)), /blur noise: blur width \(px\) -2 is out of range: expected a value ≥ 0/);
  assert.throws(() => degradeImages(few, 'contrast', 2, opts(1)), /contrast scale 2 is out of range: expected a value in \[0, 1\]/);
});

test('calibration bisection lands within tolerance on a known monotone curve', () => {
  // Accuracy falls linearly from 1 to 0.1 over pixel sd 0..4; levels are then exact inverses.
  const acc = (p: number) => 1 - (0.9 * p) / 4;
  const cal = calibrateType('pixel', acc, { tolerance: 0.005, maxSteps: 20 });
  for (const l of cal.levels) assert.ok(Math.abs(l.accuracy - l.target) <= 0.005, `level ${l.level}: ${l.accuracy} vs ${l.target}`);
  assert.ok(Math.abs(cal.levels[0]!.param - (4 * 0.1) / 0.9) < 0.03);
});

test('calibration of a count parameter picks the closest whole number', () => {
  const acc = (n: number) => Math.exp(-n / 50);
  const cal = calibrateType('occlusion', acc, { tolerance: 0.001, maxSteps: 30 });
  for (const l of cal.levels) {
    assert.ok(Number.isInteger(l.param));
    const ideal = -50 * Math.log(l.target);
    assert.ok(Math.abs(l.param - ideal) <= 1, `level ${l.level}: ${l.param} vs ${ideal}`);
  }
  assert.equal(paramAt('contrast', 0), 1);
});

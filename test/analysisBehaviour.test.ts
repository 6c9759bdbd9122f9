/**
 * Behavioural comparisons of two networks (src/analysis/behaviour.ts):
 * hand-computed cases, invariances, and numpy
 * (test/golden/make_analysis2_golden.py).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { incorrectLabelAgreement, logitDifferenceCorrelation } from '../src/analysis/behaviour';
import { Rng } from '../src/random';

const GOLDEN = path.join(__dirname, '..', '..', 'test', 'golden');

interface BehaviourGolden {
  labels: number[]; predA: number[]; predB: number[]; bothIncorrect: number; agreement: number;
  classes: number; diffA: number[]; diffB: number[]; correctA: number[]; correctB: number[]; images: number; correlation: number;
}
const golden = JSON.parse(fs.readFileSync(path.join(GOLDEN, 'analysis2_golden.json'), 'utf8')) as { behaviour: BehaviourGolden };

test('incorrect-label agreement: hand-computed case', () => {
  const labels = [0, 1, 2, 3, 4, 5];
  // Both wrong on images 2, 3, 4 (image 1: only B wrong); same wrong label on 2 and 4.
  const predA = Int32Array.of(0, 1, 7, 8, 9, 5);
  const predB = Int32Array.of(0, 6, 7, 1, 9, 5);
  assert.deepEqual(incorrectLabelAgreement(predA, predB, labels), { agreement: 2 / 3, bothIncorrect: 3 });
  // Symmetric in the two networks.
  assert.deepEqual(incorrectLabelAgreement(predB, predA, labels), { agreement: 2 / 3, bothIncorrect: 3 });
  const none = incorrectLabelAgreement(Int32Array.of(0, 1), Int32Array.of(0, 1), [0, 1]);
  assert.equal(none.bothIncorrect, 0);
  assert.ok(Number.isNaN(none.agreement));
  assert.throws(() => incorrectLabelAgreement(Int32Array.of(0), Int32Array.of(0, 1), [0, 1]), /incorrectLabelAgreement: predA \[1\], predB \[2\] and labels \[2\]/);
});

test('incorrect-label agreement matches numpy', () => {
  const g = golden.behaviour;
  const r = incorrectLabelAgreement(Int32Array.from(g.predA), Int32Array.from(g.predB), g.labels);
  assert.equal(r.bothIncorrect, g.bothIncorrect);
  assert.ok(Math.abs(r.agreement - g.agreement) < 1e-15);
});

test('logit-difference correlation: 1 for affine copies, −1 for negated ones; only images correct in both count', () => {
  const rng = new Rng(41);
  const [images, classes] = [5, 10];
  const a = Float32Array.from({ length: images * classes }, () => rng.normal());
  const same = a.map((v) => 2.5 * v + 1);
  const all = new Uint8Array(images).fill(1);
  const r = logitDifferenceCorrelation(a, same, all, all);
  assert.equal(r.images, images);
  assert.ok(Math.abs(r.correlation - 1) < 1e-12);
  assert.ok(Math.abs(logitDifferenceCorrelation(a, a.map((v) => -v), all, all).correlation + 1) < 1e-12);
  // Image 0 correct in both, with r = −1; every other image is wrong in one network.
  const b = Float32Array.from(same);
  for (let c = 0; c < classes; c++) b[c] = -a[c]!;
  const onlyFirst = logitDifferenceCorrelation(a, b, [true, true, false, true, false], [true, false, true, false, false]);
  assert.deepEqual(onlyFirst, { correlation: -1, images: 1, skipped: 0 });
});

test('logit-difference correlation: hand-computed r, and constant differences are skipped', () => {
  // Three classes: a = [1, 2, 3], b = [1, 3, 2] → r = 0.5; a second image with b constant (a uniform shift).
  const a = Float32Array.of(1, 2, 3, 1, 2, 3);
  const b = Float32Array.of(1, 3, 2, 4, 4, 4);
  const r = logitDifferenceCorrelation(a, b, Uint8Array.of(1, 1), [true, true], 3);
  assert.deepEqual(r, { correlation: 0.5, images: 1, skipped: 1 });
  const none = logitDifferenceCorrelation(a, b, [false, false], [true, true], 3);
  assert.equal(none.images, 0);
  assert.ok(Number.isNaN(none.correlation));
  assert.throws(() => logitDifferenceCorrelation(a, b, [true, true], [true, true], 4), /logitDifferenceCorrelation: diffA has 6 values, expected \[images 2, classes 4\] = 8/);
  assert.throws(() => logitDifferenceCorrelation(a, b, [true, true], [true], 3), /correctA has 2 images, correctB 1/);
});

test('logit-difference correlation matches numpy (np.corrcoef per image)', () => {
  const g = golden.behaviour;
  const r = logitDifferenceCorrelation(Float32Array.from(g.diffA), Float32Array.from(g.diffB), Uint8Array.from(g.correctA), Uint8Array.from(g.correctB), g.classes);
  assert.equal(r.images, g.images);
  assert.equal(r.skipped, 0);
  // The differences are rounded to float32 here; r moves by ~1e-7.
  assert.ok(Math.abs(r.correlation - g.correlation) < 1e-6, `${r.correlation} vs numpy ${g.correlation}`);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { loadMnist } from '../src/data/mnist';
import { fig1b, figCalibration } from '../src/figures/fig1';
import { saveFigure } from '../src/figures/figure';
import { grayPng } from '../src/figures/png';
import { calibrateType, CALIBRATION_TARGETS } from '../src/noise/calibrate';
import { NOISE_TYPES, NoiseType } from '../src/noise/degrade';
import type { Calibration } from '../src/noise/calibrate';
import { tempDir } from './helpers';

// A calibration from known monotone curves, so the figures can be built without a trained core.
function fakeCalibration(): Calibration {
  const curves: Record<NoiseType, (p: number) => number> = {
    pixel: (p) => 1 - 0.9 * Math.min(1, p / 2),
    blur: (p) => 1 - 0.9 * Math.min(1, p / 3),
    contrast: (p) => 0.1 + 0.9 * Math.min(1, p / 0.3),
    occlusion: (n) => Math.exp(-n / 80),
  };
  const types = Object.fromEntries(NOISE_TYPES.map((t) => [t, calibrateType(t, curves[t], { tolerance: 0.01, maxSteps: 12 })])) as Calibration['types'];
  return { coreHash: 'test', seed: 1, images: 100, targets: CALIBRATION_TARGETS, types };
}

test('grayPng writes a valid PNG of the scaled size', () => {
  const png = grayPng(new Float32Array([0, 1, 0.5, 0.25]), 2, 2, 3);
  assert.deepEqual([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);
  assert.equal(png.readUInt32BE(16), 6);
  assert.equal(png.readUInt32BE(20), 6);
  assert.throws(() => grayPng(new Float32Array(3), 2, 2), /3 values for 2x2/);
});

test('Figure 1B shows 4 types x 7 levels as images and saves SVG, PNG, spec and data', async () => {
  const mnist = loadMnist();
  const fig = await fig1b(mnist.test, fakeCalibration(), { fillValue: mnist.trainMean });
  assert.equal((fig.svg.match(/<image /g) ?? []).length, 28);
  for (const t of NOISE_TYPES) assert.ok(fig.svg.includes(`>${t}<`), `column ${t} missing`);
  const saved = saveFigure(fig, tempDir());
  assert.deepEqual([...fs.readFileSync(saved.png).subarray(1, 4)].map((c) => String.fromCharCode(c)).join(''), 'PNG');
  const data = JSON.parse(fs.readFileSync(saved.data, 'utf8')) as { params: { type: string; levels: number[] }[] };
  assert.equal(data.params.length, 4);
  assert.equal(data.params[0]!.levels.length, 7);
});

test('the calibration figure marks the six chosen levels of each type', async () => {
  const cal = fakeCalibration();
  const fig = await figCalibration(cal);
  const data = fig.data as { levels: unknown[]; evaluations: unknown[] };
  assert.equal(data.levels.length, 24);
  assert.equal(data.evaluations.length, NOISE_TYPES.reduce((n, t) => n + cal.types[t].points.length, 0));
  assert.ok(fig.svg.includes('occlusion: 3x3 blocks'));
});

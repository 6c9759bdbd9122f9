/**
 * The model-recovery stage's plumbing (its phase, the profile's settings and
 * their checks) and its figure on hand-made confusion matrices. The stage's
 * computation is the tested `modelRecovery` (test/modelRecovery.test.ts) on
 * recordings made by the tested recording helpers; it runs end to end in the
 * smoke reproduction.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { RecoveryConfusion } from '../src/analysis/modelRecovery';
import { saveFigure } from '../src/figures/figure';
import { figModelRecovery, type RecoveryFigureCore } from '../src/figures/figRecovery';
import { modelRecoveryPhase } from '../src/stages/modelRecovery';
import { getProfile, jobProfile, PROFILE_NAMES, RECOVERY_POOL_UNITS } from '../src/stages/profiles';
import { reproductionPhases } from '../src/stages/reproduce';
import { tempDir } from './helpers';

test('one model-recovery job per core carrying the whole profile, the last phase of a reproduction', () => {
  const profile = getProfile('quick');
  const phase = modelRecoveryPhase(profile);
  assert.deepEqual(phase.jobs.map((j) => j.id), ['model-recovery-c0', 'model-recovery-c1']);
  for (const job of phase.jobs) assert.deepEqual(job.params.profile, profile);
  assert.equal(reproductionPhases(profile).at(-1)!.name, phase.name);
});

test('every profile has valid model-recovery settings; bad ones are refused with their field named', () => {
  for (const name of PROFILE_NAMES) {
    const p = getProfile(name);
    assert.equal(jobProfile({ profile: p }), p);
    assert.ok(Math.max(...p.modelRecovery.neurons) <= RECOVERY_POOL_UNITS);
  }
  const smoke = getProfile('smoke');
  const edit = (change: object) => ({ profile: { ...smoke, modelRecovery: { ...smoke.modelRecovery, ...change } } });
  assert.throws(() => jobProfile(edit({ images: 5 })), /modelRecovery\.images: 5, expected/);
  assert.throws(() => jobProfile(edit({ layer: 'r3' })), /modelRecovery\.layer: "r3", expected 'r1' or 'r2'/);
  assert.throws(() => jobProfile(edit({ candidateLayers: ['r5'] })), /modelRecovery\.candidateLayers: \["r5"\]/);
  assert.throws(() => jobProfile(edit({ neurons: [RECOVERY_POOL_UNITS + 1] })), /modelRecovery\.neurons\[0\]/);
  assert.throws(() => jobProfile(edit({ noiseLevels: [] })), /modelRecovery\.noiseLevels: \[\], expected a non-empty list/);
  assert.throws(() => jobProfile(edit({ repetitions: 1 })), /modelRecovery\.repetitions: 1/);
  assert.throws(() => jobProfile(edit({ sourceInstances: 3 })), /modelRecovery\.sourceInstances: 3, expected 1 or 2/);
  const { modelRecovery: _m, ...without } = smoke;
  assert.throws(() => jobProfile({ profile: without }), /missing 'modelRecovery' settings/);
});

test('the model-recovery figure pools the cores\' confusion matrices and reports the settings', async () => {
  const groups = ['FF', 'A', 'B'];
  const confusion = (method: RecoveryConfusion['method'], noiseLevel: number, neurons: number, counts: number[][]): RecoveryConfusion => {
    const trials = counts.flat().reduce((a, b) => a + b, 0);
    return { method, noiseLevel, neurons, groups, counts, accuracy: counts.reduce((s, row, i) => s + row[i]!, 0) / trials, chance: 1 / 3, chanceByGroup: [1 / 3, 1 / 3, 1 / 3], trials };
  };
  const core = (diagonal: number): RecoveryFigureCore => ({
    settings: { images: 10, layer: 'r1', candidateLayers: ['r1', 'r2'], components: 20, repetitions: 4, replicates: 1, splits: 10, sourceInstances: 1 },
    samples: 50, poolUnits: 2000,
    networks: groups.map((g) => ({ label: g, group: g, components: [20, 20] })),
    confusion: (['predictivity', 'denoising', 'dimensionality'] as const).flatMap((m) => [0.5, 4].flatMap((level) => [8, 20].map((n) => confusion(m, level, n, [[diagonal, 1, 0], [0, diagonal, 1], [1, 0, diagonal]])))),
  });
  const fig = await figModelRecovery([core(2), core(4)], { dataLabel: 'test' });
  const data = fig.data as { accuracy: { accuracy: number; trials: number }[]; confusion: { count: number; fraction: number }[]; settings: { images: number } };
  // Pooled: 6 + 12 on the diagonal of 9 + 15 trials.
  assert.ok(data.accuracy.every((a) => a.trials === 24 && Math.abs(a.accuracy - 18 / 24) < 1e-12));
  assert.equal(data.confusion.length, 3 * 4 * 9);
  assert.ok(data.confusion.some((c) => c.count === 6 && Math.abs(c.fraction - 0.75) < 1e-12));
  assert.equal(data.settings.images, 10);
  assert.match(fig.svg, /10 test images × 5 conditions/);
  assert.ok(fs.statSync(saveFigure(fig, tempDir()).png).size > 10_000);
});

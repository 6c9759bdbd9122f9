/**
 * The GRCNN and augmentation stages end to end on the smoke profile, in a
 * fresh run directory (the smoke core and calibration are made first), then a
 * second call that must load everything from the cache.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { initBackend } from '../src/backend';
import { AUGMENTATIONS } from '../src/augment/train';
import { figAugmentation, figGrcnnIterations } from '../src/figures/figGated';
import { saveFigure } from '../src/figures/figure';
import { NUM_LEVELS } from '../src/noise/degrade';
import { augmentationPhases, ensureAugmentation, GAIN_LEVEL } from '../src/stages/augmentation';
import { ensureGated, gatedPhases } from '../src/stages/gated';
import { phaseCommands } from '../src/stages/jobs';
import { getProfile } from '../src/stages/profiles';
import { fileTimes, tempDir } from './helpers';

const root = tempDir('repro-gated-stage-');
const savedRoot = process.env.REPRO_ROOT;

before(async () => {
  process.env.REPRO_ROOT = root;
  await initBackend({ force: 'wasm', log: false });
});

after(() => {
  if (savedRoot === undefined) delete process.env.REPRO_ROOT;
  else process.env.REPRO_ROOT = savedRoot;
});

test('the phases carry the whole profile, one job per variant, augmentation, core, type and instance', () => {
  const profile = getProfile('smoke');
  const phases = [...gatedPhases(profile), ...augmentationPhases(profile)];
  assert.deepEqual(phases.map((p) => p.jobs.map((j) => j.id)), [
    ['grcnn-gated-n0', 'grcnn-ungated-n0'],
    AUGMENTATIONS.map((a) => `core-${a}-c0`),
    AUGMENTATIONS.map((a) => `LR-TT-${a}-c0-i0`),
  ]);
  for (const job of phases.flatMap((p) => p.jobs)) assert.deepEqual(job.params.profile, profile, job.id);
  assert.equal(phaseCommands(phases).split('\n').filter((l) => l.startsWith('node ')).length, 10);
  assert.equal(getProfile('quick').gated.grcnn.ungated, true);
  assert.deepEqual(getProfile('paper').gated.augmentation.core, getProfile('paper').core, 'paper: the none cores are the main cores');
});

test('smoke: the GRCNN and augmentation stages run end to end, then load from the cache without recomputing', async () => {
  const profile = getProfile('smoke');
  const start = Date.now();
  const gated = await ensureGated(profile, { inProcess: true });
  const augmentation = await ensureAugmentation(profile, { inProcess: true });
  const firstSeconds = (Date.now() - start) / 1000;

  const T = profile.gated.grcnn.config.iterations;
  assert.deepEqual(gated.runs.map((r) => [r.gated, r.network]), [[true, 0], [false, 0]]);
  for (const run of gated.runs) {
    assert.equal(run.records.length, (T + 1) * (1 + 4 * NUM_LEVELS));
    assert.deepEqual([...new Set(run.records.map((r) => r.iterations))], [0, 1, 2, 3]);
    assert.ok(run.records.every((r) => r.accuracy >= 0 && r.accuracy <= 1 && r.images === profile.gated.grcnn.evalImages));
    assert.ok(run.training.trainSeconds > 0 && run.evalSeconds > 0 && run.computeSeconds >= run.training.trainSeconds);
    const clean = run.records.find((r) => r.noise === 'clean' && r.iterations === T);
    assert.ok(clean && clean.accuracy > 0.2, `${run.gated ? 'gated' : 'ungated'} GRCNN learned something: clean accuracy ${clean?.accuracy}`);
  }
  assert.ok(Math.abs(gated.computeSeconds - gated.runs.reduce((s, r) => s + r.computeSeconds, 0)) < 1e-9);

  assert.deepEqual(augmentation.cores.map((c) => c.augmentation), [...AUGMENTATIONS]);
  for (const c of augmentation.cores) assert.equal(c.robustness.length, 1 + 4 * NUM_LEVELS, c.augmentation);
  assert.deepEqual(augmentation.recurrence.map((r) => [r.augmentation, r.type, r.instance]), AUGMENTATIONS.map((a) => [a, 'LR-TT', 0]));
  for (const r of augmentation.recurrence) {
    assert.deepEqual([...new Set(r.records.map((x) => x.level))], [0, GAIN_LEVEL]);
    assert.equal(r.records.length, 5 * 3, `${r.augmentation}: clean and 4 noise types at level 5, 3 time steps`);
  }
  // Step 0 of the recurrent network is its core's feedforward pass: the robustness record of the same condition
  // (up to one image, as the two paths run the first layer's bias and ReLU fused and unfused).
  for (const r of augmentation.recurrence) {
    const core = augmentation.cores.find((c) => c.augmentation === r.augmentation);
    assert.ok(core, r.augmentation);
    for (const x of r.records.filter((x) => x.timeStep === 0)) {
      const ff = core.robustness.find((y) => y.noise === x.noise && y.level === x.level);
      assert.ok(ff && Math.abs(x.accuracy - ff.accuracy) <= 1 / x.images + 1e-12, `${r.augmentation} ${x.noise} ${x.level}: step 0 ${x.accuracy}, feedforward ${ff?.accuracy}`);
    }
  }

  const files = fileTimes(root);
  const again = Date.now();
  assert.deepEqual(await ensureGated(profile, { inProcess: true }), gated);
  assert.deepEqual(await ensureAugmentation(profile, { inProcess: true }), augmentation);
  const cachedSeconds = (Date.now() - again) / 1000;
  assert.deepEqual(fileTimes(root), files, 'the second call writes nothing');
  assert.ok(cachedSeconds < firstSeconds / 5, `cached call took ${cachedSeconds}s, first ${firstSeconds}s`);

  const dir = tempDir();
  const g = await figGrcnnIterations(gated.runs.flatMap((r) => r.records), { dataLabel: 'smoke profile' });
  const a = await figAugmentation({ robustness: augmentation.cores.flatMap((c) => c.robustness), recurrence: augmentation.recurrence }, { dataLabel: 'smoke profile' });
  for (const fig of [g, a]) assert.ok(fs.statSync(saveFigure(fig, dir).png).size > 10_000, fig.name);
});

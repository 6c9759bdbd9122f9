/**
 * Both studies end to end on a reduced smoke profile in a fresh run
 * directory (its core and calibration are made first): the tables have the
 * rows they should, the figures and files are written, and a second run loads
 * everything from the cache.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { initBackend } from '../src/backend';
import { NOISE_TYPES } from '../src/noise/degrade';
import { FBPC_VARIANTS, fbpcVariantRows, fbpcVariantSummary, TRAINING_LENGTH_TYPES, trainingLengthRows, trainingLengthSummary } from '../src/recurrence/studies';
import { getProfile, Profile } from '../src/stages/profiles';
import { ensureFbpcVariantStudy, ensureTrainingLengthStudy, loadStudies, studiesDir, writeFbpcVariantStudy, writeTrainingLengthStudy } from '../src/stages/studies';
import { fileTimes, tempDir } from './helpers';

const root = tempDir('repro-studies-');
const savedRoot = process.env.REPRO_ROOT;
const CLI = path.join(__dirname, '..', 'src', 'cli.js');

before(async () => {
  process.env.REPRO_ROOT = root;
  await initBackend({ force: 'wasm', log: false });
});

after(() => {
  if (savedRoot === undefined) delete process.env.REPRO_ROOT;
  else process.env.REPRO_ROOT = savedRoot;
  fs.rmSync(root, { recursive: true, force: true });
});

/** The smoke profile cut further: a shorter core, calibration and recurrence training, fewer test images. */
function reduced(): Profile {
  const p = getProfile('smoke');
  p.core.batches = 60;
  p.calibration.images = 200;
  p.recurrence.train = { ...p.recurrence.train, batches: 4, checkpointEvery: 2 };
  p.recurrence.decoder = { ...p.recurrence.decoder, batches: 5, checkpointEvery: 5 };
  p.recurrence.evalImages = 20;
  return p;
}

/** Modification times of every file under `dir`. */
test('smoke: the FB-PC variant study gives one row per variant, its files and figure, then loads from the cache', async () => {
  const profile = reduced();
  const study = await ensureFbpcVariantStudy(profile, { inProcess: true });
  assert.deepEqual(study.results.map((r) => r.variant.id), FBPC_VARIANTS.map((v) => v.id));
  for (const r of study.results) {
    assert.deepEqual(r.instances.map((i) => i.instance), [0, 1], r.variant.id);
    for (const i of r.instances) {
      assert.deepEqual(i.noisy.map((n) => n.noise), [...NOISE_TYPES]);
      assert.ok([i.clean, ...i.noisy].every((e) => e.images === 20 && e.firstAccuracy >= 0 && e.lastAccuracy <= 1 && Number.isFinite(e.meanInfluence)), r.variant.id);
      assert.ok(i.reconstruction > 0 && i.reach.trained > 0 && i.reach.initial > 0, r.variant.id);
      assert.equal(i.training.batches, r.variant.id === 'decoder-x4' ? 20 : 5, `${r.variant.id}: decoder batches`);
    }
    assert.ok(r.evalImagesPerSec > 0);
  }
  const byId = (id: string) => study.results.find((r) => r.variant.id === id)!;
  // Step 0 is the core's feedforward pass: the same for every variant.
  for (const r of study.results) assert.equal(r.instances[0]!.clean.firstAccuracy, byId('default').instances[0]!.clean.firstAccuracy);
  // Variants changing only run-time options share the default's decoders.
  assert.equal(byId('no-error').instances[0]!.reconstruction, byId('default').instances[0]!.reconstruction);
  assert.notEqual(byId('linear-decoder').instances[0]!.reconstruction, byId('default').instances[0]!.reconstruction);

  const rows = fbpcVariantRows(study);
  assert.deepEqual(rows.map((r) => r.id), FBPC_VARIANTS.map((v) => v.id));
  const written = await writeFbpcVariantStudy(study);
  assert.equal(path.dirname(written.json), studiesDir('smoke'));
  const md = fs.readFileSync(written.markdown, 'utf8');
  for (const v of FBPC_VARIANTS) assert.match(md, new RegExp(`^\\| ${v.id} \\|`, 'm'));
  assert.ok(fs.statSync(written.png).size > 5000);
  assert.match(fbpcVariantSummary(study), /default reading gives a mean level-5 gain of [+−]\d/);
  assert.deepEqual(loadStudies('smoke').fbpcVariants, JSON.parse(JSON.stringify(study)));

  const before = fileTimes(path.join(root, 'data'));
  const again = await ensureFbpcVariantStudy(profile, { inProcess: true });
  assert.deepEqual(again, study);
  const after = fileTimes(path.join(root, 'data'));
  assert.deepEqual([...after].filter(([f, t]) => before.get(f) !== t && !f.endsWith('manifest.json')), [], 'nothing recomputed');
});

test('smoke: the training-length study gives one row per type and factor and its figure', async () => {
  const profile = reduced();
  const study = await ensureTrainingLengthStudy(profile, { inProcess: true, factors: [2, 1] });
  assert.deepEqual(study.factors, [1, 2]);
  const rows = trainingLengthRows(study);
  assert.deepEqual(rows.map((r) => [r.type, r.factor, r.batches, r.instances]), [1, 2].flatMap((f) => TRAINING_LENGTH_TYPES.map((t) => [t, f, (t === 'FB-PC' ? 5 : 4) * f, 2])));
  for (const r of study.results) for (const i of r.instances) assert.equal(i.training.batches, r.batches);
  // The 1x FB-PC decoders are the FB-PC variant study's default ones (same cache key).
  const fbpc = study.results.find((r) => r.type === 'FB-PC' && r.factor === 1)!;
  assert.deepEqual(fbpc.instances.map((i) => i.training.trainSeconds), loadStudies('smoke').fbpcVariants!.results[0]!.instances.map((i) => i.training.trainSeconds));
  const written = await writeTrainingLengthStudy(study);
  assert.ok(fs.statSync(written.png).size > 5000);
  assert.equal(fs.readFileSync(written.markdown, 'utf8').split('\n').filter((l) => /^\| (FB-TT|LR-TT|FB-PC) \|/.test(l)).length, 6);
  assert.match(trainingLengthSummary(study), /from 1x to 2x the profile's batches: FB-TT [+−]\d/);
});

test('repro study refuses bad arguments with one line and exit code 2', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [CLI, 'study', ...args], { env: { ...process.env, REPRO_ROOT: root }, encoding: 'utf8' });
  for (const [args, message] of [
    [[], /^repro: repro study: expected one study, fbpc-variants or training-length; got none/],
    [['nope'], /got 'nope'/],
    [['fbpc-variants', '--factors', '1,4'], /--factors is an option of training-length only/],
    [['training-length', '--profile', 'smoke', '--factors', '1,x'], /--factors item 2 must be an integer ≥ 1, got 'x'/],
    [['training-length', '--profile', 'smoke', '--factors', '4,4'], /repeats a factor/],
    [['fbpc-variants', '--profile', 'smoke', '--core', '1'], /--core must be an integer in \[0, 0\], got '1'/],
    [['fbpc-variants', '--colour'], /Unknown option '--colour'/],
  ] as [string[], RegExp][]) {
    const r = run(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  }
  assert.match(run('--help').stdout, /repro study training-length/);
});

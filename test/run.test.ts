import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backendFromEnv } from '../src/backend';
import { getProfile, jobIndex, jobProfile } from '../src/stages/profiles';
import { jobCommands, phaseCommands, registerJobKind, runJobs } from '../src/stages/jobs';
import { reproductionPhases } from '../src/stages/reproduce';

test('one failing job is reported and does not lose the others', async () => {
  registerJobKind('test-square', async (p) => {
    if (p.n === 3) throw new Error('three is unlucky');
    return Number(p.n) ** 2;
  });
  const outcomes = await runJobs([1, 2, 3, 4].map((n) => ({ id: `sq-${n}`, kind: 'test-square', params: { n } })), { inProcess: true });
  assert.deepEqual(outcomes.map((o) => o.ok), [true, true, false, true]);
  assert.deepEqual(outcomes.filter((o) => o.ok).map((o) => o.result), [1, 4, 16]);
  assert.match(outcomes[2]!.error!, /three is unlucky/);
});

test('a worker process for an unknown job kind fails cleanly beside the others', async () => {
  const outcomes = await runJobs([{ id: 'bad', kind: 'no-such-kind', params: {} }, { id: 'bad-type', kind: 'calibrate', params: { profile: getProfile('smoke'), type: 'speckle' } }], { workers: 2, inProcess: false });
  assert.equal(outcomes.length, 2);
  assert.ok(outcomes.every((o) => !o.ok));
  assert.match(outcomes[0]!.error!, /unknown job kind 'no-such-kind'/);
  assert.match(outcomes[1]!.error!, /unknown noise type 'speckle'/);
});

test('the job list prints as one shell command per job', () => {
  const text = jobCommands([{ id: 'a', kind: 'core', params: { profile: 'quick', index: 1 } }]);
  assert.match(text, /^node '.*cli\.js' job --kind 'core' --params '\{"profile":"quick","index":1\}'$/);
});

test('jobs carry the profile they run: an edited profile reaches the worker, a bad one is refused', async () => {
  const edited = getProfile('smoke');
  edited.cores = 3;
  registerJobKind('test-profile', async (p) => jobProfile(p).cores);
  const [ok] = await runJobs([{ id: 'p', kind: 'test-profile', params: { profile: edited } }], { inProcess: true });
  assert.equal(ok!.result, 3);
  assert.throws(() => jobProfile({ profile: 'smoke' }), /job parameter 'profile': expected a profile object, got "smoke"/);
  assert.throws(() => jobProfile({ profile: { ...edited, cores: 0 } }), /cores 0, expected a positive integer/);
  // tfjs reads seed 0 as "no seed": a core of seed 0 would not be reproducible.
  assert.throws(() => jobProfile({ profile: { ...edited, seed: 0 } }), /seed: 0, expected an integer ≥ 1/);
  assert.throws(() => jobIndex({ index: 'abc' }, 'index', 2), /job parameter 'index': "abc", expected an integer in \[0, 1\]/);
});

test('--print-jobs and reproduce share one list of phases, each job carrying the whole profile', () => {
  const profile = getProfile('smoke');
  const phases = reproductionPhases(profile);
  assert.deepEqual(phases.map((p) => p.name), [
    'cores', 'noise calibration (needs core 0)', 'recurrence training and tuning', 'recurrence evaluation', 'activity recording and analyses',
    'GRCNN training and test-time iterations (needs the calibration)', 'augmented cores and their robustness (needs the calibration)', 'recurrence on the augmented cores', 'model recovery',
  ]);
  for (const job of phases.flatMap((p) => p.jobs)) assert.deepEqual(job.params.profile, profile, job.id);
  const text = phaseCommands(phases);
  assert.equal(text.split('\n').filter((l) => l.startsWith('node ')).length, phases.reduce((n, p) => n + p.jobs.length, 0));
});

test('unknown profiles and backends are errors naming the choices', () => {
  assert.throws(() => getProfile('huge'), /unknown profile 'huge': expected one of smoke, quick, paper/);
  assert.throws(() => backendFromEnv('tpu'), /REPRO_BACKEND=tpu: expected one of gpu, node, wasm, cpu/);
  assert.equal(backendFromEnv('WASM'), 'wasm');
  assert.equal(getProfile('quick').cores, 2);
});

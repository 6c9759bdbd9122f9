import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backendFromEnv } from '../src/backend';
import { getProfile } from '../src/run/profiles';
import { jobCommands, registerJobKind, runJobs } from '../src/run/jobs';

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
  const outcomes = await runJobs([{ id: 'bad', kind: 'no-such-kind', params: {} }, { id: 'bad-type', kind: 'calibrate', params: { profile: 'smoke', type: 'speckle' } }], { concurrency: 2, inProcess: false });
  assert.equal(outcomes.length, 2);
  assert.ok(outcomes.every((o) => !o.ok));
  assert.match(outcomes[0]!.error!, /unknown job kind 'no-such-kind'/);
  assert.match(outcomes[1]!.error!, /unknown noise type 'speckle'/);
});

test('the job list prints as one shell command per job', () => {
  const text = jobCommands([{ id: 'a', kind: 'core', params: { profile: 'quick', index: 1 } }]);
  assert.match(text, /^node '.*cli\.js' job --kind 'core' --params '\{"profile":"quick","index":1\}'$/);
});

test('unknown profiles and backends are errors naming the choices', () => {
  assert.throws(() => getProfile('huge'), /unknown profile 'huge': expected one of smoke, quick, paper/);
  assert.throws(() => backendFromEnv('tpu'), /REPRO_BACKEND=tpu: expected one of gpu, node, wasm, cpu/);
  assert.equal(backendFromEnv('WASM'), 'wasm');
  assert.equal(getProfile('quick').cores, 2);
});

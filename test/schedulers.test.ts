/**
 * `repro reproduce --print-jobs --format shell|parallel|slurm`: the scripts
 * run each job of each phase once, phases in order; and for real, a profile's
 * phases run by GNU parallel leave `reproduce` nothing to compute.
 *
 * The real run uses the smoke profile cut to seconds of work (every stage,
 * every job kind; jobs and `reproduce --profile-file` take the profile as
 * JSON), so it costs about a minute on 2 CPUs instead of the smoke profile's
 * many minutes. Slurm is not installed here: a stand-in `sbatch` runs each
 * submitted array's tasks in order and records what it was given, and a
 * stand-in `node` records each command, so the script's logic (task i runs
 * job i, dependencies chain, quoting survives bash) is tested, not Slurm.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type ArtefactRecord } from '../src/io/cache';
import { type Phase } from '../src/stages/jobs';
import { getProfile, type Profile } from '../src/stages/profiles';
import type { Manifest } from '../src/stages/reproduce';
import { reproductionPhases } from '../src/stages/reproduce';
import { jobList } from '../src/stages/schedulers';
import { childEnv, tempDir as makeTempDir } from './helpers';

const CLI = path.join(__dirname, '..', 'src', 'cli.js');

const scratch: string[] = [];
function tempDir(prefix: string): string {
  const dir = makeTempDir(prefix);
  scratch.push(dir);
  return dir;
}
after(() => {
  for (const dir of scratch) fs.rmSync(dir, { recursive: true, force: true });
});

/** GNU parallel must be installed (`npm run setup` installs Debian's `parallel`). */
function assertGnuParallel(): void {
  const run = spawnSync('parallel', ['--version'], { encoding: 'utf8' });
  assert.ok(run.status === 0 && run.stdout.includes('GNU parallel'), "GNU parallel is not installed: `npm run setup` installs Debian's parallel");
}

/** The argument list `repro job` gets for a job (what the stand-in `node` records). */
const jobArgv = (job: Phase['jobs'][number]) => [CLI, 'job', '--kind', job.kind, '--params', JSON.stringify(job.params)];

/**
 * A directory with stand-ins for `node` (appends its arguments, separated by
 * NUL, one line per call, to `$LOG/node.log`; exits 1 when its arguments
 * contain `$FAIL_ON`) and `sbatch` (records its arguments and script, runs
 * each array task in order with SLURM_ARRAY_TASK_ID set, prints `100N;test`).
 */
function standIns(): { bin: string; log: string } {
  const dir = tempDir('repro-sched-');
  const bin = path.join(dir, 'bin');
  const log = path.join(dir, 'log');
  fs.mkdirSync(bin);
  fs.mkdirSync(log);
  fs.writeFileSync(path.join(bin, 'node'), `#!/usr/bin/env bash
# Parallel jobs append whole records: a record (the job's JSON runs to kilobytes) takes several writes.
{ flock 9; printf '%s\\0' "$@" >> "$LOG/node.log"; echo >> "$LOG/node.log"; } 9>> "$LOG/node.lock"
if [ -n "\${FAIL_ON:-}" ] && [[ "$*" == *"$FAIL_ON"* ]]; then exit 1; fi
`, { mode: 0o755 });
  fs.writeFileSync(path.join(bin, 'sbatch'), `#!/usr/bin/env bash
set -euo pipefail
n=$(( $(cat "$LOG/count" 2>/dev/null || echo 0) + 1 )); echo "$n" > "$LOG/count"
printf '%s\\n' "$*" > "$LOG/sbatch-$n.args"
cat > "$LOG/sbatch-$n.sh"
range=$(sed -n 's/^#SBATCH --array=//p' "$LOG/sbatch-$n.sh")
if [ -n "$range" ]; then
  for i in $(seq "\${range%-*}" "\${range#*-}"); do SLURM_ARRAY_TASK_ID=$i bash "$LOG/sbatch-$n.sh"; done
else
  bash "$LOG/sbatch-$n.sh"
fi
echo "$((1000 + n));test"
`, { mode: 0o755 });
  return { bin, log };
}

/** The stand-in `node`'s calls, each as its argument list. */
function nodeCalls(log: string): string[][] {
  const file = path.join(log, 'node.log');
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l).map((l) => l.split('\0').slice(0, -1));
}

function runScript(script: string, env: Record<string, string>): { status: number | null; stderr: string } {
  const file = path.join(tempDir('repro-script-'), 'run.sh');
  fs.writeFileSync(file, script);
  const run = spawnSync('bash', [file], { env: childEnv(env), encoding: 'utf8', timeout: 120_000 });
  return { status: run.status, stderr: run.stderr };
}

const OPTIONS = { name: 'smoke', reproduceArgs: ['reproduce', '--profile', 'smoke'] };

test('the shell format is one command per job under a comment per phase, then the reproduce command', () => {
  const phases = reproductionPhases(getProfile('smoke'));
  const lines = jobList(phases, 'shell', OPTIONS).split('\n');
  assert.equal(lines.filter((l) => l.startsWith('# phase ')).length, phases.length);
  assert.equal(lines.filter((l) => l.startsWith('node ')).length, phases.reduce((n, p) => n + p.jobs.length, 0));
  assert.match(lines.at(-1)!, /^# then: node '.*cli\.js' reproduce --profile smoke \(loads every result/);
});

test('the Slurm script submits one array per phase, each after the one before; task i runs job i; then reproduce', () => {
  const phases = reproductionPhases(getProfile('smoke'));
  const { bin, log } = standIns();
  const run = runScript(jobList(phases, 'slurm', OPTIONS), { PATH: `${bin}:${process.env.PATH}`, LOG: log });
  assert.equal(run.status, 0, run.stderr);
  const submitted = Number(fs.readFileSync(path.join(log, 'count'), 'utf8'));
  assert.equal(submitted, phases.length + 1, 'one array per phase and the reproduce job');
  for (let n = 1; n <= submitted; n++) {
    const args = fs.readFileSync(path.join(log, `sbatch-${n}.args`), 'utf8').trim();
    assert.equal(args, n === 1 ? '--parsable' : `--parsable --dependency=afterok:${1000 + n - 1}`, `submission ${n}`);
    const script = fs.readFileSync(path.join(log, `sbatch-${n}.sh`), 'utf8');
    if (n <= phases.length) assert.match(script, new RegExp(`^#SBATCH --array=0-${phases[n - 1]!.jobs.length - 1}$`, 'm'));
    else assert.doesNotMatch(script, /--array/);
  }
  const expected = [...phases.flatMap((p) => p.jobs.map(jobArgv)), [CLI, 'reproduce', '--profile', 'smoke', '--workers', '1']];
  assert.deepEqual(nodeCalls(log), expected, 'every job once, in phase order, with its parameters intact, then reproduce');
  phases.forEach((p, i) => {
    const line = `phase ${i + 1} of ${phases.length}: ${p.name} (${p.jobs.length} job${p.jobs.length === 1 ? '' : 's'}): job array ${1001 + i}\n`;
    assert.ok(run.stderr.includes(line), `announces ${line}`);
  });
  // A task index outside the array is an error, not a silent success.
  const outside = spawnSync('bash', [path.join(log, 'sbatch-2.sh')], { env: childEnv({ PATH: `${bin}:${process.env.PATH}`, LOG: log, SLURM_ARRAY_TASK_ID: '99' }), encoding: 'utf8' });
  assert.equal(outside.status, 2);
  assert.match(outside.stderr, /phase 2 has no job 99/);
});

test('the GNU parallel script runs every job of a phase before the next phase, and stops after a phase with a failed job', () => {
  assertGnuParallel();
  const phases = reproductionPhases(getProfile('smoke'));
  const script = jobList(phases, 'parallel', OPTIONS);
  const { bin, log } = standIns();
  const run = runScript(script, { PATH: `${bin}:${process.env.PATH}`, LOG: log, PARALLEL: '-j3' });
  assert.equal(run.status, 0, run.stderr);
  const calls = nodeCalls(log);
  const phaseOf = new Map(phases.flatMap((p, k) => p.jobs.map((j) => [JSON.stringify(jobArgv(j)), k] as const)));
  assert.equal(calls.length, phaseOf.size, 'every job once');
  const order = calls.map((c) => phaseOf.get(JSON.stringify(c)));
  assert.ok(order.every((k) => k !== undefined), 'each call is a job of the list, its parameters intact');
  assert.deepEqual(order, [...order].sort((a, b) => a! - b!), 'phases in order');

  const failing = standIns();
  const failed = runScript(script, { PATH: `${failing.bin}:${process.env.PATH}`, LOG: failing.log, PARALLEL: '-j3', FAIL_ON: '"type":"blur"' });
  assert.notEqual(failed.status, 0);
  const ran = nodeCalls(failing.log).map((c) => phaseOf.get(JSON.stringify(c)));
  assert.deepEqual([...new Set(ran)], [0, 1], 'the failed job\'s phase ran to its end; no later phase started');
  assert.equal(ran.filter((k) => k === 1).length, phases[1]!.jobs.length);
});

test('bad --format, --profile-file and flag combinations are refused with one line and exit code 2', () => {
  const root = tempDir('repro-args-');
  const notJson = path.join(root, 'bad.json');
  fs.writeFileSync(notJson, '{"name": smoke}');
  const badNumber = path.join(root, 'neg.json');
  fs.writeFileSync(badNumber, JSON.stringify({ ...getProfile('smoke'), testImages: -3 }));
  const cases: [string[], RegExp][] = [
    [['--print-jobs', '--format', 'xml'], /^repro: repro reproduce: --format xml: expected one of shell, parallel, slurm\n$/],
    [['--format', 'slurm'], /^repro: repro reproduce: --format applies to --print-jobs only\n$/],
    [['--profile', 'smoke', '--profile-file', notJson, '--print-jobs'], /^repro: repro reproduce: give --profile or --profile-file, not both\n$/],
    [['--profile-file', path.join(root, 'missing.json'), '--print-jobs'], /^repro: repro reproduce: --profile-file .*missing\.json: cannot read \(ENOENT\)\n$/],
    [['--profile-file', notJson, '--print-jobs'], /^repro: repro reproduce: --profile-file .*bad\.json: not JSON \(/],
    [['--profile-file', badNumber, '--print-jobs'], /^repro: repro reproduce: --profile-file .*neg\.json: testImages: -3, expected an integer ≥ 1\n$/],
  ];
  for (const [args, message] of cases) {
    const run = spawnSync(process.execPath, [CLI, 'reproduce', ...args], { env: childEnv({ REPRO_ROOT: root }), encoding: 'utf8' });
    assert.equal(run.status, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, message, args.join(' '));
    assert.equal(run.stdout, '');
  }
});

/** The smoke profile cut to seconds of work, every stage included. */
function tinyProfile(): Profile {
  const p = getProfile('smoke');
  const small = { batches: 2, batchSize: 8, checkpointEvery: 1, trainImages: 200 };
  p.core = { ...p.core, batches: 6, checkpointEvery: 3, batchSize: 16, trainImages: 512 };
  p.testImages = 100;
  p.calibration = { images: 100, tolerance: 0.05, maxSteps: 2 };
  p.recurrence.train = { ...p.recurrence.train, ...small };
  p.recurrence.decoder = { ...p.recurrence.decoder, ...small };
  p.recurrence.evalImages = 4;
  p.recurrence.tuneImages = 4;
  p.activity = { images: 4, pcaImages: 4, dimensionalitySamples: 5 };
  const g = p.gated;
  g.grcnn = { ...g.grcnn, training: { ...g.grcnn.training, ...small }, statsImages: 16, evalImages: 10 };
  g.augmentation = { ...g.augmentation, core: { ...g.augmentation.core, ...small }, recurrence: { ...g.augmentation.recurrence, ...small }, evalImages: 10 };
  return p;
}

/** Every file under `dir` with its size and modification time. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const s = fs.statSync(path.join(dir, f));
    if (s.isFile()) out.set(f, `${s.size}@${s.mtimeMs}`);
  }
  return out;
}

test('a profile run by GNU parallel phase by phase leaves reproduce nothing to compute', { timeout: 600_000 }, () => {
  assertGnuParallel();
  const root = tempDir('repro-parallel-');
  const profileFile = path.join(root, 'tiny.json');
  fs.writeFileSync(profileFile, JSON.stringify(tinyProfile()));
  const env = childEnv({ REPRO_ROOT: root, PARALLEL: process.env.PARALLEL ?? '-j2' });
  const printed = spawnSync(process.execPath, [CLI, 'reproduce', '--profile-file', profileFile, '--print-jobs', '--format', 'parallel'], { env, encoding: 'utf8' });
  assert.equal(printed.status, 0, printed.stderr);
  const jobs = printed.stdout.split('\n').filter((l) => l.startsWith('node ')).length;
  assert.equal(jobs, reproductionPhases(tinyProfile()).reduce((n, p) => n + p.jobs.length, 0));
  assert.match(printed.stdout, new RegExp(`# then: node '.*cli\\.js' reproduce --profile-file ${profileFile.replace(/[.]/g, '\\.')} \\(`));

  const script = path.join(root, 'jobs.sh');
  fs.writeFileSync(script, printed.stdout);
  const phases = spawnSync('bash', [script], { env, encoding: 'utf8', timeout: 540_000 });
  assert.equal(phases.status, 0, phases.stderr.slice(-3000));
  const all = reproductionPhases(tinyProfile());
  assert.ok(phases.stderr.includes(`phase ${all.length} of ${all.length}: ${all.at(-1)!.name}`), 'ran the last phase');
  const cache = path.join(root, 'data', 'runs', 'smoke');
  const before = snapshot(cache);
  assert.ok(before.size >= jobs, `the phases cached their results (${before.size} files)`);

  const reproduce = spawnSync(process.execPath, [CLI, 'reproduce', '--profile-file', profileFile, '--workers', '1'], { env, encoding: 'utf8', timeout: 300_000 });
  assert.equal(reproduce.status, 0, reproduce.stderr.slice(-3000));
  const manifest = JSON.parse(fs.readFileSync(path.join(cache, 'manifest.json'), 'utf8')) as Manifest;
  assert.deepEqual(manifest.profile, tinyProfile(), 'reproduce ran the profile of the file');
  // Every job's cache file was reused; the only file made is the synthetic fMRI set, which reproduce builds itself (no job).
  const made = manifest.artefacts.filter((a: ArtefactRecord) => a.action === 'made');
  assert.deepEqual(made.map((a) => a.kind), ['fmri-synthetic'], `made: ${made.map((a) => a.file).join(', ')}`);
  const reusedKinds = new Set(manifest.artefacts.filter((a) => a.action === 'reused').map((a) => a.kind));
  for (const kind of ['core', 'calibration', 'tuning', 'recurrence', 'evaluation', 'activity']) assert.ok(reusedKinds.has(kind), `reused a ${kind} file`);
  assert.equal(manifest.stages.reduce((n, s) => n + s.jobs, 0), jobs, 'reproduce ran (loaded) the same jobs');
  // Nothing the phases cached was rewritten or added, apart from the results, the manifest and the fMRI set.
  const after = snapshot(cache);
  const ours = (f: string) => !/^(results|fmri-synthetic)\/|^manifest\.json$/.test(f);
  assert.deepEqual([...after].filter(([f]) => ours(f)), [...before].filter(([f]) => ours(f)));
});

/**
 * Fault injection: every case of issue 12 (and the faults already handled)
 * injected into a temporary run directory (`REPRO_ROOT`), asserting the
 * message, the exit code, and that the next run repairs or refuses cleanly.
 * The README's reliability table lists the same cases.
 *
 * A tiny profile (jobs carry their profile, so the command line runs exactly
 * it) keeps every trained artefact small: one core of 6 batches of 16, the
 * calibration on 100 images, FB-TT trained for 2 batches. One base run is
 * built in this process; each case copies it, breaks something, and runs the
 * `repro` command line on the copy.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../src/backend';
import { defaultMnistDir, MNIST_FILES, mnistIdentity } from '../src/data/mnist';
import { generateSyntheticFmri } from '../src/fmri/synthetic';
import { selectColumns, writeBData } from '../src/fmri/bdata';
import { loadArrays, saveArrays } from '../src/io/cache';
import { degradeImages } from '../src/noise/degrade';
import { runJobInProcess } from '../src/stages/jobs';
import { getProfile, type Profile } from '../src/stages/profiles';
import { runFmriStage } from '../src/stages/fmri';
import '../src/stages/recurrence';
import { RECURRENCE_SPECS, trainedTypes } from '../src/recurrence/rules';
import { childEnv, tempDir as makeTempDir } from './helpers';

const CLI = path.join(__dirname, '..', 'src', 'cli.js');

/** Temporary directories of this suite, removed at the end (each case copies a run of about 15 MB). */
const scratch: string[] = [];
function tempDir(prefix: string): string {
  const dir = makeTempDir(prefix);
  scratch.push(dir);
  return dir;
}

/** The smoke profile cut to seconds of work. */
function tinyProfile(): Profile {
  const p = getProfile('smoke');
  p.core = { ...p.core, batches: 6, checkpointEvery: 3, batchSize: 16, trainImages: 512 };
  p.testImages = 100;
  p.calibration = { images: 100, tolerance: 0.05, maxSteps: 2 };
  p.recurrence.train = { ...p.recurrence.train, batches: 2, batchSize: 10, checkpointEvery: 1, trainImages: 200 };
  p.recurrence.decoder = { ...p.recurrence.decoder, batches: 2, batchSize: 8, checkpointEvery: 1, trainImages: 200 };
  p.recurrence.evalImages = 10;
  p.recurrence.tuneImages = 4;
  return p;
}

const tiny = tinyProfile();
let base = '';
const baseResults: { core?: { testAccuracy: number; info: { finalLoss: number } }; pixel?: unknown; pixelEvaluation?: unknown } = {};

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `repro ARGS` with `REPRO_ROOT=root`. */
function repro(args: string[], root: string, env: Record<string, string> = {}, uid?: number): Run {
  const run = spawnSync(process.execPath, [CLI, ...args], { env: childEnv({ REPRO_ROOT: root, ...env }), encoding: 'utf8', timeout: 180_000, ...(uid !== undefined ? { uid, gid: uid } : {}) });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

const job = (kind: string, params: Record<string, unknown>) => ['job', '--kind', kind, '--params', JSON.stringify(params)];

/** A copy of the base run in a fresh root. */
function copyOfBase(): string {
  const root = tempDir('repro-fault-');
  fs.cpSync(base, root, { recursive: true });
  return root;
}

const runs = (root: string, ...parts: string[]) => path.join(root, 'data', 'runs', tiny.name, ...parts);

/** The one file in `dir` whose name starts with `prefix`. */
function fileIn(dir: string, prefix: string, ext: string): string {
  const hits = fs.readdirSync(dir).filter((f) => f.startsWith(prefix) && f.endsWith(ext));
  assert.equal(hits.length, 1, `${dir}: files ${prefix}*${ext}: ${hits.join(', ')}`);
  return path.join(dir, hits[0]!);
}

/** Files left in `dir` (recursively) that a clean run never leaves. */
function litter(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => /\.(tmp|lock|break)$|\.write-test-/.test(f));
}

before(async () => {
  await initBackend({ force: 'wasm', log: false });
  base = tempDir('repro-fault-base-');
  const saved = process.env.REPRO_ROOT;
  process.env.REPRO_ROOT = base;
  const quiet = process.stderr.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    baseResults.core = (await runJobInProcess({ id: 'c', kind: 'core', params: { profile: tiny, index: 0 } })) as typeof baseResults.core;
    for (const type of ['pixel', 'blur', 'contrast', 'occlusion']) {
      const r = await runJobInProcess({ id: type, kind: 'calibrate', params: { profile: tiny, type } });
      if (type === 'pixel') baseResults.pixel = r;
    }
    // An evaluation job runs every network of a core: every trained type's instances must exist.
    for (const type of trainedTypes()) {
      for (let instance = 0; instance < RECURRENCE_SPECS[type].instances; instance++) {
        await runJobInProcess({ id: `t-${type}-${instance}`, kind: 'train-recurrence', params: { profile: tiny, core: 0, type, instance } });
      }
    }
    baseResults.pixelEvaluation = await runJobInProcess({ id: 'e', kind: 'evaluate-recurrence', params: { profile: tiny, core: 0, noise: 'pixel' } });
    await runJobInProcess({ id: 'e2', kind: 'evaluate-recurrence', params: { profile: tiny, core: 0, noise: 'clean' } });
  } finally {
    process.stderr.write = quiet;
    if (saved === undefined) delete process.env.REPRO_ROOT;
    else process.env.REPRO_ROOT = saved;
  }
});

after(() => {
  for (const dir of scratch) fs.rmSync(dir, { recursive: true, force: true });
});

// ---- cache files bound to what they hold -------------------------------------------------------

test('a valid calibration of another noise type in place of pixel noise is refused and recalibrated', () => {
  const root = copyOfBase();
  const dir = runs(root, 'calibration');
  fs.copyFileSync(fileIn(dir, 'blur-', '.json'), fileIn(dir, 'pixel-', '.json'));
  const run = repro(job('calibrate', { profile: tiny, type: 'pixel' }), root);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /pixel-[0-9a-f]{16}\.json: cache file is invalid \(built for key [0-9a-f]{16}, expected key [0-9a-f]{16}\); it will be rebuilt/);
  // The same levels; the compute time it took is its own.
  const { computeSeconds: _again, ...recalibrated } = JSON.parse(run.stdout) as { computeSeconds: number };
  const { computeSeconds: _base, ...base } = baseResults.pixel as { computeSeconds: number };
  assert.deepEqual(recalibrated, base, 'recalibrated to the same levels');
  const again = repro(job('calibrate', { profile: tiny, type: 'pixel' }), root);
  assert.doesNotMatch(again.stderr, /invalid/);
});

test("a core file replaced by a recurrent network's file is refused and the core retrained", () => {
  const root = copyOfBase();
  fs.copyFileSync(fileIn(runs(root, 'recurrence'), 'FB-TT-i0-', '.rvt'), fileIn(runs(root, 'cores'), 'core-', '.rvt'));
  const run = repro(job('core', { profile: tiny, index: 0 }), root);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /core-s1-[0-9a-f]{16}\.rvt: cache file is invalid \(holds a recurrence file, expected a core file\); it will be rebuilt/);
  const out = JSON.parse(run.stdout) as typeof baseResults.core;
  assert.equal(out!.testAccuracy, baseResults.core!.testAccuracy);
  assert.equal(out!.info.finalLoss, baseResults.core!.info.finalLoss, 'retrained bit-identically');
  assert.doesNotMatch(repro(job('core', { profile: tiny, index: 0 }), root).stderr, /invalid/);
});

test("an evaluation file replaced by another condition's is refused and re-evaluated", () => {
  const root = copyOfBase();
  const dir = runs(root, 'evaluation');
  fs.copyFileSync(fileIn(dir, 'c0-clean-', '.json'), fileIn(dir, 'c0-pixel-', '.json'));
  const run = repro(job('evaluate-recurrence', { profile: tiny, core: 0, noise: 'pixel' }), root);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /c0-pixel-[0-9a-f]{16}\.json: cache file is invalid \(built for key/);
  assert.deepEqual((JSON.parse(run.stdout) as { records: unknown }).records, (baseResults.pixelEvaluation as { records: unknown }).records, 're-evaluated to the same records');
});

/** Rewrites the JSON header of a tensor file in place (same length). */
function editHeader(file: string, from: RegExp, to: string): void {
  const buf = fs.readFileSync(file);
  const length = buf.readUInt32LE(4);
  const header = buf.toString('utf8', 8, 8 + length);
  assert.match(header, from);
  const edited = header.replace(from, to);
  assert.equal(Buffer.byteLength(edited), length);
  buf.write(edited, 8, 'utf8');
  fs.writeFileSync(file, buf);
}

for (const [what, from, to] of [['backend', /"backend":"wasm"/, '"backend":"cpu "'], ['seed', /"seed":1,/, '"seed":2,']] as const) {
  test(`an edited .rvt header (${what}) fails the checksum and the core is retrained`, () => {
    const root = copyOfBase();
    editHeader(fileIn(runs(root, 'cores'), 'core-', '.rvt'), from, to);
    const run = repro(job('core', { profile: tiny, index: 0 }), root);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /cache file is invalid \(checksum of header and payload does not match\); it will be rebuilt/);
    assert.equal((JSON.parse(run.stdout) as typeof baseResults.core)!.info.finalLoss, baseResults.core!.info.finalLoss);
  });
}

test('a flipped payload byte and a truncated core file are rebuilt', () => {
  for (const damage of [(b: Buffer) => { b[b.length - 100] ^= 0x55; return b; }, (b: Buffer) => b.subarray(0, b.length - 1000)]) {
    const root = copyOfBase();
    const file = fileIn(runs(root, 'cores'), 'core-', '.rvt');
    fs.writeFileSync(file, damage(fs.readFileSync(file)));
    const run = repro(job('core', { profile: tiny, index: 0 }), root);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /checksum of header and payload does not match/);
    assert.equal((JSON.parse(run.stdout) as typeof baseResults.core)!.testAccuracy, baseResults.core!.testAccuracy);
  }
});

test('a checkpoint of another configuration is refused and training starts afresh (it used to fail on every rerun)', () => {
  const root = copyOfBase();
  const file = fileIn(runs(root, 'cores'), 'core-', '.rvt');
  fs.rmSync(file);
  saveArrays(`${file}.ckpt`, { w1: { shape: [1], data: new Float32Array(1) } }, { kind: 'core-checkpoint', key: { other: true } }, { batch: 3, names: ['w1'] });
  const run = repro(job('core', { profile: tiny, index: 0 }), root);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /\.rvt\.ckpt: cache file is invalid \(built for key/);
  assert.equal((JSON.parse(run.stdout) as typeof baseResults.core)!.info.finalLoss, baseResults.core!.info.finalLoss);
});

test('kill -9 during training: the next run takes over the stale lock and resumes bit-identically', async () => {
  const long = tinyProfile();
  long.core = { ...long.core, batches: 20, checkpointEvery: 4, batchSize: 8 };
  const killed = tempDir('repro-fault-');
  const child = spawn(process.execPath, [CLI, ...job('core', { profile: long, index: 0 })], { env: childEnv({ REPRO_ROOT: killed }), stdio: 'ignore' });
  const cores = path.join(killed, 'data', 'runs', 'smoke', 'cores');
  for (const t0 = Date.now(); !(fs.existsSync(cores) && fs.readdirSync(cores).some((f) => f.endsWith('.ckpt'))); await new Promise((r) => setTimeout(r, 100))) {
    assert.ok(Date.now() - t0 < 120_000, 'no checkpoint within 2 minutes');
  }
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const resumed = repro(job('core', { profile: long, index: 0 }), killed);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /\.lock: its process \(pid \d+, since [^)]*\) is gone; taking over/);
  assert.match(resumed.stderr, /resuming core-s1-[0-9a-f]{16}\.rvt at batch \d+\/20/);
  const straight = tempDir('repro-fault-');
  assert.equal(repro(job('core', { profile: long, index: 0 }), straight).code, 0);
  const weights = (root: string) => loadArrays(fileIn(path.join(root, 'data', 'runs', 'smoke', 'cores'), 'core-', '.rvt'), { kind: 'core', key: (JSON.parse(resumed.stdout) as { info: { key: unknown } }).info.key }).arrays;
  const a = weights(killed);
  const b = weights(straight);
  for (const name of Object.keys(b)) assert.deepEqual(a[name]!.data, b[name]!.data, `${name} differs after resume`);
  assert.deepEqual(litter(killed), []);
});

test('two runs at once on one run directory: one trains, the other waits and loads; nothing interleaves', async () => {
  const root = tempDir('repro-fault-');
  const longer = tinyProfile();
  longer.core = { ...longer.core, batches: 30 };
  const start = () => new Promise<Run>((resolve) => {
    const child = spawn(process.execPath, [CLI, ...job('core', { profile: longer, index: 0 })], { env: childEnv({ REPRO_ROOT: root }) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  const [a, b] = await Promise.all([start(), start()]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  const trained = [a, b].filter((r) => /\[core 0\] done in/.test(r.stderr));
  const waited = [a, b].filter((r) => /waiting for core-s1-[0-9a-f]{16}\.rvt: being built by pid \d+/.test(r.stderr));
  assert.equal(trained.length, 1, 'exactly one run trained');
  assert.equal(waited.length, 1, 'the other waited');
  assert.equal((JSON.parse(a.stdout) as { testAccuracy: number }).testAccuracy, (JSON.parse(b.stdout) as { testAccuracy: number }).testAccuracy);
  assert.deepEqual(fs.readdirSync(path.join(root, 'data', 'runs', 'smoke', 'cores')).filter((f) => !f.endsWith('.rvt')), []);
});

test('a lock left by a dead process is taken over', () => {
  const root = copyOfBase();
  const file = fileIn(runs(root, 'calibration'), 'pixel-', '.json');
  fs.rmSync(file);
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  fs.writeFileSync(`${file}.lock`, JSON.stringify({ pid: Number(dead.stdout), host: os.hostname(), since: '2020-01-01T00:00:00.000Z' }));
  const run = repro(job('calibrate', { profile: tiny, type: 'pixel' }), root);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /pixel-[0-9a-f]{16}\.json\.lock: its process \(pid \d+, since 2020-01-01T00:00:00\.000Z\) is gone; taking over/);
  assert.deepEqual(litter(root), []);
});

test('the synthetic fMRI files are checked: changed bytes or a truncation are reported and the set regenerated', async () => {
  const root = tempDir('repro-fault-');
  const messages: string[] = [];
  const options = { syntheticDir: path.join(root, 'synthetic'), figuresDir: path.join(root, 'figures'), resultsFile: path.join(root, 'fmri.json'), log: (m: string) => messages.push(m) };
  const clean = await runFmriStage(getProfile('smoke'), options);
  const s01 = path.join(options.syntheticDir, 'S01.h5');
  const bytes = fs.readFileSync(s01);
  bytes[bytes.length - 64] ^= 0x10;
  fs.writeFileSync(s01, bytes);
  messages.length = 0;
  const repaired = await runFmriStage(getProfile('smoke'), options);
  assert.match(messages.join('\n'), /S01\.h5: does not match its checksum \(.*checksums\.json\); regenerating the synthetic set/);
  assert.deepEqual(repaired.results.results.map((r) => r.pValue), clean.results.results.map((r) => r.pValue));
  fs.writeFileSync(s01, fs.readFileSync(s01).subarray(0, 1000));
  messages.length = 0;
  const again = await runFmriStage(getProfile('smoke'), options);
  assert.match(messages.join('\n'), /S01\.h5: does not match its checksum/);
  assert.deepEqual(again.results.results.map((r) => r.meanDenoising), clean.results.results.map((r) => r.meanDenoising));
  messages.length = 0;
  await runFmriStage(getProfile('smoke'), options);
  assert.match(messages.join('\n'), /reusing synthetic data .* \(checksums verified\)/);
});

test('another valid MNIST directory gets its own cache keys: nothing trained on one is reused for the other', () => {
  const root = copyOfBase();
  const alt = tempDir('repro-fault-mnist-');
  for (const f of MNIST_FILES) fs.symlinkSync(path.join(defaultMnistDir(), f), path.join(alt, f));
  // Same images, every label shifted by one: a valid data set with other numbers.
  const labels = path.join(alt, 'train-labels-idx1-ubyte');
  const buf = Buffer.from(fs.readFileSync(labels));
  for (let i = 8; i < buf.length; i++) buf[i] = (buf[i]! + 1) % 10;
  fs.rmSync(labels);
  fs.writeFileSync(labels, buf);
  const run = repro(job('core', { profile: tiny, index: 0 }), root, { MNIST_DIR: alt });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /\[core 0\] done in/, 'trained anew, not loaded');
  const out = JSON.parse(run.stdout) as { testAccuracy: number; info: { key: { data: string } } };
  assert.equal(out.info.key.data, mnistIdentity(alt).id);
  assert.notEqual(out.info.key.data, mnistIdentity().id);
  assert.equal(fs.readdirSync(runs(root, 'cores')).filter((f) => f.endsWith('.rvt')).length, 2, 'both cores are kept, under different keys');
});

test('REPRO_BACKEND=cpu reusing wasm-trained weights says so, and the weights carry their backend', () => {
  const root = copyOfBase();
  const run = repro(job('core', { profile: tiny, index: 0 }), root, { REPRO_BACKEND: 'cpu' });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /backend: cpu/);
  assert.match(run.stderr, /core-s1-[0-9a-f]{16}\.rvt: made on the wasm backend, reused on cpu \(backends are recorded, not part of cache keys\)/);
  assert.equal((JSON.parse(run.stdout) as { info: { backend: string } }).info.backend, 'wasm');
});

// ---- bad input gets one clear line and a non-zero exit ----------------------------------------

test('unknown profiles, commands, flags and environment variables are refused with exit code 2', () => {
  const root = tempDir('repro-fault-');
  const cases: [string[], Record<string, string>, RegExp][] = [
    [['reproduce', '--profile', 'huge'], {}, /^repro: unknown profile 'huge': expected one of smoke, quick, paper\n$/],
    [['reproduce', '--print-jobs'], { REPRO_PROFILE: 'huge' }, /^repro: REPRO_PROFILE=huge: unknown profile, expected one of smoke, quick, paper\n$/],
    [['reproduce', '--print-jobs'], { REPRO_PROFIL: 'smoke' }, /^repro: REPRO_PROFIL: unknown environment variable; repro reads REPRO_PROFILE, /],
    [['reproduce', '--print-jobs'], { REPRO_BACKEND: 'tpu' }, /^repro: REPRO_BACKEND=tpu: expected one of gpu, node, wasm, cpu\n$/],
    [['reproduce', '--print-jobs'], { REPRO_ROOT: path.join(root, 'missing') }, /^repro: REPRO_ROOT=.*missing: no such directory\n$/],
    [['reproduce', '--print-jobs'], { MNIST_DIR: path.join(root, 'missing') }, /^repro: MNIST_DIR=.*missing: no such directory\n$/],
    [['reproduce', '--workers', 'abc'], {}, /^repro: repro reproduce: --workers must be an integer ≥ 1, got 'abc'\n$/],
    [['reproduce', '--workers', '0'], {}, /--workers must be an integer ≥ 1, got '0'/],
    [['reproduce', '--bogus'], {}, /^repro: repro reproduce: Unknown option '--bogus'.* \(see repro reproduce --help\)\n$/],
    [['bench', '--batch=0'], {}, /--batch must be an integer ≥ 1, got '0'/],
    [['frobnicate'], {}, /^repro: unknown command 'frobnicate'; commands: reproduce, report, claims, bench, notebooks, fmri, analyze, study, job/],
  ];
  for (const [args, env, message] of cases) {
    const run = repro(args, root, env);
    assert.equal(run.code, 2, `${args.join(' ')} ${JSON.stringify(env)}: ${run.stderr}`);
    assert.match(run.stderr, message, args.join(' '));
    assert.equal(run.stdout, '');
  }
  assert.deepEqual(fs.readdirSync(root), [], 'nothing was written');
});

test('repro report --manifest prints the committed idle-run manifest; a bad manifest names the file and the field', () => {
  const root = tempDir('repro-fault-');
  const committed = path.join(__dirname, '..', '..', 'data', 'results', 'quick', 'manifest-idle-run.json');
  const good = repro(['report', '--manifest', committed], root);
  assert.equal(good.code, 0, good.stderr);
  const manifest = JSON.parse(fs.readFileSync(committed, 'utf8')) as { wallSeconds: number; stages: { name: string }[] };
  for (const s of manifest.stages) assert.match(good.stdout, new RegExp(`^${s.name} `, 'm'), s.name);
  assert.match(good.stdout, new RegExp(`^total\\s+${manifest.wallSeconds.toFixed(0)}\\s`, 'm'));
  const write = (name: string, text: string) => {
    const file = path.join(root, name);
    fs.writeFileSync(file, text);
    return file;
  };
  const cases: [string, RegExp][] = [
    [write('broken.json', '{"stages": ['), /^repro: .*broken\.json: not a readable JSON manifest \(/],
    [write('nowall.json', JSON.stringify({ computeSeconds: 1, stages: [] })), /^repro: .*nowall\.json: field 'wallSeconds': undefined, expected a finite number\n$/],
    [write('badstage.json', JSON.stringify({ wallSeconds: 1, computeSeconds: 1, stages: [{ name: 'cores', jobs: 2, wallSeconds: '3', computeSeconds: 4 }] })), /^repro: .*badstage\.json: field 'stages\[0\]\.wallSeconds': "3", expected a finite number\n$/],
    [path.join(root, 'absent.json'), /^repro: repro report: --manifest .*absent\.json: no such file\n$/],
  ];
  for (const [file, message] of cases) {
    const run = repro(['report', '--manifest', file], root);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, message);
    assert.equal(run.stdout, '');
  }
});

test('REPRO_PROFILE is honoured by reproduce (the flag wins over it)', () => {
  const root = tempDir('repro-fault-');
  const run = repro(['reproduce', '--print-jobs'], root, { REPRO_PROFILE: 'smoke' });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /"name":"smoke"/);
  assert.doesNotMatch(run.stdout, /"name":"quick"/);
  assert.match(repro(['reproduce', '--print-jobs', '--profile', 'paper'], root, { REPRO_PROFILE: 'smoke' }).stdout, /"name":"paper"/);
});

test('--help works for every command', () => {
  const root = tempDir('repro-fault-');
  for (const args of [['--help'], ['help'], ['reproduce', '--help'], ['bench', '--help'], ['notebooks', '--help'], ['fmri', '--help'], ['analyze', '--help'], ['job', '--help']]) {
    const run = repro(args, root);
    assert.equal(run.code, 0, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stdout, /usage:|repro analyze/, args.join(' '));
    assert.equal(run.stderr, '');
  }
});

test('job parameters are checked before any work: a bad index, type, field or profile number caches nothing', () => {
  const root = tempDir('repro-fault-');
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ profile: tiny, index: 'abc' }, 'core', /^repro: job parameter 'index': "abc", expected an integer in \[0, 0\]\n$/],
    [{ profile: tiny, index: 0, seed: 3 }, 'core', /^repro: core job parameters: unknown field 'seed'; expected profile, index\n$/],
    [{ profile: { ...tiny, core: { ...tiny.core, batches: -1 } }, index: 0 }, 'core', /^repro: job parameter 'profile': core\.batches: -1, expected an integer ≥ 1\n$/],
    [{ profile: { ...tiny, seed: 'x' }, index: 0 }, 'core', /job parameter 'profile': seed "x", expected an integer/],
    [{ profile: { ...tiny, calibration: { ...tiny.calibration, tolerance: 2 } }, type: 'blur' }, 'calibrate', /calibration\.tolerance: 2, expected a number in \(0, 1\]/],
    [{ profile: { ...tiny, recurrence: { ...tiny.recurrence, train: { ...tiny.recurrence.train, noiseLevel: 9 } } }, core: 0, type: 'FB-TT', instance: 0 }, 'train-recurrence', /recurrence\.train\.noiseLevel: 9, expected an integer in \[1, 6\]/],
    [{ profile: tiny, type: 'speckle' }, 'calibrate', /unknown noise type 'speckle'/],
    [{ profile: tiny, core: 0, type: 'LR-SS', instance: 0 }, 'train-recurrence', /job parameter 'type': LR-SS has no trained weights/],
    [{ profile: tiny, core: 0, noise: 'speckle' }, 'evaluate-recurrence', /job parameter 'noise': 'speckle' is not one of pixel, blur, contrast, occlusion, clean/],
    [{ profile: tiny, core: 0, network: 'FB-TT', instance: 0 }, 'evaluate-recurrence', /evaluate-recurrence job parameters: unknown fields 'network', 'instance'; expected profile, core, noise/],
  ];
  for (const [params, kind, message] of cases) {
    const run = repro(job(kind, params), root);
    assert.equal(run.code, 2, `${kind} ${JSON.stringify(params).slice(0, 80)}: ${run.stderr}`);
    assert.match(run.stderr, message);
  }
  const notJson = repro(['job', '--kind', 'core', '--params', '{index: 0}'], root);
  assert.equal(notJson.code, 2);
  assert.match(notJson.stderr, /^repro: repro job: --params is not JSON \(/);
  assert.equal(fs.existsSync(path.join(root, 'data')), false, 'nothing was cached');
});

test('negative or out-of-range noise parameters are refused', () => {
  const one = { images: new Float32Array(784), labels: new Uint8Array(1), n: 1, sourceIndex: new Int32Array(1), source: 'test' as const, dataset: 'test' };
  assert.throws(() => degradeImages(one, 'blur', -2, { seed: 1, level: 1, fillValue: 0 }), /blur noise: blur width \(px\) -2 is out of range: expected a value ≥ 0/);
  assert.throws(() => degradeImages(one, 'pixel', -0.1, { seed: 1, level: 1, fillValue: 0 }), /pixel noise: noise s\.d\. -0\.1 is out of range/);
  assert.throws(() => degradeImages(one, 'contrast', 1.5, { seed: 1, level: 1, fillValue: 0 }), /contrast noise: contrast scale 1\.5 is out of range: expected a value in \[0, 1\]/);
  assert.throws(() => degradeImages(one, 'occlusion', Number.NaN, { seed: 1, level: 1, fillValue: 0 }), /occlusion noise: 3x3 blocks NaN is out of range/);
});

test('repro reproduce --print-jobs | head -1 ends quietly', () => {
  const root = tempDir('repro-fault-');
  const run = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${CLI}" reproduce --profile paper --print-jobs | head -1`], { env: childEnv({ REPRO_ROOT: root }), encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /^# phase 1/);
  assert.equal(run.stderr, '');
});

/** A preload module (loaded with NODE_OPTIONS=--require) that fails writes under FAULT_DIR with FAULT_CODE. */
function faultModule(dir: string): string {
  const file = path.join(dir, 'inject-fault.js');
  fs.writeFileSync(file, `
const fs = require('fs');
const path = require('path');
const dir = process.env.FAULT_DIR;
const match = process.env.FAULT_MATCH ? new RegExp(process.env.FAULT_MATCH) : null;
const code = process.env.FAULT_CODE;
const hit = (f) => typeof f === 'string' && (path.resolve(f) + '/').startsWith(dir + '/') && (!match || match.test(f));
const fail = (call) => Object.assign(new Error(code + ': injected fault, ' + call), { code, syscall: call });
for (const name of ['writeFileSync', 'mkdirSync', 'openSync']) {
  const original = fs[name];
  fs[name] = function (f, ...rest) {
    if (hit(f) && (name !== 'mkdirSync' || !fs.existsSync(f))) throw fail(name);
    return original.call(this, f, ...rest);
  };
}
`);
  return file;
}

test('a full disk or read-only output is refused before any work, naming the path; a full disk mid-run names the file and the rerun resumes', () => {
  const root = tempDir('repro-fault-');
  const preload = faultModule(root);
  const runsDir = path.join(root, 'data', 'runs');
  for (const code of ['ENOSPC', 'EROFS']) {
    const t0 = Date.now();
    const run = repro(['reproduce', '--profile', 'smoke'], root, { NODE_OPTIONS: `--require ${preload}`, FAULT_DIR: runsDir, FAULT_CODE: code });
    assert.equal(run.code, 1, run.stderr);
    const reason = code === 'ENOSPC' ? 'no space left on the device' : 'the file system is read-only';
    assert.match(run.stderr, new RegExp(`^repro: ${runsDir.replace(/[/.]/g, '\\$&')}/smoke: (cannot create the directory|cannot write) \\(${code}: ${reason}\\)\\n$`));
    assert.ok(Date.now() - t0 < 20_000, 'refused before any work');
  }
  // Mid-run: the finished core cannot be written; the checkpoint can.
  const long = tinyProfile();
  long.core = { ...long.core, batches: 8, checkpointEvery: 4 };
  const full = repro(job('core', { profile: long, index: 0 }), root, { NODE_OPTIONS: `--require ${preload}`, FAULT_DIR: runsDir, FAULT_CODE: 'ENOSPC', FAULT_MATCH: '\\.rvt\\.\\d+\\.[0-9a-f]+\\.tmp$' });
  assert.equal(full.code, 1);
  assert.match(full.stderr, /^repro: .*core-s1-[0-9a-f]{16}\.rvt: cannot write \(ENOSPC: no space left on the device\)$/m);
  const rerun = repro(job('core', { profile: long, index: 0 }), root);
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.match(rerun.stderr, /resuming core-s1-[0-9a-f]{16}\.rvt at batch 4\/8/);
  assert.deepEqual(litter(root), []);
});

test('data/runs that is a file, or a directory without write permission, is refused before any work', () => {
  const root = tempDir('repro-fault-');
  fs.mkdirSync(path.join(root, 'data'));
  fs.writeFileSync(path.join(root, 'data', 'runs'), 'not a directory');
  const run = repro(['reproduce', '--profile', 'smoke'], root);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /^repro: .*data\/runs\/smoke: cannot create the directory \((ENOTDIR: a part of the path is a file, not a directory|EEXIST)/);
  // Permissions: root ignores them, so as root the run is made as nobody when it can read the checkout.
  const asNobody = process.getuid?.() === 0 ? 65534 : undefined;
  if (asNobody !== undefined && spawnSync(process.execPath, [CLI, '--help'], { uid: asNobody, gid: asNobody }).status !== 0) {
    process.stderr.write('# skipped the permission case: user nobody cannot read this checkout\n');
    return;
  }
  const ro = tempDir('repro-fault-');
  fs.mkdirSync(path.join(ro, 'data', 'runs'), { recursive: true });
  fs.chmodSync(ro, 0o755);
  fs.chmodSync(path.join(ro, 'data'), 0o755);
  fs.chmodSync(path.join(ro, 'data', 'runs'), 0o555);
  const denied = repro(['reproduce', '--profile', 'smoke'], ro, { HOME: ro }, asNobody);
  assert.equal(denied.code, 1, denied.stderr);
  assert.match(denied.stderr, /^repro: .*data\/runs\/smoke: cannot create the directory \(EACCES: permission denied\)\n$/);
});

test('kill -9 of the parent ends its worker processes; no temporary folder is left', async () => {
  const root = tempDir('repro-fault-');
  const tmp = tempDir('repro-fault-tmp-');
  const endless = tinyProfile();
  endless.cores = 2;
  endless.core = { ...endless.core, batches: 1_000_000, checkpointEvery: 1000 };
  const driver = `
    require(${JSON.stringify(path.join(__dirname, '..', 'src', 'stages', 'cores.js'))});
    const { runJobs } = require(${JSON.stringify(path.join(__dirname, '..', 'src', 'stages', 'jobs.js'))});
    const profile = JSON.parse(process.argv[1]);
    runJobs([0, 1].map((index) => ({ id: 'core-' + index, kind: 'core', params: { profile, index } })), { workers: 2 });`;
  const parent = spawn(process.execPath, ['-e', driver, JSON.stringify(endless)], { env: childEnv({ REPRO_ROOT: root, TMPDIR: tmp }), stdio: 'ignore' });
  const childrenOf = (pid: number) => fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      return fs.readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ')[1] === String(pid);
    } catch {
      return false;
    }
  }).map(Number);
  let workers: number[] = [];
  for (const t0 = Date.now(); workers.length < 2; await new Promise((r) => setTimeout(r, 100))) {
    assert.ok(Date.now() - t0 < 30_000, 'workers did not start');
    workers = childrenOf(parent.pid!);
  }
  // Let them get into training (the main thread busy), then kill the parent.
  for (const t0 = Date.now(); !fs.existsSync(path.join(root, 'data', 'runs', 'smoke', 'cores')) && Date.now() - t0 < 30_000;) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 1500));
  parent.kill('SIGKILL');
  const alive = (pid: number) => {
    try {
      return !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z');
    } catch {
      return false;
    }
  };
  for (const t0 = Date.now(); workers.some(alive); await new Promise((r) => setTimeout(r, 100))) {
    if (Date.now() - t0 > 10_000) {
      for (const w of workers.filter(alive)) process.kill(w, 'SIGKILL');
      assert.fail(`workers ${workers.filter(alive).join(', ')} outlived their parent by 10 s`);
    }
  }
  assert.deepEqual(fs.readdirSync(tmp), [], 'no temporary folder is left');
});

// ---- the fMRI command line ----------------------------------------------------------------------

/** Writes the smoke synthetic set into `dir` after `edit` changes each subject's data. */
async function writeFmri(dir: string, edit: (b: ReturnType<typeof generateSyntheticFmri>['subjects'][number]['bdata']) => void): Promise<void> {
  const set = generateSyntheticFmri({ seed: 3, subjects: 2, voxels: 30, blurLevels: 1 });
  for (const { name, bdata } of set.subjects) {
    edit(bdata);
    await writeBData(path.join(dir, `${name}.h5`), bdata, { dtype: 'float32' });
  }
}

test('repro fmri refuses files without ROI masks, names dropped samples and voxels (and them when a time bin empties), refuses --alpha 7', async () => {
  const root = tempDir('repro-fault-');
  const noRoi = path.join(root, 'no-roi');
  await writeFmri(noRoi, (b) => { b.metadata = b.metadata.filter((m) => !m.key.startsWith('ROI_')); });
  const refused = repro(['fmri', '--data', noRoi], root);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /^repro: .*S01\.h5: \/metadata\/key: no region masks \(ROI_<region>, ROI_LH_<region>, ROI_RH_<region>\); keys found: /);
  assert.equal(refused.stdout, '');

  const holes = path.join(root, 'holes');
  await writeFmri(holes, (b) => {
    const label = selectColumns(b, 'Label')[0]!;
    for (const row of [0, 5]) b.dataset[row * b.columns + label] = Number.NaN;
    const voxel = selectColumns(b, 'ROI_LH_V1')[2]!;
    for (let s = 0; s < b.samples; s++) b.dataset[s * b.columns + voxel] = Number.NaN;
  });
  const warned = repro(['fmri', '--data', holes, '--regions', 'V1'], root);
  assert.equal(warned.code, 0, warned.stderr);
  assert.match(warned.stderr, /\[fmri\] warning: S01: 2 samples dropped for a non-finite label, modification or time bin \(rows 0, 5\)/);
  assert.match(warned.stderr, /\[fmri\] warning: S01 ROI_LH_V1: 1 of \d+ voxels dropped as non-finite or constant \(columns \d+\)/);
  const json = JSON.parse(warned.stdout) as { warnings: string[]; results: { droppedSamples: number[] }[] };
  assert.equal(json.warnings.length, 4);
  assert.deepEqual(json.results[0]!.droppedSamples, [0, 5]);

  // NaN labels on every clean presentation of image 3 at the last time bin: the error says why that bin is empty.
  const gap = path.join(root, 'gap');
  await writeFmri(gap, (b) => {
    const [label, mod, bin] = ['Label', 'Modification', 'TimeBin'].map((k) => selectColumns(b, k)[0]!);
    for (let s = 0; s < b.samples; s++) {
      const at = (c: number) => b.dataset[s * b.columns + c];
      if (at(label!) === 3 && at(mod!) === 1 && at(bin!) === 4) b.dataset[s * b.columns + label!] = Number.NaN;
    }
  });
  const explained = repro(['fmri', '--data', gap], root);
  assert.equal(explained.code, 2, explained.stderr);
  assert.match(explained.stderr, /^repro: .*S01\.h5: TimeBin: image 3 \(clean\) has no sample at time bin 4 \(2 samples were dropped for a non-finite Label, Modification or TimeBin: rows \d+, \d+\)\n$/);

  const alpha = repro(['fmri', '--data', holes, '--alpha', '7'], root);
  assert.equal(alpha.code, 2);
  assert.match(alpha.stderr, /^repro: repro fmri: --alpha must be a number in \(0, 1\), got '7'\n$/);
});

test('bad BData files: not HDF5, truncated; a missing directory', async () => {
  const root = tempDir('repro-fault-');
  const good = path.join(root, 'good');
  await writeFmri(good, () => undefined);
  const cases: [string, (f: string) => void, RegExp][] = [
    ['not-hdf5', (f) => fs.writeFileSync(f, 'this is not HDF5'), /S01\.h5: .*(not an HDF5 file|HDF5)/],
    ['truncated', (f) => fs.writeFileSync(f, fs.readFileSync(f).subarray(0, 2000)), /S01\.h5: /],
  ];
  for (const [name, damage, message] of cases) {
    const dir = path.join(root, name);
    fs.cpSync(good, dir, { recursive: true });
    damage(path.join(dir, 'S01.h5'));
    const run = repro(['fmri', '--data', dir], root);
    assert.notEqual(run.code, 0, name);
    assert.match(run.stderr, message, name);
    assert.equal(run.stderr.trim().split('\n').length, 1, `${name}: one line`);
  }
  const missing = repro(['fmri', '--data', path.join(root, 'nowhere')], root);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /nowhere: not a directory/);
});

test('bad MNIST files: truncated, wrong magic, label and image counts differ', () => {
  const root = tempDir('repro-fault-');
  const cases: [string, (dir: string) => void, RegExp][] = [
    ['truncated', (d) => fs.writeFileSync(path.join(d, 't10k-images-idx3-ubyte'), fs.readFileSync(path.join(defaultMnistDir(), 't10k-images-idx3-ubyte')).subarray(0, 5000)), /t10k-images-idx3-ubyte: IDX file length: expected 7840016 bytes .* found 5000 bytes \(truncated\)/],
    ['magic', (d) => { const b = Buffer.from(fs.readFileSync(path.join(defaultMnistDir(), 't10k-labels-idx1-ubyte'))); b[0] = 7; fs.writeFileSync(path.join(d, 't10k-labels-idx1-ubyte'), b); }, /t10k-labels-idx1-ubyte: IDX magic number: expected two leading zero bytes, found 0x0700/],
    ['count', (d) => { const b = Buffer.from(fs.readFileSync(path.join(defaultMnistDir(), 't10k-labels-idx1-ubyte'))).subarray(0, 8 + 9999); b.writeUInt32BE(9999, 4); fs.writeFileSync(path.join(d, 't10k-labels-idx1-ubyte'), b); }, /t10k-labels-idx1-ubyte: 9999 labels but .*t10k-images-idx3-ubyte has 10000 images/],
  ];
  for (const [name, damage, message] of cases) {
    const dir = tempDir('repro-fault-mnist-');
    for (const f of MNIST_FILES) fs.symlinkSync(path.join(defaultMnistDir(), f), path.join(dir, f));
    for (const f of MNIST_FILES) {
      if (name === 'truncated' && f === 't10k-images-idx3-ubyte') fs.rmSync(path.join(dir, f));
      if (name !== 'truncated' && f === 't10k-labels-idx1-ubyte') fs.rmSync(path.join(dir, f));
    }
    damage(dir);
    const run = repro(job('core', { profile: tiny, index: 0 }), root, { MNIST_DIR: dir });
    assert.equal(run.code, 1, `${name}: ${run.stderr}`);
    assert.match(run.stderr, message, name);
  }
  assert.equal(fs.existsSync(path.join(root, 'data', 'runs', 'smoke', 'cores')), false, 'nothing was trained');
});

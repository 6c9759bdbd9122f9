import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeNpy } from '../src/io/npy';
import { assertClose, tempDir } from './helpers';

const GOLDEN = path.join(__dirname, '..', '..', 'test', 'golden', 'analyze');
const H5 = path.join(GOLDEN, 'inputs.h5');
const MODULE = path.join(__dirname, '..', 'src', 'cli', 'analyze.js');
const at = (name: string) => path.join(GOLDEN, name);

interface PredictivityJson {
  score: number;
  scoreError: number;
  ceiling: number | null;
  ceiledScore: number | null;
  perNeuroid: number[];
  components: number;
}
interface DenoisingJson {
  denoising: number[];
  mean: number;
  median: number;
  tStatistic: number;
  pValue: number;
}
interface Golden {
  prNpy: number;
  prNpyNoUnitNorm: number;
  prH5Float32: number;
  denoising: DenoisingJson;
  predictivityNpyStratified: PredictivityJson;
  predictivityH5: PredictivityJson;
  predictivityNoRepetitions: PredictivityJson;
}
const golden = JSON.parse(fs.readFileSync(at('analyze_golden.json'), 'utf8')) as Golden;

/** Runs runAnalyzeCommand(args) in a fresh node, as the top-level command line would. */
function analyze(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const script = `require(${JSON.stringify(MODULE)}).runAnalyzeCommand(process.argv.slice(1)).catch((e) => { process.stderr.write(String(e && e.stack) + '\\n'); process.exit(1); });`;
  const run = spawnSync(process.execPath, ['-e', script, '--', ...args], { encoding: 'utf8' });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** The JSON on the last line of stdout of a successful run. */
function resultOf(args: string[]): unknown {
  const run = analyze(...args);
  assert.equal(run.code, 0, `exit code ${run.code}; stderr: ${run.stderr}`);
  assert.equal(run.stderr, '');
  const lines = run.stdout.trimEnd().split('\n');
  assert.ok(lines.length >= 2, 'a summary line, then the JSON');
  return JSON.parse(lines[lines.length - 1]!);
}

/** Asserts exit code 2 and ONE stderr line matching `message`, with no stack trace. */
function assertBadInput(args: string[], message: RegExp): void {
  const run = analyze(...args);
  assert.equal(run.code, 2, `exit code for ${args.join(' ')}: ${run.code}; stderr: ${run.stderr}`);
  assert.equal(run.stdout, '');
  const lines = run.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${run.stderr}`);
  assert.match(lines[0]!, message);
  assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
}

const REL = 1e-6;

function assertPredictivity(actual: PredictivityJson, expected: PredictivityJson): void {
  assert.equal(actual.components, expected.components);
  assertClose([actual.score, actual.scoreError], [expected.score, expected.scoreError], 1e-12, REL, 'score, scoreError');
  assert.equal(actual.ceiling === null, expected.ceiling === null);
  assert.equal(actual.ceiledScore === null, expected.ceiledScore === null);
  if (actual.ceiling !== null && expected.ceiling !== null) assertClose([actual.ceiling], [expected.ceiling], 1e-12, REL, 'ceiling');
  if (actual.ceiledScore !== null && expected.ceiledScore !== null) assertClose([actual.ceiledScore], [expected.ceiledScore], 1e-12, REL, 'ceiledScore');
  assertClose(actual.perNeuroid, expected.perNeuroid, 1e-12, REL, 'perNeuroid');
}

// --- results against numpy/scipy/scikit-learn -----------------------------------------------------

test('participation-ratio from .npy and from HDF5 (float32) matches numpy', () => {
  const fromNpy = resultOf(['participation-ratio', '--x', at('pr_x.npy')]) as { participationRatio: number };
  assertClose([fromNpy.participationRatio], [golden.prNpy], 0, REL);
  const raw = resultOf(['participation-ratio', '--x', at('pr_x.npy'), '--no-unit-norm']) as { participationRatio: number };
  assertClose([raw.participationRatio], [golden.prNpyNoUnitNorm], 0, REL);
  const fromH5 = resultOf(['participation-ratio', `--x=${H5}:/pr/x`]) as { participationRatio: number };
  assertClose([fromH5.participationRatio], [golden.prH5Float32], 0, REL);
});

test('denoising from .npy and from HDF5 matches numpy/scipy; --out holds the same JSON', () => {
  const out = path.join(tempDir(), 'sub', 'denoising.json');
  const fromNpy = resultOf(['denoising', '--clean-ff', at('clean_ff.npy'), '--noisy-ff', at('noisy_ff.npy'), '--noisy-rec', at('noisy_rec.npy'), '--out', out]) as DenoisingJson;
  assert.deepEqual(JSON.parse(fs.readFileSync(out, 'utf8')), fromNpy);
  const fromH5 = resultOf(['denoising', '--clean-ff', `${H5}:/denoising/clean_ff`, '--noisy-ff', `${H5}:/denoising/noisy_ff`, '--noisy-rec', `${H5}:/denoising/noisy_rec`]) as DenoisingJson;
  for (const result of [fromNpy, fromH5]) {
    const g = golden.denoising;
    assertClose(result.denoising, g.denoising, 1e-12, REL, 'denoising');
    assertClose([result.mean, result.median, result.tStatistic, result.pValue], [g.mean, g.median, g.tStatistic, g.pValue], 1e-12, REL, 'summary');
  }
});

test('predictivity matches scikit-learn PLS + scipy: stratified with a ceiling, HDF5 float32 with (r/c)^2, no repetitions', () => {
  const out = path.join(tempDir(), 'predictivity.json');
  const stratified = resultOf(['predictivity', '--x', at('features.npy'), '--y', at('responses.npy'), '--labels', at('labels.npy'), '--out', out]) as PredictivityJson;
  assertPredictivity(stratified, golden.predictivityNpyStratified);
  assert.deepEqual(JSON.parse(fs.readFileSync(out, 'utf8')), stratified);
  const fromH5 = resultOf(['predictivity', '--x', `${H5}:/predictivity/features`, '--y', `${H5}:/predictivity/responses`, '--components', '5', '--seed', '7', '--ceiling-formula', '(r/c)^2']) as PredictivityJson;
  assertPredictivity(fromH5, golden.predictivityH5);
  const noRepetitions = resultOf(['predictivity', '--x', at('features.npy'), '--y', at('responses_mean.npy'), '--splits', '4', '--seed', '3']) as PredictivityJson;
  assertPredictivity(noRepetitions, golden.predictivityNoRepetitions);
});

test('--help for analyze and for each subcommand documents the preprocessing', () => {
  const top = analyze('--help');
  assert.equal(top.code, 0);
  for (const name of ['participation-ratio', 'denoising', 'predictivity']) assert.match(top.stdout, new RegExp(`^  ${name} `, 'm'));
  const expected: [string, RegExp][] = [
    ['participation-ratio', /centred over the samples and then scaled to unit\s+L2 norm/],
    ['denoising', /d_i = r\(A_i, C_i\) − r\(A_i, B_i\)/],
    ['predictivity', /no scaling\) of\s+features and responses/],
  ];
  for (const [name, text] of expected) {
    const help = analyze(name, '--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, new RegExp(`^usage: repro analyze ${name} `));
    assert.match(help.stdout, text);
    assert.match(help.stdout, /--out FILE/);
  }
});

// --- bad input: one line on stderr, exit code 2 ------------------------------------------------------

test('bad input: wrong rank, differing sample counts, NaN/Inf, constant rows', () => {
  const dir = tempDir();
  const write = (name: string, shape: number[], edit?: (data: Float64Array) => void) => {
    const data = Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, k) => Math.sin(k) + k / 50);
    edit?.(data);
    const file = path.join(dir, name);
    writeNpy(file, { data, shape });
    return file;
  };
  assertBadInput(['participation-ratio', '--x', at('responses.npy')], /^repro analyze participation-ratio: --x .*responses\.npy: data: has shape \[4, 60, 12\] \(3-D\), expected 2-D \[samples, units\]$/);
  assertBadInput(['predictivity', '--x', at('features.npy'), '--y', at('labels.npy')], /--y .*labels\.npy: data: has shape \[60\] \(1-D\), expected 2-D \[samples, neuroids\] or 3-D \[repetitions, samples, neuroids\]$/);
  const short = write('short.npy', [24, 40]);
  assertBadInput(['denoising', '--clean-ff', at('clean_ff.npy'), '--noisy-ff', short, '--noisy-rec', at('noisy_rec.npy')], /--noisy-ff .*short\.npy: data: has 24 samples \(shape \[24, 40\]\) but --clean-ff has 25; expected the same samples in the same order$/);
  const narrow = write('narrow.npy', [25, 39]);
  assertBadInput(['denoising', '--clean-ff', at('clean_ff.npy'), '--noisy-ff', at('noisy_ff.npy'), '--noisy-rec', narrow], /--noisy-rec .*narrow\.npy: data: has 39 units .* expected the same units/);
  const fewer = write('fewer.npy', [59, 12]);
  assertBadInput(['predictivity', '--x', at('features.npy'), '--y', fewer], /--y .*fewer\.npy: data: has 59 samples \(shape \[59, 12\]\) but --x has 60 \(shape \[60, 40\]\)/);
  const nan = write('nan.npy', [30, 8], (d) => (d[2 * 8 + 3] = NaN));
  assertBadInput(['participation-ratio', '--x', nan], /--x .*nan\.npy: data: NaN at \[2, 3\]; expected finite values$/);
  const inf = write('inf.npy', [4, 60, 12], (d) => (d[60 * 12 + 5 * 12 + 7] = Infinity));
  assertBadInput(['predictivity', '--x', at('features.npy'), '--y', inf], /--y .*inf\.npy: data: Inf at \[1, 5, 7\]; expected finite values$/);
  const flatRow = write('flat.npy', [25, 40], (d) => d.fill(0.5, 3 * 40, 4 * 40));
  assertBadInput(['denoising', '--clean-ff', at('clean_ff.npy'), '--noisy-ff', at('noisy_ff.npy'), '--noisy-rec', flatRow], /--noisy-rec .*flat\.npy: data: row 3 is constant over its 40 units; Pearson r is undefined$/);
  const constant = write('constant.npy', [10, 3], (d) => d.fill(2));
  assertBadInput(['participation-ratio', '--x', constant], /every unit is constant over the 10 samples/);
});

test('bad input: components or labels the data do not allow, too few samples or repetitions', () => {
  const dir = tempDir();
  assertBadInput(['predictivity', '--x', at('features.npy'), '--y', at('responses.npy'), '--components', '41'], /^repro analyze predictivity: --components 41 is more than the data allow: at most 40 = min\(features 40, training samples 54 − 1\)/);
  const singleton = path.join(dir, 'labels.npy');
  writeNpy(singleton, { data: Float64Array.from({ length: 60 }, (_, i) => (i === 0 ? 9 : i % 2)), shape: [60] });
  assertBadInput(['predictivity', '--x', at('features.npy'), '--y', at('responses.npy'), '--labels', singleton], /--labels .*labels\.npy: label 9 has only 1 sample; stratified splits need at least 2 per class$/);
  const wrongCount = path.join(dir, 'labels59.npy');
  writeNpy(wrongCount, { data: new Float64Array(59), shape: [59, 1] });
  assertBadInput(['predictivity', '--x', at('features.npy'), '--y', at('responses.npy'), '--labels', wrongCount], /--labels .*labels59\.npy: data: has 59 labels but --x has 60 samples/);
  const small = path.join(dir, 'small.npy');
  writeNpy(small, { data: Float64Array.from({ length: 20 * 3 }, (_, k) => Math.cos(k)), shape: [20, 3] });
  assertBadInput(['predictivity', '--x', small, '--y', small], /--x .*small\.npy: data: has 20 samples, which leaves 2 held out per split; Pearson r needs at least 3/);
  const oneRep = path.join(dir, 'onerep.npy');
  writeNpy(oneRep, { data: Float64Array.from({ length: 60 * 12 }, (_, k) => Math.cos(k)), shape: [1, 60, 12] });
  assertBadInput(['predictivity', '--x', at('features.npy'), '--y', oneRep], /has 1 repetition .*the ceiling needs at least 2/);
});

test('bad input: missing dataset, not .npy/HDF5, unsupported dtype', () => {
  const dir = tempDir();
  assertBadInput(['participation-ratio', '--x', `${H5}:/pr/nope`], /--x .*inputs\.h5: \/pr\/nope: no such dataset \(\/pr has: \/pr\/x\)$/);
  assertBadInput(['participation-ratio', '--x', H5], /--x .*inputs\.h5: file: is an HDF5 file; name the dataset too/);
  const text = path.join(dir, 'x.csv');
  fs.writeFileSync(text, '1,2\n3,4\n');
  assertBadInput(['participation-ratio', '--x', text], /--x .*x\.csv: file: not an \.npy or HDF5 file/);
  assertBadInput(['participation-ratio', '--x', `${text}:/x`], /--x .*x\.csv: file: not an HDF5 file/);
  assertBadInput(['participation-ratio', '--x', path.join(dir, 'missing.npy')], /--x .*missing\.npy: file: not found$/);
  assertBadInput(['predictivity', '--x', at('features.npy'), '--y', at('responses.npy'), '--labels', `${H5}:/predictivity/labels_int`], /--labels .*inputs\.h5: \/predictivity\/labels_int: has type .* expected float32 or float64/);
  const ints = path.join(dir, 'ints.npy');
  const npyInt = fs.readFileSync(path.join(GOLDEN, '..', 'npy', 'bad_int64.npy'));
  fs.writeFileSync(ints, npyInt);
  assertBadInput(['participation-ratio', '--x', ints], /--x .*ints\.npy: descr: dtype int64 \('<i8'\) is not supported/);
});

test('bad command lines: unknown or missing options and subcommands, bad values', () => {
  assertBadInput([], /^repro analyze: missing subcommand; expected one of participation-ratio, cross-dimensionality, denoising, alignment, predictivity/);
  assertBadInput(['pca'], /^repro analyze: unknown subcommand 'pca'/);
  assertBadInput(['participation-ratio', '--x', at('pr_x.npy'), '--unit-norm'], /^repro analyze participation-ratio: unknown option '--unit-norm'; options are --x, --no-unit-norm, --out$/);
  assertBadInput(['participation-ratio', at('pr_x.npy')], /unexpected argument '.*pr_x\.npy'/);
  assertBadInput(['participation-ratio'], /^repro analyze participation-ratio: missing required option --x X$/);
  assertBadInput(['predictivity', '--x', at('features.npy')], /^repro analyze predictivity: missing required option --y RESPONSES$/);
  assertBadInput(['predictivity', '--x', at('features.npy'), '--y'], /--y needs a value \(RESPONSES\)/);
  assertBadInput(['predictivity', '--x', at('features.npy'), '--x', at('features.npy'), '--y', at('responses.npy')], /--x is given twice/);
  assertBadInput(['predictivity', '--x', at('features.npy'), '--y', at('responses.npy'), '--splits', 'ten'], /--splits must be an integer ≥ 1, got 'ten'/);
  assertBadInput(['predictivity', '--x', at('features.npy'), '--y', at('responses.npy'), '--seed', '-1'], /--seed must be an integer in \[0, 4294967295\], got '-1'/);
  assertBadInput(['predictivity', '--x', at('features.npy'), '--y', at('responses.npy'), '--ceiling-formula', 'r/c'], /--ceiling-formula must be 'r2\/c' or '\(r\/c\)\^2', got 'r\/c'/);
  assertBadInput(['participation-ratio', '--x', at('pr_x.npy'), '--no-unit-norm=yes'], /--no-unit-norm takes no value/);
});

const GOLDEN2 = path.join(__dirname, '..', '..', 'test', 'golden', 'analyze2');
const at2 = (name: string) => path.join(GOLDEN2, name);
const golden2 = JSON.parse(fs.readFileSync(at2('analyze2_golden.json'), 'utf8')) as {
  crossXY: number; crossXYNoUnitNorm: number; crossXX: number;
  alignXZ10: { alignment: number; cosines: number[] }; alignXW5: { alignment: number; cosines: number[] };
};

test('cross-dimensionality matches numpy (SVD of the full cross-covariance), exact and without unit norm; the subsample is its own number', () => {
  const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
  const xy = resultOf(['cross-dimensionality', '--x', at2('x.npy'), '--y', at2('y.npy')]) as { crossDimensionality: number; subsample: number | null };
  assert.ok(rel(xy.crossDimensionality, golden2.crossXY) < REL, `${xy.crossDimensionality} vs numpy ${golden2.crossXY}`);
  assert.equal(xy.subsample, null);
  const raw = resultOf(['cross-dimensionality', '--x', at2('x.npy'), '--y', at2('y.npy'), '--no-unit-norm']) as { crossDimensionality: number };
  assert.ok(rel(raw.crossDimensionality, golden2.crossXYNoUnitNorm) < REL, `${raw.crossDimensionality} vs numpy ${golden2.crossXYNoUnitNorm}`);
  const xx = resultOf(['cross-dimensionality', '--x', at2('x.npy'), '--y', at2('x.npy')]) as { crossDimensionality: number };
  assert.ok(rel(xx.crossDimensionality, golden2.crossXX) < REL);
  const sub = resultOf(['cross-dimensionality', '--x', at2('x.npy'), '--y', at2('y.npy'), '--subsample', '0.2', '--seed', '3']) as { crossDimensionality: number; subsample: number };
  assert.equal(sub.subsample, 0.2);
  assert.ok(sub.crossDimensionality >= 1 && Math.abs(sub.crossDimensionality - xy.crossDimensionality) > 1e-9, 'a 20 % subsample gives its own value');
  assertBadInput(['cross-dimensionality', '--x', at2('x.npy'), '--y', at2('z.npy')], /--y .*has 40 samples .* but --x has 60; expected the same samples in the same order/);
  assertBadInput(['cross-dimensionality', '--x', at2('x.npy'), '--y', at2('y.npy'), '--subsample', '1.5'], /--subsample must be a fraction in \(0, 1\], got '1.5'/);
});

test('alignment matches scikit-learn PCA + scipy subspace_angles; K beyond the rank is refused', () => {
  for (const [args, want] of [[['--x', at2('x.npy'), '--y', at2('z.npy'), '--pcs', '10'], golden2.alignXZ10], [['--x', at2('x.npy'), '--y', at2('w.npy'), '--pcs', '5'], golden2.alignXW5]] as const) {
    const got = resultOf(['alignment', ...args]) as { alignment: number; principalAngleCosines: number[] };
    // The command computes in float64 (principalAxesFloat64, principalAnglesFloat64).
    assert.ok(Math.abs(got.alignment - want.alignment) < 1e-6 * want.alignment, `alignment ${got.alignment} vs scipy ${want.alignment}`);
    assertClose(Float64Array.from(got.principalAngleCosines), Float64Array.from(want.cosines), 1e-6, 0, 'cosines, largest first');
  }
  assertBadInput(['alignment', '--x', at2('z.npy'), '--y', at2('x.npy'), '--pcs', '45'], /--x .*supports 39 principal components .*fewer than --pcs 45/);
  assertBadInput(['alignment', '--x', at2('x.npy'), '--y', at2('y.npy'), '--pcs', '3'], /--y .*has 80 units .* but --x has 300; expected the same units/);
});

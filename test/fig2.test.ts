import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { fig2a } from '../src/figures/fig2';
import { saveFigure } from '../src/figures/figure';
import { NOISE_TYPES, NUM_LEVELS } from '../src/noise/degrade';
import { AccuracyRecord, FB_PC_PLOTTED_STEPS, levelCurves, levelGainTable, noiseConditions, plottedSteps, STEP_TEST, stepSignificance } from '../src/recurrence/accuracy';
import { RECURRENCE_SPECS, RECURRENCE_TYPES, RecurrenceType } from '../src/recurrence/rules';
import { hashInts } from '../src/random';
import { assertClose, tempDir } from './helpers';

/** Where one synthetic record sits. */
interface Cell {
  core: number;
  network: RecurrenceType;
  instance: number;
  level: number;
  /** Index of the noise condition: 0-3 for NOISE_TYPES, 0 for clean. */
  noise: number;
  timeStep: number;
}

/** Complete records (every instance, level, noise condition and step) with accuracies from `accuracy`. */
function makeRecords(cores: number, networks: readonly RecurrenceType[], accuracy: (c: Cell) => number): AccuracyRecord[] {
  const out: AccuracyRecord[] = [];
  for (let core = 0; core < cores; core++) {
    for (const network of networks) {
      for (let instance = 0; instance < RECURRENCE_SPECS[network].instances; instance++) {
        for (let level = 0; level <= NUM_LEVELS; level++) {
          noiseConditions(level).forEach((noise, k) => {
            for (let timeStep = 0; timeStep < RECURRENCE_SPECS[network].timeSteps; timeStep++) {
              out.push({ core, network, instance, noise, level, timeStep, accuracy: accuracy({ core, network, instance, level, noise: k, timeStep }), images: 1000 });
            }
          });
        }
      }
    }
  }
  return out;
}

/** Plausible curves: accuracy falls with level, recurrence helps noisy levels, plus reproducible jitter. */
function plausible(c: Cell): number {
  const jitter = (hashInts(c.core, c.instance, c.level, c.noise, c.timeStep, RECURRENCE_TYPES.indexOf(c.network)) / 4294967296 - 0.5) * 0.04;
  const base = 0.98 - 0.11 * c.level;
  const frac = c.timeStep / (RECURRENCE_SPECS[c.network].timeSteps - 1);
  const gain = c.network === 'FB-R' ? -0.01 * c.level : (0.05 + 0.02 * RECURRENCE_TYPES.indexOf(c.network)) * Math.min(c.level, 4) / 4;
  return Math.min(1, Math.max(0, base + frac * gain + (c.timeStep === 0 ? 0 : jitter)));
}

const find = <T extends { network: string; level: number; timeStep: number }>(rows: T[], network: string, level: number, timeStep: number): T => {
  const row = rows.find((r) => r.network === network && r.level === level && r.timeStep === timeStep);
  assert.ok(row, `no row for ${network} level ${level} step ${timeStep}`);
  return row;
};

test('plottedSteps: all steps of the 3-step networks, 0/6/12 for FB-PC, 0/1 for Grads', () => {
  for (const n of ['FB-TT', 'LR-TT', 'LR-SS', 'FB-R', 'LR-R'] as const) assert.deepEqual(plottedSteps(n), [0, 1, 2]);
  assert.deepEqual(plottedSteps('FB-PC'), [0, 6, 12]);
  assert.equal(FB_PC_PLOTTED_STEPS.at(-1), RECURRENCE_SPECS['FB-PC'].timeSteps - 1);
  assert.deepEqual(plottedSteps('Grads'), [0, 1]);
});

test('levelCurves averages noise types and instances per core, then mean and s.t.d. over cores', () => {
  // FB-TT step 0: core 0 instance 0 = [.2 .4 .6 .8] (mean .5), instance 1 = .7 everywhere → core 0 = .6;
  // core 1 = .4 everywhere → mean .5, sd √((.1² + .1²)/1) = .1414. Level 0 (clean): .9 and .8 → .85 ± .0707.
  const records = makeRecords(2, ['FB-TT'], (c) => {
    if (c.level === 0) return c.core === 0 ? 0.9 : 0.8;
    if (c.core === 1) return 0.4;
    return c.instance === 0 ? 0.2 * (c.noise + 1) : 0.7;
  });
  const curves = levelCurves(records);
  assert.equal(curves.length, (NUM_LEVELS + 1) * 3);
  const clean = find(curves, 'FB-TT', 0, 0);
  assertClose([clean.accuracy.mean, clean.accuracy.sd], [0.85, Math.SQRT2 * 0.05], 1e-12);
  assert.equal(clean.accuracy.n, 2);
  const noisy = find(curves, 'FB-TT', 3, 2);
  assertClose([noisy.accuracy.mean, noisy.accuracy.sd], [0.5, Math.SQRT2 * 0.1], 1e-12);
  assert.deepEqual(curves.filter((c) => c.level === 1).map((c) => [c.timeStep, c.position]), [[0, 0], [1, 1], [2, 2]]);
});

test('levelCurves plots FB-PC at steps 0, 6, 12 and gives NaN s.t.d. for one core', () => {
  const curves = levelCurves(makeRecords(1, ['FB-PC'], (c) => 0.5 + c.timeStep / 100));
  const level2 = curves.filter((c) => c.level === 2);
  assert.deepEqual(level2.map((c) => c.timeStep), [0, 6, 12]);
  assertClose(level2.map((c) => c.accuracy.mean), [0.5, 0.56, 0.62], 1e-12);
  assert.ok(level2.every((c) => Number.isNaN(c.accuracy.sd) && c.accuracy.n === 1));
});

test('the accuracy functions reject incomplete, duplicated or malformed records', () => {
  const records = makeRecords(1, ['LR-SS'], () => 0.5);
  const missing = records.filter((r) => !(r.level === 4 && r.noise === 'blur' && r.timeStep === 1));
  assert.throws(() => levelCurves(missing), /missing record for LR-SS level 4 step 1 core 0 instance 0 noise blur/);
  assert.throws(() => stepSignificance([...records, records[5]!]), /duplicates/);
  assert.throws(() => levelCurves([{ ...records[0]!, noise: 'pixel' }]), /noise 'pixel' at level 0/);
  assert.throws(() => levelCurves([{ ...records[0]!, timeStep: 3 }]), /time step 3, expected an integer in \[0, 2\]/);
  assert.throws(() => levelCurves([]), /no accuracy records/);
});

test('stepSignificance: paired over (core, instance, noise type), against a hand computation', () => {
  // LR-SS, one core, level 1: step 0 = [.5 .6 .7 .8], step 1 = [.6 .8 .8 1] → d = [.1 .2 .1 .2],
  // mean .15, sd √(4·.05²/3) = .05/√.75, t = .15 / (sd/2) = 3√3, df 3.
  // p: /usr/bin/python3 -c "from scipy import stats; print(stats.ttest_rel([.6,.8,.8,1],[.5,.6,.7,.8]))" → 0.013846832988859034
  const step0 = [0.5, 0.6, 0.7, 0.8];
  const step1 = [0.6, 0.8, 0.8, 1.0];
  const records = makeRecords(1, ['LR-SS'], (c) => (c.level === 1 && c.timeStep === 1 ? step1[c.noise]! : c.level === 1 ? step0[c.noise]! : 0.5));
  const results = stepSignificance(records);
  assert.equal(results.length, (NUM_LEVELS + 1) * 2);
  const r = find(results, 'LR-SS', 1, 1);
  assert.equal(r.test, STEP_TEST);
  assert.equal(r.test, 'paired t-test over (core, instance, noise type)');
  assert.equal(r.n, 4);
  assert.equal(r.df, 3);
  assertClose([r.meanDifference, r.sdDifference, r.t, r.pValue], [0.15, 0.05 / Math.sqrt(0.75), 3 * Math.sqrt(3), 0.013846832988859034], 1e-9, 1e-9);
  assert.equal(r.significant, true);
  assert.equal(r.alpha, 0.05);
  assert.equal(stepSignificance(records, { alpha: 0.01 }).find((s) => s.level === 1 && s.timeStep === 1)!.significant, false);
});

test('stepSignificance matches scipy.stats.ttest_rel with 2 cores x 2 instances x 4 noise types', () => {
  // Pairs ordered core, instance, noise type. Golden numbers:
  // /usr/bin/python3 -c "from scipy import stats; a=[.412,.388,.705,.251,.430,.395,.690,.270,.401,.377,.712,.260,.425,.380,.698,.243]; b=[.455,.402,.731,.249,.470,.421,.688,.301,.433,.390,.745,.262,.461,.379,.720,.270]; print(stats.ttest_rel(b, a))"
  // → statistic=5.535374711582325, pvalue=5.714231009800618e-05, df=15
  const a = [0.412, 0.388, 0.705, 0.251, 0.43, 0.395, 0.69, 0.27, 0.401, 0.377, 0.712, 0.26, 0.425, 0.38, 0.698, 0.243];
  const b = [0.455, 0.402, 0.731, 0.249, 0.47, 0.421, 0.688, 0.301, 0.433, 0.39, 0.745, 0.262, 0.461, 0.379, 0.72, 0.27];
  const at = (c: Cell) => c.core * 8 + c.instance * 4 + c.noise;
  const records = makeRecords(2, ['FB-TT'], (c) => (c.level !== 5 ? 0.9 : c.timeStep === 2 ? b[at(c)]! : c.timeStep === 0 ? a[at(c)]! : 0.5));
  const r = find(stepSignificance(records), 'FB-TT', 5, 2);
  assert.equal(r.n, 16);
  assert.equal(r.df, 15);
  assertClose([r.t, r.pValue], [5.535374711582325, 5.714231009800618e-5], 1e-9, 1e-6);
});

test('stepSignificance degenerate cases: no change → p = 1; constant change → p = 0; n < 2 → NaN', () => {
  // Level 0 of a single-instance network on one core has a single pair; levels 1-6 have 4.
  const records = makeRecords(1, ['Grads'], (c) => (c.level === 2 && c.timeStep === 1 ? 0.7 : 0.5));
  const results = stepSignificance(records);
  const same = find(results, 'Grads', 1, 1);
  assert.deepEqual([same.n, same.meanDifference, same.t, same.pValue, same.significant], [4, 0, 0, 1, false]);
  const shifted = find(results, 'Grads', 2, 1);
  assert.equal(shifted.t, Infinity);
  assert.equal(shifted.pValue, 0);
  assert.equal(shifted.significant, true);
  const single = find(results, 'Grads', 0, 1);
  assert.equal(single.n, 1);
  assert.ok(Number.isNaN(single.pValue) && Number.isNaN(single.t));
  assert.equal(single.significant, false);
});

test('stepSignificance is unchanged by adding one constant to step 0 and step t, and by record order', () => {
  const records = makeRecords(2, ['FB-TT', 'LR-R'], plausible);
  const base = stepSignificance(records);
  // Shift level 3 of FB-TT at steps 0 and 2 by the same amount per pair (keeping accuracies in [0, 1]).
  const shifted = records.map((r) => (r.network === 'FB-TT' && r.level === 3 && r.timeStep !== 1 ? { ...r, accuracy: r.accuracy - 0.125 } : r));
  const moved = stepSignificance(shifted);
  const before = find(base, 'FB-TT', 3, 2);
  const after = find(moved, 'FB-TT', 3, 2);
  assertClose([after.meanDifference, after.t, after.pValue], [before.meanDifference, before.t, before.pValue], 1e-9, 1e-9);
  assert.notEqual(find(moved, 'FB-TT', 3, 1).t, find(base, 'FB-TT', 3, 1).t, 'step 1 was not shifted, so its test must change');
  const reversed = stepSignificance([...records].reverse());
  assert.deepEqual(reversed, base);
});

test('levelGainTable: last step minus step 0 per instance and averaged, with the per-noise breakdown', () => {
  // FB-TT level 5, step 0 = .5; gains at step 2 by (core, instance): c0 i0 [.1 .2 .3 .4] (.25),
  // c0 i1 [0 .1 .2 .3] (.15), c1 i0 .2 (.2), c1 i1 .1 (.1).
  // instance 0: [.25, .2] → .225 ± .0354; instance 1: [.15, .1] → .125 ± .0354; mean: [.2, .15] → .175 ± .0354.
  const gains = [[[0.1, 0.2, 0.3, 0.4], [0, 0.1, 0.2, 0.3]], [[0.2, 0.2, 0.2, 0.2], [0.1, 0.1, 0.1, 0.1]]];
  const records = makeRecords(2, ['FB-TT', 'LR-SS'], (c) => (c.level === 5 && c.timeStep === 2 && c.network === 'FB-TT' ? 0.5 + gains[c.core]![c.instance]![c.noise]! : 0.5));
  const table = levelGainTable(records);
  assert.deepEqual(table.map((r) => [r.network, r.instance, r.timeStep, r.level]), [['FB-TT', 0, 2, 5], ['FB-TT', 1, 2, 5], ['FB-TT', 'mean', 2, 5], ['LR-SS', 0, 2, 5]]);
  const sd = 0.05 / Math.SQRT2;
  assertClose(table.slice(0, 3).flatMap((r) => [r.gain.mean, r.gain.sd]), [0.225, sd, 0.125, sd, 0.175, sd], 1e-12);
  const mean = table[2]!;
  assert.deepEqual(mean.byNoise.map((b) => b.noise), [...NOISE_TYPES]);
  // pixel: core 0 (.1 + 0)/2 = .05, core 1 (.2 + .1)/2 = .15 → .1 ± .0707.
  assertClose([mean.byNoise[0]!.mean, mean.byNoise[0]!.sd, mean.byNoise[0]!.n], [0.1, 0.1 / Math.SQRT2, 2], 1e-12);
  assertClose([table[3]!.gain.mean, table[3]!.gain.sd], [0, 0], 1e-12);
  assert.deepEqual(levelGainTable(records, 0)[0]!.byNoise.map((b) => b.noise), ['clean']);
  assert.throws(() => levelGainTable(records, 7), /level 7/);
});

test('Figure 2A: one panel per network present, curves and tests as data, saved as PNG', async () => {
  const records = makeRecords(2, RECURRENCE_TYPES, plausible);
  const fig = await fig2a(records);
  assert.equal(fig.name, 'fig2a-accuracy-over-time');
  for (const n of RECURRENCE_TYPES) assert.ok(fig.svg.includes(`>${n}<`), `panel ${n} missing`);
  assert.ok(fig.svg.includes('Figure 2A'));
  assert.ok(fig.svg.includes('over 2 cores'));
  const data = fig.data as { curves: unknown[]; significance: unknown[] };
  assert.equal(data.curves.length, levelCurves(records).length);
  assert.equal(data.significance.length, stepSignificance(records).length);
  const saved = saveFigure(fig, tempDir());
  assert.ok(fs.statSync(saved.png).size > 10_000);

  const some = await fig2a(makeRecords(1, ['LR-SS', 'FB-PC'], plausible), { dataLabel: 'one core' });
  assert.ok(some.svg.includes('>LR-SS<') && some.svg.includes('>FB-PC<'));
  assert.ok(!some.svg.includes('>FB-TT<'));
  assert.ok(some.svg.includes('one core (no s.t.d.)'));
  assert.ok(some.svg.includes('not testable (n &lt; 2)'), 'LR-SS at level 0 has a single pair with one core');
});

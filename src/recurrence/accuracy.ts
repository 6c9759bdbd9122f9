/**
 * Classification accuracy over time (section 2.1, Figure 2A-B): accuracy
 * curves per noise level, the test of each step against the feedforward pass,
 * and the level-5 performance gain per network.
 *
 * Conventions, shared by every function here:
 * - Accuracies are fractions in [0, 1]; gains are differences of fractions.
 * - "Averaged over noise types" gives each of the 4 noise types equal weight
 *   at levels 1-6; level 0 has the single 'clean' condition.
 * - Cores are the independent replicates: the spread reported is the sample
 *   standard deviation over cores (n − 1 in the denominator; NaN for one core),
 *   as in the paper's "errorbars are ± s.t.d. over feedforward cores".
 * - Records must be complete: every (core, instance) of a network that appears
 *   at a level and step has all of that level's noise conditions. Missing or
 *   duplicated records throw rather than being silently averaged away.
 */
import { mean, oneSampleTTest, sampleSd } from '../analysis/stats';
import { NOISE_TYPES, NoiseType, NUM_LEVELS } from '../noise/degrade';
import { NetworkType, RECURRENCE_SPECS, RECURRENCE_TYPES, RecurrenceType } from './rules';

/** One accuracy measurement of one network on one condition at one time step. */
export interface AccuracyRecord {
  /** Index of the feedforward core. */
  core: number;
  network: RecurrenceType;
  /** Instantiation (0 or 1; 0 for single-instance types LR-SS and Grads). */
  instance: number;
  /** Noise type, or 'clean' for level 0. */
  noise: NoiseType | 'clean';
  /** 0 = clean, 1-6 = calibrated noise levels. */
  level: number;
  /** Time step, 0 = the feedforward pass (identical for every network of a core). */
  timeStep: number;
  /** Fraction of test images classified correctly. */
  accuracy: number;
  /** Number of test images. */
  images: number;
}

/** A noise condition: a noise type at levels 1-6, 'clean' at level 0. */
export type NoiseCondition = NoiseType | 'clean';

/**
 * The FB-PC steps plotted in Figure 2A: the feedforward pass, a step in the
 * middle and the last of its 13 steps (Methods 4.1: "we sample a step in the
 * middle and the last step"). The paper does not say which middle step; 6 is
 * the middle of 0-12.
 */
export const FB_PC_PLOTTED_STEPS: readonly number[] = [0, 6, 12];

/**
 * The time steps of `network` shown in Figure 2A, in plotting order (they sit
 * at positions 0, 1, 2 of the x axis): every step for the 3-step networks
 * ([0, 1, 2]) and Grads ([0, 1]), {@link FB_PC_PLOTTED_STEPS} for FB-PC, [0] for
 * the feedforward network.
 */
export function plottedSteps(network: NetworkType): readonly number[] {
  if (network === 'FF') return [0];
  if (network === 'FB-PC') return FB_PC_PLOTTED_STEPS;
  return Array.from({ length: RECURRENCE_SPECS[network].timeSteps }, (_, t) => t);
}

/** The step a gain is measured at: the network's last time step. */
export function lastStep(network: RecurrenceType): number {
  return RECURRENCE_SPECS[network].timeSteps - 1;
}

/** The noise conditions of a level: ['clean'] at level 0, the 4 noise types otherwise. */
export function noiseConditions(level: number): readonly NoiseCondition[] {
  return level === 0 ? ['clean'] : NOISE_TYPES;
}

/** A mean and sample standard deviation over `n` values. */
export interface MeanSd {
  mean: number;
  /** Sample standard deviation (n − 1); NaN when n < 2. */
  sd: number;
  n: number;
}

function meanSd(values: number[]): MeanSd {
  return { mean: mean(values), sd: values.length < 2 ? NaN : sampleSd(values), n: values.length };
}

/** Records indexed by condition, with the completeness checks described in the module comment. */
class RecordIndex {
  private readonly values = new Map<string, number>();
  /** Cores, levels and steps per network; instances per `network|core`. */
  private readonly present = { cores: new Map<string, Set<number>>(), instances: new Map<string, Set<number>>(), levels: new Map<string, Set<number>>(), timeSteps: new Map<string, Set<number>>() };

  constructor(fn: string, records: readonly AccuracyRecord[]) {
    if (records.length === 0) throw new Error(`${fn}: no accuracy records`);
    const add = (map: Map<string, Set<number>>, key: string, value: number) => map.set(key, (map.get(key) ?? new Set<number>()).add(value));
    records.forEach((r, i) => {
      checkRecord(fn, r, i);
      const key = RecordIndex.key(r.network, r.level, r.timeStep, r.core, r.instance, r.noise);
      if (this.values.has(key)) throw new Error(`${fn}: record ${i} duplicates ${key}`);
      this.values.set(key, r.accuracy);
      add(this.present.cores, r.network, r.core);
      add(this.present.instances, `${r.network}|${r.core}`, r.instance);
      add(this.present.levels, r.network, r.level);
      add(this.present.timeSteps, r.network, r.timeStep);
    });
  }

  private static sorted(set: Set<number> | undefined): number[] {
    return [...(set ?? [])].sort((a, b) => a - b);
  }

  private static key(network: RecurrenceType, level: number, timeStep: number, core: number, instance: number, noise: NoiseCondition): string {
    return `${network} level ${level} step ${timeStep} core ${core} instance ${instance} noise ${noise}`;
  }

  /** Networks present, in the paper's order ({@link RECURRENCE_TYPES}). */
  networks(): RecurrenceType[] {
    return RECURRENCE_TYPES.filter((n) => this.present.cores.has(n));
  }

  /** Cores of a network, ascending. */
  cores(network: RecurrenceType): number[] {
    return RecordIndex.sorted(this.present.cores.get(network));
  }

  /** Instances of a network on one core, ascending. */
  instances(network: RecurrenceType, core: number): number[] {
    return RecordIndex.sorted(this.present.instances.get(`${network}|${core}`));
  }

  /** Levels of a network, ascending. */
  levels(network: RecurrenceType): number[] {
    return RecordIndex.sorted(this.present.levels.get(network));
  }

  /** Steps of a network, ascending. */
  timeSteps(network: RecurrenceType): number[] {
    return RecordIndex.sorted(this.present.timeSteps.get(network));
  }

  /** The accuracy of one condition; throws naming the condition when it is missing. */
  get(fn: string, network: RecurrenceType, level: number, timeStep: number, core: number, instance: number, noise: NoiseCondition): number {
    const key = RecordIndex.key(network, level, timeStep, core, instance, noise);
    const value = this.values.get(key);
    if (value === undefined) throw new Error(`${fn}: missing record for ${key}`);
    return value;
  }
}

function checkRecord(fn: string, r: AccuracyRecord, i: number): void {
  const bad = (what: string) => new Error(`${fn}: record ${i} (${r.network} core ${r.core}) has ${what}`);
  if (!(RECURRENCE_TYPES as readonly string[]).includes(r.network)) throw bad(`unknown network '${r.network}'`);
  if (!Number.isInteger(r.level) || r.level < 0 || r.level > NUM_LEVELS) throw bad(`level ${r.level}, expected an integer in [0, ${NUM_LEVELS}]`);
  if (!noiseConditions(r.level).includes(r.noise)) throw bad(`noise '${r.noise}' at level ${r.level}, expected one of ${noiseConditions(r.level).join(', ')}`);
  if (!Number.isInteger(r.timeStep) || r.timeStep < 0 || r.timeStep >= RECURRENCE_SPECS[r.network].timeSteps) throw bad(`time step ${r.timeStep}, expected an integer in [0, ${RECURRENCE_SPECS[r.network].timeSteps - 1}]`);
  if (!Number.isInteger(r.core) || r.core < 0) throw bad(`core ${r.core}`);
  if (!Number.isInteger(r.instance) || r.instance < 0) throw bad(`instance ${r.instance}`);
  if (!(r.accuracy >= 0 && r.accuracy <= 1)) throw bad(`accuracy ${r.accuracy}, expected a fraction in [0, 1]`);
}

/** Accuracy of one network, level, step and core, averaged over noise conditions, then over instances. */
function accuracyOfCore(fn: string, index: RecordIndex, network: RecurrenceType, level: number, timeStep: number, core: number): number {
  return mean(index.instances(network, core).map((instance) => mean(noiseConditions(level).map((noise) => index.get(fn, network, level, timeStep, core, instance, noise)))));
}

/** One point of a Figure 2A curve. */
export interface LevelCurvePoint {
  network: RecurrenceType;
  level: number;
  /** The actual time step. */
  timeStep: number;
  /** Position of the step on the x axis of Figure 2A (0, 1, 2). */
  position: number;
  /**
   * Accuracy averaged over noise types (level 0: the clean condition) and
   * over instances, then mean and s.t.d. over cores (`n` = cores).
   */
  accuracy: MeanSd;
}

/**
 * The Figure 2A curves: for each network present × level present × plotted
 * step ({@link plottedSteps}), the accuracy of each core averaged over noise
 * types and instances, summarised as mean ± s.t.d. (n − 1) over cores.
 * Points are ordered by network (paper order), level, then step.
 */
export function levelCurves(records: readonly AccuracyRecord[]): LevelCurvePoint[] {
  const fn = 'levelCurves';
  const index = new RecordIndex(fn, records);
  const out: LevelCurvePoint[] = [];
  for (const network of index.networks()) {
    for (const level of index.levels(network)) {
      plottedSteps(network).forEach((timeStep, position) => {
        const perCore = index.cores(network).map((core) => accuracyOfCore(fn, index, network, level, timeStep, core));
        out.push({ network, level, timeStep, position, accuracy: meanSd(perCore) });
      });
    }
  }
  return out;
}

/** The test {@link stepSignificance} runs, named in every result. */
export const STEP_TEST = 'paired t-test over (core, instance, noise type)' as const;

/** Options of {@link stepSignificance}. */
export interface StepSignificanceOptions {
  /** Significance level (default .05, the paper's for Figure 2A). */
  alpha?: number;
}

/** A step compared with step 0 at one level. */
export interface StepSignificance {
  network: RecurrenceType;
  level: number;
  /** The step compared with step 0 (≥ 1). */
  timeStep: number;
  test: typeof STEP_TEST;
  /** Number of pairs: cores × instances × 4 noise types (level 0: cores × instances). */
  n: number;
  /** Mean of accuracy(step) − accuracy(step 0) over the pairs. */
  meanDifference: number;
  /** Sample standard deviation (n − 1) of the differences; NaN when n < 2. */
  sdDifference: number;
  /** t = mean / (sd / √n); see {@link stepSignificance} for the degenerate cases. */
  t: number;
  /** Degrees of freedom, n − 1. */
  df: number;
  /** Two-sided p-value in [0, 1], or NaN when n < 2. */
  pValue: number;
  alpha: number;
  /** pValue < alpha (either direction; the sign of meanDifference says which). */
  significant: boolean;
}

/**
 * For each network × level × step ≥ 1 present, a two-sided paired t-test
 * (scipy.stats.ttest_rel) of accuracy at that step against step 0. A pair is
 * one (core, instance, noise type) — the same images seen by the same network
 * at both steps — so n = cores × instances × 4 at levels 1-6 and
 * n = cores × instances at level 0.
 *
 * Degenerate cases (scipy returns NaN for the second; we do not):
 * - n < 2: t = NaN, p = NaN, not significant — there is no variance estimate.
 * - every difference exactly 0: t = 0, p = 1 — the data show no change at all.
 * - every difference the same non-zero value: t = ±Infinity, p = 0 (as scipy),
 *   significant — every pair moved by the same amount.
 */
export function stepSignificance(records: readonly AccuracyRecord[], options: StepSignificanceOptions = {}): StepSignificance[] {
  const fn = 'stepSignificance';
  const { alpha = 0.05 } = options;
  if (!(alpha > 0 && alpha < 1)) throw new Error(`${fn}: alpha ${alpha}, expected a value in (0, 1)`);
  const index = new RecordIndex(fn, records);
  const out: StepSignificance[] = [];
  for (const network of index.networks()) {
    for (const level of index.levels(network)) {
      for (const timeStep of index.timeSteps(network).filter((s) => s >= 1)) {
        const diffs: number[] = [];
        for (const core of index.cores(network)) {
          for (const instance of index.instances(network, core)) {
            for (const noise of noiseConditions(level)) {
              diffs.push(index.get(fn, network, level, timeStep, core, instance, noise) - index.get(fn, network, level, 0, core, instance, noise));
            }
          }
        }
        out.push({ network, level, timeStep, test: STEP_TEST, alpha, ...pairedTest(diffs, alpha) });
      }
    }
  }
  return out;
}

/** The paired t-test on differences, with the degenerate cases of {@link stepSignificance}. */
function pairedTest(diffs: number[], alpha: number): Pick<StepSignificance, 'n' | 'meanDifference' | 'sdDifference' | 't' | 'df' | 'pValue' | 'significant'> {
  const n = diffs.length;
  if (n < 2) return { n, meanDifference: n === 1 ? diffs[0]! : NaN, sdDifference: NaN, t: NaN, df: n - 1, pValue: NaN, significant: false };
  const r = oneSampleTTest(diffs);
  // sd = 0 and mean = 0: oneSampleTTest gives NaN (0/0); no change at all is p = 1.
  const [t, pValue] = Number.isNaN(r.t) ? [0, 1] : [r.t, r.pValue];
  return { n, meanDifference: r.mean, sdDifference: r.sd, t, df: r.df, pValue, significant: pValue < alpha };
}

/** Gain of one network (one instance, or averaged over instances) at one level. */
export interface GainRow {
  network: RecurrenceType;
  /** The instance, or 'mean' for the average over instances (per core, before the spread over cores). */
  instance: number | 'mean';
  level: number;
  /** The step the gain is measured at: the network's last ({@link lastStep}). */
  timeStep: number;
  /** accuracy(last step) − accuracy(step 0), averaged over noise types; mean ± s.t.d. over cores. */
  gain: MeanSd;
  /** The same gain per noise type (level 0: 'clean'), mean ± s.t.d. over cores. */
  byNoise: ({ noise: NoiseCondition } & MeanSd)[];
}

/**
 * Performance gain from recurrence at one level (default 5, where the paper's
 * Figure 2B and later analyses sit): accuracy at the network's last step minus
 * step 0, per core; mean ± s.t.d. (n − 1) over cores. One row per network and
 * instance, followed, for networks with several instances, by an 'mean' row
 * (instances averaged within each core first). `byNoise` breaks the gain down
 * by noise type (Figure 2B); `gain` averages those with equal weight.
 */
export function levelGainTable(records: readonly AccuracyRecord[], level = 5): GainRow[] {
  const fn = 'levelGainTable';
  if (!Number.isInteger(level) || level < 0 || level > NUM_LEVELS) throw new Error(`${fn}: level ${level}, expected an integer in [0, ${NUM_LEVELS}]`);
  const index = new RecordIndex(fn, records);
  const out: GainRow[] = [];
  for (const network of index.networks().filter((n) => index.levels(n).includes(level))) {
    const timeStep = lastStep(network);
    const cores = index.cores(network);
    const gain = (core: number, instance: number, noise: NoiseCondition) => index.get(fn, network, level, timeStep, core, instance, noise) - index.get(fn, network, level, 0, core, instance, noise);
    const row = (instance: number | 'mean', instancesOf: (core: number) => number[]): GainRow => {
      // perNoise[k][c]: gain on noise condition k of core c, averaged over the instances.
      const conditions = noiseConditions(level);
      const perNoise = conditions.map((noise) => cores.map((core) => mean(instancesOf(core).map((i) => gain(core, i, noise)))));
      const overNoise = cores.map((_, c) => mean(perNoise.map((k) => k[c]!)));
      return { network, instance, level, timeStep, gain: meanSd(overNoise), byNoise: conditions.map((noise, k) => ({ noise, ...meanSd(perNoise[k]!) })) };
    };
    const instances = [...new Set(cores.flatMap((core) => index.instances(network, core)))].sort((a, b) => a - b);
    for (const instance of instances) {
      const missing = cores.filter((core) => !index.instances(network, core).includes(instance));
      if (missing.length > 0) throw new Error(`${fn}: ${network} instance ${instance} is missing for core(s) ${missing.join(', ')}`);
      out.push(row(instance, () => [instance]));
    }
    if (instances.length > 1) out.push(row('mean', (core) => index.instances(network, core)));
  }
  return out;
}

/** The test behind Figure 2B's per-bar significance, named in every result. */
export const GAIN_TEST = 'one-sample t-test of the per-core gain against 0 (n = cores)' as const;

/** One bar of Figure 2B: one network instance's gain on one noise type at one level. */
export interface GainBar {
  network: RecurrenceType;
  instance: number;
  noise: NoiseType;
  level: number;
  /** accuracy(last step) − accuracy(step 0) per core: mean ± s.t.d. over cores. */
  gain: MeanSd;
  test: typeof GAIN_TEST;
  /** Two-sided p (NaN with fewer than 2 cores; see {@link stepSignificance} for the degenerate cases). */
  pValue: number;
  significant: boolean;
}

/**
 * Figure 2B: for every network instance and noise type, the gain at `level`
 * (default 5) per core, its mean ± s.t.d. over cores, and a two-sided
 * one-sample t-test of the per-core gains against 0 at `alpha` (default .05).
 * Instances are kept apart, as in the paper's A and B bars.
 */
export function gainBars(records: readonly AccuracyRecord[], options: { level?: number; alpha?: number } = {}): GainBar[] {
  const fn = 'gainBars';
  const { level = 5, alpha = 0.05 } = options;
  if (!Number.isInteger(level) || level < 1 || level > NUM_LEVELS) throw new Error(`${fn}: level ${level}, expected an integer in [1, ${NUM_LEVELS}]`);
  const index = new RecordIndex(fn, records);
  const out: GainBar[] = [];
  for (const network of index.networks().filter((n) => index.levels(n).includes(level))) {
    const timeStep = lastStep(network);
    const cores = index.cores(network);
    const instances = [...new Set(cores.flatMap((core) => index.instances(network, core)))].sort((a, b) => a - b);
    for (const instance of instances) {
      for (const noise of NOISE_TYPES) {
        const perCore = cores.map((core) => index.get(fn, network, level, timeStep, core, instance, noise) - index.get(fn, network, level, 0, core, instance, noise));
        const test = pairedTest(perCore, alpha);
        out.push({ network, instance, noise, level, gain: meanSd(perCore), test: GAIN_TEST, pValue: test.pValue, significant: test.significant });
      }
    }
  }
  return out;
}

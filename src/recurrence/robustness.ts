/**
 * Accuracy under the calibrated degradations of the networks of Azeglio et
 * al.'s experiments: the GRCNN as a function of its test-time iterations, and
 * feedforward cores trained with an augmentation. Records and their summaries.
 *
 * Conventions, as in `./accuracy`: accuracies are fractions in [0, 1]; "mean
 * over noise types" weighs the 4 types equally; the replicates are the
 * networks (GRCNN seeds, cores), each averaged over conditions first, then
 * summarised as mean ± sample s.t.d. (n − 1; NaN for one). Records must be
 * complete; a missing or duplicated one is an error.
 */
import { mean, sampleSd } from '../analysis/stats';
import { NOISE_TYPES, NoiseType, NUM_LEVELS } from '../noise/degrade';
import type { MeanSd, NoiseCondition } from './accuracy';

/** Accuracy of one GRCNN on one condition, every GRCL running `iterations` iterations. */
export interface GrcnnAccuracyRecord {
  /** Gated GRCLs (equation 1) or the ungated control (σ ≡ 1, no gate weights). */
  gated: boolean;
  /** Index of the network among those of its variant (seeds differ). */
  network: number;
  /** Noise type, or 'clean' at level 0. */
  noise: NoiseCondition;
  /** 0 = clean, 1-6 = calibrated levels. */
  level: number;
  /** Test-time iterations, 0 … T. */
  iterations: number;
  accuracy: number;
  images: number;
}

/** Feedforward accuracy of one core trained with an augmentation, on one condition. */
export interface CoreRobustnessRecord {
  augmentation: string;
  core: number;
  noise: NoiseCondition;
  level: number;
  accuracy: number;
  images: number;
}

/** How the columns of a summary read the noise: one type, the clean images, or the mean of the 4 types. */
export type NoiseColumn = NoiseType | 'clean' | 'mean';

function meanSd(values: number[]): MeanSd {
  return { mean: mean(values), sd: values.length < 2 ? NaN : sampleSd(values), n: values.length };
}

/** A lookup of records by key, rejecting duplicates and naming missing ones. */
function indexRecords<R>(fn: string, records: readonly R[], keyOf: (r: R) => string, valueOf: (r: R) => number): (key: string) => number {
  if (records.length === 0) throw new Error(`${fn}: no records`);
  const values = new Map<string, number>();
  records.forEach((r, i) => {
    const key = keyOf(r);
    if (values.has(key)) throw new Error(`${fn}: record ${i} duplicates ${key}`);
    const v = valueOf(r);
    if (!(v >= 0 && v <= 1)) throw new Error(`${fn}: record ${i} (${key}) has accuracy ${v}, expected a fraction in [0, 1]`);
    values.set(key, v);
  });
  return (key) => {
    const v = values.get(key);
    if (v === undefined) throw new Error(`${fn}: missing record for ${key}`);
    return v;
  };
}

/** The noise conditions behind a column at a level. */
function conditionsOf(column: NoiseColumn, level: number): NoiseCondition[] {
  if (column === 'clean' || level === 0) return ['clean'];
  return column === 'mean' ? [...NOISE_TYPES] : [column];
}

/** The levels a GRCNN summary row averages. */
export interface LevelGroup {
  label: string;
  levels: number[];
}

/** Level 5 (where the paper's analyses sit), and the mean of levels 1-6. */
export const GRCNN_LEVEL_GROUPS: readonly LevelGroup[] = [
  { label: 'level 5', levels: [5] },
  { label: 'levels 1-6 (mean)', levels: [1, 2, 3, 4, 5, 6] },
];

/** One point of a GRCNN accuracy-by-iterations curve. */
export interface GrcnnCurvePoint {
  gated: boolean;
  column: NoiseColumn;
  /** The {@link LevelGroup} label ('clean' columns hold the clean accuracy in every group). */
  levels: string;
  iterations: number;
  /** Per network averaged over the column's noise types and the group's levels; mean ± s.t.d. over networks. */
  accuracy: MeanSd;
}

/**
 * Accuracy against test-time iterations for each variant (gated, ungated),
 * column (clean, each noise type, mean of the 4) and level group, ordered by
 * variant (gated first), group, column, iterations.
 */
export function grcnnIterationCurves(records: readonly GrcnnAccuracyRecord[], groups: readonly LevelGroup[] = GRCNN_LEVEL_GROUPS): GrcnnCurvePoint[] {
  const fn = 'grcnnIterationCurves';
  const key = (gated: boolean, network: number, noise: NoiseCondition, level: number, iterations: number) => `${gated ? 'gated' : 'ungated'} network ${network} ${noise} level ${level} iterations ${iterations}`;
  const get = indexRecords(fn, records, (r) => key(r.gated, r.network, r.noise, r.level, r.iterations), (r) => r.accuracy);
  const sorted = (xs: Iterable<number>) => [...new Set(xs)].sort((a, b) => a - b);
  const out: GrcnnCurvePoint[] = [];
  for (const gated of [true, false].filter((g) => records.some((r) => r.gated === g))) {
    const mine = records.filter((r) => r.gated === gated);
    const networks = sorted(mine.map((r) => r.network));
    const iterations = sorted(mine.map((r) => r.iterations));
    for (const group of groups) {
      for (const column of ['clean', ...NOISE_TYPES, 'mean'] as const) {
        const levels = column === 'clean' ? [0] : group.levels;
        for (const k of iterations) {
          const perNetwork = networks.map((net) => mean(levels.flatMap((level) => conditionsOf(column, level).map((noise) => get(key(gated, net, noise, level, k))))));
          out.push({ gated, column, levels: group.label, iterations: k, accuracy: meanSd(perNetwork) });
        }
      }
    }
  }
  return out;
}

/** One point of a robustness curve of augmented cores. */
export interface RobustnessPoint {
  augmentation: string;
  column: Exclude<NoiseColumn, 'clean'>;
  /** 0 (the clean accuracy, in every column) to 6. */
  level: number;
  /** Per core averaged over the column's noise types; mean ± s.t.d. over cores. */
  accuracy: MeanSd;
}

/**
 * Feedforward accuracy against noise level (0-6) for each augmentation (in
 * order of first appearance) and column (each noise type, mean of the 4).
 */
export function robustnessCurves(records: readonly CoreRobustnessRecord[]): RobustnessPoint[] {
  const fn = 'robustnessCurves';
  const key = (augmentation: string, core: number, noise: NoiseCondition, level: number) => `${augmentation} core ${core} ${noise} level ${level}`;
  const get = indexRecords(fn, records, (r) => key(r.augmentation, r.core, r.noise, r.level), (r) => r.accuracy);
  const out: RobustnessPoint[] = [];
  for (const augmentation of [...new Set(records.map((r) => r.augmentation))]) {
    const cores = [...new Set(records.filter((r) => r.augmentation === augmentation).map((r) => r.core))].sort((a, b) => a - b);
    for (const column of [...NOISE_TYPES, 'mean'] as const) {
      for (let level = 0; level <= NUM_LEVELS; level++) {
        const perCore = cores.map((core) => mean(conditionsOf(column, level).map((noise) => get(key(augmentation, core, noise, level)))));
        out.push({ augmentation, column, level, accuracy: meanSd(perCore) });
      }
    }
  }
  return out;
}

/**
 * Sections 2.4-2.5 across cores: the per-network analyses of `./layers`
 * summarised per recurrence type as Figures 5 and 7 show them, with the
 * tests behind their asterisks, and how far the paper's 20 % unit subsample
 * moves the cross-layer dimensionality.
 */
import { mean, oneSampleTTest, pairedTTest, sampleSd, standardError } from '../analysis/stats';
import { NOISE_TYPES, NoiseType } from '../noise/degrade';
import type { CoreActivity, NetworkActivity } from './activity';
import { DIMENSIONALITY_GROUPS, DimensionalityGroup, LAYER_PAIRS, pairLabel, SUBSAMPLED_LAYERS } from './layers';
import { LAYER_NAMES, LayerName } from './recording';
import { RECURRENCE_TYPES, RecurrenceType } from './rules';

/** Significance level of Figure 7's asterisks (the paper's p < .01). */
export const DIMENSIONALITY_ALPHA = 0.01;
/** The test of a change with recurrence (Figure 7's coloured asterisks). */
export const CHANGE_TEST = 'two-sided one-sample t-test of after/before against 1 over the networks of the type (cores × instances)';
/** The test of a difference between classification categories (Figure 7's black asterisks). */
export const CATEGORY_TEST = 'two-sided paired t-test of after/before, incorrect→correct against correct→incorrect, over the networks of the type that have both';
/** The test of de-noising at a layer (the claims of section 2.4). */
export const DENOISING_TEST = 'two-sided one-sample t-test against 0 of the mean d per (core, instance, noise type) cell with images';

/** The types present in the cores, in table order. */
export function typesOf(cores: readonly CoreActivity[]): RecurrenceType[] {
  const present = new Set(cores.flatMap((c) => c.networks.map((n) => n.network)));
  return RECURRENCE_TYPES.filter((t) => present.has(t));
}

const nullIfNaN = (v: number) => (Number.isFinite(v) ? v : null);

/** Figure 5, one bar: de-noising of a type at one layer and noise type. */
export interface DenoisingBar {
  network: RecurrenceType;
  layer: LayerName;
  noise: NoiseType;
  /** Mean over cores of the per-core mean d (instances averaged within a core; networks without images left out). Null when no network has images. */
  mean: number | null;
  /** Sample s.d. over cores (null with fewer than two cores with images). */
  sd: number | null;
  /** Cores with at least one image. */
  cores: number;
  /** Images (incorrect → correct) summed over every network of the type: the count the cell rests on. */
  images: number;
  /** The same mean over cores of d over every level-5 image of the noise type, whatever its classification. */
  allImagesMean: number | null;
}

function overCores(perCore: number[]): { mean: number | null; sd: number | null } {
  return { mean: perCore.length ? mean(perCore) : null, sd: perCore.length > 1 ? sampleSd(perCore) : null };
}

/** Figure 5's bars: every type × layer × noise type. */
export function denoisingBars(cores: readonly CoreActivity[]): DenoisingBar[] {
  const out: DenoisingBar[] = [];
  for (const network of typesOf(cores)) {
    for (const layer of LAYER_NAMES) {
      for (const noise of NOISE_TYPES) {
        const cells = cores.map((c) => c.networks.filter((n) => n.network === network).map((n) => n.layers.denoising.find((d) => d.layer === layer && d.noise === noise)!));
        const perCore = cells.map((cs) => cs.map((d) => d.mean).filter((v): v is number => v !== null)).filter((v) => v.length).map(mean);
        const perCoreAll = cells.map((cs) => cs.map((d) => d.allImagesMean).filter((v): v is number => v !== null)).filter((v) => v.length).map(mean);
        out.push({ network, layer, noise, ...overCores(perCore), cores: perCore.length, images: cells.flat().reduce((s, d) => s + d.images, 0), allImagesMean: overCores(perCoreAll).mean });
      }
    }
  }
  return out;
}

/** A type's de-noising at one layer, tested over its (core, instance, noise type) cells with images. */
export interface DenoisingTest {
  network: RecurrenceType;
  layer: LayerName;
  /** Cells with images. */
  cells: number;
  images: number;
  mean: number | null;
  pValue: number | null;
}

/** {@link DENOISING_TEST} of a type at a layer (null statistics with fewer than two cells). */
export function denoisingTest(cores: readonly CoreActivity[], network: RecurrenceType, layer: LayerName): DenoisingTest {
  const cells = cores.flatMap((c) => c.networks.filter((n) => n.network === network).flatMap((n) => n.layers.denoising.filter((d) => d.layer === layer)));
  const values = cells.map((d) => d.mean).filter((v): v is number => v !== null);
  const images = cells.reduce((s, d) => s + d.images, 0);
  if (values.length < 2) return { network, layer, cells: values.length, images, mean: values.length ? values[0]! : null, pValue: null };
  const t = oneSampleTTest(values);
  return { network, layer, cells: values.length, images, mean: t.mean, pValue: nullIfNaN(t.pValue) };
}

/** What a ratio bar is of: a layer (Figure 7A) or a layer pair (7B, exact or subsampled). */
export type RatioKind = { kind: 'layer' } | { kind: 'pair'; method: 'exact' | 'subsampled' };

/** Figure 7, one bar: after / before recurrence for one type, layer (or pair) and group. */
export interface RatioBar {
  network: RecurrenceType;
  /** Layer name, or a pair label such as `r1-r2`. */
  what: string;
  group: DimensionalityGroup;
  /** Networks with a value. */
  networks: number;
  /** Mean over networks of after/before (each network normalised by its own step-0 value). */
  mean: number | null;
  /** Standard error of that mean (null with fewer than two networks). */
  sem: number | null;
  /** Mean raw values before and after (for the data file). */
  before: number | null;
  after: number | null;
  /** {@link CHANGE_TEST}; null with fewer than two networks. */
  pValue: number | null;
  significant: boolean;
}

/** Per network, the (before, after) of `what` in `group`, or null. */
function pairOf(n: NetworkActivity, kind: RatioKind, what: string, group: DimensionalityGroup): { before: number; after: number } | null {
  if (kind.kind === 'layer') {
    const c = n.layers.dimensionality.find((d) => d.layer === what && d.group === group);
    return c && c.before !== null && c.after !== null ? { before: c.before, after: c.after } : null;
  }
  const c = n.layers.crossDimensionality.find((d) => d.pair === what && d.group === group);
  if (!c) return null;
  const [b, a] = kind.method === 'exact' ? [c.before, c.after] : [c.subsampledBefore, c.subsampledAfter];
  return b !== null && a !== null ? { before: b, after: a } : null;
}

function whatOf(kind: RatioKind): string[] {
  return kind.kind === 'layer' ? [...LAYER_NAMES] : LAYER_PAIRS.map(pairLabel);
}

interface NetworkRatio {
  before: number;
  after: number;
  ratio: number;
}

/** Each network's after/before of `what` in `group`, by network (cores × instances, in order). */
function ratiosOf(cores: readonly CoreActivity[], network: RecurrenceType, kind: RatioKind, what: string, group: DimensionalityGroup): (NetworkRatio | null)[] {
  return cores.flatMap((c) => c.networks.filter((n) => n.network === network)).map((n) => {
    const p = pairOf(n, kind, what, group);
    return p && p.before > 0 ? { ...p, ratio: p.after / p.before } : null;
  });
}

/** Figure 7A (`kind: 'layer'`) or 7B (`kind: 'pair'`): every type × layer (or pair) × group. */
export function ratioBars(cores: readonly CoreActivity[], kind: RatioKind, alpha = DIMENSIONALITY_ALPHA): RatioBar[] {
  const out: RatioBar[] = [];
  for (const network of typesOf(cores)) {
    for (const what of whatOf(kind)) {
      for (const group of DIMENSIONALITY_GROUPS) {
        const values = ratiosOf(cores, network, kind, what, group).filter((v): v is NetworkRatio => v !== null);
        const ratios = values.map((v) => v.ratio);
        const test = ratios.length >= 2 ? oneSampleTTest(ratios, 1) : null;
        const pValue = test ? nullIfNaN(test.pValue) : null;
        out.push({
          network, what, group, networks: ratios.length,
          mean: ratios.length ? mean(ratios) : null, sem: ratios.length >= 2 ? standardError(ratios) : null,
          before: values.length ? mean(values.map((v) => v.before)) : null, after: values.length ? mean(values.map((v) => v.after)) : null,
          pValue, significant: pValue !== null && pValue < alpha,
        });
      }
    }
  }
  return out;
}

/** Figure 7's black asterisks: incorrect→correct against correct→incorrect, per type and layer (or pair). */
export interface CategoryDifference {
  network: RecurrenceType;
  what: string;
  /** Networks with both categories. */
  networks: number;
  /** Mean over those networks of (i→c ratio − c→i ratio). */
  meanDifference: number | null;
  /** {@link CATEGORY_TEST}; null with fewer than two networks. */
  pValue: number | null;
  significant: boolean;
}

/** {@link CategoryDifference} for every type × layer (or pair). */
export function categoryDifferences(cores: readonly CoreActivity[], kind: RatioKind, alpha = DIMENSIONALITY_ALPHA): CategoryDifference[] {
  const out: CategoryDifference[] = [];
  for (const network of typesOf(cores)) {
    for (const what of whatOf(kind)) {
      const a = ratiosOf(cores, network, kind, what, 'incorrect→correct');
      const b = ratiosOf(cores, network, kind, what, 'correct→incorrect');
      const both = a.flatMap((x, i) => {
        const y = b[i];
        return x && y ? [[x.ratio, y.ratio] as const] : [];
      });
      const ra = both.map((p) => p[0]);
      const rb = both.map((p) => p[1]);
      const test = both.length >= 2 ? pairedTTest(ra, rb) : null;
      const pValue = test ? nullIfNaN(test.pValue) : null;
      out.push({ network, what, networks: both.length, meanDifference: both.length ? mean(ra) - mean(rb) : null, pValue, significant: pValue !== null && pValue < alpha });
    }
  }
  return out;
}

/** How far the paper's unit subsample moves the cross-layer dimensionality, over every network, pair, group and time step. */
export interface SubsampleShift {
  pair: string;
  /** Values compared (networks × groups × 2 time steps). */
  values: number;
  /** Mean and largest |subsampled − exact| / exact of the raw values. */
  meanRelative: number | null;
  maxRelative: number | null;
  /** Mean and largest |subsampled after/before − exact after/before| of the normalised values (what Figure 7B plots). */
  meanNormalised: number | null;
  maxNormalised: number | null;
}

/** {@link SubsampleShift} per pair, and over the pairs with a subsampled layer (pair `all`; the others do not move). */
export function subsampleShift(cores: readonly CoreActivity[]): SubsampleShift[] {
  const rows = cores.flatMap((c) => c.networks.flatMap((n) => n.layers.crossDimensionality));
  const shift = (pair: string, cells: typeof rows): SubsampleShift => {
    const rel: number[] = [];
    const norm: number[] = [];
    for (const c of cells) {
      if (c.before !== null && c.subsampledBefore !== null) rel.push(Math.abs(c.subsampledBefore - c.before) / c.before);
      if (c.after !== null && c.subsampledAfter !== null) rel.push(Math.abs(c.subsampledAfter - c.after) / c.after);
      if (c.before !== null && c.after !== null && c.subsampledBefore !== null && c.subsampledAfter !== null) norm.push(Math.abs(c.subsampledAfter / c.subsampledBefore - c.after / c.before));
    }
    return {
      pair, values: rel.length,
      meanRelative: rel.length ? mean(rel) : null, maxRelative: rel.length ? Math.max(...rel) : null,
      meanNormalised: norm.length ? mean(norm) : null, maxNormalised: norm.length ? Math.max(...norm) : null,
    };
  };
  const thinned = new Set(LAYER_PAIRS.filter((p) => p.some((l) => SUBSAMPLED_LAYERS.includes(l))).map(pairLabel));
  return [...LAYER_PAIRS.map(pairLabel).map((p) => shift(p, rows.filter((r) => r.pair === p))), shift('all', rows.filter((r) => thinned.has(r.pair)))];
}

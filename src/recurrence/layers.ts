/**
 * Sections 2.4-2.5 on one network's recording: de-noising at every layer
 * (Figure 5), layer and cross-layer dimensionality per classification
 * category before and after recurrence (Figure 7), and how each noise type's
 * cloud of images sits and moves relative to the clean images (supplementary
 * Figure 9). What is kept is small: per-cell statistics.
 *
 * Cost. Every dimensionality number comes from a samples × samples Gram
 * matrix (tensor backend) and its pivoted Cholesky factor (float64,
 * samples³/6); each layer's factor is built once per group of samples and
 * time step and paired with the other layers' factors. Groups with more than
 * `samples` images use a seeded random subset of that size, the same one
 * before and after recurrence.
 */
import { classificationCategories, groupMeans, meanPairwiseDistance, polarAbout, PolarPoint, selectRows } from '../analysis/representation';
import { denoisingPerPair } from '../analysis/denoising';
import { crossDimensionalityOfFactors, drawUnits, layerFactor, LayerFactor, selectUnits } from '../analysis/dimensionality';
import { mean, median, sampleSd } from '../analysis/stats';
import { NOISE_TYPES, NoiseType } from '../noise/degrade';
import { Rng } from '../random';
import { LayerActivity, LAYER_NAMES, LAYER_UNITS, LayerName } from './recording';

/** The samples of a recording this module needs: `images` images per condition, condition-major (clean first, then each noise type). */
export interface LayerRecordingSet {
  images: number;
  labels: ArrayLike<number>;
}

/** Conditions in sample order: clean, then each noise type at level 5 (as the recording set). */
const CONDITION_NAMES = ['clean', ...NOISE_TYPES] as const;
export type CloudCondition = (typeof CONDITION_NAMES)[number];

/**
 * Groups of samples whose dimensionality Figure 7 compares: the images that
 * recurrence turns from incorrect to correct and back (the paper's colours),
 * and all samples (clean and noisy, as the paper's PCA: "in response to clean
 * and noisy images").
 */
export const DIMENSIONALITY_GROUPS = ['incorrect→correct', 'correct→incorrect', 'all'] as const;
export type DimensionalityGroup = (typeof DIMENSIONALITY_GROUPS)[number];

/** Layer pairs of the cross-layer dimensionality: Figure 7B's 1-2, 2-3, 3-4, then ours (skipping a layer, and layer 1 with the output). */
export const LAYER_PAIRS: readonly (readonly [LayerName, LayerName])[] = [['r1', 'r2'], ['r2', 'r3'], ['r3', 'logits'], ['r1', 'r3'], ['r1', 'logits']];

/**
 * Layers whose units the paper's subsample thins ("due to the large number of
 * units in the first and second layers, units were randomly downsampled");
 * layers 3 (1024 units) and 4 (10) are kept whole.
 */
export const SUBSAMPLED_LAYERS: readonly LayerName[] = ['r1', 'r2'];

/** The paper's unit subsample: "units were randomly downsampled by 20%", read as keeping 20 %. */
export const PAPER_UNIT_FRACTION = 0.2;

/**
 * Most images per condition whose mean pairwise distance is a cloud's size
 * (Figure 9): 100 images give 4950 pairs, an estimate far tighter than the
 * differences plotted, at a ninth of the cost of 300 (layer 1's Gram matrix).
 */
export const CLOUD_SIZE_IMAGES = 100;

/** A group needs this many samples for its dimensionality to be reported. */
export const MIN_GROUP_SAMPLES = 5;

/** `r1-r2`: a pair's label. */
export const pairLabel = (pair: readonly [LayerName, LayerName]) => `${pair[0]}-${pair[1]}`;

/** Options of the section 2.4-2.5 analyses (from the profile). */
export interface LayerAnalysisOptions {
  /** Most samples in any Gram matrix: per dimensionality group, per cloud. */
  samples: number;
  /** Fraction of the units of {@link SUBSAMPLED_LAYERS} kept in the paper's subsample (0.2). */
  subsampleFraction: number;
  /** Seed of the sample subsets and of the unit draw. */
  seed: number;
}

/** Figure 5, one cell: de-noising d (equation 1) of one layer and noise type. */
export interface DenoisingCell {
  layer: LayerName;
  noise: NoiseType;
  /** Level-5 images of this noise type that recurrence turns from incorrect to correct (the paper's selection). */
  images: number;
  /** Mean, median and s.d. of d over those images (null without images; s.d. null with one). */
  mean: number | null;
  median: number | null;
  sd: number | null;
  /** Mean d over every level-5 image of this noise type, whatever its classification. */
  allImagesMean: number | null;
}

/** Figure 7A, one cell: participation ratio of a layer over a group's samples before (step 0) and after (last step) recurrence. */
export interface DimensionalityCell {
  layer: LayerName;
  group: DimensionalityGroup;
  /** Samples used (the group's, at most `samples`). */
  samples: number;
  /** Group size before the cap. */
  groupSize: number;
  /** Null when the group has fewer than {@link MIN_GROUP_SAMPLES} samples. */
  before: number | null;
  after: number | null;
}

/** Figure 7B, one cell: cross-layer dimensionality of a layer pair, exact on all units and on the paper's unit subsample. */
export interface CrossDimensionalityCell {
  pair: string;
  group: DimensionalityGroup;
  samples: number;
  groupSize: number;
  before: number | null;
  after: number | null;
  subsampledBefore: number | null;
  subsampledAfter: number | null;
}

/** Supplementary Figure 9, one cloud: a condition's images at one layer. */
export interface CloudCell {
  layer: LayerName;
  condition: CloudCondition;
  /** The condition's mean at step 0 / the last step, relative to the clean step-0 mean, x axis along the clean mean's move. */
  before: PolarPoint;
  after: PolarPoint;
  /** Mean Euclidean distance between images of the condition (cloud size) at step 0 / the last step. */
  sizeBefore: number;
  sizeAfter: number;
  /** Images the sizes are measured on. */
  sizeImages: number;
}

/** What {@link analyseLayers} keeps of one network. */
export interface LayerAnalyses {
  denoising: DenoisingCell[];
  dimensionality: DimensionalityCell[];
  crossDimensionality: CrossDimensionalityCell[];
  clouds: CloudCell[];
  /** Seconds spent here (part of the network's `seconds`). */
  seconds: number;
}

/** Exact and subsampled factors of every layer over one set of samples at one time step. */
interface GroupFactors {
  exact: Record<LayerName, LayerFactor>;
  subsampled: Record<LayerName, LayerFactor>;
}

/** The step-0 side, the same for every network of a core: unit subsets, the all-samples group's factors, cloud means and sizes. */
export interface FeedforwardLayers {
  options: LayerAnalysisOptions;
  /** Units kept by the paper's subsample, per layer (null: every unit). */
  units: Record<LayerName, Int32Array | null>;
  /** Rows of the all-samples group and their step-0 factors. */
  allRows: Int32Array;
  allFactors: GroupFactors | null;
  /** Per layer: condition means at step 0 (`[conditions, units]`) and cloud sizes. */
  clouds: Record<LayerName, { means: Float64Array; sizes: number[] }>;
  sizeImages: number;
}

const recordByLayer = <T>(f: (layer: LayerName, k: number) => T) => Object.fromEntries(LAYER_NAMES.map((l, k) => [l, f(l, k)])) as Record<LayerName, T>;

/**
 * The rows of a group, at most `cap`: a seeded random subset (ascending)
 * when there are more. Pure: the same rows and seed give the same subset.
 */
export function capRows(rows: Int32Array, cap: number, seed: number): Int32Array {
  if (!(Number.isInteger(cap) && cap >= 1)) throw new Error(`capRows: cap must be a positive integer, got ${cap}`);
  if (rows.length <= cap) return rows;
  const pick = new Rng(seed).permutation(rows.length).subarray(0, cap).sort();
  return Int32Array.from(pick, (k) => rows[k]!);
}

function factorsOf(activity: LayerActivity, samples: number, rows: Int32Array, units: Record<LayerName, Int32Array | null>): GroupFactors {
  const exact = {} as Record<LayerName, LayerFactor>;
  const subsampled = {} as Record<LayerName, LayerFactor>;
  for (const layer of LAYER_NAMES) {
    const data = selectRows(activity[layer], { samples, units: LAYER_UNITS[layer] }, rows);
    const shape = { samples: rows.length, units: LAYER_UNITS[layer] };
    exact[layer] = layerFactor(data, shape);
    const keep = units[layer];
    subsampled[layer] = keep ? layerFactor(selectUnits(data, shape, keep), { samples: rows.length, units: keep.length }) : exact[layer];
  }
  return { exact, subsampled };
}

function conditionRows(set: LayerRecordingSet, condition: number, count: number): Int32Array {
  return Int32Array.from({ length: count }, (_, i) => condition * set.images + i);
}

function cloudSizes(activity: LayerActivity, set: LayerRecordingSet, layer: LayerName, sizeImages: number): number[] {
  const samples = set.labels.length;
  return CONDITION_NAMES.map((_, c) => meanPairwiseDistance(selectRows(activity[layer], { samples, units: LAYER_UNITS[layer] }, conditionRows(set, c, sizeImages)), { samples: sizeImages, units: LAYER_UNITS[layer] }));
}

function conditionMeans(activity: LayerActivity, set: LayerRecordingSet, layer: LayerName): Float64Array {
  const samples = set.labels.length;
  const conditions = Int32Array.from({ length: samples }, (_, i) => Math.floor(i / set.images));
  return groupMeans(activity[layer], { samples, units: LAYER_UNITS[layer] }, conditions, CONDITION_NAMES.length).means;
}

/** The step-0 side of the analyses, computed once per core from the feedforward recording `first`. */
export function feedforwardLayers(first: LayerActivity, set: LayerRecordingSet, options: LayerAnalysisOptions): FeedforwardLayers {
  const samples = set.labels.length;
  if (samples !== CONDITION_NAMES.length * set.images) throw new Error(`feedforwardLayers: ${samples} samples, expected ${CONDITION_NAMES.length} conditions × ${set.images} images`);
  const units = recordByLayer((layer, k) => (SUBSAMPLED_LAYERS.includes(layer) ? drawUnits(new Rng(options.seed + 1000 + k), LAYER_UNITS[layer], options.subsampleFraction) : null));
  const allRows = capRows(Int32Array.from({ length: samples }, (_, i) => i), options.samples, groupSeed(options, 'all'));
  const sizeImages = Math.min(set.images, options.samples, CLOUD_SIZE_IMAGES);
  return {
    options, units, allRows, sizeImages,
    allFactors: allRows.length >= MIN_GROUP_SAMPLES ? factorsOf(first, samples, allRows, units) : null,
    clouds: recordByLayer((layer) => ({ means: conditionMeans(first, set, layer), sizes: sizeImages >= 2 ? cloudSizes(first, set, layer, sizeImages) : CONDITION_NAMES.map(() => NaN) })),
  };
}

function groupSeed(options: LayerAnalysisOptions, group: DimensionalityGroup): number {
  return options.seed + DIMENSIONALITY_GROUPS.indexOf(group);
}

const finiteOrNull = (v: number) => (Number.isFinite(v) ? v : null);

/**
 * The section 2.4-2.5 analyses of one network from its step-0 (`first`) and
 * last-step (`last`) recordings and its predicted classes at those steps.
 */
export function analyseLayers(
  set: LayerRecordingSet, first: LayerActivity, last: LayerActivity, before: ArrayLike<number>, after: ArrayLike<number>, ff: FeedforwardLayers,
): LayerAnalyses {
  const t0 = Date.now();
  const samples = set.labels.length;
  const n = set.images;
  const categories = classificationCategories(before, after, set.labels);

  // Figure 5: equation 1 per image; the paper's cells are the images recurrence turns from incorrect to correct.
  const denoising: DenoisingCell[] = [];
  for (const layer of LAYER_NAMES) {
    const units = LAYER_UNITS[layer];
    // Condition c's images are rows c·n … (c + 1)·n − 1: contiguous blocks, in the same image order.
    const block = (a: Float32Array, c: number) => a.subarray(c * n * units, (c + 1) * n * units);
    NOISE_TYPES.forEach((noise, k) => {
      const dAll = denoisingPerPair(block(first[layer], 0), block(first[layer], k + 1), block(last[layer], k + 1), { pairs: n, units });
      const selected = Array.from({ length: n }, (_, i) => i).filter((i) => categories[(k + 1) * n + i] === 'incorrect→correct');
      const d = selected.map((i) => dAll[i]!).filter(Number.isFinite);
      const allFinite = Array.from(dAll).filter(Number.isFinite);
      denoising.push({
        layer, noise, images: selected.length,
        mean: d.length ? mean(d) : null, median: d.length ? median(d) : null, sd: d.length > 1 ? sampleSd(d) : null,
        allImagesMean: allFinite.length ? mean(allFinite) : null,
      });
    });
  }

  // Figure 7: participation ratio per layer and cross-layer dimensionality per pair, per group.
  const dimensionality: DimensionalityCell[] = [];
  const crossDimensionality: CrossDimensionalityCell[] = [];
  for (const group of DIMENSIONALITY_GROUPS) {
    const members = group === 'all' ? null : Int32Array.from({ length: samples }, (_, i) => i).filter((i) => categories[i] === group);
    const groupSize = members ? members.length : samples;
    const rows = members ? capRows(members, ff.options.samples, groupSeed(ff.options, group)) : ff.allRows;
    const enough = rows.length >= MIN_GROUP_SAMPLES;
    const f0 = !enough ? null : group === 'all' && ff.allFactors ? ff.allFactors : factorsOf(first, samples, rows, ff.units);
    const f1 = enough ? factorsOf(last, samples, rows, ff.units) : null;
    for (const layer of LAYER_NAMES) {
      dimensionality.push({ layer, group, samples: rows.length, groupSize, before: f0 ? f0.exact[layer].participationRatio : null, after: f1 ? f1.exact[layer].participationRatio : null });
    }
    for (const pair of LAYER_PAIRS) {
      const [a, b] = pair;
      const cross = (f: GroupFactors | null, kind: keyof GroupFactors) => (f ? finiteOrNull(crossDimensionalityOfFactors(f[kind][a], f[kind][b]).dimensionality) : null);
      crossDimensionality.push({
        pair: pairLabel(pair), group, samples: rows.length, groupSize,
        before: cross(f0, 'exact'), after: cross(f1, 'exact'), subsampledBefore: cross(f0, 'subsampled'), subsampledAfter: cross(f1, 'subsampled'),
      });
    }
  }

  // Supplementary Figure 9: each condition's cloud relative to the clean step-0 mean, x axis along the clean mean's move.
  const clouds: CloudCell[] = [];
  for (const layer of LAYER_NAMES) {
    const units = LAYER_UNITS[layer];
    const m0 = ff.clouds[layer].means;
    const m1 = conditionMeans(last, set, layer);
    const row = (m: Float64Array, c: number) => m.subarray(c * units, (c + 1) * units);
    const origin = row(m0, 0);
    const axis = Float64Array.from(row(m1, 0), (v, u) => v - origin[u]!);
    const sizesAfter = ff.sizeImages >= 2 ? cloudSizes(last, set, layer, ff.sizeImages) : CONDITION_NAMES.map(() => NaN);
    CONDITION_NAMES.forEach((condition, c) => {
      clouds.push({
        layer, condition, before: polarAbout(row(m0, c), origin, axis), after: polarAbout(row(m1, c), origin, axis),
        sizeBefore: ff.clouds[layer].sizes[c]!, sizeAfter: sizesAfter[c]!, sizeImages: ff.sizeImages,
      });
    });
  }
  return { denoising, dimensionality, crossDimensionality, clouds, seconds: (Date.now() - t0) / 1000 };
}

/**
 * The behavioural and neural-activity analyses of sections 2.2-2.5 applied to
 * recordings of a core's networks: every network is recorded once over one
 * recording set — the same test images clean and with each noise type at
 * level 5, with the same noise keys for every network — and everything the
 * figures show is computed from those recordings: per network
 * ({@link analyseNetwork}) and across the networks of a core
 * ({@link compareNetworks}). What is returned is small: per-image predictions
 * and logit differences, and statistics; the layer-1 influences and PCs that
 * the cross-network comparison needs are returned beside, for it alone.
 */
import { Mnist, NUM_PIXELS, sliceSet } from '../data/mnist';
import { CoreWeights } from '../model/core';
import { Calibration, noiseParam } from '../noise/calibrate';
import { degradeImages, NOISE_TYPES } from '../noise/degrade';
import { LayerActivity, LAYER_NAMES, LAYER_UNITS, LayerName, logitsFromLayer1 } from './recording';
import { analyseLayers, capRows, FeedforwardLayers, feedforwardLayers, LayerAnalyses, LayerAnalysisOptions } from './layers';
import { RECURRENCE_SPECS, RecurrenceType } from './rules';
import { groupMeans, selectRows } from '../analysis/representation';
import { mean, sampleSd } from '../analysis/stats';
import { histogram, influenceCorrelation } from '../analysis/influence';
import { incorrectLabelAgreement, logitDifferenceCorrelation } from '../analysis/behaviour';
import { pca, PcaResult, reconstructions, componentsFor } from '../analysis/pca';
import { orthonormalBasis, subspaceAlignment } from '../analysis/subspace';

/** The level the analyses use (section 2.1: "The rest of the analyses will use images with noise level 5"). */
export const ANALYSIS_LEVEL = 5;
/** The recording's conditions, in sample order: clean, then each noise type at level 5. */
export const CONDITIONS = ['clean', ...NOISE_TYPES] as const;
export type Condition = (typeof CONDITIONS)[number];
/** The FB-PC step recorded between step 0 and the last (the middle of Figure 2A's three). */
export const FB_PC_MIDDLE_STEP = 6;
/** Top difference PCs whose cumulative variance Figure 4B shows, and whose subspaces Figure 4C aligns. */
export const FIG4B_COMPONENTS = 500;
export const FIG4C_COMPONENTS = 200;
/** Fraction of the performance gap that defines Figure 4E's number of PCs. */
export const GAP_FRACTION = 0.85;

/** The recording set: `images` test images × the conditions, condition-major. */
export interface RecordingSet {
  /** Images per condition. */
  images: number;
  /** `[samples, 28, 28]`, samples = conditions × images; sample `c·images + i` is image i in condition c. */
  pixels: Float32Array;
  labels: Uint8Array;
  /** Condition index (into {@link CONDITIONS}) of every sample. */
  conditions: Int32Array;
}

/** The first `images` test images, clean and with each noise type at level 5 (noise keyed as everywhere). */
export function recordingSet(mnist: Mnist, calibration: Calibration, images: number): RecordingSet {
  const test = sliceSet(mnist.test, 0, images);
  const n = test.n;
  const pixels = new Float32Array(CONDITIONS.length * n * NUM_PIXELS);
  const labels = new Uint8Array(CONDITIONS.length * n);
  const conditions = new Int32Array(CONDITIONS.length * n);
  CONDITIONS.forEach((c, k) => {
    const img = c === 'clean' ? test.images : degradeImages(test, c, noiseParam(calibration, c, ANALYSIS_LEVEL), { seed: calibration.seed, level: ANALYSIS_LEVEL, fillValue: mnist.trainMean });
    pixels.set(img, k * n * NUM_PIXELS);
    labels.set(test.labels, k * n);
    conditions.fill(k, k * n, (k + 1) * n);
  });
  return { images: n, pixels, labels, conditions };
}

/** A class × condition mean projected on two PCs. */
export interface GroupPoint {
  condition: Condition;
  digit: number;
  pc1: number;
  pc2: number;
}

/** Figure 3C's histogram of recurrent influences (layer 1, all noisy samples, all units). */
export interface InfluenceHistogram {
  min: number;
  max: number;
  counts: number[];
  /** Values outside [min, max]. */
  outside: number;
}

/** One point of Figure 4D: accuracy with the influence rebuilt from the top k difference PCs. */
export interface GapPoint {
  components: number;
  accuracy: number;
  /** (accuracy − feedforward) / (full − feedforward): the fraction of the performance gap recovered. */
  fraction: number;
}

/** What the activity stage keeps of one network. */
export interface NetworkActivity {
  network: RecurrenceType;
  core: number;
  instance: number;
  /** Recorded time steps: 0, (FB-PC's middle step,) the last. */
  timeSteps: number[];
  /** Predicted class of every sample at each recorded time step. */
  predictions: number[][];
  /** Logits at the last step minus step 0, `[samples, 10]` row-major. */
  logitDifference: number[];
  /** Figure 3B: layer-1 class × condition means at the last step, on the core's Figure-3A PCs. */
  layer1Projection: GroupPoint[];
  /** Figure 6: per layer, class × condition means at the last step, on the core's Figure-6 PCs of that layer. */
  layerProjections: Record<LayerName, GroupPoint[]>;
  /** Figure 3C: mean influence (last step − step 0) of layer 1 over all noisy samples and units, and its histogram. */
  influence: { mean: number; histogram: InfluenceHistogram };
  /** Figure 4B/D/E: PCA of the layer-1 influences of the first `pcaImages` images of each noise type. */
  differencePca: {
    /** Samples in the PCA (images × noise types). */
    samples: number;
    /** Cumulative fraction of variance explained by the top 1..500 PCs. */
    cumulative: number[];
    curve: GapPoint[];
    /** Accuracy (noisy samples) of step 0 and of the full influence run through layers 2-4. */
    feedforwardAccuracy: number;
    fullAccuracy: number;
    /** The network's own accuracy at its last step (differs from `fullAccuracy` only for FB-PC, whose layer 2 has its own state). */
    networkAccuracy: number;
    /** Smallest number of PCs recovering {@link GAP_FRACTION} of the gap (null when the gap is not positive). */
    components85: number | null;
  };
  /** Sections 2.4-2.5: de-noising, dimensionality, cross-layer dimensionality, clouds (Figures 5, 7, 9). */
  layers: LayerAnalyses;
  /** Compute time of this network's analyses (the recording not included). */
  seconds: number;
}

/** What the activity stage keeps of one core. */
export interface CoreActivity {
  core: number;
  images: number;
  labels: number[];
  conditions: number[];
  /** Figure 3A: layer-1 class × condition means at step 0 on the PCs of step-0 clean activity, and their explained variance. */
  layer1Projection: GroupPoint[];
  layer1Explained: [number, number];
  /** Figure 6: per layer, class × condition means at step 0 on the top 2 PCs of step-0 activity to clean and noisy images, and their explained variance. */
  layerProjections: Record<LayerName, GroupPoint[]>;
  layerExplained: Record<LayerName, [number, number]>;
  /** Samples the Figure-6 PCs are fitted on (a seeded subset of all samples, at most `activity.dimensionalitySamples`). */
  layerPcaSamples: number;
  networks: NetworkActivity[];
  /** Network labels in matrix order, e.g. `FB-TT A`. */
  labelsOfNetworks: string[];
  /** Figure 4A: mean over noisy samples of the per-sample correlation of layer-1 influences. */
  influenceCorrelation: number[][];
  /** Figure 4C: alignment (cosine of the mean principal angle) of the top-200 difference-PC subspaces. */
  alignmentTop: number[][];
  /** Figure 4E: alignment of each network's PCs for 85 % of its gap. */
  alignmentGap: number[][];
  /** Compute time of the whole core's recording and analyses. */
  computeSeconds: number;
}

/** What every network of a core shares, from the feedforward recording: the planes of Figures 3A and 6 and the step-0 side of Figures 5, 7 and 9. */
export interface FeedforwardContext {
  /** Figure 3A's plane: the top 2 PCs of step-0 layer-1 activity to the clean images. */
  layer1: Plane;
  /** Figure 6's planes: per layer, the top 2 PCs of step-0 activity to clean and noisy images (a seeded subset of at most `options.samples`). */
  layers: Record<LayerName, Plane>;
  layerPcaSamples: number;
  /** The step-0 side of the section 2.4-2.5 analyses. */
  feedforward: FeedforwardLayers;
}

/** The {@link FeedforwardContext} of a core's feedforward recording `first`. */
export function feedforwardContext(first: LayerActivity, set: RecordingSet, options: LayerAnalysisOptions): FeedforwardContext {
  const samples = set.labels.length;
  const fitRows = capRows(Int32Array.from({ length: samples }, (_, i) => i), options.samples, options.seed + 100);
  return {
    layer1: planeOf(first.r1, 'r1', set, Int32Array.from({ length: set.images }, (_, i) => i)),
    layers: Object.fromEntries(LAYER_NAMES.map((l) => [l, planeOf(first[l], l, set, fitRows)])) as Record<LayerName, Plane>,
    layerPcaSamples: fitRows.length,
    feedforward: feedforwardLayers(first, set, options),
  };
}

/** Figures 3A and 6 at step 0: the class × condition means on the core's planes, and the variance their PCs explain. */
export function feedforwardProjections(context: FeedforwardContext, first: LayerActivity): Pick<CoreActivity, 'layer1Projection' | 'layer1Explained' | 'layerProjections' | 'layerExplained' | 'layerPcaSamples'> {
  const explained = (p: Plane): [number, number] => [p.pca.explainedRatio[0]!, p.pca.explainedRatio[1]!];
  return {
    layer1Projection: context.layer1.project(first.r1),
    layer1Explained: explained(context.layer1),
    layerProjections: Object.fromEntries(LAYER_NAMES.map((l) => [l, context.layers[l].project(first[l])])) as Record<LayerName, GroupPoint[]>,
    layerExplained: Object.fromEntries(LAYER_NAMES.map((l) => [l, explained(context.layers[l])])) as Record<LayerName, [number, number]>,
    layerPcaSamples: context.layerPcaSamples,
  };
}

/** `FB-TT A`, `LR-SS`: a network's label (instances 0, 1 are A, B). */
export function networkLabel(network: RecurrenceType, instance: number): string {
  return RECURRENCE_SPECS[network].instances > 1 ? `${network} ${'AB'[instance] ?? instance}` : network;
}

const layerShape = (layer: LayerName, samples: number) => ({ samples, units: LAYER_UNITS[layer] });

function argmaxRows(logits: Float32Array): number[] {
  const n = logits.length / 10;
  return Array.from({ length: n }, (_, i) => {
    let best = 0;
    for (let c = 1; c < 10; c++) if (logits[i * 10 + c]! > logits[i * 10 + best]!) best = c;
    return best;
  });
}

/** Top-2 PCs of some samples of a layer, and the projection of class × condition means on them. */
export interface Plane {
  pca: PcaResult;
  project: (activity: Float32Array) => GroupPoint[];
}

function planeOf(activity: Float32Array, layer: LayerName, set: RecordingSet, fitOn: Int32Array): Plane {
  const units = LAYER_UNITS[layer];
  const samples = set.labels.length;
  const fit = pca(selectRows(activity, layerShape(layer, samples), fitOn), { samples: fitOn.length, units }, { components: 2 });
  const groups = Int32Array.from(set.labels, (digit, i) => set.conditions[i]! * 10 + digit);
  const project = (a: Float32Array): GroupPoint[] => {
    const { means, counts } = groupMeans(a, layerShape(layer, samples), groups, CONDITIONS.length * 10);
    const out: GroupPoint[] = [];
    for (let g = 0; g < CONDITIONS.length * 10; g++) {
      if (!counts[g]) continue;
      const pcs = [0, 1].map((k) => {
        let s = 0;
        for (let u = 0; u < units; u++) s += (means[g * units + u]! - fit.mean[u]!) * fit.components[k * units + u]!;
        return s;
      });
      out.push({ condition: CONDITIONS[Math.floor(g / 10)]!, digit: g % 10, pc1: pcs[0]!, pc2: pcs[1]! });
    }
    return out;
  };
  return { pca: fit, project };
}

/** Numbers of PCs at which Figure 4D's curve is measured: a log-spaced grid up to the number of samples. */
export function componentGrid(samples: number): number[] {
  const grid = [0, 1, 2, 5, 10, 20, 50, 100, 200, 300, 500, 700, 1000, 1500, 2000, 3000, 5000];
  return [...grid.filter((k) => k < samples), samples];
}

export interface Analysed {
  summary: NetworkActivity;
  /** Layer-1 influence of the noisy samples `[noisy, 25088]` (kept for the cross-network analyses). */
  influence: Float32Array;
  topPcs: PcaResult;
  gapPcs: PcaResult | null;
}

/**
 * Every per-network analysis from the network's recording (`recorded`, time
 * steps after 0) and the core's step 0 (`first`, the same for every network).
 */
export function analyseNetwork(
  ids: { network: RecurrenceType; core: number; instance: number }, set: RecordingSet, first: LayerActivity, recorded: Map<number, LayerActivity>,
  timeSteps: number[], context: FeedforwardContext, coreWeights: CoreWeights, pcaImages: number,
): Analysed {
  const t0 = Date.now();
  const last = recorded.get(timeSteps.at(-1)!)!;
  const samples = set.labels.length;
  const n = set.images;
  const predictions = timeSteps.map((t) => (t === 0 ? argmaxRows(first.logits) : argmaxRows(recorded.get(t)!.logits)));
  const logitDifference = Array.from(last.logits, (v, i) => v - first.logits[i]!);

  // Layer-1 influence of the noisy samples (conditions 1-4 are contiguous after the clean block).
  const noisyStart = n * LAYER_UNITS.r1;
  const influence = new Float32Array(last.r1.length - noisyStart);
  for (let i = 0; i < influence.length; i++) influence[i] = last.r1[noisyStart + i]! - first.r1[noisyStart + i]!;
  const noisy = samples - n;
  const hist = histogram(influence, { bins: 300, min: -5, max: 10 });
  const influenceSummary = { mean: mean(influence), histogram: { min: -5, max: 10, counts: Array.from(hist.counts), outside: hist.outside } };

  // Figure 4B/D/E: difference PCs of the first `pcaImages` images of each noise type, and the performance they carry.
  const perType = Math.min(pcaImages, n);
  const pcaRows = Int32Array.from({ length: NOISE_TYPES.length * perType }, (_, k) => Math.floor(k / perType) * n + (k % perType));
  const r1Shape = { samples: pcaRows.length, units: LAYER_UNITS.r1 };
  const pcaInfluence = selectRows(influence, { samples: noisy, units: LAYER_UNITS.r1 }, pcaRows);
  const all = pca(pcaInfluence, r1Shape, {});
  const cumulative: number[] = [];
  let acc = 0;
  for (let k = 0; k < Math.min(FIG4B_COMPONENTS, all.variances.length); k++) cumulative.push((acc += all.variances[k]!) / all.totalVariance);
  // Samples of the PCA, as rows of the whole recording (the noisy block starts after the n clean images).
  const sampleRows = Int32Array.from(pcaRows, (r) => n + r);
  const pcaLabels = Int32Array.from(sampleRows, (r) => set.labels[r]!);
  const accuracyOf = (logits: Float32Array) => argmaxRows(logits).reduce((h, c, i) => h + (c === pcaLabels[i] ? 1 : 0), 0) / pcaRows.length;
  const ffR1 = selectRows(first.r1, { samples, units: LAYER_UNITS.r1 }, sampleRows);
  // Accuracy with the influence rebuilt from k components added to the feedforward r1, for every k of the grid but the last (built incrementally).
  const grid = componentGrid(all.k);
  const accuracyAt = new Map<number, number>();
  const r1 = new Float32Array(ffR1.length);
  reconstructions(pcaInfluence, r1Shape, all, grid.filter((k) => k < all.k), (k, rebuilt) => {
    for (let i = 0; i < r1.length; i++) r1[i] = rebuilt[i]! + ffR1[i]!;
    accuracyAt.set(k, accuracyOf(logitsFromLayer1(coreWeights, r1)));
  });
  const pick10 = (logits: Float32Array) => selectRows(logits, { samples, units: 10 }, sampleRows);
  const feedforwardAccuracy = accuracyOf(pick10(first.logits));
  const fullAccuracy = accuracyOf(logitsFromLayer1(coreWeights, selectRows(last.r1, { samples, units: LAYER_UNITS.r1 }, sampleRows)));
  const networkAccuracy = accuracyOf(pick10(last.logits));
  const gap = fullAccuracy - feedforwardAccuracy;
  // k = all components rebuilds the influence exactly (up to float32 rounding): that point is the full influence.
  const curve = grid.map((k) => {
    const a = k === all.k ? fullAccuracy : accuracyAt.get(k)!;
    return { components: k, accuracy: a, fraction: gap > 0 ? (a - feedforwardAccuracy) / gap : NaN };
  });
  const k85 = gap > 0 ? componentsFor(curve.map((p) => p.accuracy), GAP_FRACTION, curve.map((p) => p.components)) : NaN;
  const components85 = Number.isFinite(k85) ? k85 : null;

  const gapPcs = components85 === null ? null : truncatePca(all, components85);
  const layers = analyseLayers(set, first, last, predictions[0]!, predictions.at(-1)!, context.feedforward);
  const layerProjections = Object.fromEntries(LAYER_NAMES.map((l) => [l, context.layers[l].project(last[l])])) as Record<LayerName, GroupPoint[]>;
  return {
    summary: {
      ...ids, timeSteps, predictions, logitDifference, layer1Projection: context.layer1.project(last.r1), layerProjections, layers, influence: influenceSummary,
      differencePca: { samples: pcaRows.length, cumulative, curve, feedforwardAccuracy, fullAccuracy, networkAccuracy, components85 },
      seconds: (Date.now() - t0) / 1000,
    },
    influence, topPcs: truncatePca(all, FIG4C_COMPONENTS), gapPcs,
  };
}

/** The first k PCs of a PCA result. */
function truncatePca(p: PcaResult, k: number): PcaResult {
  const kk = Math.min(k, p.variances.length);
  const units = p.mean.length;
  return { ...p, k: kk, components: p.components.slice(0, kk * units), variances: p.variances.slice(0, kk), explainedRatio: p.explainedRatio.slice(0, kk) };
}


/** Figures 4A, 4C and 4E: the cross-network matrices of a core's analysed networks (in the given order). */
export function compareNetworks(analysed: readonly Analysed[]): Pick<CoreActivity, 'influenceCorrelation' | 'alignmentTop' | 'alignmentGap'> {
  const noisy = analysed[0] ? analysed[0].influence.length / LAYER_UNITS.r1 : 0;
  const upper = (f: (a: Analysed, b: Analysed) => number) => {
    const m = analysed.map(() => analysed.map(() => NaN));
    analysed.forEach((a, i) => analysed.forEach((b, j) => {
      if (j > i) m[i]![j] = m[j]![i] = f(a, b);
      else if (j === i) m[i]![i] = 1;
    }));
    return m;
  };
  const units = LAYER_UNITS.r1;
  // PC rows are orthonormal up to float32 rounding; orthonormalise each basis once, then compare pairs.
  const basis = (p: PcaResult | null) => (p ? { rows: orthonormalBasis(p.components, { vectors: p.k, units }, { layout: 'rows' }), k: p.k } : null);
  const top = analysed.map((a) => basis(a.topPcs)!);
  const gap = analysed.map((a) => basis(a.gapPcs));
  const align = (x: { rows: Float32Array; k: number }, y: { rows: Float32Array; k: number }) => subspaceAlignment(x.rows, { vectors: x.k, units }, y.rows, { vectors: y.k, units }, { layout: 'rows', orthonormal: true });
  const index = new Map(analysed.map((a, i) => [a, i]));
  const at = (a: Analysed) => index.get(a)!;
  return {
    influenceCorrelation: upper((a, b) => influenceCorrelation(a.influence, b.influence, { samples: noisy, units }).correlation),
    alignmentTop: upper((a, b) => align(top[at(a)]!, top[at(b)]!)),
    alignmentGap: upper((a, b) => {
      const [x, y] = [gap[at(a)], gap[at(b)]];
      return x && y ? align(x, y) : NaN;
    }),
  };
}

/** Samples of the noisy conditions (every noise type at level 5): the images of the behavioural comparisons. */
export function noisySamples(core: Pick<CoreActivity, 'images' | 'labels'>): Int32Array {
  return Int32Array.from({ length: core.labels.length - core.images }, (_, i) => core.images + i);
}

/**
 * Figures 2C and 2D for one core, over its noisy samples at each network's
 * last step: incorrect-label agreement (Methods 4.2) and the mean per-image
 * correlation of logit differences (last step − step 0) over images both
 * networks classify correctly. Diagonal entries compare a network with itself.
 */
export function behaviourMatrices(core: CoreActivity): { agreement: number[][]; logitCorrelation: number[][] } {
  const rows = noisySamples(core);
  const labels = Int32Array.from(rows, (i) => core.labels[i]!);
  const last = core.networks.map((n) => Int32Array.from(rows, (i) => n.predictions.at(-1)![i]!));
  const diffs = core.networks.map((n) => Float32Array.from({ length: rows.length * 10 }, (_, k) => n.logitDifference[rows[Math.floor(k / 10)]! * 10 + (k % 10)]!));
  const correct = last.map((p) => Uint8Array.from(p, (c, i) => (c === labels[i] ? 1 : 0)));
  return {
    agreement: last.map((a) => last.map((b) => incorrectLabelAgreement(a, b, labels).agreement)),
    logitCorrelation: diffs.map((a, i) => diffs.map((b, j) => logitDifferenceCorrelation(a, b, correct[i]!, correct[j]!).correlation)),
  };
}

/** A matrix over networks averaged over cores, with its spread. */
export interface MatrixSummary {
  labels: string[];
  mean: number[][];
  /** Sample s.d. over cores (NaN with one core). */
  sd: number[][];
  cores: number;
}

/** Mean and s.d. over cores of per-core matrices (NaN entries of a core are left out of that entry). */
export function summariseMatrices(labels: string[], perCore: number[][][]): MatrixSummary {
  const cell = (i: number, j: number) => perCore.map((m) => m[i]![j]!).filter(Number.isFinite);
  return {
    labels,
    mean: labels.map((_, i) => labels.map((__, j) => {
      const v = cell(i, j);
      return v.length ? mean(v) : NaN;
    })),
    sd: labels.map((_, i) => labels.map((__, j) => {
      const v = cell(i, j);
      return v.length > 1 ? sampleSd(v) : NaN;
    })),
    cores: perCore.length,
  };
}

/** A per-network quantity per type: instances averaged within each core, then mean ± s.t.d. over cores. */
export interface TypeSummary {
  network: RecurrenceType;
  mean: number;
  /** Sample s.d. over cores (NaN with one core). */
  sd: number;
  cores: number;
}

/** {@link TypeSummary} of `value` for every type present (values that are null or not finite are left out). */
export function summariseByType(cores: readonly CoreActivity[], value: (n: NetworkActivity) => number | null): TypeSummary[] {
  const types = [...new Set(cores.flatMap((c) => c.networks.map((n) => n.network)))];
  return types.map((network) => {
    const perCore = cores.flatMap((c) => {
      const v = c.networks.filter((n) => n.network === network).map(value).filter((x): x is number => x !== null && Number.isFinite(x));
      return v.length ? [mean(v)] : [];
    });
    return { network, mean: perCore.length ? mean(perCore) : NaN, sd: perCore.length > 1 ? sampleSd(perCore) : NaN, cores: perCore.length };
  });
}

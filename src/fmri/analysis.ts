/**
 * The fMRI analysis of Methods 4.4 (Figure 8), per subject × region ×
 * hemisphere.
 *
 * Conventions a BData file must follow (defaults; each key can be renamed in
 * {@link FmriAnalysisOptions}):
 * - one sample (row) per time bin of one image presentation;
 * - per-sample label columns, each flagged by a metadata row equal to 1 on its
 *   column: `Label` (image id), `Modification` (1 = clean original; larger =
 *   blurred, the smallest code above 1 = least blurred), `TimeBin` (1..4
 *   within the presentation, TR 2 s);
 * - voxel masks `ROI_LH_<region>` and `ROI_RH_<region>` (1 = voxel in the
 *   region). A region with only a bilateral `ROI_<region>` mask is analysed
 *   once, with hemisphere `both`.
 * Other files map onto this by adding such rows with bdpy (`add_metadata` /
 * `add_dataset`), e.g. a `TimeBin` column computed from volume onsets, and
 * hemisphere masks from `ROI_<region>` ∧ (`voxel_x` < 0).
 *
 * Procedure, per region and hemisphere:
 * 1. Repeated presentations of the same (image, modification, time bin) are
 *    averaged.
 * 2. Images that have both a clean and a least-blurred presentation are used
 *    (20 pairs in the study), with all their time bins.
 * 3. Each voxel is normalised to zero mean and unit L2 norm over those
 *    condition means (pairs × 2 versions × time bins, e.g. 160 patterns).
 *    Constant or non-finite voxels are dropped and counted.
 * 4. De-noising (equation 1) per image pair: feedforward = the first time
 *    bin, after recurrence = the last; its mean, median and a two-sided
 *    one-sample t-test against 0 (significant at p < alpha, default .01).
 * 5. Dimensionality (equation 2) of the clean and blurred patterns together
 *    (40 images) at the first and at the last time bin, each centred and
 *    normalised per voxel (see src/analysis/dimensionality.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { denoisingPerPair } from '../analysis/denoising';
import { checkNumber } from '../check';
import { participationRatio } from '../analysis/dimensionality';
import { median, oneSampleTTest } from '../analysis/stats';
import { BDataError, type BData, extractColumns, metadataKeys, readBData, sampleColumn, selectColumns } from './bdata';
import type { PlantedEffect, SyntheticFmriDataset } from './synthetic';

/** Display order of known regions; others follow alphabetically. */
export const FMRI_REGION_ORDER = ['V1', 'V2', 'V3', 'V4', 'LOC', 'FFA', 'PPA', 'LVC', 'HVC', 'VC', 'MTG'] as const;

/** Hemisphere of a result: left, right, or a bilateral mask. */
export type Hemisphere = 'LH' | 'RH' | 'both';

/** A region mask found in a file. */
export interface FmriRoi {
  /** Metadata key of the mask, e.g. `ROI_LH_V1`. */
  key: string;
  region: string;
  hemisphere: Hemisphere;
}

/** Options of {@link analyzeFmriSubject}; every field has the default given. */
export interface FmriAnalysisOptions {
  /** Metadata key of the image-id column (default `Label`). */
  labelKey?: string;
  /** Metadata key of the blur-level column (default `Modification`). */
  modificationKey?: string;
  /** Metadata key of the time-bin column (default `TimeBin`). */
  timeBinKey?: string;
  /** Modification code of clean images (default 1). */
  cleanLevel?: number;
  /** Modification code of the blurred images compared (default: the smallest code above `cleanLevel`). */
  blurLevel?: number;
  /** Time bin taken as feedforward (default: the smallest in the file). */
  firstBin?: number;
  /** Time bin taken as after recurrence (default: the largest in the file). */
  lastBin?: number;
  /** Regions to analyse (default: every `ROI_...` mask in the file). */
  regions?: string[];
  /** Significance level of the t-test (default .01, as in Figure 8A). */
  alpha?: number;
}

/** The result for one subject × region × hemisphere. */
export interface FmriRegionResult {
  subject: string;
  region: string;
  hemisphere: Hemisphere;
  /** Mask key used. */
  roiKey: string;
  /** Voxels analysed. */
  voxels: number;
  /** Voxels of the mask dropped as constant or non-finite. */
  droppedVoxels: number;
  /** Their columns in the dataset (0-based). */
  droppedVoxelColumns: number[];
  /** Samples (rows, 0-based) of the subject's file dropped for a non-finite label, modification or time bin. */
  droppedSamples: number[];
  /** Image pairs (clean, blurred). */
  pairs: number;
  /** Image ids of the pairs, in the order of `denoising`. */
  images: number[];
  /** Modification code of the blurred images. */
  blurLevel: number;
  firstBin: number;
  lastBin: number;
  /** De-noising d per image pair, in [-2, 2]. */
  denoising: number[];
  meanDenoising: number;
  medianDenoising: number;
  /** One-sample t statistic of d against 0 (df = pairs − 1). */
  tStatistic: number;
  /** Two-sided p-value. */
  pValue: number;
  /** pValue < alpha. */
  significant: boolean;
  /** Participation ratio over the 2 × pairs patterns at the first bin, in [1, 2·pairs − 1]. */
  dimensionalityFirst: number;
  /** Same at the last bin. */
  dimensionalityLast: number;
  /** dimensionalityLast / dimensionalityFirst (Figure 8B's normalisation). */
  dimensionalityRatio: number;
}

/** All results of a run, as written by `repro fmri`. */
export interface FmriResults {
  /** What was analysed: a directory of BData files, or `synthetic (seed N)`. */
  source: string;
  /** Significance level used. */
  alpha: number;
  /** Subject names (file stems). */
  subjects: string[];
  results: FmriRegionResult[];
  /** What was dropped, one line per subject or region ({@link fmriWarnings}). */
  warnings: string[];
}

/** Up to `max` items of a list, then how many more. */
function listSome(xs: readonly number[], max = 10): string {
  return xs.length <= max ? xs.join(', ') : `${xs.slice(0, max).join(', ')} and ${xs.length - max} more`;
}

/** One line per subject with dropped samples and per region with dropped voxels, naming them. */
export function fmriWarnings(results: readonly FmriRegionResult[]): string[] {
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const r of results) {
    if (r.droppedSamples.length && !seen.has(r.subject)) {
      seen.add(r.subject);
      lines.push(`${r.subject}: ${r.droppedSamples.length} samples dropped for a non-finite label, modification or time bin (rows ${listSome(r.droppedSamples)})`);
    }
    if (r.droppedVoxelColumns.length) {
      lines.push(`${r.subject} ${r.roiKey}: ${r.droppedVoxelColumns.length} of ${r.voxels + r.droppedVoxels} voxels dropped as non-finite or constant (columns ${listSome(r.droppedVoxelColumns)})`);
    }
  }
  return lines;
}

function regionRank(region: string): number {
  const i = (FMRI_REGION_ORDER as readonly string[]).indexOf(region);
  return i < 0 ? FMRI_REGION_ORDER.length : i;
}

/** Sorts regions in display order: known visual areas first, then alphabetically. */
export function compareRegions(a: string, b: string): number {
  return regionRank(a) - regionRank(b) || a.localeCompare(b);
}

const HEMI_ORDER: Record<Hemisphere, number> = { LH: 0, RH: 1, both: 2 };

/**
 * The region masks of a file: `ROI_LH_<r>` / `ROI_RH_<r>` where present,
 * else bilateral `ROI_<r>`; restricted to `regions` when given (an unknown
 * requested region is an error).
 */
export function discoverRois(bdata: BData, regions?: string[]): FmriRoi[] {
  const keys = metadataKeys(bdata);
  const hemi = new Map<string, FmriRoi[]>();
  const bilateral = new Map<string, FmriRoi>();
  for (const key of keys) {
    const m = /^ROI_(LH|RH)_(.+)$/.exec(key);
    if (m) {
      const region = m[2]!;
      hemi.set(region, [...(hemi.get(region) ?? []), { key, region, hemisphere: m[1] as 'LH' | 'RH' }]);
    } else if (key.startsWith('ROI_') && key.length > 4) {
      bilateral.set(key.slice(4), { key, region: key.slice(4), hemisphere: 'both' });
    }
  }
  const all = new Set([...hemi.keys(), ...bilateral.keys()]);
  if (all.size === 0) throw new BDataError(bdata.source, '/metadata/key', `no region masks (ROI_<region>, ROI_LH_<region>, ROI_RH_<region>); keys found: ${keys.join(', ') || 'none'}`);
  const wanted = regions ?? [...all];
  for (const r of wanted) {
    if (!all.has(r)) throw new BDataError(bdata.source, `ROI_LH_${r} / ROI_RH_${r} / ROI_${r}`, `no mask for region '${r}'; regions found: ${[...all].sort(compareRegions).join(', ') || 'none'}`);
  }
  return [...wanted]
    .sort(compareRegions)
    .flatMap((r) => (hemi.get(r) ?? [bilateral.get(r)!]).sort((a, b) => HEMI_ORDER[a.hemisphere] - HEMI_ORDER[b.hemisphere]));
}

/** Sample indices per condition (image, modification, time bin). */
interface Design {
  images: number[];
  blurLevel: number;
  bins: number[];
  firstBin: number;
  lastBin: number;
  /** rows[level 0 = clean, 1 = blurred][image index][bin index] = sample indices. */
  rows: number[][][][];
  /** Samples with a non-finite label, modification or time bin. */
  dropped: number[];
}

function buildDesign(bdata: BData, o: Required<Omit<FmriAnalysisOptions, 'blurLevel' | 'firstBin' | 'lastBin' | 'regions'>> & FmriAnalysisOptions): Design {
  const label = sampleColumn(bdata, o.labelKey);
  const mod = sampleColumn(bdata, o.modificationKey);
  const bin = sampleColumn(bdata, o.timeBinKey);
  const levels = [...new Set(mod)].filter(Number.isFinite).sort((a, b) => a - b);
  const blurLevel = o.blurLevel ?? levels.find((l) => l > o.cleanLevel);
  if (blurLevel === undefined || !levels.includes(blurLevel)) {
    throw new BDataError(bdata.source, o.modificationKey, `no blurred level ${o.blurLevel ?? `> ${o.cleanLevel}`} among the values ${levels.join(', ')}`);
  }
  if (!levels.includes(o.cleanLevel)) throw new BDataError(bdata.source, o.modificationKey, `no clean level ${o.cleanLevel} among the values ${levels.join(', ')}`);
  const allBins = [...new Set(bin)].filter(Number.isFinite).sort((a, b) => a - b);
  const firstBin = o.firstBin ?? allBins[0]!;
  const lastBin = o.lastBin ?? allBins[allBins.length - 1]!;
  if (!allBins.includes(firstBin) || !allBins.includes(lastBin) || firstBin >= lastBin) {
    throw new BDataError(bdata.source, o.timeBinKey, `first bin ${firstBin} and last bin ${lastBin} must be present and in order; bins found: ${allBins.join(', ')}`);
  }
  const bins = allBins.filter((b) => b >= firstBin && b <= lastBin);
  const dropped: number[] = [];
  for (let s = 0; s < bdata.samples; s++) if (!Number.isFinite(label[s]!) || !Number.isFinite(mod[s]!) || !Number.isFinite(bin[s]!)) dropped.push(s);
  const droppedNote = dropped.length ? ` (${dropped.length} samples were dropped for a non-finite ${o.labelKey}, ${o.modificationKey} or ${o.timeBinKey}: rows ${listSome(dropped)})` : '';
  const byImage = new Map<number, number[][][]>();
  for (let s = 0; s < bdata.samples; s++) {
    const level = mod[s] === o.cleanLevel ? 0 : mod[s] === blurLevel ? 1 : -1;
    const b = bins.indexOf(bin[s]!);
    if (level < 0 || b < 0 || !Number.isFinite(label[s]!)) continue;
    let cells = byImage.get(label[s]!);
    if (!cells) {
      cells = [bins.map(() => []), bins.map(() => [])];
      byImage.set(label[s]!, cells);
    }
    cells[level]![b]!.push(s);
  }
  const images = [...byImage.keys()].filter((img) => byImage.get(img)!.every((lv) => lv.some((c) => c.length > 0))).sort((a, b) => a - b);
  if (images.length < 3) {
    throw new BDataError(bdata.source, `${o.labelKey} × ${o.modificationKey}`, `${images.length} images have both a clean (${o.cleanLevel}) and a blurred (${blurLevel}) presentation; need at least 3${droppedNote}`);
  }
  for (const img of images) {
    byImage.get(img)!.forEach((lv, li) =>
      lv.forEach((cell, bi) => {
        if (cell.length === 0) {
          throw new BDataError(bdata.source, o.timeBinKey, `image ${img} (${li === 0 ? 'clean' : `blur ${blurLevel}`}) has no sample at time bin ${bins[bi]}${droppedNote}`);
        }
      }),
    );
  }
  const rows = [0, 1].map((lv) => images.map((img) => byImage.get(img)![lv]!));
  return { images, blurLevel, bins, firstBin, lastBin, rows, dropped };
}

/**
 * Runs the analysis on one subject's BData. Pure: no I/O. Results are in
 * region display order, LH before RH.
 */
export function analyzeFmriSubject(bdata: BData, subject: string, options: FmriAnalysisOptions = {}): FmriRegionResult[] {
  const o = { labelKey: 'Label', modificationKey: 'Modification', timeBinKey: 'TimeBin', cleanLevel: 1, alpha: 0.01, ...options };
  checkNumber(o.alpha, 'fMRI analysis: alpha', { min: 0, max: 1, minOpen: true, maxOpen: true });
  const design = buildDesign(bdata, o);
  const { images, bins } = design;
  const P = images.length;
  const B = bins.length;
  const first = 0;
  const last = B - 1;
  return discoverRois(bdata, o.regions).map((roi) => {
    const maskColumns = selectColumns(bdata, roi.key, 1);
    if (maskColumns.length === 0) throw new BDataError(bdata.source, roi.key, 'mask selects no voxels');
    const voxelsAll = extractColumns(bdata, maskColumns);
    const V0 = maskColumns.length;
    // Condition means, row order (level, image, bin): [2 · P · B, V0].
    const nCond = 2 * P * B;
    const cond = new Float64Array(nCond * V0);
    design.rows.forEach((lv, li) =>
      lv.forEach((imgCells, pi) =>
        imgCells.forEach((cell, bi) => {
          const off = ((li * P + pi) * B + bi) * V0;
          for (const s of cell) for (let v = 0; v < V0; v++) cond[off + v]! += voxelsAll[s * V0 + v]!;
          for (let v = 0; v < V0; v++) cond[off + v]! /= cell.length;
        }),
      ),
    );
    // Per-voxel zero mean, unit norm over the condition means; drop constant or non-finite voxels.
    const keep: number[] = [];
    const meanV = new Float64Array(V0);
    const normV = new Float64Array(V0);
    for (let v = 0; v < V0; v++) {
      let m = 0;
      for (let c = 0; c < nCond; c++) m += cond[c * V0 + v]!;
      m /= nCond;
      let ss = 0;
      for (let c = 0; c < nCond; c++) ss += (cond[c * V0 + v]! - m) ** 2;
      meanV[v] = m;
      normV[v] = Math.sqrt(ss);
      if (Number.isFinite(ss) && ss > 1e-24 * Math.max(1, m * m * nCond)) keep.push(v);
    }
    const V = keep.length;
    const kept = new Set(keep);
    const droppedVoxelColumns = Array.from(maskColumns).filter((_, v) => !kept.has(v));
    if (V < 2) throw new BDataError(bdata.source, roi.key, `only ${V} of ${V0} voxels vary across conditions; need at least 2`);
    const pattern = (level: number, bi: number): Float64Array => {
      const out = new Float64Array(P * V);
      for (let pi = 0; pi < P; pi++) {
        const off = ((level * P + pi) * B + bi) * V0;
        for (let k = 0; k < V; k++) {
          const v = keep[k]!;
          out[pi * V + k] = (cond[off + v]! - meanV[v]!) / normV[v]!;
        }
      }
      return out;
    };
    const cleanFirst = pattern(0, first);
    const blurFirst = pattern(1, first);
    const blurLast = pattern(1, last);
    const d = denoisingPerPair(cleanFirst, blurFirst, blurLast, { pairs: P, units: V });
    const test = oneSampleTTest(d);
    const both = (bi: number) => {
      const x = new Float64Array(2 * P * V);
      x.set(pattern(0, bi), 0);
      x.set(pattern(1, bi), P * V);
      return participationRatio(x, { samples: 2 * P, units: V });
    };
    const dimFirst = both(first);
    const dimLast = both(last);
    return {
      subject,
      region: roi.region,
      hemisphere: roi.hemisphere,
      roiKey: roi.key,
      voxels: V,
      droppedVoxels: V0 - V,
      droppedVoxelColumns,
      droppedSamples: design.dropped,
      pairs: P,
      images,
      blurLevel: design.blurLevel,
      firstBin: design.firstBin,
      lastBin: design.lastBin,
      denoising: Array.from(d),
      meanDenoising: test.mean,
      medianDenoising: median(d),
      tStatistic: test.t,
      pValue: test.pValue,
      significant: test.pValue < o.alpha,
      dimensionalityFirst: dimFirst,
      dimensionalityLast: dimLast,
      dimensionalityRatio: dimLast / dimFirst,
    };
  });
}

/** The BData files (`*.h5`) of a directory, sorted; an empty or missing directory is an error. */
export function listBDataFiles(dir: string): string[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`${dir}: not a directory`);
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.toLowerCase().endsWith('.h5'))
    .sort()
    .map((f) => path.join(dir, f));
  if (files.length === 0) throw new Error(`${dir}: no BData files (*.h5); expected one file per subject`);
  return files;
}

/** Reads and analyses BData files, one per subject (subject name = file stem). */
export async function analyzeFmriFiles(files: string[], options: FmriAnalysisOptions = {}, source = files.join(', ')): Promise<FmriResults> {
  const results: FmriRegionResult[] = [];
  const subjects: string[] = [];
  for (const file of files) {
    const subject = path.basename(file).replace(/\.h5$/i, '');
    subjects.push(subject);
    results.push(...analyzeFmriSubject(await readBData(file), subject, options));
  }
  return { source, alpha: options.alpha ?? 0.01, subjects, results, warnings: fmriWarnings(results) };
}

/** Analyses every `*.h5` file in `dir` (one per subject). */
export async function analyzeFmriDirectory(dir: string, options: FmriAnalysisOptions = {}): Promise<FmriResults> {
  return analyzeFmriFiles(listBDataFiles(dir), options, dir);
}

/** Analyses an in-memory synthetic dataset (no files). */
export function analyzeSyntheticFmri(dataset: SyntheticFmriDataset, options: FmriAnalysisOptions = {}): FmriResults {
  const results = dataset.subjects.flatMap((s) => analyzeFmriSubject(s.bdata, s.name, options));
  return { source: `synthetic (seed ${dataset.options.seed})`, alpha: options.alpha ?? 0.01, subjects: dataset.subjects.map((s) => s.name), results, warnings: fmriWarnings(results) };
}

/** One row of {@link compareWithPlantedTruth}: a region over all subjects and hemispheres. */
export interface TruthComparisonRow {
  region: string;
  planted: PlantedEffect;
  /** Subject × hemisphere results for the region. */
  tests: number;
  /** Results with mean d > 0 and p < alpha. */
  significantPositive: number;
  /** Results with mean d < 0 and p < alpha. */
  significantNegative: number;
  /** Results whose dimensionality fell from the first to the last bin. */
  dimensionalityDecreased: number;
  /** Mean over results of the mean de-noising. */
  meanDenoising: number;
  /** Mean over results of last / first dimensionality. */
  meanDimensionalityRatio: number;
  /**
   * Recovered: positive = every result significantly positive with falling
   * dimensionality; negative = every result significantly negative with rising
   * dimensionality; null = no significant result.
   */
  recovered: boolean;
}

/** Compares analysis results with the planted truth of a synthetic dataset, per region. */
export function compareWithPlantedTruth(results: FmriRegionResult[], truth: Pick<SyntheticFmriDataset['truth'], 'regions'>): TruthComparisonRow[] {
  return Object.entries(truth.regions)
    .sort(([a], [b]) => compareRegions(a, b))
    .map(([region, planted]) => {
      const rs = results.filter((r) => r.region === region);
      const sigPos = rs.filter((r) => r.significant && r.meanDenoising > 0).length;
      const sigNeg = rs.filter((r) => r.significant && r.meanDenoising < 0).length;
      const dimDown = rs.filter((r) => r.dimensionalityRatio < 1).length;
      const n = rs.length;
      const recovered =
        n > 0 &&
        (planted.effect === 'positive'
          ? sigPos === n && dimDown === n
          : planted.effect === 'negative'
            ? sigNeg === n && dimDown === 0
            : sigPos + sigNeg === 0);
      const avg = (f: (r: FmriRegionResult) => number) => (n ? rs.reduce((s, r) => s + f(r), 0) / n : NaN);
      return {
        region,
        planted: planted.effect,
        tests: n,
        significantPositive: sigPos,
        significantNegative: sigNeg,
        dimensionalityDecreased: dimDown,
        meanDenoising: avg((r) => r.meanDenoising),
        meanDimensionalityRatio: avg((r) => r.dimensionalityRatio),
        recovered,
      };
    });
}

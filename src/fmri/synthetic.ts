/**
 * A seeded synthetic stand-in for the blurred-image fMRI data (Abdelhack &
 * Kamitani 2018) in the BData layout, with planted ground truth, so the
 * Figure 8 analysis can be tested end to end and the notebook runs without
 * the real data.
 *
 * Design (per subject, one BData file each):
 * - `images` natural images (default 20), each shown clean (`Modification` 1)
 *   and blurred at `blurLevels` levels (`Modification` 2 = least blurred, 3, 4
 *   more), `repetitions` times (default 2), spread over runs (`Run`).
 * - Each presentation gives `timeBins` samples (`TimeBin` 1..4, TR 2 s).
 * - Regions V1, V2, V3, V4, LOC, FFA, PPA in each hemisphere: voxel masks
 *   `ROI_LH_<region>` / `ROI_RH_<region>` (and bilateral `ROI_<region>`), a few
 *   hundred voxels each (subject-specific counts), plus `voxel_x` (negative =
 *   left hemisphere).
 *
 * Response model for one region and hemisphere (V voxels):
 * - clean image i evokes pattern P_i = W z_i + e_i (W: subject-specific
 *   loadings on 8 latent features with variances 1/√k; e_i: voxel-unique,
 *   s.d. 0.3); each blurred version has its own pattern Q_i of the same form
 *   on other loadings. The latent features of each stimulus set are balanced
 *   (sample covariance exactly the intended one), so planted effects do not
 *   hinge on which images happen to be drawn;
 * - at time bin t, the blurred image evokes a_t P_i + √(1 − a_t²) Q_i: the
 *   weight a_t of the clean pattern is what the planted effects change over
 *   time (signal variance stays constant, so no effect comes from SNR);
 *   blurrier levels (Modification 3, 4) use a_t × 0.75, × 0.5;
 * - sample = voxel baseline + run offset + voxel gain × (h_t × signal +
 *   noise), with a haemodynamic envelope h = (1, 1.15, 1.15, 1) (symmetric,
 *   so bins 1 and 4 have equal SNR) and noise = i.i.d. voxel noise plus 3
 *   shared noise components, AR(1) (ρ = 0.5) across the bins of a
 *   presentation;
 * - between-subject variability: noise level × U(0.8, 1.25), planted change
 *   × U(0.85, 1.15), voxel counts × U(0.75, 1.25), and all loadings, gains and
 *   noise drawn per subject.
 *
 * Planted truth ({@link SYNTHETIC_FMRI_TRUTH}): V1 de-noises (a rises from
 * 0.1 at the first bin to 0.98 at the last: blurred patterns move towards the
 * clean ones, and the 40-image dimensionality falls as the two sets merge);
 * V4 does the opposite (a falls from 0.98 to 0.1: negative de-noising,
 * dimensionality rises); every other region keeps a = 0.6 at all bins (null:
 * bins 1 and 4 have the same distribution, so the mean de-noising is exactly
 * 0 in expectation and the last/first dimensionality ratio has median 1).
 */
import * as path from 'node:path';
import { Rng } from '../random';
import { BDataBuilder, type BData, writeBData, type WriteBDataOptions } from './bdata';
import { writeFileAtomic } from '../io/cache';

/** Direction of a planted effect. */
export type PlantedEffect = 'positive' | 'negative' | 'null';

/** The planted effect of one region (both hemispheres, every subject). */
export interface PlantedRegion {
  /** positive: de-noises and loses dimensionality; negative: the opposite; null: nothing. */
  effect: PlantedEffect;
  /** Weight a of the clean pattern in the blurred (Modification 2) pattern at the first time bin. */
  cleanWeightFirst: number;
  /** Same at the last time bin (bins in between are interpolated linearly). */
  cleanWeightLast: number;
  /** Expected sign of the mean de-noising d: +1, −1, or 0 (no effect). */
  denoisingSign: 1 | -1 | 0;
  /** Expected change of dimensionality from the first to the last bin. */
  dimensionality: 'decrease' | 'increase' | 'none';
}

/** The regions of the synthetic set, in display order. */
export const SYNTHETIC_FMRI_REGIONS = ['V1', 'V2', 'V3', 'V4', 'LOC', 'FFA', 'PPA'] as const;

const NULL_REGION: PlantedRegion = { effect: 'null', cleanWeightFirst: 0.6, cleanWeightLast: 0.6, denoisingSign: 0, dimensionality: 'none' };

/** The planted ground truth of every synthetic dataset (nominal values; subjects scale the change, see the file comment). */
export const SYNTHETIC_FMRI_TRUTH = {
  /** The region that de-noises (positive d) and loses dimensionality. */
  positiveRegion: 'V1',
  /** The region with negative de-noising and rising dimensionality. */
  negativeRegion: 'V4',
  /** The region singled out as the null control (every region not named above is null too). */
  nullRegion: 'FFA',
  /** Per region. */
  regions: {
    V1: { effect: 'positive', cleanWeightFirst: 0.1, cleanWeightLast: 0.98, denoisingSign: 1, dimensionality: 'decrease' },
    V2: NULL_REGION,
    V3: NULL_REGION,
    V4: { effect: 'negative', cleanWeightFirst: 0.98, cleanWeightLast: 0.1, denoisingSign: -1, dimensionality: 'increase' },
    LOC: NULL_REGION,
    FFA: NULL_REGION,
    PPA: NULL_REGION,
  } as Record<(typeof SYNTHETIC_FMRI_REGIONS)[number], PlantedRegion>,
  /** Modification code of the clean images. */
  cleanLevel: 1,
  /** Modification code of the least blurred images (the level the analysis uses). */
  leastBlurredLevel: 2,
} as const;

/** Options of {@link generateSyntheticFmri}. */
export interface SyntheticFmriOptions {
  /** Seed of every random draw. */
  seed: number;
  /** Number of subjects (files), default 5. */
  subjects?: number;
  /** Number of images, default 20. */
  images?: number;
  /** Number of blurred levels (Modification 2..1+blurLevels), default 3 as in the study. */
  blurLevels?: number;
  /** Time bins per presentation, default 4. */
  timeBins?: number;
  /** Presentations of each (image, modification), default 2. */
  repetitions?: number;
  /** Mean voxels per region and hemisphere, default 300 (subjects vary ±25 %). */
  voxels?: number;
  /** Noise s.d. of one sample relative to the per-voxel signal s.d., default 1 (subjects vary). */
  noise?: number;
}

/** Realised parameters of one subject. */
export interface SyntheticSubjectTruth {
  /** File stem, e.g. `S01`. */
  name: string;
  /** Noise level of this subject. */
  noise: number;
  /** Multiplier of the planted change (a_last − a_first) around its midpoint. */
  effectScale: number;
  /** Voxels per `ROI_<hemisphere>_<region>` key. */
  voxels: Record<string, number>;
}

/** A generated dataset: one BData per subject and the truth behind it. */
export interface SyntheticFmriDataset {
  /** Options with defaults filled in. */
  options: Required<SyntheticFmriOptions>;
  subjects: { name: string; bdata: BData }[];
  truth: typeof SYNTHETIC_FMRI_TRUTH & { subjects: SyntheticSubjectTruth[] };
}

const LATENT = 8;
/** Variance of latent feature k (0-based): 1/√(k + 1), a gently decaying spectrum. */
const latentVariance = (k: number): number => 1 / Math.sqrt(k + 1);
const UNIQUE_SD = 0.3;
const NOISE_COMPONENTS = 3;
const SHARED_NOISE_SD = 0.4;
const RUN_OFFSET_SD = 0.3;
const AR_RHO = 0.5;
const RUNS_PER_REPETITION = 4;

/** Stable integer tags for keyed random streams. */
const STREAM = { subject: 1, loadings: 2, clean: 3, blurred: 4, noise: 5, runs: 6, order: 7, voxels: 8 } as const;

/** Haemodynamic envelope over bins, symmetric so the first and last bins have the same SNR. */
function envelope(bins: number): Float64Array {
  const h = new Float64Array(bins).fill(1);
  for (let t = 1; t < bins - 1; t++) h[t] = 1.15;
  return h;
}

/** Clean-pattern weight of a region at (blur level, bin) for one subject. */
function cleanWeight(region: PlantedRegion, effectScale: number, level: number, bin: number, bins: number): number {
  const mid = (region.cleanWeightFirst + region.cleanWeightLast) / 2;
  const half = ((region.cleanWeightLast - region.cleanWeightFirst) / 2) * effectScale;
  const frac = bins > 1 ? bin / (bins - 1) : 0;
  const a = mid - half + 2 * half * frac;
  // Blurrier levels resemble the clean image less.
  const clamped = Math.min(0.98, Math.max(0.02, a * (1 - 0.25 * (level - 2))));
  return clamped;
}

/**
 * Latent features `[count, LATENT]` of a stimulus set whose sample covariance
 * (over stimuli, n − 1) is exactly diag(latentVariance): the set is balanced,
 * so a planted effect does not hinge on which images happen to be drawn.
 * Draws i.i.d. normals, centres each feature, orthonormalises the columns
 * (modified Gram-Schmidt) and rescales. Sets of at most LATENT stimuli are
 * only centred.
 */
function balancedLatents(count: number, rngFor: (stimulus: number) => Rng): Float64Array {
  const z = new Float64Array(count * LATENT);
  for (let s = 0; s < count; s++) {
    const rng = rngFor(s);
    for (let k = 0; k < LATENT; k++) z[s * LATENT + k] = rng.normal();
  }
  for (let k = 0; k < LATENT; k++) {
    let m = 0;
    for (let s = 0; s < count; s++) m += z[s * LATENT + k]!;
    for (let s = 0; s < count; s++) z[s * LATENT + k]! -= m / count;
  }
  if (count > LATENT) {
    for (let k = 0; k < LATENT; k++) {
      for (let j = 0; j < k; j++) {
        let dot = 0;
        for (let s = 0; s < count; s++) dot += z[s * LATENT + k]! * z[s * LATENT + j]!;
        // Earlier columns have squared norm count − 1.
        for (let s = 0; s < count; s++) z[s * LATENT + k]! -= (dot / (count - 1)) * z[s * LATENT + j]!;
      }
      let norm = 0;
      for (let s = 0; s < count; s++) norm += z[s * LATENT + k]! ** 2;
      const scale = Math.sqrt(count - 1) / Math.sqrt(norm);
      for (let s = 0; s < count; s++) z[s * LATENT + k]! *= scale;
    }
  }
  for (let s = 0; s < count; s++) for (let k = 0; k < LATENT; k++) z[s * LATENT + k]! *= Math.sqrt(latentVariance(k));
  return z;
}

/**
 * Patterns W z_s + e_s for a balanced set of `count` stimuli: row-major
 * `[count, voxels]`, per-voxel variance ≈ 1 (W rows have variance
 * 1 / Σ_k latentVariance(k); e is voxel-unique with s.d. UNIQUE_SD).
 */
function patterns(loadings: Float64Array, voxels: number, count: number, rngFor: (stimulus: number) => Rng): Float64Array {
  const z = balancedLatents(count, rngFor);
  const out = new Float64Array(count * voxels);
  const scale = Math.sqrt(1 - UNIQUE_SD * UNIQUE_SD);
  for (let s = 0; s < count; s++) {
    // A separate stream for the unique part, so it does not depend on the latent draws.
    const rng = rngFor(count + s);
    for (let v = 0; v < voxels; v++) {
      let acc = 0;
      for (let k = 0; k < LATENT; k++) acc += loadings[v * LATENT + k]! * z[s * LATENT + k]!;
      out[s * voxels + v] = scale * acc + UNIQUE_SD * rng.normal();
    }
  }
  return out;
}

/**
 * Generates the synthetic dataset in memory (deterministic in `options`).
 * See the file comment for the model and {@link SYNTHETIC_FMRI_TRUTH} for the
 * planted effects.
 */
export function generateSyntheticFmri(options: SyntheticFmriOptions): SyntheticFmriDataset {
  const opts: Required<SyntheticFmriOptions> = {
    subjects: 5,
    images: 20,
    blurLevels: 3,
    timeBins: 4,
    repetitions: 2,
    voxels: 300,
    noise: 1,
    ...options,
  };
  const { seed, images, blurLevels, timeBins, repetitions } = opts;
  if (images < 3 || blurLevels < 1 || timeBins < 2 || repetitions < 1 || opts.voxels < 4 || opts.subjects < 1) {
    throw new Error(`generateSyntheticFmri: options out of range: ${JSON.stringify(opts)}`);
  }
  const levels = 1 + blurLevels;
  const h = envelope(timeBins);
  const latentTotal = Array.from({ length: LATENT }, (_, k) => latentVariance(k)).reduce((a, b) => a + b, 0);

  // Presentation order: each repetition is spread over its own runs, in a random order.
  const presentations: { run: number; image: number; level: number }[] = [];
  for (let rep = 0; rep < repetitions; rep++) {
    const order = Rng.keyed(seed, STREAM.order, rep).permutation(images * levels);
    order.forEach((p, k) => {
      const run = rep * RUNS_PER_REPETITION + Math.floor((k * RUNS_PER_REPETITION) / order.length);
      presentations.push({ run, image: Math.floor(p / levels), level: 1 + (p % levels) });
    });
  }
  const samples = presentations.length * timeBins;
  const runs = repetitions * RUNS_PER_REPETITION;

  const subjects: SyntheticFmriDataset['subjects'] = [];
  const subjectTruths: SyntheticSubjectTruth[] = [];
  for (let s = 0; s < opts.subjects; s++) {
    const name = `S${String(s + 1).padStart(2, '0')}`;
    const srng = Rng.keyed(seed, STREAM.subject, s);
    const noise = opts.noise * (0.8 + 0.45 * srng.uniform());
    const effectScale = 0.85 + 0.3 * srng.uniform();
    const roiVoxels: Record<string, number> = {};
    const blocks: { key: string; region: string; hemi: 'LH' | 'RH'; data: Float64Array; voxels: number; x: Float64Array }[] = [];

    SYNTHETIC_FMRI_REGIONS.forEach((region, r) => {
      (['LH', 'RH'] as const).forEach((hemi, hIndex) => {
        const key = `ROI_${hemi}_${region}`;
        const roi = r * 2 + hIndex;
        const vrng = Rng.keyed(seed, STREAM.voxels, s, roi);
        const V = Math.max(4, Math.round(opts.voxels * (0.75 + 0.5 * vrng.uniform())));
        roiVoxels[key] = V;
        // Clean and blur-specific patterns load on different latent features.
        const lrng = Rng.keyed(seed, STREAM.loadings, s, roi);
        const makeLoadings = () => Float64Array.from({ length: V * LATENT }, () => lrng.normal() / Math.sqrt(latentTotal));
        const cleanLoadings = makeLoadings();
        const blurLoadings = makeLoadings();
        const gain = new Float64Array(V);
        const baseline = new Float64Array(V);
        const x = new Float64Array(V);
        for (let v = 0; v < V; v++) {
          gain[v] = 0.5 + vrng.uniform();
          baseline[v] = 2 * vrng.normal();
          // Rough MNI-like x coordinate: left hemisphere negative.
          x[v] = (hemi === 'LH' ? -1 : 1) * (10 + 5 * r + 10 * vrng.uniform());
        }
        const clean = patterns(cleanLoadings, V, images, (i) => Rng.keyed(seed, STREAM.clean, r, hIndex, i, s));
        const blurred = new Float64Array(images * blurLevels * V);
        for (let l = 0; l < blurLevels; l++) {
          blurred.set(patterns(blurLoadings, V, images, (k) => Rng.keyed(seed, STREAM.blurred, r, hIndex, l, k, s)), l * images * V);
        }
        const noiseLoad = new Float64Array(NOISE_COMPONENTS * V);
        const nrng = Rng.keyed(seed, STREAM.noise, s, roi);
        for (let i = 0; i < noiseLoad.length; i++) noiseLoad[i] = nrng.normal();
        const runOffset = new Float64Array(runs * V);
        for (let i = 0; i < runOffset.length; i++) runOffset[i] = RUN_OFFSET_SD * nrng.normal();

        const planted = SYNTHETIC_FMRI_TRUTH.regions[region];
        const data = new Float64Array(samples * V);
        const eps = new Float64Array(V);
        const shared = new Float64Array(NOISE_COMPONENTS);
        const sharedScale = SHARED_NOISE_SD / Math.sqrt(NOISE_COMPONENTS);
        const innov = Math.sqrt(1 - AR_RHO * AR_RHO);
        presentations.forEach((p, pi) => {
          for (let t = 0; t < timeBins; t++) {
            const row = (pi * timeBins + t) * V;
            for (let c = 0; c < NOISE_COMPONENTS; c++) shared[c] = t === 0 ? nrng.normal() : AR_RHO * shared[c]! + innov * nrng.normal();
            const a = p.level === 1 ? 1 : cleanWeight(planted, effectScale, p.level, t, timeBins);
            const b = Math.sqrt(1 - a * a);
            const pOff = p.image * V;
            const qOff = ((p.level - 2) * images + p.image) * V;
            for (let v = 0; v < V; v++) {
              eps[v] = t === 0 ? nrng.normal() : AR_RHO * eps[v]! + innov * nrng.normal();
              let n = eps[v]!;
              for (let c = 0; c < NOISE_COMPONENTS; c++) n += sharedScale * shared[c]! * noiseLoad[c * V + v]!;
              const signal = p.level === 1 ? clean[pOff + v]! : a * clean[pOff + v]! + b * blurred[qOff + v]!;
              data[row + v] = baseline[v]! + runOffset[p.run * V + v]! + gain[v]! * (h[t]! * signal + noise * n);
            }
          }
        });
        blocks.push({ key, region, hemi, data, voxels: V, x });
      });
    });

    const totalVoxels = blocks.reduce((acc, b) => acc + b.voxels, 0);
    const voxelData = new Float64Array(samples * totalVoxels);
    let col = 0;
    for (const b of blocks) {
      for (let i = 0; i < samples; i++) voxelData.set(b.data.subarray(i * b.voxels, (i + 1) * b.voxels), i * totalVoxels + col);
      col += b.voxels;
    }
    const builder = new BDataBuilder(samples, name);
    builder.addColumns('VoxelData', voxelData, totalVoxels, 'Attribute: VoxelData = 1 (synthetic BOLD)');
    builder.addColumns('Run', presentations.flatMap((p) => Array<number>(timeBins).fill(p.run + 1)), 1, 'Run number');
    builder.addColumns('Label', presentations.flatMap((p) => Array<number>(timeBins).fill(p.image + 1)), 1, 'Image ID');
    builder.addColumns('Modification', presentations.flatMap((p) => Array<number>(timeBins).fill(p.level)), 1, 'Modification: 1 = original, 2.. = blurred (2 = least)');
    builder.addColumns('TimeBin', presentations.flatMap(() => Array.from({ length: timeBins }, (_, t) => t + 1)), 1, 'Time bin within the presentation (TR 2 s)');
    const mask = (pick: (b: (typeof blocks)[number]) => boolean) => blocks.flatMap((b) => Array<number>(b.voxels).fill(pick(b) ? 1 : 0));
    for (const b of blocks) builder.addMetadata(b.key, mask((o) => o === b), 'VoxelData', `1 = voxel in ${b.hemi === 'LH' ? 'left' : 'right'} ${b.region}`);
    for (const region of SYNTHETIC_FMRI_REGIONS) builder.addMetadata(`ROI_${region}`, mask((o) => o.region === region), 'VoxelData', `1 = voxel in ${region} (both hemispheres)`);
    builder.addMetadata('voxel_x', blocks.flatMap((b) => Array.from(b.x)), 'VoxelData', 'Voxel x coordinate (mm; negative = left)');
    builder.addVmap('Label', Object.fromEntries(Array.from({ length: images }, (_, i) => [String(i + 1), `image${String(i + 1).padStart(2, '0')}`])));
    builder.addVmap('Modification', Object.fromEntries(Array.from({ length: levels }, (_, l) => [String(l + 1), l === 0 ? 'original' : `blur level ${l}`])));
    subjects.push({ name, bdata: builder.build() });
    subjectTruths.push({ name, noise, effectScale, voxels: roiVoxels });
  }
  return { options: opts, subjects, truth: { ...SYNTHETIC_FMRI_TRUTH, subjects: subjectTruths } };
}

/** Result of {@link writeSyntheticFmri}. */
export interface WrittenSyntheticFmri {
  /** The BData files, one per subject (`<dir>/S01.h5`, ...). */
  files: string[];
  /** `<dir>/truth.json`: options and planted truth. */
  truthFile: string;
  dataset: SyntheticFmriDataset;
}

/** Generates the synthetic dataset and writes one BData file per subject plus `truth.json` into `dir`. */
export async function writeSyntheticFmri(dir: string, options: SyntheticFmriOptions, writeOptions: WriteBDataOptions = {}): Promise<WrittenSyntheticFmri> {
  const dataset = generateSyntheticFmri(options);
  const files: string[] = [];
  for (const { name, bdata } of dataset.subjects) {
    const file = path.join(dir, `${name}.h5`);
    await writeBData(file, bdata, writeOptions);
    files.push(file);
  }
  const truthFile = path.join(dir, 'truth.json');
  writeFileAtomic(truthFile, JSON.stringify({ options: dataset.options, truth: dataset.truth }, null, 1));
  return { files, truthFile, dataset };
}

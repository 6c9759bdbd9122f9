/**
 * The fMRI stage of the reproduction (Figure 8): analyse real BData files
 * when given a directory (or `REPRO_FMRI_DIR`), otherwise generate the
 * synthetic set with planted truth; save Figure 8A/B and the results JSON.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '../backend';
import { type Figure, type SavedFigure, saveFigure } from '../figures/figure';
import { fig8a, fig8b } from '../figures/fig8';
import { figuresDir, projectRoot, runDir, type Profile } from './profiles';
import { loadJsonChecked, saveJsonChecked, writeFileAtomic } from '../io/cache';
import { buildOnce } from '../io/lock';
import {
  analyzeFmriDirectory,
  analyzeFmriFiles,
  compareWithPlantedTruth,
  type FmriAnalysisOptions,
  type FmriResults,
  type TruthComparisonRow,
} from '../fmri/analysis';
import { type SyntheticFmriDataset, type SyntheticFmriOptions, writeSyntheticFmri } from '../fmri/synthetic';

/** Size of the synthetic set per profile: smaller in smoke (tests, CI). */
export function syntheticFmriOptions(profile: Profile, seed = profile.seed): SyntheticFmriOptions {
  return profile.name === 'smoke' ? { seed, voxels: 60, blurLevels: 1 } : { seed, voxels: 250, blurLevels: 3 };
}

/** Options of {@link runFmriStage}. */
export interface FmriStageOptions {
  /** Directory of real BData files, one per subject (default `REPRO_FMRI_DIR`; unset = synthetic data). */
  dataDir?: string;
  /** Where the synthetic files go (default `data/runs/<profile>/fmri-synthetic`). */
  syntheticDir?: string;
  /** Seed of the synthetic data (default the profile's seed). */
  seed?: number;
  /** Where Figure 8 goes (default `figures/<profile>`). */
  figuresDir?: string;
  /** Results JSON (default `data/runs/<profile>/results/fmri.json`). */
  resultsFile?: string;
  /** Analysis options (keys, levels, regions, alpha). */
  analysis?: FmriAnalysisOptions;
  /** Progress messages (default: stderr). */
  log?: (message: string) => void;
}

/** What {@link runFmriStage} produced. */
export interface FmriStageResult {
  /** Which data were analysed. */
  kind: 'real' | 'synthetic';
  /** Directory of the BData files analysed. */
  dataDir: string;
  results: FmriResults;
  figures: { a: Figure; b: Figure };
  saved: SavedFigure[];
  resultsFile: string;
  /** Planted truth (synthetic data only). */
  truth: SyntheticFmriDataset['truth'] | null;
  /** Per-region comparison with the planted truth (synthetic data only). */
  truthComparison: TruthComparisonRow[] | null;
}

interface StoredTruth {
  options: SyntheticFmriDataset['options'];
  truth: SyntheticFmriDataset['truth'];
  /** SHA-256 of each BData file as written. */
  sha256: Record<string, string>;
}

function sha256Of(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** The first file that is missing or differs from its recorded checksum, or null. */
function changedFile(dir: string, stored: StoredTruth): string | null {
  for (const s of stored.truth.subjects) {
    const file = path.join(dir, `${s.name}.h5`);
    if (!fs.existsSync(file) || sha256Of(file) !== stored.sha256[s.name]) return file;
  }
  return null;
}

/**
 * Writes the synthetic set into `dir`, or reuses it when `dir/checksums.json`
 * (checked JSON bound to the options) records the same options and every file
 * still has its recorded SHA-256. A changed, truncated or missing file is
 * reported and the set regenerated (it is deterministic in its options).
 */
async function ensureSynthetic(dir: string, options: SyntheticFmriOptions, log: (m: string) => void): Promise<{ files: string[]; stored: StoredTruth }> {
  const stampFile = path.join(dir, 'checksums.json');
  const binding = { kind: 'fmri-synthetic', key: options };
  const load = (): { files: string[]; stored: StoredTruth } | null => {
    const stored = loadJsonChecked<StoredTruth>(stampFile, binding);
    if (!stored) return null;
    const changed = changedFile(dir, stored);
    if (changed) {
      log(`[fmri] ${changed}: ${fs.existsSync(changed) ? 'does not match its checksum' : 'is missing'} (${stampFile}); regenerating the synthetic set`);
      return null;
    }
    log(`[fmri] reusing synthetic data in ${shownPath(dir)} (checksums verified)`);
    return { files: stored.truth.subjects.map((s) => path.join(dir, `${s.name}.h5`)), stored };
  };
  return buildOnce(stampFile, load, async () => {
    log(`[fmri] writing synthetic data (seed ${options.seed}) to ${shownPath(dir)}`);
    const written = await writeSyntheticFmri(dir, options, { dtype: 'float32' });
    const sha256 = Object.fromEntries(written.dataset.subjects.map((s, i) => [s.name, sha256Of(written.files[i]!)]));
    const stored: StoredTruth = { options: written.dataset.options, truth: written.dataset.truth, sha256 };
    saveJsonChecked(stampFile, stored, binding);
    return { files: written.files, stored };
  });
}

/**
 * Runs the Figure 8 analysis for `profile`: real data from
 * `options.dataDir` / `REPRO_FMRI_DIR` when set, else the synthetic set
 * (written to, or reused from, `data/runs/<profile>/fmri-synthetic`). Saves
 * `fig8a-fmri-denoising` and `fig8b-fmri-dimensionality` into the figures
 * directory and the results into `data/runs/<profile>/results/fmri.json`.
 */
export async function runFmriStage(profile: Profile, options: FmriStageOptions = {}): Promise<FmriStageResult> {
  const log = options.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const dataDir = options.dataDir ?? (process.env.REPRO_FMRI_DIR || undefined);
  const figDir = options.figuresDir ?? figuresDir(profile);
  const resultsFile = options.resultsFile ?? path.join(runDir(profile), 'results', 'fmri.json');
  const analysis = options.analysis ?? {};
  // The participation ratio forms its Gram matrices on the tensor backend.
  await initBackend();

  let kind: FmriStageResult['kind'];
  let dir: string;
  let results: FmriResults;
  let truth: FmriStageResult['truth'] = null;
  if (dataDir) {
    kind = 'real';
    dir = dataDir;
    log(`[fmri] analysing BData files in ${dir}`);
    results = await analyzeFmriDirectory(dir, analysis);
  } else {
    kind = 'synthetic';
    dir = options.syntheticDir ?? path.join(runDir(profile), 'fmri-synthetic');
    const synth = syntheticFmriOptions(profile, options.seed);
    const { files, stored } = await ensureSynthetic(dir, synth, log);
    truth = stored.truth;
    results = await analyzeFmriFiles(files, analysis, `synthetic (seed ${synth.seed}), ${shownPath(dir)}`);
  }
  for (const w of results.warnings) log(`[fmri] warning: ${w}`);
  const truthComparison = truth ? compareWithPlantedTruth(results.results, truth) : null;
  const dataLabel = kind === 'synthetic' ? `SYNTHETIC data, seed ${options.seed ?? profile.seed}` : `data: ${path.basename(path.resolve(dir))}`;
  const figures = {
    a: await fig8a(results.results, { dataLabel, alpha: results.alpha }),
    b: await fig8b(results.results, { dataLabel }),
  };
  const saved = [saveFigure(figures.a, figDir), saveFigure(figures.b, figDir)];
  writeFileAtomic(resultsFile, JSON.stringify({ kind, dataDir: shownPath(dir), ...results, truthComparison }, null, 1));
  log(`[fmri] ${results.results.length} subject x region x hemisphere results -> ${shownPath(resultsFile)}; figures -> ${shownPath(figDir)}`);
  return { kind, dataDir: shownPath(dir), results, figures, saved, resultsFile, truth, truthComparison };
}

/** A path as results, logs and notebooks show it: relative to the project when inside it (no machine's paths in committed results), else absolute. */
function shownPath(dir: string): string {
  const relative = path.relative(projectRoot(), path.resolve(dir));
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : path.resolve(dir);
}

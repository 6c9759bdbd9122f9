/**
 * `repro fmri`: the Figure 8 analysis from the command line.
 *
 *   repro fmri --data DIR [--out FILE] [--figures DIR] [--regions V1,V2,...]
 *              [--blur-level N] [--alpha A]
 *   repro fmri --synthetic DIR [--seed N] [--profile smoke|quick|paper]
 */
import * as path from 'node:path';
import { initBackend } from '../backend';
import { saveFigure } from '../figures/figure';
import { fig8a, fig8b } from '../figures/fig8';
import { ArgumentError, parseNumber } from '../check';
import { getProfile, profileFromEnv } from '../stages/profiles';
import { assertWritableDir, writeFileAtomic } from '../io/cache';
import { analyzeFmriDirectory, type FmriAnalysisOptions } from '../fmri/analysis';
import { syntheticFmriOptions } from '../stages/fmri';
import { writeSyntheticFmri } from '../fmri/synthetic';

const USAGE = `usage:
  repro fmri --data DIR [--out FILE] [--figures DIR] [--regions V1,V2,...] [--blur-level N] [--alpha A]
      Analyse every BData file (*.h5, one per subject) in DIR (Methods 4.4, Figure 8) and write
      JSON (to FILE, else stdout) with, per subject x region x hemisphere: voxels, mean and median
      de-noising over image pairs, its p-value (two-sided one-sample t-test), and the dimensionality
      of the first and last time bin. --figures DIR also saves Figure 8A/B there.
      Samples with a non-finite label, modification or time bin, and non-finite or constant voxels,
      are dropped and named on stderr (and under "warnings"); files without ROI masks are refused.
      --alpha is the significance level, in (0, 1) (default .01).
  repro fmri --synthetic DIR [--seed N] [--profile smoke|quick|paper]
      Write the synthetic dataset with planted truth (one BData file per subject, float32 values,
      plus truth.json) to DIR; --profile (default REPRO_PROFILE, else quick) sets its size
      (smoke: 60 voxels per region, quick: 250).`;

const FLAGS = ['data', 'out', 'figures', 'regions', 'blur-level', 'alpha', 'synthetic', 'seed', 'profile'] as const;
type Flag = (typeof FLAGS)[number];

function parseArgs(argv: string[]): Partial<Record<Flag, string>> {
  const out: Partial<Record<Flag, string>> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--([\w-]+)(?:=(.*))?$/.exec(arg);
    if (!m || !(FLAGS as readonly string[]).includes(m[1]!)) throw new ArgumentError(`repro fmri: unknown argument '${arg}' (see repro fmri --help)`);
    const value = m[2] ?? argv[++i];
    if (value === undefined || value.startsWith('--')) throw new ArgumentError(`repro fmri: --${m[1]} needs a value (see repro fmri --help)`);
    out[m[1] as Flag] = value;
  }
  return out;
}


/**
 * Runs `repro fmri` with the arguments after the subcommand (a leading
 * `fmri` is skipped). Throws with the usage on bad arguments.
 */
export async function runFmriCommand(argv: string[]): Promise<void> {
  const args = argv[0] === 'fmri' ? argv.slice(1) : argv;
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const opts = parseArgs(args);
  if (opts.synthetic !== undefined) {
    if (opts.data !== undefined) throw new ArgumentError('repro fmri: give --data or --synthetic, not both (see repro fmri --help)');
    const profile = opts.profile !== undefined ? getProfile(opts.profile) : profileFromEnv();
    const seed = opts.seed !== undefined ? parseNumber(opts.seed, 'repro fmri: --seed', { integer: true }) : profile.seed;
    assertWritableDir(opts.synthetic);
    const written = await writeSyntheticFmri(opts.synthetic, syntheticFmriOptions(profile, seed), { dtype: 'float32' });
    process.stderr.write(`[fmri] wrote ${written.files.length} synthetic BData files and ${path.basename(written.truthFile)} to ${opts.synthetic}\n`);
    return;
  }
  if (opts.data === undefined) throw new ArgumentError('repro fmri: --data DIR or --synthetic DIR is required (see repro fmri --help)');
  const analysis: FmriAnalysisOptions = {};
  if (opts.regions !== undefined) analysis.regions = opts.regions.split(',').map((r) => r.trim()).filter(Boolean);
  if (opts['blur-level'] !== undefined) analysis.blurLevel = parseNumber(opts['blur-level'], 'repro fmri: --blur-level', { integer: true });
  if (opts.alpha !== undefined) analysis.alpha = parseNumber(opts.alpha, 'repro fmri: --alpha', { min: 0, max: 1, minOpen: true, maxOpen: true });
  if (opts.out !== undefined) assertWritableDir(path.dirname(path.resolve(opts.out)));
  if (opts.figures !== undefined) assertWritableDir(opts.figures);
  // The participation ratio forms its Gram matrices on the tensor backend (the choice is not printed: the output is the results).
  await initBackend({ log: false });
  const results = await analyzeFmriDirectory(opts.data, analysis);
  for (const w of results.warnings) process.stderr.write(`[fmri] warning: ${w}\n`);
  const json = JSON.stringify(results, null, 1);
  if (opts.out !== undefined) {
    writeFileAtomic(opts.out, json);
    process.stderr.write(`[fmri] ${results.results.length} results -> ${opts.out}\n`);
  } else {
    process.stdout.write(`${json}\n`);
  }
  if (opts.figures !== undefined) {
    const dataLabel = `data: ${path.basename(path.resolve(opts.data))}`;
    saveFigure(await fig8a(results.results, { dataLabel, alpha: results.alpha }), opts.figures);
    saveFigure(await fig8b(results.results, { dataLabel }), opts.figures);
    process.stderr.write(`[fmri] Figure 8A/B -> ${opts.figures}\n`);
  }
}

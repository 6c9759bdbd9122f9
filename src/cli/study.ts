/**
 * `repro study`: the studies beside the reproduction, on one core of a profile.
 *
 *   repro study fbpc-variants [--profile P] [--core K] [--workers N]
 *   repro study training-length [--profile P] [--core K] [--factors 1,4,16] [--workers N]
 *
 * Each runs its jobs (cached like the reproduction's, in parallel workers),
 * prints its table, and writes `figures/studies/<profile>/<study>.{json,md,png}`.
 */
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { ArgumentError, parseNumber } from '../check';
import { assertWritableDir } from '../io/cache';
import { fbpcVariantSummary, trainingLengthSummary } from '../recurrence/studies';
import { getProfile, profileFromEnv, runDir } from '../stages/profiles';
import {
  DEFAULT_LENGTH_FACTORS, ensureFbpcVariantStudy, ensureTrainingLengthStudy, studiesDir, writeFbpcVariantStudy, writeTrainingLengthStudy, WrittenStudy,
} from '../stages/studies';

export const STUDY_USAGE = `repro study fbpc-variants [--profile P] [--core K] [--workers N]
  repro study training-length [--profile P] [--core K] [--factors ${DEFAULT_LENGTH_FACTORS.join(',')}] [--workers N]
      On one core (default 0) of the profile (default REPRO_PROFILE, else quick): the FB-PC variants, each one
      change from the default reading, or FB-TT, LR-TT and the FB-PC decoder trained at each factor times the
      profile's batches; level-5 gains per noise type. Writes figures/studies/<profile>/<study>.{json,md,png}.`;

const STUDIES = ['fbpc-variants', 'training-length'] as const;

/** Runs `repro study ARGS`; bad flags are {@link ArgumentError}s (exit code 2). */
export async function runStudyCommand(args: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args, allowPositionals: true, strict: true,
      options: { profile: { type: 'string' }, core: { type: 'string' }, workers: { type: 'string' }, factors: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
    });
  } catch (err) {
    throw new ArgumentError(`repro study: ${(err as Error).message.split('\n')[0]} (see repro study --help)`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`usage:\n  ${STUDY_USAGE}\n`);
    return;
  }
  const [study, ...extra] = positionals;
  if (!study || !(STUDIES as readonly string[]).includes(study) || extra.length) {
    throw new ArgumentError(`repro study: expected one study, ${STUDIES.join(' or ')}; got ${positionals.length ? positionals.map((p) => `'${p}'`).join(' ') : 'none'} (see repro study --help)`);
  }
  const profile = values.profile !== undefined ? getProfile(values.profile) : profileFromEnv();
  const core = values.core !== undefined ? parseNumber(values.core, 'repro study: --core', { integer: true, min: 0, max: profile.cores - 1 }) : 0;
  const workers = values.workers !== undefined ? parseNumber(values.workers, 'repro study: --workers', { integer: true, min: 1 }) : undefined;
  if (values.factors !== undefined && study !== 'training-length') throw new ArgumentError('repro study: --factors is an option of training-length only');
  const factors = values.factors?.split(',').map((f, i) => parseNumber(f, `repro study: --factors item ${i + 1}`, { integer: true, min: 1 }));
  if (factors && new Set(factors).size !== factors.length) throw new ArgumentError(`repro study: --factors ${values.factors} repeats a factor`);
  assertWritableDir(runDir(profile));
  assertWritableDir(studiesDir(profile));
  let written: WrittenStudy;
  let summary: string;
  if (study === 'fbpc-variants') {
    const result = await ensureFbpcVariantStudy(profile, { core, workers });
    written = await writeFbpcVariantStudy(result);
    summary = fbpcVariantSummary(result);
  } else {
    const result = await ensureTrainingLengthStudy(profile, { core, workers, factors });
    written = await writeTrainingLengthStudy(result);
    summary = trainingLengthSummary(result);
  }
  process.stdout.write(`${fs.readFileSync(written.markdown, 'utf8')}\n${summary}\n`);
  process.stdout.write(`wrote ${written.json}, ${written.markdown} and ${written.png}\n`);
}

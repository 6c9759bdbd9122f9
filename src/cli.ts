#!/usr/bin/env node
/**
 * The `repro` command line:
 *
 *   repro reproduce [--profile quick | --profile-file FILE] [--workers N] [--print-jobs [--format shell|parallel|slurm]]
 *   repro bench [--json] [--batch 64] [--seconds 8]
 *   repro notebooks [--profile smoke] [--only 01] [--browser] [--in-place]
 *   repro fmri --data DIR [--out FILE]
 *   repro analyze SUBCOMMAND ...
 *   repro study fbpc-variants|training-length [--profile P] [--core K] ...
 *   repro job --kind K --params JSON [--out FILE]     (one job; what workers run)
 *
 * Input is checked at this edge before any work: flags and numbers, the
 * environment variables, and that the outputs can be written. A bad value or
 * input file is one line on stderr and exit code 2; a failure during the
 * work, exit code 1.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { runBench } from './bench/bench';
import { ArgumentError, parseNumber } from './check';
import { runAnalyzeCommand } from './cli/analyze';
import { checkEnvironment, ENVIRONMENT } from './cli/env';
import { runFmriCommand } from './cli/fmri';
import { runNotebooks } from './cli/notebooks';
import { runStudyCommand, STUDY_USAGE } from './cli/study';
import { assertWritableDir, writeFileAtomic } from './io/cache';
import { Claim, claimsMarkdown } from './recurrence/claims';
import { InputError } from './io/errors';
import { exitWithParent, runJobInProcess, sendResultToParent, writeJobResult } from './stages/jobs';
import { checkedProfile, figuresDir, getProfile, type Profile, profileFromEnv, projectRoot, runDir } from './stages/profiles';
import { calibrationErrors, reproductionPhases, reproduce, readManifestCost, stageReport } from './stages/reproduce';
import { JOB_LIST_FORMATS, type JobListFormat, jobList } from './stages/schedulers';

const USAGES: Record<string, string> = {
  reproduce: `repro reproduce [--profile smoke|quick|paper | --profile-file FILE] [--workers N] [--print-jobs [--format F]]
      Run every stage of the profile (default REPRO_PROFILE, else quick) with up to N worker
      processes (default: one per CPU). --profile-file runs the profile in a JSON file instead (a
      copy of a profile, edited; results go under data/runs/<its name>). --print-jobs prints the
      jobs in phases instead of running them, as --format shell (one command per line, the
      default), parallel (a bash script of one GNU parallel invocation per phase) or slurm (a
      bash script submitting one job array per phase, each after the one before, then reproduce).`,
  report: `repro report [--profile quick] [--manifest FILE]
      The run's cost from its manifest: per stage, jobs, this run's wall time, the compute time its
      results cost when computed (kept across cached re-runs), and the share of the total.
      --manifest reads another manifest, e.g. data/results/quick/manifest-idle-run.json (the quick
      run timed from a fresh clone on an idle machine).`,
  claims: `repro claims [--profile quick] [--readme]
      The run's claims table (paper's value, ours, the test, the verdict) as Markdown; --readme
      refreshes the claims block of README.md from it.`,
  bench: `repro bench [--json] [--batch 64] [--seconds 8]
      Training and inference throughput of the core, and PyTorch's when installed; the participation
      ratio's time beside numpy's; the recurrence evaluation's image-steps/s.`,
  notebooks: `repro notebooks [--profile smoke|quick|paper] [--only PREFIX] [--browser] [--in-place]
      Execute the notebooks headless (default profile REPRO_PROFILE, else smoke) into a temporary
      copy; --in-place writes the executed notebooks over the originals (how the committed ones
      are made, on quick); --browser then opens each executed notebook in classic Jupyter
      Notebook in headless Chromium and checks that its figures render.`,
  fmri: `repro fmri --data DIR [--out FILE] [--figures DIR] [--regions V1,...] [--blur-level N] [--alpha A]
  repro fmri --synthetic DIR [--seed N] [--profile smoke|quick|paper]      (repro fmri --help)`,
  analyze: `repro analyze participation-ratio|cross-dimensionality|denoising|alignment|predictivity ...   (repro analyze --help)`,
  study: STUDY_USAGE,
  job: `repro job --kind KIND --params JSON [--out FILE]
      Run one job (what workers and cluster schedulers run); prints or writes its JSON result.`,
};

function usage(): string {
  const env = Object.entries(ENVIRONMENT).map(([k, v]) => `  ${k.padEnd(16)} ${v}`).join('\n');
  return `usage:\n${Object.values(USAGES).map((u) => `  ${u}`).join('\n')}\n\nenvironment:\n${env}`;
}

/** Node's parseArgs with `--help`, its errors as one line naming the command. */
function parseFlags<O extends NonNullable<ParseArgsConfig['options']>>(command: string, args: string[], options: O) {
  try {
    return parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h', default: false } }, strict: true, allowPositionals: false });
  } catch (err) {
    throw new ArgumentError(`repro ${command}: ${(err as Error).message.split('\n')[0]} (see repro ${command} --help)`);
  }
}

/** A profile from a JSON file (`--profile-file`), checked like a job's. */
function readProfileFile(file: string): Profile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ArgumentError(`repro reproduce: --profile-file ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ArgumentError(`repro reproduce: --profile-file ${file}: not JSON (${(err as Error).message})`);
  }
  return checkedProfile(value, `repro reproduce: --profile-file ${file}: `);
}

function printHelp(command: string): void {
  process.stdout.write(`usage:\n  ${USAGES[command]}\n`);
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    if (command === undefined) {
      process.stderr.write(`${usage()}\n`);
      process.exitCode = 2;
    } else process.stdout.write(`${usage()}\n`);
    return;
  }
  if (!(command in USAGES)) throw new ArgumentError(`unknown command '${command}'; commands: ${Object.keys(USAGES).join(', ')} (see repro --help)`);
  // Help never depends on the environment; everything else checks it first.
  if (!rest.includes('--help') && !rest.includes('-h')) checkEnvironment();
  switch (command) {
    case 'reproduce': {
      const { values } = parseFlags(command, rest, {
        profile: { type: 'string' }, 'profile-file': { type: 'string' }, workers: { type: 'string' }, 'print-jobs': { type: 'boolean', default: false }, format: { type: 'string' },
      });
      if (values.help) return printHelp(command);
      if (values.profile !== undefined && values['profile-file'] !== undefined) throw new ArgumentError('repro reproduce: give --profile or --profile-file, not both');
      const profileFile = values['profile-file'] !== undefined ? path.resolve(values['profile-file']) : undefined;
      const profile = profileFile !== undefined ? readProfileFile(profileFile) : values.profile !== undefined ? getProfile(values.profile) : profileFromEnv();
      const workers = values.workers !== undefined ? parseNumber(values.workers, 'repro reproduce: --workers', { integer: true, min: 1 }) : undefined;
      if (values.format !== undefined && !values['print-jobs']) throw new ArgumentError('repro reproduce: --format applies to --print-jobs only');
      if (values['print-jobs']) {
        const format = values.format ?? 'shell';
        if (!(JOB_LIST_FORMATS as readonly string[]).includes(format)) throw new ArgumentError(`repro reproduce: --format ${format}: expected one of ${JOB_LIST_FORMATS.join(', ')}`);
        const reproduceArgs = ['reproduce', ...(profileFile !== undefined ? ['--profile-file', profileFile] : ['--profile', profile.name])];
        process.stdout.write(`${jobList(reproductionPhases(profile), format as JobListFormat, { name: profile.name, reproduceArgs })}\n`);
        return;
      }
      assertWritableDir(runDir(profile));
      assertWritableDir(figuresDir(profile));
      const manifest = await reproduce(profile, { workers });
      const cores = JSON.parse(fs.readFileSync(path.join(projectRoot(), manifest.results[0]!), 'utf8')) as { index: number; testAccuracy: number; info: { imagesPerSec: number } }[];
      for (const c of cores) process.stdout.write(`core ${c.index}: clean test accuracy ${(100 * c.testAccuracy).toFixed(2)}%, trained at ${c.info.imagesPerSec.toFixed(0)} images/s\n`);
      const cal = JSON.parse(fs.readFileSync(path.join(projectRoot(), manifest.results[1]!), 'utf8')) as Parameters<typeof calibrationErrors>[0];
      const worst = calibrationErrors(cal).reduce((a, b) => (Math.abs(b.error) > Math.abs(a.error) ? b : a));
      process.stdout.write(`calibration: largest miss ${(100 * worst.error).toFixed(1)} points (${worst.type} level ${worst.level})\n`);
      const made = new Map<string, number>();
      for (const a of manifest.artefacts) made.set(a.backend, (made.get(a.backend) ?? 0) + 1);
      if ([...made.keys()].some((b) => b !== manifest.backend.choice)) {
        process.stdout.write(`backends: this run ${manifest.backend.choice}; its ${manifest.artefacts.length} cache files were made on ${[...made].map(([b, n]) => `${b} (${n})`).join(', ')} (see manifest.json "artefacts")\n`);
      }
      process.stdout.write(`data: MNIST ${manifest.data.id} from ${manifest.data.dir}\n`);
      process.stdout.write(`${stageReport(manifest)}\n`);
      process.stdout.write(`wrote ${path.join('data', 'runs', profile.name, 'manifest.json')} and ${manifest.figures.length} figures in figures/${profile.name}/\n`);
      return;
    }
    case 'bench': {
      const { values } = parseFlags(command, rest, { json: { type: 'boolean', default: false }, batch: { type: 'string', default: '64' }, seconds: { type: 'string', default: '8' } });
      if (values.help) return printHelp(command);
      const batchSize = parseNumber(values.batch, 'repro bench: --batch', { integer: true, min: 1 });
      const seconds = parseNumber(values.seconds, 'repro bench: --seconds', { min: 0, minOpen: true });
      const result = await runBench({ batchSize, seconds });
      if (!values.json) {
        process.stdout.write(`backend ${result.backend}: train ${result.coreTrainImagesPerSec} images/s, inference ${result.coreInferImagesPerSec} images/s (batch ${result.batchSize}, ${result.threads} thread)\n`);
        if (result.torchTrainImagesPerSec) {
          process.stdout.write(`PyTorch ${result.torchVersion} CPU (${result.torchThreads} thread): train ${result.torchTrainImagesPerSec} images/s, inference ${result.torchInferImagesPerSec} images/s\n`);
          process.stdout.write(`ratio ours/torch: train ${result.trainRatioVsTorch}, inference ${result.inferRatioVsTorch}\n`);
        } else {
          process.stdout.write(`PyTorch peer not measured: ${result.torchError}\n`);
        }
        const numpy = result.numpyPrSecondsPer2000x25088 ? `, numpy ${result.numpyVersion} ${result.numpyPrSecondsPer2000x25088} s (ratio ${result.prRatioVsNumpy})` : ` (numpy peer not measured: ${result.numpyError})`;
        process.stdout.write(`participation ratio of 2000 x 25088: ours ${result.prSecondsPer2000x25088} s${numpy}\n`);
        process.stdout.write(`recurrence evaluation: ${result.evalImageStepsPerSec} image-steps/s (${result.evalNetworks} networks of a core, ${result.evalImageStepsPerImage} image-steps per image), ${result.evalRatioVsInference} x the core's inference images/s\n`);
        const torchGemm = result.torchGemmGmacPerSec ? `; PyTorch ${result.torchGemmGmacPerSec} (ratio ${result.gemmRatioVsTorch})` : '';
        process.stdout.write(`ceiling: 1024³ matMul ${result.gemmGmacPerSec} GMAC/s${torchGemm}\n`);
        for (const k of result.kernels) process.stdout.write(`  ${k.name}: ${k.gmacPerSec} GMAC/s, ${k.fractionOfGemm} of the matMul's\n`);
      }
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return;
    }
    case 'notebooks': {
      const { values } = parseFlags(command, rest, { profile: { type: 'string' }, only: { type: 'string' }, browser: { type: 'boolean', default: false }, 'in-place': { type: 'boolean', default: false } });
      if (values.help) return printHelp(command);
      const profile = values.profile !== undefined ? getProfile(values.profile) : profileFromEnv('smoke');
      await runNotebooks(profile.name, { only: values.only, browser: values.browser, inPlace: values['in-place'] });
      return;
    }
    case 'fmri':
      await runFmriCommand(rest);
      return;
    case 'report': {
      const { values } = parseFlags(command, rest, { profile: { type: 'string', default: 'quick' }, manifest: { type: 'string' } });
      if (values.help) return printHelp(command);
      const profile = getProfile(values.profile);
      const file = values.manifest ?? path.join(runDir(profile), 'manifest.json');
      if (!fs.existsSync(file)) throw new ArgumentError(values.manifest ? `repro report: --manifest ${file}: no such file` : `${file}: no manifest yet; run \`repro reproduce --profile ${profile.name}\` first`);
      process.stdout.write(`${stageReport(readManifestCost(file))}\n`);
      return;
    }
    case 'claims': {
      const { values } = parseArgs({ args: rest, options: { profile: { type: 'string', default: 'quick' }, readme: { type: 'boolean', default: false } } });
      const profile = getProfile(values.profile);
      const file = path.join(runDir(profile), 'results', 'claims.json');
      if (!fs.existsSync(file)) throw new Error(`${file}: no claims yet; run \`repro reproduce --profile ${profile.name}\` first`);
      const table = claimsMarkdown((JSON.parse(fs.readFileSync(file, 'utf8')) as { claims: Claim[] }).claims);
      if (!values.readme) {
        process.stdout.write(`${table}\n`);
        return;
      }
      const readme = path.join(projectRoot(), 'README.md');
      const text = fs.readFileSync(readme, 'utf8');
      const [begin, end] = ['<!-- claims:begin -->', '<!-- claims:end -->'];
      const i = text.indexOf(begin);
      const j = text.indexOf(end);
      if (i < 0 || j < i) throw new Error(`${readme}: no '${begin}' … '${end}' block to fill`);
      writeFileAtomic(readme, `${text.slice(0, i + begin.length)}\n${table}\n${text.slice(j)}`);
      process.stdout.write(`updated the claims block of ${readme} from ${file}\n`);
      return;
    }
    case 'analyze':
      await runAnalyzeCommand(rest);
      return;
    case 'study':
      await runStudyCommand(rest);
      return;
    case 'job': {
      const { values } = parseFlags(command, rest, { kind: { type: 'string' }, params: { type: 'string', default: '{}' }, out: { type: 'string' } });
      if (values.help) return printHelp(command);
      if (!values.kind) throw new ArgumentError('repro job: --kind is required (see repro job --help)');
      let params: unknown;
      try {
        params = JSON.parse(values.params);
      } catch (err) {
        throw new ArgumentError(`repro job: --params is not JSON (${(err as Error).message})`);
      }
      if (!params || typeof params !== 'object' || Array.isArray(params)) throw new ArgumentError(`repro job: --params must be a JSON object, got ${values.params}`);
      if (values.out) assertWritableDir(path.dirname(path.resolve(values.out)));
      // Started by a parent run (IPC channel): end with it, and send the result back.
      if (process.send) exitWithParent();
      const result = await runJobInProcess({ id: values.kind, kind: values.kind, params: params as Record<string, unknown> });
      if (process.send) await sendResultToParent(result);
      else if (values.out) writeJobResult(values.out, result);
      else process.stdout.write(`${JSON.stringify(result)}\n`);
      return;
    }
  }
}

// A closed pipe (`repro reproduce --print-jobs | head -1`) ends the command quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`repro: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(err instanceof ArgumentError || err instanceof InputError ? 2 : 1);
});

/**
 * The phases of a run as input for a scheduler (`repro reproduce
 * --print-jobs --format shell|parallel|slurm`), all three made from the one
 * phase list `reproduce` runs:
 *
 * - `shell`: a comment line per phase, then its jobs, one command per line;
 * - `parallel`: a bash script with one GNU parallel invocation per phase, the
 *   phase's commands on its standard input; phases in order, a phase's jobs in
 *   parallel; a failed job stops the script after its phase;
 * - `slurm`: a bash script that submits one job array per phase (task i runs
 *   job i of the phase), each depending on the one before with
 *   `--dependency=afterok`, then one job running `reproduce`, which loads
 *   every result from the cache and draws the figures.
 *
 * Every job is `repro job --kind K --params JSON` with the whole profile in
 * its parameters, so a job runs the same wherever it is started, and a job
 * whose result is already cached only loads it.
 */
import { cliCommand, type Job, jobCommand, type Phase, phaseCommands } from './jobs';

export const JOB_LIST_FORMATS = ['shell', 'parallel', 'slurm'] as const;
export type JobListFormat = (typeof JOB_LIST_FORMATS)[number];

/** Options of {@link jobList}. */
export interface JobListOptions {
  /** The run's name in comments and Slurm job names (the profile's name). */
  name: string;
  /** Arguments of the `repro` command that, after the phases, loads every result and draws the figures (`reproduce --profile P`). */
  reproduceArgs: readonly string[];
}

/** Delimiter of the here-documents; no job command contains it as a whole line. */
const END = 'REPRO_JOBS';

/** A job's command in a script: its JSON result goes to the cache, not the terminal (progress is on stderr). */
const scriptCommand = (job: Job) => `${jobCommand(job)} >/dev/null`;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The phases that have jobs, with their 1-based number among all phases. */
function numbered(phases: readonly Phase[]): { phase: Phase; number: number }[] {
  return phases.map((phase, i) => ({ phase, number: i + 1 })).filter(({ phase }) => phase.jobs.length > 0);
}

function summary(phases: readonly Phase[], name: string): string {
  return `profile ${name}: ${plural(phases.reduce((n, p) => n + p.jobs.length, 0), 'job')} in ${plural(phases.length, 'phase')}`;
}

function parallelScript(phases: readonly Phase[], options: JobListOptions): string {
  const then = cliCommand(options.reproduceArgs);
  const lines = [
    '#!/usr/bin/env bash',
    `# The ${summary(phases, options.name)}, one GNU parallel invocation per phase.`,
    '# A phase runs its jobs (one command per line) in parallel, by default one per CPU thread',
    "# (PARALLEL='-j 4' in the environment sets another number); the next phase starts when every",
    '# job of this one succeeded. A failed job stops the script at the end of its phase with',
    "# parallel's exit status; run the script again and the jobs already done load their results.",
    'set -euo pipefail',
    "parallel --version 2>/dev/null | grep -q 'GNU parallel' || { echo 'GNU parallel is not installed (Debian: apt-get install parallel)' >&2; exit 127; }",
  ];
  for (const { phase, number } of numbered(phases)) {
    const title = `phase ${number} of ${phases.length}: ${phase.name} (${plural(phase.jobs.length, 'job')})`;
    lines.push('', `# ${title}`, `echo "${escapeDouble(`[repro] ${title}`)}" >&2`, `parallel --line-buffer <<'${END}'`, ...phase.jobs.map(scriptCommand), END);
  }
  lines.push('', `echo "${escapeDouble(`[repro] every phase done; now: ${then}`)}" >&2`, `# then: ${then} (loads every result from the cache and draws the figures)`);
  return lines.join('\n');
}

function slurmScript(phases: readonly Phase[], options: JobListOptions): string {
  const name = `repro-${options.name}`;
  const lines = [
    '#!/usr/bin/env bash',
    `# The ${summary(phases, options.name)}, as Slurm job arrays: run this script where sbatch works,`,
    '# with this checkout (and MNIST_DIR, REPRO_ROOT if set) on a file system the compute nodes share.',
    '# Each phase is one job array whose task i runs job i of the phase; it starts when every task of',
    '# the phase before succeeded (--dependency=afterok). A last job runs `reproduce`, which loads every',
    '# result from the cache and draws the figures. A task is one process of one thread; partition,',
    "# time limit, memory and account come from sbatch's environment (SBATCH_PARTITION, SBATCH_TIMELIMIT,",
    '# SBATCH_MEM_PER_CPU, SBATCH_ACCOUNT) or from #SBATCH lines added below. Resubmitting after a failure',
    '# is safe: the jobs already done load their results from the cache.',
    'set -euo pipefail',
    'after=""',
    '# Submits the batch script read from standard input after the last job submitted; its id becomes the last.',
    'submit() {',
    '  local id',
    '  id=$(sbatch --parsable ${after:+--dependency=afterok:$after})',
    '  after=${id%%;*}',
    '}',
  ];
  for (const { phase, number } of numbered(phases)) {
    const title = `phase ${number} of ${phases.length}: ${phase.name} (${plural(phase.jobs.length, 'job')})`;
    lines.push(
      '',
      `# ${title}`,
      `submit <<'${END}'`,
      '#!/usr/bin/env bash',
      `#SBATCH --job-name=${name}-${number}`,
      `#SBATCH --array=0-${phase.jobs.length - 1}`,
      '#SBATCH --cpus-per-task=1',
      `#SBATCH --output=${name}-${number}-%A_%a.out`,
      'set -euo pipefail',
      'case "$SLURM_ARRAY_TASK_ID" in',
      ...phase.jobs.map((job, i) => `${i}) ${scriptCommand(job)} ;;`),
      `*) echo "phase ${number} has no job $SLURM_ARRAY_TASK_ID" >&2; exit 2 ;;`,
      'esac',
      END,
      `echo "${escapeDouble(`[repro] ${title}: job array`)} $after" >&2`,
    );
  }
  lines.push(
    '',
    '# then: load every result from the cache and draw the figures',
    `submit <<'${END}'`,
    '#!/usr/bin/env bash',
    `#SBATCH --job-name=${name}-reproduce`,
    '#SBATCH --cpus-per-task=1',
    `#SBATCH --output=${name}-reproduce-%j.out`,
    'set -euo pipefail',
    cliCommand([...options.reproduceArgs, '--workers', '1']),
    END,
    'echo "[repro] reproduce (figures and manifest): job $after" >&2',
  );
  return lines.join('\n');
}

/** `s` escaped for use inside double quotes in bash (`"`, `\`, `$`, backquote). */
function escapeDouble(s: string): string {
  return s.replace(/["\\$`]/g, (c) => `\\${c}`);
}

/** The phases of a run in a scheduler's format (see the module comment). */
export function jobList(phases: readonly Phase[], format: JobListFormat, options: JobListOptions): string {
  switch (format) {
    case 'shell':
      return `${phaseCommands([...phases])}\n# then: ${cliCommand(options.reproduceArgs)} (loads every result from the cache and draws the figures)`;
    case 'parallel':
      return parallelScript(phases, options);
    case 'slurm':
      return slurmScript(phases, options);
  }
}

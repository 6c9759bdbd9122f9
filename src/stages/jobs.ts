/**
 * Independent jobs (a core's training, a noise type's calibration, a
 * recurrent network's training or evaluation) run in worker processes, one per
 * CPU by default, each with its own backend. A job carries the whole
 * configuration it runs (the profile object, not its name), so a notebook that
 * edits a profile gets jobs of the edited one. A failing job is reported and
 * does not stop the others; their results are kept. The jobs of a run come in
 * phases (a phase needs the cached results of the ones before it); the same
 * phase lists serve `reproduce` and `--print-jobs`, which prints them as shell
 * commands for a cluster scheduler.
 *
 * A worker sends its result (and the cache files it used) back over the IPC
 * channel, so no temporary files are involved, and ends when its parent dies
 * (a watchdog thread sees the parent pid change even while training blocks
 * the main thread), so a killed run leaves no workers behind.
 */
import { spawn } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ArtefactRecord, artefactLedger, mergeArtefactLedger, writeFileAtomic } from '../io/cache';

/** A job: a kind known to the job registry and its JSON parameters. */
export interface Job {
  /** Unique, readable id, e.g. `core-0`, `calibrate-blur`. */
  id: string;
  kind: string;
  params: Record<string, unknown>;
}

/** The outcome of one job. */
export interface JobOutcome {
  id: string;
  ok: boolean;
  /** The job's JSON result when ok. */
  result?: unknown;
  /** The error message when not ok. */
  error?: string;
  /** Wall time of the job in this run (small when its result came from the cache). */
  seconds: number;
  /**
   * Compute time the result cost when it was computed (possibly by an earlier
   * run): the result's own `computeSeconds` when it reports one, else `seconds`.
   */
  computeSeconds: number;
}

/** What a phase cost: wall time in this run, and compute time of its results, whenever computed. */
export interface PhaseStats {
  name: string;
  jobs: number;
  wallSeconds: number;
  computeSeconds: number;
}

/** A job result's own record of its compute time (results that are objects with a numeric `computeSeconds`). */
function reportedCompute(result: unknown): number | null {
  if (result && typeof result === 'object' && 'computeSeconds' in result) {
    const v = (result as { computeSeconds: unknown }).computeSeconds;
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return null;
}

/** Jobs that can run in parallel once the phases before them are done. */
export interface Phase {
  name: string;
  jobs: Job[];
}

/** Options for {@link runJobs}. */
export interface RunJobsOptions {
  /** Most worker processes at once (default: number of CPUs). */
  workers?: number;
  /** Run in this process instead of workers (tests, notebooks, a single job). */
  inProcess?: boolean;
}

type JobHandler = (params: Record<string, unknown>) => Promise<unknown>;
const handlers = new Map<string, JobHandler>();

/** Registers the handler of a job kind (done by the modules that define jobs). */
export function registerJobKind(kind: string, handler: JobHandler): void {
  handlers.set(kind, handler);
}

/** Runs one job in this process. */
export async function runJobInProcess(job: Job): Promise<unknown> {
  const handler = handlers.get(job.kind);
  if (!handler) throw new Error(`unknown job kind '${job.kind}': known kinds are ${[...handlers.keys()].join(', ')}`);
  return handler(job.params);
}

function cliPath(): string {
  return path.join(__dirname, '..', 'cli.js');
}

/** `s` as one shell word (single-quoted). */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The shell command that runs `repro ARGS` with this checkout's command line (arguments quoted where the shell needs it). */
export function cliCommand(args: readonly string[]): string {
  return ['node', shellQuote(cliPath()), ...args.map((a) => (/^[\w./=:,@%+-]+$/.test(a) ? a : shellQuote(a)))].join(' ');
}

/** The shell command that runs one job (what workers and cluster schedulers execute). */
export function jobCommand(job: Job, outFile?: string): string {
  return ['node', shellQuote(cliPath()), 'job', '--kind', shellQuote(job.kind), '--params', shellQuote(JSON.stringify(job.params)), ...(outFile ? ['--out', shellQuote(outFile)] : [])].join(' ');
}

/** The job list as one command per line. */
export function jobCommands(jobs: Job[]): string {
  return jobs.map((j) => jobCommand(j)).join('\n');
}

/** Phases as a shell script: a comment line per phase, then its jobs, one command per line. */
export function phaseCommands(phases: Phase[]): string {
  return phases.map((p, i) => `# phase ${i + 1} (jobs in parallel, after phase ${i}): ${p.name}\n${jobCommands(p.jobs)}`).join('\n');
}

/** What a worker sends its parent when its job succeeded. */
interface WorkerMessage {
  result: unknown;
  artefacts: ArtefactRecord[];
}

function isWorkerMessage(m: unknown): m is WorkerMessage {
  return typeof m === 'object' && m !== null && 'result' in m && Array.isArray((m as { artefacts?: unknown }).artefacts);
}

function runWorker(job: Job): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath(), 'job', '--kind', job.kind, '--params', JSON.stringify(job.params)], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: process.env,
    });
    let tail = '';
    let message: WorkerMessage | null = null;
    const forward = (chunk: Buffer) => {
      const text = chunk.toString();
      tail = (tail + text).slice(-4000);
      for (const line of text.split('\n')) if (line.trim()) process.stderr.write(`[${job.id}] ${line}\n`);
    };
    child.stdout?.on('data', forward);
    child.stderr?.on('data', forward);
    child.on('message', (m: unknown) => {
      if (isWorkerMessage(m)) message = m;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0 && message) {
        mergeArtefactLedger(message.artefacts);
        resolve(message.result);
      } else {
        const how = signal ? `was killed by ${signal}` : code === 0 ? 'exited without sending a result' : `exited with code ${code}`;
        reject(new Error(`worker ${how}: ${tail.trim().split('\n').slice(-3).join(' | ')}`));
      }
    });
  });
}

/** Runs jobs, in parallel worker processes unless `inProcess`; never throws for a job's failure. */
export async function runJobs(jobs: Job[], options: RunJobsOptions = {}): Promise<JobOutcome[]> {
  const workers = Math.max(1, options.workers ?? os.cpus().length);
  const inProcess = options.inProcess ?? (jobs.length <= 1 || workers === 1);
  const outcomes: JobOutcome[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      const job = jobs[i]!;
      const start = Date.now();
      try {
        const result = inProcess ? await runJobInProcess(job) : await runWorker(job);
        const seconds = (Date.now() - start) / 1000;
        outcomes[i] = { id: job.id, ok: true, result, seconds, computeSeconds: reportedCompute(result) ?? seconds };
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        process.stderr.write(`[repro] job ${job.id} failed: ${error}\n`);
        const seconds = (Date.now() - start) / 1000;
        outcomes[i] = { id: job.id, ok: false, error, seconds, computeSeconds: seconds };
      }
    }
  };
  await Promise.all(Array.from({ length: inProcess ? 1 : Math.min(workers, jobs.length) }, worker));
  return outcomes;
}

/**
 * In a worker (a process started by {@link runJobs}, with an IPC channel):
 * ends this process as soon as its parent is gone. A watchdog thread polls
 * the parent pid, which changes when the parent dies; it runs even while the
 * main thread is busy training.
 */
export function exitWithParent(): void {
  const watchdog = new Worker(
    `const { workerData } = require('node:worker_threads');
     setInterval(() => { if (process.ppid !== workerData.ppid) process.kill(workerData.pid, 'SIGKILL'); }, 250);`,
    { eval: true, workerData: { ppid: process.ppid, pid: process.pid } },
  );
  watchdog.unref();
}

/** In a worker: sends the job's result and the cache files it used to the parent, then closes the channel. */
export function sendResultToParent(result: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) {
      reject(new Error('sendResultToParent: this process has no parent channel'));
      return;
    }
    const message: WorkerMessage = { result: result ?? null, artefacts: artefactLedger() };
    process.send(message, undefined, undefined, (err: Error | null) => {
      if (err) reject(err);
      else {
        process.disconnect?.();
        resolve();
      }
    });
  });
}

/** Writes a job's result for the parent process (used by the `job` command). */
export function writeJobResult(outFile: string, result: unknown): void {
  writeFileAtomic(outFile, JSON.stringify(result ?? null));
}

/** Throws one error listing every failed job (after all have run). */
export function assertAllOk(stage: string, outcomes: JobOutcome[]): void {
  const failed = outcomes.filter((o) => !o.ok);
  if (failed.length) throw new Error(`${stage}: ${failed.length} of ${outcomes.length} jobs failed: ${failed.map((f) => `${f.id}: ${f.error}`).join('; ')}`);
}

/** Every top-level phase run in this process, with what it cost (read by `reproduce` for the manifest). */
export const phaseLog: PhaseStats[] = [];
/** Phases under way in this process: a phase run by a job running in process (e.g. a job loading the calibration) is not logged again. */
let phaseDepth = 0;

/**
 * Runs a phase's jobs and returns their results in job order; throws (after
 * all ran) if any failed. Its cost is appended to {@link phaseLog}.
 */
export async function runPhase<T>(phase: Phase, options: RunJobsOptions = {}): Promise<T[]> {
  const t0 = Date.now();
  const top = phaseDepth === 0;
  phaseDepth++;
  let outcomes: JobOutcome[];
  try {
    outcomes = await runJobs(phase.jobs, options);
  } finally {
    phaseDepth--;
  }
  if (top) phaseLog.push({ name: phase.name, jobs: outcomes.length, wallSeconds: (Date.now() - t0) / 1000, computeSeconds: outcomes.reduce((s, o) => s + o.computeSeconds, 0) });
  assertAllOk(phase.name, outcomes);
  return outcomes.map((o) => o.result as T);
}

/**
 * Progress for long steps. On a terminal: a cli-progress bar. Elsewhere
 * (CI logs, worker processes, notebooks): a line every few seconds on stderr,
 * which the notebook shows as it streams.
 */
import { SingleBar, Presets } from 'cli-progress';

/** A progress reporter for `total` units of work. */
export interface Progress {
  /** Sets the units done so far, with an optional status text. */
  update(done: number, status?: string): void;
  /** Marks the work finished. */
  finish(status?: string): void;
}

/** Options for {@link createProgress}. */
export interface ProgressOptions {
  /** Seconds between plain-text lines (default 5). */
  intervalSeconds?: number;
  /** Force plain lines even on a terminal. */
  plain?: boolean;
}

function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 90) return `${Math.round(seconds)}s`;
  return `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
}

/** Creates a progress reporter labelled `label`. */
export function createProgress(label: string, total: number, options: ProgressOptions = {}): Progress {
  const { intervalSeconds = 5 } = options;
  const start = Date.now();
  const startDone = { value: -1 };
  if (process.stderr.isTTY && !options.plain && !process.env.CI) {
    const bar = new SingleBar({ format: `${label} [{bar}] {value}/{total} {status} eta {eta_formatted}`, hideCursor: true, stream: process.stderr }, Presets.shades_classic);
    bar.start(total, 0, { status: '' });
    return {
      update: (done, status = '') => bar.update(done, { status }),
      finish: (status = '') => {
        bar.update(total, { status });
        bar.stop();
      },
    };
  }
  let last = 0;
  return {
    update(done, status = '') {
      if (startDone.value < 0) startDone.value = done;
      const now = Date.now();
      if (now - last < intervalSeconds * 1000) return;
      last = now;
      const rate = (done - startDone.value) / ((now - start) / 1000);
      const eta = rate > 0 ? (total - done) / rate : Number.NaN;
      process.stderr.write(`[${label}] ${done}/${total} ${status} eta ${formatEta(eta)}\n`);
    },
    finish(status = '') {
      process.stderr.write(`[${label}] done in ${formatEta((Date.now() - start) / 1000)} ${status}\n`);
    },
  };
}

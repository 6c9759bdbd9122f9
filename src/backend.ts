/**
 * Backend selection. The best backend that loads wins, in this order:
 * `tensorflow` through `@tensorflow/tfjs-node-gpu`, `tensorflow` through
 * `@tensorflow/tfjs-node`, `wasm` (with this project's fast kernels), `cpu`.
 * `REPRO_BACKEND=gpu|node|wasm|cpu` forces one; a forced backend that fails to
 * load is an error, an unforced one falls through to the next with a warning.
 */
import * as tf from '@tensorflow/tfjs';
import { setArtefactBackend } from './io/cache';
import { registerFastWasmKernels } from './kernels/wasmKernels';

/** The backends this project can run on, best first. */
export const BACKEND_CHOICES = ['gpu', 'node', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** What `initBackend` chose, and why; recorded in every run manifest. */
export interface BackendInfo {
  /** Our name for it: gpu, node, wasm or cpu. */
  choice: BackendChoice;
  /** The tfjs backend name in use (`tensorflow`, `wasm`, `cpu`). */
  tfBackend: string;
  /** True when `REPRO_BACKEND` forced the choice. */
  forced: boolean;
  /** Kernels this project registered on top of the stock backend. */
  fastKernels: string[];
  /** Backends tried before this one, with the reason each failed. */
  fallbacks: { choice: BackendChoice; reason: string }[];
  /** `@tensorflow/tfjs-core` version. */
  tfjsVersion: string;
}

let current: BackendInfo | null = null;

/** Parses `REPRO_BACKEND`; undefined when unset, an error naming the variable when invalid. */
export function backendFromEnv(value: string | undefined = process.env.REPRO_BACKEND): BackendChoice | undefined {
  if (value === undefined || value === '') return undefined;
  const v = value.toLowerCase();
  if ((BACKEND_CHOICES as readonly string[]).includes(v)) return v as BackendChoice;
  throw new Error(`REPRO_BACKEND=${value}: expected one of ${BACKEND_CHOICES.join(', ')}`);
}

async function tryBackend(choice: BackendChoice): Promise<{ tfBackend: string; fastKernels: string[] }> {
  switch (choice) {
    case 'gpu':
    case 'node': {
      // Both packages register the `tensorflow` backend into the same tfjs-core.
      const pkg = choice === 'gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
      require(pkg);
      if (!(await tf.setBackend('tensorflow'))) throw new Error(`${pkg} loaded but the tensorflow backend did not initialise`);
      return { tfBackend: 'tensorflow', fastKernels: [] };
    }
    case 'wasm': {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      // One thread per process: parallelism comes from worker processes.
      wasm.setThreadsCount(1);
      const fastKernels = registerFastWasmKernels();
      if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise');
      return { tfBackend: 'wasm', fastKernels };
    }
    case 'cpu':
      if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend did not initialise');
      return { tfBackend: 'cpu', fastKernels: [] };
  }
}

/** Options for {@link initBackend}. */
export interface InitBackendOptions {
  /** Force one backend (overrides `REPRO_BACKEND`). */
  force?: BackendChoice;
  /** Print the choice to stderr (default true). */
  log?: boolean;
}

/**
 * Selects and initialises the backend once per process; later calls return the
 * same choice unless a different one is forced.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const { log = true } = options;
  const forced = options.force ?? backendFromEnv();
  if (current && (forced === undefined || forced === current.choice)) return current;
  const order: readonly BackendChoice[] = forced ? [forced] : BACKEND_CHOICES;
  const fallbacks: BackendInfo['fallbacks'] = [];
  for (const choice of order) {
    try {
      const { tfBackend, fastKernels } = await tryBackend(choice);
      current = { choice, tfBackend, forced: forced !== undefined, fastKernels, fallbacks, tfjsVersion: tf.version_core };
      setArtefactBackend(choice);
      if (log) {
        const tried = fallbacks.length ? ` (not available: ${fallbacks.map((f) => f.choice).join(', ')})` : '';
        process.stderr.write(`[repro] backend: ${choice} (tfjs ${tfBackend})${tried}\n`);
      }
      return current;
    } catch (err) {
      const reason = firstLine(err);
      if (forced) throw new Error(`REPRO_BACKEND=${forced}: the backend failed to load: ${reason}`);
      fallbacks.push({ choice, reason });
    }
  }
  throw new Error(`no backend loaded: ${fallbacks.map((f) => `${f.choice}: ${f.reason}`).join('; ')}`);
}

/** The backend chosen by {@link initBackend}, or null before it ran. */
export function backendInfo(): BackendInfo | null {
  return current;
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0] ?? text;
}

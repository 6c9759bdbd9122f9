/** Shared test helpers. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';

/** A fresh temporary directory. */
export function tempDir(prefix = 'repro-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** The environment of a child `repro` run: this one without any REPRO_ or MNIST_DIR setting (nor NODE_OPTIONS), plus `extra`. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('REPRO_') && k !== 'MNIST_DIR' && k !== 'NODE_OPTIONS') env[k] = v;
  return { ...env, ...extra };
}

/** Asserts two arrays agree elementwise within `atol + rtol·|expected|`. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol = 1e-4, rtol = 1e-4, what = 'values'): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} vs ${expected.length}`);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i]! - expected[i]!) - rtol * Math.abs(expected[i]!);
    if (err > worst) {
      worst = err;
      at = i;
    }
  }
  assert.ok(worst <= atol, `${what}: element ${at} is ${actual[at]} but expected ${expected[at]} (excess error ${worst})`);
}

/** Runs `fn` on a backend and returns the values of its result (inputs are given as plain data). */
export async function onBackend(backend: string, fn: () => tf.Tensor): Promise<Float32Array> {
  await tf.setBackend(backend);
  const t = fn();
  const values = (await t.data()) as Float32Array;
  t.dispose();
  return values;
}

/** Asserts `fn` leaves no tensor behind. */
export function assertNoLeak<T>(fn: () => T, what: string): T {
  const before = tf.memory().numTensors;
  const out = fn();
  assert.equal(tf.memory().numTensors, before, `${what} leaked ${tf.memory().numTensors - before} tensors`);
  return out;
}

/** Every file under `dir` (recursively) with its modification time: compare two snapshots to show a call wrote nothing. */
export function fileTimes(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(p, fs.statSync(p).mtimeMs);
    }
  };
  walk(dir);
  return out;
}

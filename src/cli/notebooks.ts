/**
 * `repro notebooks`: executes every notebook headless with Debian's Jupyter
 * (nbconvert + the tslab kernel) into a temporary copy, in a given profile.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { projectRoot } from '../stages/profiles';

/** Executes every notebook headless with nbconvert in the given profile; throws if any cell errors. */
export function runNotebooks(profile: string, only?: string): void {
  const dir = path.join(projectRoot(), 'notebooks');
  const books = fs.readdirSync(dir).filter((f) => f.endsWith('.ipynb') && (!only || f.startsWith(only))).sort();
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'repro-notebooks-'));
  const failed: string[] = [];
  // Debian's Jupyter: a python3 earlier on PATH (pyenv) may not have it.
  const jupyter = process.env.JUPYTER || (fs.existsSync('/usr/bin/jupyter') ? '/usr/bin/jupyter' : 'jupyter');
  for (const book of books) {
    const t0 = Date.now();
    process.stderr.write(`[notebooks] executing ${book} (profile ${profile})\n`);
    const run = spawnSync(jupyter, ['nbconvert', '--to', 'notebook', '--execute', '--ExecutePreprocessor.timeout=3600', '--ExecutePreprocessor.kernel_name=tslab', '--output-dir', outDir, path.join(dir, book)], {
      cwd: dir,
      env: { ...process.env, REPRO_PROFILE: profile },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const secs = ((Date.now() - t0) / 1000).toFixed(0);
    if (run.status === 0) process.stderr.write(`[notebooks] ok ${book} in ${secs}s\n`);
    else {
      failed.push(book);
      process.stderr.write(`[notebooks] FAILED ${book} after ${secs}s (${run.error?.message ?? `exit ${run.status}`})\n`);
    }
  }
  process.stdout.write(`notebooks: ${books.length - failed.length} passed, ${failed.length} failed\n`);
  if (failed.length) throw new Error(`notebooks failed: ${failed.join(', ')} (executed copies in ${outDir})`);
}

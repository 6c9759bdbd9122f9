/**
 * `repro notebooks`: executes every notebook headless with Debian's Jupyter
 * (nbconvert + the tslab kernel) into a temporary copy, in a given profile;
 * with `browser`, then opens the executed copies in classic Jupyter Notebook
 * in headless Chromium and checks that their figures render.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type ProfileName, projectRoot, runDir } from '../stages/profiles';
import { checkNotebooksInBrowser } from './browser';

/** Options of {@link runNotebooks}. */
export interface RunNotebooksOptions {
  /** Only notebooks whose file name starts with this. */
  only?: string;
  /** Also check the executed notebooks in a real browser. */
  browser?: boolean;
  /** Write the executed notebooks over the originals (to commit them with their outputs) instead of a temporary copy. */
  inPlace?: boolean;
}

/**
 * Executes every notebook headless with nbconvert in the given profile;
 * throws if any cell errors (the executed copies are then kept for
 * inspection, else removed). With `inPlace`, the executed notebooks replace
 * the originals: how the committed, executed notebooks are made (quick).
 */
export async function runNotebooks(profile: ProfileName, options: RunNotebooksOptions = {}): Promise<void> {
  const { only, browser = false, inPlace = false } = options;
  const dir = path.join(projectRoot(), 'notebooks');
  const books = fs.readdirSync(dir).filter((f) => f.endsWith('.ipynb') && (!only || f.startsWith(only))).sort();
  const outDir = inPlace ? dir : fs.mkdtempSync(path.join(os.tmpdir(), 'repro-notebooks-'));
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
  if (browser) {
    const reports = await checkNotebooksInBrowser(books.map((b) => path.join(outDir, b)), { screenshotDir: path.join(runDir(profile), 'browser-check') });
    for (const r of reports) {
      for (const v of r.views) {
        process.stdout.write(`browser: ${r.notebook} ${v.trusted ? 'trusted (SVG)' : 'untrusted (PNG)'}: ${v.rendered} of ${v.figures} figures rendered, smallest ${Math.round(v.smallest.width)}x${Math.round(v.smallest.height)} px, ${v.errorOutputs.length} error outputs; screenshot ${v.screenshot}\n`);
      }
    }
    const bad = reports.filter((r) => r.problems.length);
    if (bad.length) throw new Error(`notebooks do not render in the browser: ${bad.map((r) => `${r.notebook}: ${r.problems.join('; ')}`).join(' || ')} (executed copies in ${outDir})`);
  }
  if (!inPlace) fs.rmSync(outDir, { recursive: true, force: true });
}

/**
 * Notebooks in a real browser: serves executed notebooks with Debian's
 * classic Jupyter Notebook (`jupyter-notebook`, token-less, on 127.0.0.1 and
 * a free port), opens each in headless Chromium driven over the DevTools
 * protocol (a pipe, no extra packages), and checks from the page what a user
 * would see: every figure output rendered with a non-trivial size, painted
 * pixels in a screenshot, and no error output.
 *
 * Each notebook is checked twice. Untrusted (as a fresh clone opens it):
 * classic Notebook ignores SVG from untrusted notebooks and shows the PNG
 * beside it. Trusted (signed, as after running it or `jupyter trust`): the
 * SVG itself.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { Readable, Writable } from 'node:stream';
import { decodePng } from '../io/png';

/** What the page showed for one notebook in one trust state. */
export interface BrowserView {
  trusted: boolean;
  /** Figure outputs in the file (outputs with an `image/svg+xml` bundle). */
  figures: number;
  /** Figures rendered: `svg` elements when trusted, `img` (the PNG) when not. */
  rendered: number;
  /** Size of the smallest rendered figure, CSS pixels. */
  smallest: { width: number; height: number };
  /** Error outputs shown on the page. */
  errorOutputs: string[];
  /** Fraction of non-white pixels in the screenshot over the first figure. */
  painted: number;
  /** Distinct colours there. */
  colours: number;
  screenshot: string;
}

/** The check of one notebook. */
export interface BrowserReport {
  notebook: string;
  views: BrowserView[];
  /** Problems found; empty when the notebook renders. */
  problems: string[];
}

/** Options of {@link checkNotebooksInBrowser}. */
export interface BrowserCheckOptions {
  /** Where the screenshots go (`<notebook>-trusted.png`, `<notebook>-untrusted.png`). */
  screenshotDir: string;
  /** Smallest acceptable figure, CSS pixels (default 150 x 100). */
  minSize?: { width: number; height: number };
  /** Most time to wait for the server and for each page, ms (default 60000). */
  timeoutMs?: number;
}

const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--hide-scrollbars', '--force-device-scale-factor=1', '--remote-debugging-pipe',
];
const VIEWPORT = { width: 1280, height: 1400 };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function executable(name: string, fallbacks: string[]): string {
  const found = [...fallbacks, ...(process.env.PATH ?? '').split(':').map((d) => path.join(d, name))].find((f) => fs.existsSync(f));
  if (!found) throw new Error(`${name} is not installed: run npm run setup (it installs Debian's ${name === 'chromium' ? 'chromium' : 'jupyter-notebook'})`);
  return found;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    http.get(url, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', () => resolve(0));
  });
}

/** A DevTools-protocol client over Chromium's `--remote-debugging-pipe` (fd 3 in, fd 4 out, NUL-separated JSON). */
class DevTools {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void; method: string }>();
  private buffer = '';
  private readonly decoder = new StringDecoder('utf8');

  constructor(private readonly input: Writable, output: Readable) {
    output.on('data', (chunk: Buffer) => {
      this.buffer += this.decoder.write(chunk);
      for (let end = this.buffer.indexOf('\0'); end >= 0; end = this.buffer.indexOf('\0')) {
        const message = JSON.parse(this.buffer.slice(0, end)) as { id?: number; result?: Record<string, unknown>; error?: { message: string } };
        this.buffer = this.buffer.slice(end + 1);
        const waiting = message.id !== undefined ? this.pending.get(message.id) : undefined;
        if (!waiting || message.id === undefined) continue;
        this.pending.delete(message.id);
        if (message.error) waiting.reject(new Error(`${waiting.method}: ${message.error.message}`));
        else waiting.resolve(message.result ?? {});
      }
    });
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.input.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    });
  }

  /** Evaluates an expression in the page and returns its JSON value. */
  async evaluate<T>(expression: string, sessionId: string): Promise<T> {
    const out = await this.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true }, sessionId);
    const result = out.result as { value?: T } | undefined;
    if ((out as { exceptionDetails?: unknown }).exceptionDetails) throw new Error(`page script failed: ${JSON.stringify(out.exceptionDetails)}`);
    return result?.value as T;
  }
}

/** What the page reports about its outputs (evaluated in the notebook page). */
const MEASURE = `(() => {
  const outputs = [...document.querySelectorAll('.output_area')];
  const svgs = [...new Set(outputs.flatMap((o) => [...o.querySelectorAll('.output_svg svg')]).filter((s) => !s.parentElement.closest('svg')))];
  const imgs = outputs.flatMap((o) => [...o.querySelectorAll('.output_png img')]);
  const box = (e) => { const r = e.getBoundingClientRect(); return { width: r.width, height: r.height }; };
  return {
    loaded: !!(window.Jupyter && Jupyter.notebook && Jupyter.notebook._fully_loaded),
    trusted: !!(window.Jupyter && Jupyter.notebook && Jupyter.notebook.trusted),
    svgs: svgs.map(box),
    imgs: imgs.map(box),
    errors: [...document.querySelectorAll('.output_error')].map((e) => e.textContent.slice(0, 200)),
  };
})()`;

interface Measured {
  loaded: boolean;
  trusted: boolean;
  svgs: { width: number; height: number }[];
  imgs: { width: number; height: number }[];
  errors: string[];
}

/** Figure outputs (SVG bundles) and error outputs in a notebook file. */
function countOutputs(file: string): { figures: number; errors: number } {
  const nb = JSON.parse(fs.readFileSync(file, 'utf8')) as { cells: { outputs?: { output_type: string; data?: Record<string, unknown> }[] }[] };
  const outputs = nb.cells.flatMap((c) => c.outputs ?? []);
  return { figures: outputs.filter((o) => o.data && 'image/svg+xml' in o.data).length, errors: outputs.filter((o) => o.output_type === 'error').length };
}

/** Non-white fraction and distinct colours of a screenshot inside a box (CSS pixels = device pixels here). */
function paintedIn(png: Buffer, box: { x: number; y: number; width: number; height: number }): { painted: number; colours: number } {
  const img = decodePng(png);
  const x0 = Math.max(0, Math.floor(box.x));
  const y0 = Math.max(0, Math.floor(box.y));
  const x1 = Math.min(img.width, Math.ceil(box.x + box.width));
  const y1 = Math.min(img.height, Math.ceil(box.y + box.height));
  let nonWhite = 0;
  const colours = new Set<number>();
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const p = 4 * (y * img.width + x);
      const [r, g, b] = [img.rgba[p]!, img.rgba[p + 1]!, img.rgba[p + 2]!];
      if (r < 245 || g < 245 || b < 245) nonWhite++;
      colours.add((r << 16) | (g << 8) | b);
    }
  }
  const area = Math.max(1, (x1 - x0) * (y1 - y0));
  return { painted: nonWhite / area, colours: colours.size };
}

/** Signs notebooks as trusted in the given Jupyter data directory (nbformat's notary, as `jupyter trust` does). */
function trustNotebooks(files: string[], env: NodeJS.ProcessEnv): void {
  const script = 'import sys, nbformat\nfrom nbformat.sign import NotebookNotary\nn = NotebookNotary()\nfor f in sys.argv[1:]:\n    n.sign(nbformat.read(f, as_version=4))\n';
  const run = spawnSync('/usr/bin/python3', ['-c', script, ...files], { env, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`signing the notebooks failed: ${run.stderr || run.error?.message}`);
}

async function stop(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * Serves the notebooks (all in one directory) with classic Jupyter Notebook
 * and checks each in headless Chromium, untrusted then trusted. Returns one
 * report per notebook, with the problems found (none when it renders).
 */
export async function checkNotebooksInBrowser(files: string[], options: BrowserCheckOptions): Promise<BrowserReport[]> {
  const { screenshotDir, minSize = { width: 150, height: 100 }, timeoutMs = 60_000 } = options;
  if (files.length === 0) return [];
  const dir = path.dirname(path.resolve(files[0]!));
  if (files.some((f) => path.dirname(path.resolve(f)) !== dir)) throw new Error('checkNotebooksInBrowser: the notebooks must be in one directory');
  const notebookBin = executable('jupyter-notebook', ['/usr/bin/jupyter-notebook']);
  const chromiumBin = executable('chromium', ['/usr/bin/chromium']);
  fs.mkdirSync(screenshotDir, { recursive: true });
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'repro-browser-'));
  // A private Jupyter config, runtime and data directory (the trust database lives there); kernels still found in the user's.
  const userData = spawnSync('/usr/bin/jupyter', ['--data-dir'], { encoding: 'utf8' }).stdout.trim();
  // Chromium and Jupyter leave temporary folders behind: give them one inside the scratch directory.
  fs.mkdirSync(path.join(scratch, 'tmp'));
  const env = {
    ...process.env,
    TMPDIR: path.join(scratch, 'tmp'),
    JUPYTER_CONFIG_DIR: path.join(scratch, 'config'),
    JUPYTER_RUNTIME_DIR: path.join(scratch, 'runtime'),
    JUPYTER_DATA_DIR: path.join(scratch, 'data'),
    JUPYTER_PATH: [userData, process.env.JUPYTER_PATH].filter(Boolean).join(':'),
  };
  const port = await freePort();
  const server = spawn(notebookBin, [
    '--no-browser', '--ip=127.0.0.1', `--port=${port}`, '--port-retries=0', `--notebook-dir=${dir}`,
    '--NotebookApp.token=', '--NotebookApp.password=', ...(process.getuid?.() === 0 ? ['--allow-root'] : []),
  ], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let serverLog = '';
  server.stdout?.on('data', (c: Buffer) => { serverLog = (serverLog + c.toString()).slice(-4000); });
  server.stderr?.on('data', (c: Buffer) => { serverLog = (serverLog + c.toString()).slice(-4000); });
  let browser: ChildProcess | null = null;
  try {
    const base = `http://127.0.0.1:${port}`;
    for (const t0 = Date.now(); (await httpStatus(`${base}/api`)) !== 200;) {
      if (server.exitCode !== null) throw new Error(`jupyter-notebook exited with code ${server.exitCode}: ${serverLog.trim().split('\n').slice(-3).join(' | ')}`);
      if (Date.now() - t0 > timeoutMs) throw new Error(`jupyter-notebook did not answer on ${base} within ${timeoutMs / 1000} s`);
      await sleep(250);
    }
    browser = spawn(chromiumBin, [...CHROMIUM_FLAGS, `--user-data-dir=${path.join(scratch, 'chromium')}`, `--window-size=${VIEWPORT.width},${VIEWPORT.height}`, 'about:blank'], {
      env,
      stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'],
    });
    const [, , , toBrowser, fromBrowser] = browser.stdio;
    if (!(toBrowser instanceof Writable) || !(fromBrowser instanceof Readable)) throw new Error('chromium: no DevTools pipe on fds 3 and 4');
    const devtools = new DevTools(toBrowser, fromBrowser);
    const { targetId } = (await devtools.send('Target.createTarget', { url: 'about:blank' })) as { targetId: string };
    const { sessionId } = (await devtools.send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
    await devtools.send('Emulation.setDeviceMetricsOverride', { ...VIEWPORT, deviceScaleFactor: 1, mobile: false }, sessionId);

    const view = async (file: string, trusted: boolean): Promise<BrowserView> => {
      const name = path.basename(file);
      await devtools.send('Page.navigate', { url: `${base}/notebooks/${encodeURIComponent(name)}` }, sessionId);
      let m: Measured = { loaded: false, trusted: false, svgs: [], imgs: [], errors: [] };
      for (const t0 = Date.now(); !m.loaded; await sleep(250)) {
        if (Date.now() - t0 > timeoutMs) throw new Error(`${name}: the notebook page did not finish loading within ${timeoutMs / 1000} s`);
        m = (await devtools.evaluate<Measured | null>(MEASURE, sessionId).catch(() => null)) ?? m;
      }
      await sleep(500);
      m = await devtools.evaluate<Measured>(MEASURE, sessionId);
      if (m.trusted !== trusted) throw new Error(`${name}: the page reports trusted=${m.trusted}, expected ${trusted}`);
      const boxes = trusted ? m.svgs : m.imgs;
      const selector = trusted ? '.output_svg svg' : '.output_png img';
      const first = await devtools.evaluate<{ x: number; y: number; width: number; height: number } | null>(
        `(() => { const e = document.querySelector('.output_area ${selector}'); if (!e) return null; e.scrollIntoView({ block: 'start' }); const r = e.getBoundingClientRect(); return { x: r.x, y: r.y, width: r.width, height: r.height }; })()`,
        sessionId,
      );
      await sleep(300);
      const shot = Buffer.from(String((await devtools.send('Page.captureScreenshot', { format: 'png' }, sessionId)).data), 'base64');
      const screenshot = path.join(screenshotDir, `${name.replace(/\.ipynb$/, '')}-${trusted ? 'trusted' : 'untrusted'}.png`);
      fs.writeFileSync(screenshot, shot);
      const pixels = first ? paintedIn(shot, first) : { painted: 0, colours: 0 };
      const smallest = boxes.reduce((a, b) => (b.width * b.height < a.width * a.height ? b : a), boxes[0] ?? { width: 0, height: 0 });
      return { trusted, figures: countOutputs(file).figures, rendered: boxes.length, smallest, errorOutputs: m.errors, ...pixels, screenshot };
    };

    const untrusted: BrowserView[] = [];
    for (const file of files) untrusted.push(await view(file, false));
    trustNotebooks(files, env);
    const reports: BrowserReport[] = [];
    for (const [i, file] of files.entries()) {
      const views = [untrusted[i]!, await view(file, true)];
      const problems = views.flatMap((v) => {
        const state = v.trusted ? 'trusted' : 'untrusted';
        const what = v.trusted ? 'SVG' : 'PNG';
        const p: string[] = [];
        if (v.figures === 0) p.push('has no figure outputs (is it executed?)');
        if (v.rendered !== v.figures) p.push(`${state}: ${v.rendered} ${what} figures on the page, ${v.figures} in the file`);
        if (v.rendered && (v.smallest.width < minSize.width || v.smallest.height < minSize.height)) p.push(`${state}: a ${what} figure is only ${v.smallest.width}x${v.smallest.height} px`);
        if (v.errorOutputs.length) p.push(`${state}: ${v.errorOutputs.length} error outputs: ${v.errorOutputs.join(' | ')}`);
        if (v.rendered && (v.painted < 0.005 || v.colours < 3)) p.push(`${state}: the screenshot over the first figure is blank (${(100 * v.painted).toFixed(2)} % painted, ${v.colours} colours): ${v.screenshot}`);
        return p;
      });
      reports.push({ notebook: path.basename(file), views, problems: [...new Set(problems)] });
    }
    return reports;
  } finally {
    if (browser) await stop(browser, 3000);
    await stop(server);
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * Display helpers for tslab notebooks. Outside a notebook kernel they print a
 * plain-text stand-in, so the same code runs from the command line.
 */
import * as path from 'node:path';
import { type Figure, svgToPng } from './figures/figure';
import type { Claim } from './recurrence/claims';

interface DisplayBundle {
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  transient: Record<string, unknown>;
}
type WriteDisplay = (bundle: DisplayBundle, update: boolean) => void;

/**
 * tslab's public `display` sends one MIME type per output; a figure wants
 * several (SVG everywhere, Vega-Lite for JupyterLab's interactive view, text),
 * so this uses the kernel's own display writer, found next to the running
 * kernel's entry script.
 */
function kernelDisplayWriter(): WriteDisplay | null {
  const roots = [process.argv[1] ? path.dirname(process.argv[1]) : '', process.cwd()].filter(Boolean);
  for (const root of roots) {
    try {
      const jupyter = require(require.resolve('tslab/dist/jupyter', { paths: [root] })) as { lastWriteDisplayData?: WriteDisplay | null };
      if (jupyter.lastWriteDisplayData) return jupyter.lastWriteDisplayData;
    } catch {
      // not inside a tslab kernel from this root
    }
  }
  return null;
}

/** True inside a running tslab kernel. */
export function inNotebook(): boolean {
  return kernelDisplayWriter() !== null;
}

function show(data: Record<string, unknown>, fallback: string): void {
  const write = kernelDisplayWriter();
  if (write) write({ data, metadata: {}, transient: {} }, false);
  else process.stdout.write(`${fallback}\n`);
}

/**
 * A figure's output bundle: the Vega-Lite spec (JupyterLab's interactive
 * view), the SVG (classic Notebook when trusted, nbconvert, GitHub), a PNG
 * (classic Notebook ignores SVG from an untrusted notebook, e.g. a fresh
 * clone's, and shows this instead), and a text stand-in.
 */
export function figureBundle(fig: Figure): Record<string, unknown> {
  return {
    'application/vnd.vegalite.v5+json': fig.spec,
    'image/svg+xml': fig.svg,
    'image/png': svgToPng(fig.svg, 1).toString('base64'),
    'text/plain': `[figure ${fig.name}]`,
  };
}

/** Shows a figure inline ({@link figureBundle}). */
export function showFigure(fig: Figure): void {
  show(figureBundle(fig), `[figure ${fig.name}]`);
}

/** Shows Markdown. */
export function showMarkdown(md: string): void {
  show({ 'text/markdown': md, 'text/plain': md }, md);
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A table from rows of plain values: HTML in the notebook, aligned text elsewhere. */
export function showTable(rows: Record<string, string | number | boolean | null>[], caption = ''): void {
  const first = rows[0];
  if (!first) {
    show({ 'text/plain': `${caption} (no rows)` }, `${caption} (no rows)`);
    return;
  }
  const cols = Object.keys(first);
  const cell = (v: string | number | boolean | null | undefined) =>
    typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(4)) : String(v ?? '');
  const html = `<table><caption>${escapeHtml(caption)}</caption><thead><tr>${cols.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${cols.map((c) => `<td>${escapeHtml(cell(r[c]))}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join('  ');
  const text = [caption, line(cols), ...rows.map((r) => line(cols.map((c) => cell(r[c]))))].filter(Boolean).join('\n');
  show({ 'text/html': html, 'text/plain': text }, text);
}

/** The claims table: paper's value, ours, the test and the verdict, one row per claim. */
export function showClaims(claims: readonly Claim[], caption = 'Paper vs this run'): void {
  showTable(claims.map((c) => ({ section: c.section, source: c.source, claim: c.claim, paper: c.paper, ours: c.ours, test: c.test, verdict: c.verdict })), caption);
}

/**
 * Figures are Vega-Lite specs. A figure function turns results into a
 * {@link Figure} (spec + rendered SVG + the numbers behind it); {@link saveFigure}
 * writes `<name>.svg`, `<name>.png`, `<name>.vl.json` and `<name>.data.json`
 * atomically; notebooks show it inline with `showFigure` (src/notebook.ts).
 */
import * as path from 'node:path';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import { Resvg } from '@resvg/resvg-js';
import { writeFileAtomic } from '../io/cache';

export type { TopLevelSpec } from 'vega-lite';

/** A rendered figure. */
export interface Figure {
  /** File stem, e.g. `fig1b-degradations`. */
  name: string;
  /** The Vega-Lite spec (data inlined). */
  spec: TopLevelSpec;
  /** The rendered SVG. */
  svg: string;
  /** The numbers the figure shows, saved beside it. */
  data: unknown;
}

/** Fonts and sizes shared by every figure (DejaVu Sans ships with Debian and resvg finds it). */
export const FIGURE_CONFIG = {
  font: 'DejaVu Sans',
  title: { fontSize: 14, anchor: 'start' as const },
  axis: { labelFontSize: 11, titleFontSize: 12, grid: false },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  view: { stroke: null },
};

/** Renders a Vega-Lite spec to SVG headless. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = vl.compile({ ...spec, config: { ...FIGURE_CONFIG, ...(spec.config ?? {}) } } as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterises an SVG to PNG at `scale` (default 2 for legible text). */
export function svgToPng(svg: string, scale = 2): Buffer {
  return new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: { loadSystemFonts: true, defaultFontFamily: FIGURE_CONFIG.font },
  }).render().asPng();
}

/** Builds a figure: renders the spec and keeps the data. */
export async function makeFigure(name: string, spec: TopLevelSpec, data: unknown): Promise<Figure> {
  return { name, spec, svg: await renderSvg(spec), data };
}

/** Paths written by {@link saveFigure}. */
export interface SavedFigure {
  svg: string;
  png: string;
  spec: string;
  data: string;
}

/** Writes the figure's SVG, PNG, spec and data into `dir`, each atomically. */
export function saveFigure(fig: Figure, dir: string): SavedFigure {
  const base = path.join(dir, fig.name);
  const out: SavedFigure = { svg: `${base}.svg`, png: `${base}.png`, spec: `${base}.vl.json`, data: `${base}.data.json` };
  writeFileAtomic(out.svg, fig.svg);
  writeFileAtomic(out.png, svgToPng(fig.svg));
  writeFileAtomic(out.spec, JSON.stringify(fig.spec, null, 1));
  writeFileAtomic(out.data, JSON.stringify(fig.data, null, 1));
  return out;
}

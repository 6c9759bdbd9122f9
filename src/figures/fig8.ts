/**
 * Figure 8: the fMRI analysis, one panel per subject (columns) and hemisphere
 * (rows).
 * - 8A: de-noising d of every image pair per region (points), its median
 *   (black tick), and an asterisk where the mean differs from 0 at p < alpha.
 * - 8B: dimensionality of the first and last time bin, divided by the first
 *   (so every line starts at 1), one line per region.
 */
import type { FmriRegionResult } from '../fmri/analysis';
import { compareRegions } from '../fmri/analysis';
import { makeFigure, type Figure, type TopLevelSpec } from './figure';
import { hashInts } from '../random';

/** Options of {@link fig8a} and {@link fig8b}. */
export interface Fig8Options {
  /** What the data are, shown in the title, e.g. `synthetic data, seed 1` (default none). */
  dataLabel?: string;
  /** Significance level of the asterisks (default .01, as in the paper). */
  alpha?: number;
}

const PANEL = { width: 165, height: 150 };

function regionsOf(results: FmriRegionResult[]): string[] {
  return [...new Set(results.map((r) => r.region))].sort(compareRegions);
}

function hemisphereLabel(h: FmriRegionResult['hemisphere']): string {
  return h === 'LH' ? 'left hemisphere' : h === 'RH' ? 'right hemisphere' : 'both hemispheres';
}

function checkResults(fn: string, results: FmriRegionResult[]): void {
  if (results.length === 0) throw new Error(`${fn}: no results to plot`);
}

/** Shared facet and colour settings. */
function facetSpec(results: FmriRegionResult[]) {
  const subjects = [...new Set(results.map((r) => r.subject))].sort();
  const hemis = [...new Set(results.map((r) => hemisphereLabel(r.hemisphere)))].sort();
  return {
    facet: {
      column: { field: 'subject', type: 'nominal' as const, sort: subjects, title: null, header: { labelFontSize: 13, labelFontWeight: 'bold' as const } },
      row: { field: 'hemisphere', type: 'nominal' as const, sort: hemis, title: null, header: { labelFontSize: 12 } },
    },
  };
}

/** Figure 8A: de-noising per image pair, per region, subject and hemisphere. */
export async function fig8a(results: FmriRegionResult[], options: Fig8Options = {}): Promise<Figure> {
  checkResults('fig8a', results);
  const { alpha = 0.01, dataLabel } = options;
  const regions = regionsOf(results);
  const rows: Record<string, string | number>[] = [];
  for (const r of results) {
    const base = { subject: r.subject, hemisphere: hemisphereLabel(r.hemisphere), region: r.region };
    r.denoising.forEach((d, i) => {
      // Deterministic jitter so the SVG is reproducible.
      const jitter = (hashInts(i, r.images[i] ?? i, regions.indexOf(r.region)) / 4294967296) * 2 - 1;
      rows.push({ ...base, kind: 'pair', image: r.images[i] ?? i, d, jitter });
    });
    rows.push({ ...base, kind: 'median', d: r.medianDenoising, mean: r.meanDenoising, pValue: r.pValue });
    if (r.pValue < alpha) rows.push({ ...base, kind: 'star', d: Math.max(...r.denoising), label: '*' });
  }
  const panels = new Set(results.map((r) => `${r.subject}|${r.hemisphere}`));
  for (const key of panels) {
    const r = results.find((x) => `${x.subject}|${x.hemisphere}` === key)!;
    rows.push({ subject: r.subject, hemisphere: hemisphereLabel(r.hemisphere), region: regions[0]!, kind: 'zero', d: 0 });
  }
  const x = { field: 'region', type: 'nominal' as const, sort: regions, scale: { domain: regions }, title: null, axis: { labelAngle: -45 } };
  const filter = (kind: string) => [{ filter: `datum.kind === '${kind}'` }];
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: `Figure 8A: de-noising over image pairs${dataLabel ? ` (${dataLabel})` : ''}`,
      subtitle: `points: image pairs (clean vs least blurred); black ticks: medians; * mean ≠ 0 at p < ${alpha} (two-sided one-sample t-test)`,
    },
    data: { values: rows },
    ...facetSpec(results),
    spec: {
      ...PANEL,
      layer: [
        { transform: filter('zero'), mark: { type: 'rule', color: '#888', strokeDash: [3, 3] }, encoding: { y: { field: 'd', type: 'quantitative' } } },
        {
          transform: filter('pair'),
          mark: { type: 'circle', size: 14, opacity: 0.55 },
          encoding: {
            x,
            xOffset: { field: 'jitter', type: 'quantitative', scale: { domain: [-2.2, 2.2] } },
            y: { field: 'd', type: 'quantitative', title: 'de-noising d' },
            color: { field: 'region', type: 'nominal', scale: { domain: regions, scheme: 'tableau10' }, legend: null },
            tooltip: [{ field: 'region' }, { field: 'image' }, { field: 'd', format: '.3f' }],
          },
        },
        {
          transform: filter('median'),
          mark: { type: 'tick', color: 'black', thickness: 2, size: 14 },
          encoding: { x, y: { field: 'd', type: 'quantitative' }, tooltip: [{ field: 'region' }, { field: 'd', title: 'median', format: '.3f' }, { field: 'mean', format: '.3f' }, { field: 'pValue', format: '.2g' }] },
        },
        {
          transform: filter('star'),
          mark: { type: 'text', fontSize: 18, fontWeight: 'bold', color: 'black', baseline: 'bottom', dy: -1 },
          encoding: { x, y: { field: 'd', type: 'quantitative' }, text: { field: 'label' } },
        },
      ],
    },
    resolve: { scale: { y: 'shared' } },
  };
  return makeFigure('fig8a-fmri-denoising', spec, { alpha, dataLabel: dataLabel ?? null, rows });
}

/** Figure 8B: dimensionality at the first and last time bin, normalised by the first. */
export async function fig8b(results: FmriRegionResult[], options: Fig8Options = {}): Promise<Figure> {
  checkResults('fig8b', results);
  const { dataLabel } = options;
  const regions = regionsOf(results);
  const first = results[0]!.firstBin;
  const last = results[0]!.lastBin;
  const bins = [`bin ${first}`, `bin ${last}`];
  const rows = results.flatMap((r) => {
    const base = { subject: r.subject, hemisphere: hemisphereLabel(r.hemisphere), region: r.region };
    return [
      { ...base, bin: bins[0]!, value: 1, dimensionality: r.dimensionalityFirst },
      { ...base, bin: bins[1]!, value: r.dimensionalityRatio, dimensionality: r.dimensionalityLast },
    ];
  });
  const encoding = {
    x: { field: 'bin', type: 'ordinal' as const, sort: bins, title: null, axis: { labelAngle: 0 }, scale: { padding: 0.3 } },
    y: { field: 'value', type: 'quantitative' as const, title: 'PR ÷ PR(bin 1)', scale: { zero: false } },
    color: { field: 'region', type: 'nominal' as const, scale: { domain: regions, scheme: 'tableau10' }, title: 'region' },
    tooltip: [{ field: 'region' }, { field: 'bin' }, { field: 'value', title: 'normalised', format: '.3f' }, { field: 'dimensionality', title: 'participation ratio', format: '.2f' }],
  };
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: `Figure 8B: normalised dimensionality${dataLabel ? ` (${dataLabel})` : ''}`,
      subtitle: 'participation ratio over all clean and blurred images at the first and the last time bin, divided by the first-bin value',
    },
    data: { values: rows },
    ...facetSpec(results),
    spec: {
      width: 120,
      height: PANEL.height,
      layer: [
        { mark: { type: 'line', strokeWidth: 1.8 }, encoding: { ...encoding, detail: { field: 'region' } } },
        { mark: { type: 'point', filled: true, size: 30 }, encoding },
      ],
    },
    resolve: { scale: { y: 'shared' } },
  };
  return makeFigure('fig8b-fmri-dimensionality', spec, { dataLabel: dataLabel ?? null, rows });
}

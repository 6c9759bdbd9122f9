/**
 * Figures 3 and 4 (section 2.3, Methods 4.3): layer-1 representations before
 * and after recurrence, the recurrent influence, and how the networks'
 * influences compare (correlation, difference PCs, subspace alignment, the
 * performance carried by the top PCs).
 */
import { CoreActivity, FIG4B_COMPONENTS, FIG4C_COMPONENTS, GAP_FRACTION, GroupPoint, summariseByType, summariseMatrices, TypeSummary } from '../recurrence/activity';
import { mean, sampleSd } from '../analysis/stats';
import { matrixFigure, TYPE_COLOURS, typesPresent } from './figBehaviour';
import { makeFigure, type Figure, type TopLevelSpec } from './figure';

/** Marker shape of each condition (Figure 3's legend: clean circles). */
const SHAPES = { domain: ['clean', 'pixel', 'blur', 'contrast', 'occlusion'], range: ['circle', 'square', 'triangle-up', 'diamond', 'cross'] };
const DIGITS = { scheme: 'category10' };

/** Paper values quoted beside ours (Figure 3C caption and Figure 4E caption). */
export const PAPER_MEAN_INFLUENCE: Record<string, [number, number]> = { 'FB-TT': [0.19, 0.12], 'LR-TT': [0.1, 0.09], 'FB-PC': [0.02, 0.03], 'LR-SS': [0.94, 0.38] };
export const PAPER_GAP_COMPONENTS: Record<string, number> = { Grads: 95, 'FB-PC': 666, 'FB-TT': 71, 'LR-TT': 306, 'LR-SS': 141 };

function typeColour(types: readonly string[]) {
  return { domain: [...types], range: types.map((t) => TYPE_COLOURS[t] ?? '#000') };
}

function scatter(domain: { x: [number, number]; y: [number, number] } | null) {
  const scale = (d: [number, number] | undefined) => (d ? { domain: d, nice: false } : { zero: false });
  return {
    mark: { type: 'point', filled: true, size: 55, opacity: 0.9, clip: true },
    encoding: {
      x: { field: 'pc1', type: 'quantitative', title: 'PC 1', scale: scale(domain?.x) },
      y: { field: 'pc2', type: 'quantitative', title: 'PC 2', scale: scale(domain?.y) },
      color: { field: 'digit', type: 'nominal', scale: DIGITS, title: 'digit' },
      shape: { field: 'condition', type: 'nominal', scale: SHAPES, title: 'noise type' },
      tooltip: [{ field: 'panel' }, { field: 'condition' }, { field: 'digit' }, { field: 'pc1', format: '.2f' }, { field: 'pc2', format: '.2f' }],
    },
  };
}

/** Extent of points, widened by `margin` of its width on each side. */
export function extent(points: readonly GroupPoint[], margin = 0.15): { x: [number, number]; y: [number, number] } {
  const span = (v: number[]): [number, number] => {
    const lo = Math.min(...v);
    const hi = Math.max(...v);
    const pad = (hi - lo || 1) * margin;
    return [lo - pad, hi + pad];
  };
  return { x: span(points.map((p) => p.pc1)), y: span(points.map((p) => p.pc2)) };
}

/** Figure 3A: layer-1 class × noise-type means at step 0 on the top 2 PCs of step-0 activity to clean images (example core). */
export async function fig3a(core: CoreActivity): Promise<Figure> {
  const points = core.layer1Projection.map((p) => ({ ...p, panel: 'feedforward (step 0)' }));
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: 'Figure 3A: layer-1 representation, feedforward', subtitle: [`core ${core.core}: PCs of step-0 layer-1 activity to ${core.images} clean images (${(100 * core.layer1Explained[0]).toFixed(1)} % and ${(100 * core.layer1Explained[1]).toFixed(1)} % of variance)`, 'each marker: the mean over images of one digit and noise type (level 5)'] },
    data: { values: points },
    width: 300,
    height: 260,
    ...scatter(null),
  } as TopLevelSpec;
  return makeFigure('fig3a-layer1-pca-feedforward', spec, { core: core.core, explained: core.layer1Explained, points });
}

/**
 * Figure 3B: the same plane after recurrence, one panel per network
 * (instance A of each type), axes fixed to Figure 3A's extent so that
 * activity leaving the feedforward region leaves the frame (as LR-SS does in the paper).
 */
export async function fig3b(core: CoreActivity): Promise<Figure> {
  const nets = core.networks.filter((n) => n.instance === 0);
  const points = nets.flatMap((n) => n.layer1Projection.map((p) => ({ ...p, panel: n.network })));
  const domain = extent(core.layer1Projection, 0.35);
  const isOutside = (p: GroupPoint) => p.pc1 < domain.x[0] || p.pc1 > domain.x[1] || p.pc2 < domain.y[0] || p.pc2 > domain.y[1];
  const outside = nets.map((n) => ({ network: n.network, outside: n.layer1Projection.filter(isOutside).length, of: n.layer1Projection.length }));
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: 'Figure 3B: layer-1 representation after recurrence (last step)', subtitle: [`core ${core.core}, instance A; the plane and the axes of Figure 3A`, `means outside the frame: ${outside.filter((o) => o.outside).map((o) => `${o.network} ${o.outside}/${o.of}`).join(', ') || 'none'}`] },
    // Means outside the frame are named in the subtitle and kept in the data file, not drawn: a clipped point
    // thousands of pixels off the canvas (LR-SS's, in the quick run) makes the PNG rasteriser (resvg) abort.
    data: { values: points.filter((p) => !isOutside(p)) },
    facet: { field: 'panel', type: 'nominal', sort: nets.map((n) => n.network), title: null, header: { labelFontWeight: 'bold' } },
    columns: 4,
    spec: { width: 170, height: 150, ...scatter(domain) },
  } as TopLevelSpec;
  return makeFigure('fig3b-layer1-pca-recurrence', spec, { core: core.core, domain, outside, points });
}

/**
 * Figure 3C: histograms of layer-1 recurrent influence (last step − step 0,
 * every unit, level-5 images of every noise type) of example networks
 * (instance A, core shown), and the mean influence per type, mean ± s.t.d.
 * over cores, beside the paper's.
 */
export async function fig3c(cores: readonly CoreActivity[], exampleCore = 0): Promise<{ figure: Figure; means: TypeSummary[] }> {
  const core = cores.find((c) => c.core === exampleCore) ?? cores[0]!;
  const means = summariseByType(cores, (n) => n.influence.mean);
  const types = typesPresent(cores);
  const merge = 3;
  const rows = core.networks.filter((n) => n.instance === 0).flatMap((n) => {
    const h = n.influence.histogram;
    const width = (h.max - h.min) / h.counts.length;
    const total = h.counts.reduce((a, b) => a + b, 0) + h.outside;
    const out: { network: string; from: number; to: number; fraction: number }[] = [];
    for (let b = 0; b < h.counts.length; b += merge) {
      const count = h.counts.slice(b, b + merge).reduce((a, c) => a + c, 0);
      if (count > 0) out.push({ network: n.network, from: h.min + b * width, to: h.min + Math.min(b + merge, h.counts.length) * width, fraction: count / total });
    }
    return out;
  });
  const label = (s: TypeSummary) => {
    const paper = PAPER_MEAN_INFLUENCE[s.network];
    return `${s.network} ${s.mean.toFixed(2)}${Number.isFinite(s.sd) ? ` ± ${s.sd.toFixed(2)}` : ''}${paper ? ` (paper ${paper[0].toFixed(2)} ± ${paper[1].toFixed(2)})` : ''}`;
  };
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: 'Figure 3C: recurrent influence on layer 1 (last step − step 0)',
      subtitle: [
        `histograms: core ${core.core}, instance A, all units, level-5 images of all noise types (fraction of values, log scale)`,
        `mean influence, mean ± s.t.d. over ${cores.length} core(s):`,
        // Three types a line, so the subtitle never widens the figure beyond its panels.
        ...Array.from({ length: Math.ceil(means.length / 3) }, (_, k) => `  ${means.slice(3 * k, 3 * k + 3).map(label).join('; ')}`),
      ],
    },
    data: { values: rows },
    facet: { field: 'network', type: 'nominal', sort: types, title: null, header: { labelFontWeight: 'bold' } },
    columns: 4,
    spec: {
      width: 170,
      height: 120,
      mark: { type: 'rect', clip: true },
      encoding: {
        x: { field: 'from', type: 'quantitative', title: 'influence', scale: { domain: [-3, 6] } },
        x2: { field: 'to' },
        y: { field: 'fraction', type: 'quantitative', title: 'fraction', scale: { type: 'log' } },
        y2: { datum: 1e-9 },
        color: { field: 'network', type: 'nominal', scale: typeColour(types), legend: null },
      },
    },
    resolve: { scale: { x: 'shared' } },
  } as TopLevelSpec;
  return { figure: await makeFigure('fig3c-influence-histograms', spec, { exampleCore: core.core, means, paper: PAPER_MEAN_INFLUENCE, histograms: rows }), means };
}

/** Figure 4A: correlation of recurrent influences between networks (per image, averaged), mean over cores. */
export function fig4a(cores: readonly CoreActivity[]): Promise<Figure> {
  return matrixFigure('fig4a-influence-correlation', 'Figure 4A: correlation of recurrent influences', [`per level-5 image, Pearson r over layer-1 units of two networks' influences, averaged over images; mean over ${cores.length} core(s)`], summariseMatrices(cores[0]!.labelsOfNetworks, cores.map((c) => c.influenceCorrelation)), { domain: [-1, 1], scheme: 'redblue' });
}

/** Curves over cores: per network label and x, mean ± s.t.d. over cores. */
function curveRows(cores: readonly CoreActivity[], points: (n: CoreActivity['networks'][number]) => { x: number; y: number }[]) {
  const byKey = new Map<string, { network: string; type: string; x: number; ys: number[] }>();
  for (const c of cores) {
    c.networks.forEach((n, i) => {
      for (const p of points(n)) {
        const label = c.labelsOfNetworks[i]!;
        const key = `${label}|${p.x}`;
        const e = byKey.get(key) ?? { network: label, type: n.network, x: p.x, ys: [] };
        if (Number.isFinite(p.y)) e.ys.push(p.y);
        byKey.set(key, e);
      }
    });
  }
  return [...byKey.values()].filter((e) => e.ys.length).map((e) => {
    const m = mean(e.ys);
    const sd = e.ys.length > 1 ? sampleSd(e.ys) : 0;
    return { network: e.network, type: e.type, x: e.x, mean: m, lo: m - sd, hi: m + sd, cores: e.ys.length };
  });
}

function curveSpec(rows: ReturnType<typeof curveRows>, types: string[], x: Record<string, unknown>, y: Record<string, unknown>, extra: unknown[] = []) {
  const colour = { field: 'type', type: 'nominal', scale: typeColour(types), title: 'type' };
  const dash = { field: 'network', type: 'nominal', title: 'network', legend: null };
  return {
    data: { values: rows },
    width: 380,
    height: 250,
    layer: [
      // The same colour channel as the lines, legend included: a `legend: null` here removes the merged legend of both layers.
      { mark: { type: 'area', opacity: 0.15 }, encoding: { x, y: { ...y, field: 'lo' }, y2: { field: 'hi' }, color: colour, detail: dash } },
      { mark: { type: 'line', strokeWidth: 1.6 }, encoding: { x, y, color: colour, detail: dash, tooltip: [{ field: 'network' }, { field: 'x' }, { field: 'mean', format: '.3f' }] } },
      ...extra,
    ],
  };
}

/** Figure 4B: cumulative variance explained by the top difference PCs (PCA of layer-1 influences). */
export async function fig4b(cores: readonly CoreActivity[]): Promise<Figure> {
  const types = typesPresent(cores);
  const rows = curveRows(cores, (n) => n.differencePca.cumulative.map((y, k) => ({ x: k + 1, y })));
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: 'Figure 4B: variance explained by the difference PCs', subtitle: [`PCA of layer-1 influences to ${cores[0]!.networks[0]!.differencePca.samples} level-5 images; top ${FIG4B_COMPONENTS}; shaded ± s.t.d. over ${cores.length} core(s); one line per network`] },
    ...curveSpec(rows, types, { field: 'x', type: 'quantitative', title: 'number of difference PCs' }, { field: 'mean', type: 'quantitative', title: 'cumulative fraction of variance', scale: { domain: [0, 1] } }),
  } as TopLevelSpec;
  return makeFigure('fig4b-difference-pc-variance', spec, rows);
}

/** Figure 4C: alignment of the top-200 difference-PC subspaces (cosine of the mean principal angle), mean over cores. */
export function fig4c(cores: readonly CoreActivity[]): Promise<Figure> {
  return matrixFigure('fig4c-subspace-alignment', 'Figure 4C: subspace alignment of the top difference PCs', [`cosine of the mean principal angle between the top-${FIG4C_COMPONENTS} difference-PC subspaces; 1 aligned, 0 orthogonal; mean over ${cores.length} core(s)`], summariseMatrices(cores[0]!.labelsOfNetworks, cores.map((c) => c.alignmentTop)), { domain: [0, 1] });
}

/** Figure 4D: fraction of the performance gap recovered by the influence rebuilt from the top k difference PCs. */
export async function fig4d(cores: readonly CoreActivity[]): Promise<Figure> {
  const types = typesPresent(cores);
  const rows = curveRows(cores, (n) => n.differencePca.curve.filter((p) => p.components > 0).map((p) => ({ x: p.components, y: p.fraction })));
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: 'Figure 4D: performance carried by the top difference PCs', subtitle: ['(accuracy with the influence rebuilt from the top k PCs, added to step-0 layer 1 and run through layers 2-4 − step 0) / (same with the whole influence − step 0)', `level-5 images; shaded ± s.t.d. over ${cores.length} core(s); dashed: ${GAP_FRACTION}`] },
    ...curveSpec(rows, types, { field: 'x', type: 'quantitative', title: 'number of difference PCs (log)', scale: { type: 'log' } }, { field: 'mean', type: 'quantitative', title: 'fraction of the performance gap' }, [{ mark: { type: 'rule', strokeDash: [4, 3], color: '#444' }, encoding: { y: { datum: GAP_FRACTION } } }]),
  } as TopLevelSpec;
  return makeFigure('fig4d-performance-vs-pcs', spec, rows);
}

/** Figure 4E: alignment using each network's number of PCs for 85 % of its gap, with those numbers beside the paper's. */
export async function fig4e(cores: readonly CoreActivity[]): Promise<{ figure: Figure; components: TypeSummary[] }> {
  const components = summariseByType(cores, (n) => n.differencePca.components85);
  const label = (s: TypeSummary) => `${s.network} ${Number.isFinite(s.mean) ? s.mean.toFixed(0) : 'n/a'}${PAPER_GAP_COMPONENTS[s.network] !== undefined ? ` (paper ${PAPER_GAP_COMPONENTS[s.network]})` : ''}`;
  const figure = await matrixFigure('fig4e-alignment-at-85', `Figure 4E: subspace alignment at ${100 * GAP_FRACTION} % of the performance gap`, [`each network's subspace: its top k PCs, k the fewest recovering ${100 * GAP_FRACTION} % of its gap; mean over ${cores.length} core(s)`, 'k per type (mean over cores):', ...Array.from({ length: Math.ceil(components.length / 4) }, (_, i) => `  ${components.slice(4 * i, 4 * i + 4).map(label).join('; ')}`)], summariseMatrices(cores[0]!.labelsOfNetworks, cores.map((c) => c.alignmentGap)), { domain: [0, 1] });
  return { figure, components };
}

/**
 * Figures 5, 6, 7 and supplementary Figure 9 (sections 2.4-2.5, Methods
 * 4.3): de-noising at every layer, the representation at every layer before
 * and after recurrence, layer and cross-layer dimensionality, and how each
 * noise type's cloud of images sits and moves.
 */
import type { CoreActivity } from '../recurrence/activity';
import { DIMENSIONALITY_GROUPS, LAYER_PAIRS, pairLabel, PAPER_UNIT_FRACTION, SUBSAMPLED_LAYERS } from '../recurrence/layers';
import {
  CATEGORY_TEST, CHANGE_TEST, categoryDifferences, denoisingBars, DIMENSIONALITY_ALPHA, RatioBar, ratioBars, RatioKind, subsampleShift,
} from '../recurrence/layerSummary';
import { LAYER_NAMES, LayerName } from '../recurrence/recording';
import { NOISE_TYPES } from '../noise/degrade';
import { extent as pointExtent } from './figActivity';
import { NOISE_COLOURS, typesPresent } from './figBehaviour';
import { makeFigure, type Figure, type TopLevelSpec } from './figure';

/** Margin of Figure 6's planes around their points (a fraction of the extent on each side). */
const LAYER_PLANE_MARGIN = 0.08;

/** How the figures name the layers (the paper's "layer 1" … "layer 4"). */
export const LAYER_LABELS: Record<LayerName, string> = { r1: 'layer 1', r2: 'layer 2', r3: 'layer 3', logits: 'layer 4 (logits)' };
const LAYER_ORDER = LAYER_NAMES.map((l) => LAYER_LABELS[l]);
/** `layer 1-2` for the pair `r1-r2`. */
export function pairName(pair: string): string {
  const number = (l: string) => ({ r1: '1', r2: '2', r3: '3', logits: '4' } as Record<string, string>)[l] ?? l;
  const [a, b] = pair.split('-');
  return `layers ${number(a!)}-${number(b!)}`;
}
const PAIR_ORDER = LAYER_PAIRS.map((p) => pairName(pairLabel(p)));
/** The paper's four types: the example networks of Figures 6 and 9. */
const PAPER_TYPES = ['FB-TT', 'LR-TT', 'FB-PC', 'LR-SS'];
const SHAPES = { domain: ['clean', ...NOISE_TYPES], range: ['circle', 'square', 'triangle-up', 'diamond', 'cross'] };
const GROUP_COLOURS = { domain: [...DIMENSIONALITY_GROUPS], range: ['#2ca02c', '#d62728', '#7f7f7f'] };
const CONDITION_COLOURS = { domain: ['clean', ...NOISE_COLOURS.domain], range: ['#222222', ...NOISE_COLOURS.range] };
const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';
const fmt = (v: number | null, digits = 2) => (v === null || !Number.isFinite(v) ? 'n/a' : v.toFixed(digits));

/**
 * Figure 5: de-noising d (equation 1) per type, layer and noise type, on the
 * level-5 images that recurrence turns from incorrect to correct; bars mean ±
 * s.t.d. over cores, the number of images under each bar (0: none, no bar).
 */
export async function fig5(cores: readonly CoreActivity[]): Promise<Figure> {
  const bars = denoisingBars(cores);
  const types = typesPresent(cores);
  const rows = bars.map((b) => ({
    ...b, layerLabel: LAYER_LABELS[b.layer], lo: b.mean !== null && b.sd !== null ? b.mean - b.sd : null, hi: b.mean !== null && b.sd !== null ? b.mean + b.sd : null,
    count: String(b.images), countAt: b.mean === null ? 0 : b.mean >= 0 ? (b.sd !== null ? b.mean + b.sd : b.mean) : (b.sd !== null ? b.mean - b.sd : b.mean),
  }));
  const empty = bars.filter((b) => b.images === 0);
  const x = { field: 'layerLabel', type: 'nominal', sort: LAYER_ORDER, title: null, axis: { labelAngle: -30 } };
  const xOffset = { field: 'noise', type: 'nominal', sort: [...NOISE_TYPES] };
  const spec = {
    $schema: SCHEMA,
    title: {
      text: 'Figure 5: de-noising at every layer',
      subtitle: [
        'd = r(clean, step 0; noisy, last step) − r(clean, step 0; noisy, step 0), Pearson r over units, per image (equation 1)',
        `level-5 images incorrect at step 0 and correct at the last step; bars: mean ± s.t.d. over ${cores.length} core(s) of the per-core mean (instances averaged)`,
        'numbers: images under the bar (all networks of the type, all cores)',
        empty.length ? `cells without such an image (no bar): ${[...new Set(empty.map((b) => b.network))].map((t) => `${t} ${empty.filter((b) => b.network === t).length} of ${LAYER_NAMES.length * NOISE_TYPES.length}`).join(', ')}` : 'every cell has images',
      ],
    },
    data: { values: rows },
    facet: { field: 'network', type: 'nominal', sort: types, title: null, header: { labelFontWeight: 'bold' } },
    columns: 4,
    spec: {
      width: 200,
      height: 150,
      layer: [
        { mark: { type: 'bar' }, transform: [{ filter: 'datum.mean !== null' }], encoding: { x, xOffset, y: { field: 'mean', type: 'quantitative', title: 'de-noising d' }, color: { field: 'noise', type: 'nominal', scale: NOISE_COLOURS, title: 'noise type' }, tooltip: [{ field: 'network' }, { field: 'layerLabel', title: 'layer' }, { field: 'noise' }, { field: 'mean', format: '.3f' }, { field: 'sd', format: '.3f' }, { field: 'images' }, { field: 'allImagesMean', format: '.3f', title: 'mean d, all images' }] } },
        { mark: { type: 'rule', color: 'black' }, transform: [{ filter: 'datum.lo !== null' }], encoding: { x, xOffset, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } } },
        { mark: { type: 'text', fontSize: 7, angle: 270, align: 'left', dx: 2 }, transform: [{ filter: 'datum.countAt >= 0' }], encoding: { x, xOffset, y: { field: 'countAt', type: 'quantitative' }, text: { field: 'count' } } },
        { mark: { type: 'text', fontSize: 7, angle: 270, align: 'right', dx: -2 }, transform: [{ filter: 'datum.countAt < 0' }], encoding: { x, xOffset, y: { field: 'countAt', type: 'quantitative' }, text: { field: 'count' } } },
        { mark: { type: 'rule', color: '#444', strokeDash: [2, 2] }, encoding: { y: { datum: 0 } } },
      ],
    },
  } as TopLevelSpec;
  return makeFigure('fig5-denoising', spec, { cores: cores.length, bars });
}

/**
 * Figure 6: per layer, class × noise-type means on the top 2 PCs of step-0
 * activity to clean and noisy images, at step 0 and at the last step of
 * example networks (instance A of each of the paper's four types, one core).
 * The axes are the same within a layer (a row), wide enough for every point,
 * except for the networks in `ownScale` (default LR-SS, as in the paper:
 * "note the scale is different for the surround suppression network"), whose
 * activity leaves the others' region far behind.
 */
export async function fig6(core: CoreActivity, options: { types?: readonly string[]; ownScale?: readonly string[] } = {}): Promise<Figure> {
  const wanted = options.types ?? PAPER_TYPES;
  const ownScale = options.ownScale ?? ['LR-SS'];
  const nets = core.networks.filter((n) => n.instance === 0 && wanted.includes(n.network));
  const panels = [{ title: 'feedforward (step 0)', own: false, points: (l: LayerName) => core.layerProjections[l] },
    ...nets.map((n) => ({ title: `${n.network} (last step)${ownScale.includes(n.network) ? ', own scale' : ''}`, own: ownScale.includes(n.network), points: (l: LayerName) => n.layerProjections[l] }))];
  const shared = Object.fromEntries(LAYER_NAMES.map((l) => [l, pointExtent(panels.filter((p) => !p.own).flatMap((p) => p.points(l)), LAYER_PLANE_MARGIN)])) as Record<LayerName, ReturnType<typeof pointExtent>>;
  const spec = {
    $schema: SCHEMA,
    title: {
      text: 'Figure 6: representations at every layer before and after recurrence',
      subtitle: [
        `core ${core.core}, instance A; PCs of step-0 activity to clean and level-5 noisy images (${core.layerPcaSamples} samples), one plane per layer (row)`,
        `each marker: the mean over images of one digit (colour) and noise type (shape); the same axes along a row${ownScale.length ? `, except ${ownScale.join(', ')} (own scale)` : ''}`,
      ],
    },
    vconcat: LAYER_NAMES.map((layer) => ({
      hconcat: panels.map((panel, k) => {
        const domain = panel.own ? pointExtent(panel.points(layer), LAYER_PLANE_MARGIN) : shared[layer];
        return {
          ...(layer === 'r1' ? { title: { text: panel.title, fontSize: 12 } } : {}),
          width: 140,
          height: 115,
          data: { values: panel.points(layer).map((p) => ({ ...p, panel: panel.title })) },
          mark: { type: 'point', filled: true, size: 40, opacity: 0.85 },
          encoding: {
            x: { field: 'pc1', type: 'quantitative', title: `PC 1 (${(100 * core.layerExplained[layer][0]).toFixed(0)} %)`, scale: { domain: domain.x, nice: false } },
            y: { field: 'pc2', type: 'quantitative', title: k === 0 ? [LAYER_LABELS[layer], `PC 2 (${(100 * core.layerExplained[layer][1]).toFixed(0)} %)`] : null, scale: { domain: domain.y, nice: false } },
            color: { field: 'digit', type: 'nominal', scale: { scheme: 'category10' }, title: 'digit' },
            shape: { field: 'condition', type: 'nominal', scale: SHAPES, title: 'noise type' },
            tooltip: [{ field: 'panel' }, { field: 'condition' }, { field: 'digit' }, { field: 'pc1', format: '.2f' }, { field: 'pc2', format: '.2f' }],
          },
        };
      }),
    })),
    resolve: { scale: { x: 'independent', y: 'independent' } },
  } as TopLevelSpec;
  return makeFigure('fig6-representations-all-layers', spec, {
    core: core.core, pcaSamples: core.layerPcaSamples, explained: core.layerExplained, sharedDomains: shared, ownScale,
    points: LAYER_NAMES.flatMap((layer) => panels.flatMap((panel) => panel.points(layer).map((p) => ({ layer, panel: panel.title, ...p })))),
  });
}

/** Rows of a ratio figure: bars with error limits and the asterisk texts. */
function ratioRows(bars: RatioBar[], label: (what: string) => string) {
  return bars.map((b) => ({
    ...b, whatLabel: label(b.what), lo: b.mean !== null && b.sem !== null ? b.mean - b.sem : null, hi: b.mean !== null && b.sem !== null ? b.mean + b.sem : null,
    star: b.significant ? '*' : '', starAt: b.mean === null ? 0 : b.mean + (b.sem ?? 0),
  }));
}

function ratioLayers(x: Record<string, unknown>, withCategoryStars: boolean) {
  const xOffset = { field: 'group', type: 'nominal', sort: [...DIMENSIONALITY_GROUPS] };
  const colour = { field: 'group', type: 'nominal', scale: GROUP_COLOURS, title: 'images' };
  return [
    { mark: { type: 'rule', color: '#444', strokeDash: [4, 3] }, encoding: { y: { datum: 1 } } },
    { mark: { type: 'bar' }, transform: [{ filter: 'datum.mean !== null' }], encoding: { x, xOffset, y: { field: 'mean', type: 'quantitative', title: 'after / before' }, color: colour, tooltip: [{ field: 'network' }, { field: 'whatLabel', title: 'what' }, { field: 'group' }, { field: 'mean', format: '.3f' }, { field: 'sem', format: '.3f' }, { field: 'networks' }, { field: 'before', format: '.2f', title: 'mean before' }, { field: 'after', format: '.2f', title: 'mean after' }, { field: 'pValue', format: '.2g' }] } },
    { mark: { type: 'rule', color: 'black' }, transform: [{ filter: 'datum.lo !== null' }], encoding: { x, xOffset, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } } },
    { mark: { type: 'text', fontSize: 13, fontWeight: 'bold', dy: -2, baseline: 'bottom' }, encoding: { x, xOffset, y: { field: 'starAt', type: 'quantitative' }, text: { field: 'star' }, color: colour } },
    ...(withCategoryStars ? [{ mark: { type: 'text', fontSize: 13, fontWeight: 'bold', color: 'black', baseline: 'bottom', dy: -12 }, transform: [{ filter: 'datum.categoryStar !== ""' }], encoding: { x, y: { field: 'categoryAt', type: 'quantitative' }, text: { field: 'categoryStar' } } }] : []),
  ];
}

/** Adds each (type, what) cell's black asterisk (category difference) to its rows. */
function withCategoryStars<T extends { network: string; what: string; hi: number | null; mean: number | null }>(rows: T[], cores: readonly CoreActivity[], kind: RatioKind) {
  const diffs = categoryDifferences(cores, kind);
  return rows.map((r) => {
    const d = diffs.find((x) => x.network === r.network && x.what === r.what);
    const top = Math.max(...rows.filter((o) => o.network === r.network && o.what === r.what).map((o) => o.hi ?? o.mean ?? 1));
    return { ...r, categoryStar: d?.significant && r === rows.find((o) => o.network === r.network && o.what === r.what) ? '*' : '', categoryAt: top };
  });
}

/**
 * Figure 7A: participation ratio (equation 2) of every layer after
 * recurrence, normalised per network by its step-0 value, by group of images;
 * bars mean ± s.e.m. over the networks of a type. Coloured asterisks: change
 * with recurrence ({@link CHANGE_TEST}); black: incorrect→correct differs from
 * correct→incorrect ({@link CATEGORY_TEST}); both p < .01.
 */
export async function fig7a(cores: readonly CoreActivity[]): Promise<Figure> {
  const kind: RatioKind = { kind: 'layer' };
  const bars = ratioBars(cores, kind);
  const rows = withCategoryStars(ratioRows(bars, (w) => LAYER_LABELS[w as LayerName]), cores, kind);
  const types = typesPresent(cores);
  const samples = cores[0]?.networks[0]?.layers.dimensionality.find((d) => d.group === 'all')?.samples ?? 0;
  const spec = {
    $schema: SCHEMA,
    title: {
      text: 'Figure 7A: layer dimensionality after recurrence, relative to step 0',
      subtitle: [
        'participation ratio of the PCA of activity (units centred and scaled to unit norm), last step / step 0, per network',
        `groups: images going incorrect→correct, correct→incorrect (each at most ${samples} samples, seeded subset), and all clean and noisy samples`,
        `bars: mean ± s.e.m. over the networks of a type (${cores.length} core(s) × instances); dashed: step 0`,
        `coloured *: change, ${CHANGE_TEST}, p < ${DIMENSIONALITY_ALPHA}`,
        `black *: ${CATEGORY_TEST}, p < ${DIMENSIONALITY_ALPHA}`,
      ],
    },
    data: { values: rows },
    facet: { field: 'network', type: 'nominal', sort: types, title: null, header: { labelFontWeight: 'bold' } },
    columns: 4,
    spec: { width: 200, height: 150, layer: ratioLayers({ field: 'whatLabel', type: 'nominal', sort: LAYER_ORDER, title: null, axis: { labelAngle: -30 } }, true) },
  } as TopLevelSpec;
  return makeFigure('fig7a-layer-dimensionality', spec, { changeTest: CHANGE_TEST, categoryTest: CATEGORY_TEST, alpha: DIMENSIONALITY_ALPHA, bars, categoryDifferences: categoryDifferences(cores, kind) });
}

/**
 * Figure 7B: cross-layer dimensionality of layer pairs after recurrence,
 * normalised per network by its step-0 value, exact on all units (top) and on
 * the paper's 20 % unit subsample (bottom), with how far the subsample moves
 * the numbers. Bars and asterisks as {@link fig7a}.
 */
export async function fig7b(cores: readonly CoreActivity[]): Promise<Figure> {
  const exactKind: RatioKind = { kind: 'pair', method: 'exact' };
  const subKind: RatioKind = { kind: 'pair', method: 'subsampled' };
  const methods = [`exact, all units`, `paper's ${100 * PAPER_UNIT_FRACTION} % unit subsample of ${SUBSAMPLED_LAYERS.map((l) => LAYER_LABELS[l]).join(' and ')}`];
  const rows = [
    ...withCategoryStars(ratioRows(ratioBars(cores, exactKind), pairName), cores, exactKind).map((r) => ({ ...r, method: methods[0]! })),
    ...withCategoryStars(ratioRows(ratioBars(cores, subKind), pairName), cores, subKind).map((r) => ({ ...r, method: methods[1]! })),
  ];
  const shift = subsampleShift(cores);
  const all = shift.find((s) => s.pair === 'all')!;
  const pct = (v: number | null) => (v === null ? 'n/a' : `${(100 * v).toFixed(2)} %`);
  const types = typesPresent(cores);
  const spec = {
    $schema: SCHEMA,
    title: {
      text: 'Figure 7B: cross-layer dimensionality after recurrence, relative to step 0',
      subtitle: [
        'participation ratio of the singular values of the covariance between two layers (units centred, unit norm),',
        'last step / step 0, per network; groups of images as Figure 7A',
        `top: exact on all units (pivoted Cholesky factors of the samples × samples Gram matrices); bottom: the paper's random ${100 * PAPER_UNIT_FRACTION} % of the units`,
        `the subsample moves the raw values by ${pct(all.meanRelative)} on average (largest ${pct(all.maxRelative)}), the plotted ratios by ${fmt(all.meanNormalised, 4)} (largest ${fmt(all.maxNormalised, 4)}), over ${all.values} values of the pairs with layer 1 or 2`,
        'bars: mean ± s.e.m. over the networks of a type; dashed: step 0',
        `coloured *: change, ${CHANGE_TEST}, p < ${DIMENSIONALITY_ALPHA}`,
        `black *: ${CATEGORY_TEST}, p < ${DIMENSIONALITY_ALPHA}`,
      ],
    },
    vconcat: methods.map((method) => ({
      title: { text: method, fontSize: 13, anchor: 'start' },
      data: { values: rows.filter((r) => r.method === method) },
      facet: { field: 'network', type: 'nominal', sort: types, title: null, header: { labelFontWeight: 'bold' } },
      columns: 4,
      spec: { width: 170, height: 130, layer: ratioLayers({ field: 'whatLabel', type: 'nominal', sort: PAIR_ORDER, title: null, axis: { labelAngle: -40 } }, true) },
    })),
    resolve: { scale: { y: 'shared' } },
  } as TopLevelSpec;
  return makeFigure('fig7b-cross-layer-dimensionality', spec, { changeTest: CHANGE_TEST, categoryTest: CATEGORY_TEST, alpha: DIMENSIONALITY_ALPHA, unitFraction: PAPER_UNIT_FRACTION, subsampledLayers: SUBSAMPLED_LAYERS, subsampleShift: shift, rows });
}

/** Points of a circle of diameter `size` around (x, y), for a line mark. */
function circle(x: number, y: number, size: number, steps = 40): { px: number; py: number; k: number }[] {
  return Array.from({ length: steps + 1 }, (_, k) => ({ px: x + (size / 2) * Math.cos((2 * Math.PI * k) / steps), py: y + (size / 2) * Math.sin((2 * Math.PI * k) / steps), k }));
}

/**
 * Supplementary Figure 9 at one layer (default layer 1): for example networks
 * (instance A of the paper's four types, one core), each condition's step-0
 * mean in the plane of its distance from the clean step-0 mean (the origin)
 * and its angle from the direction recurrence moves the clean mean (the x
 * axis); circles: cloud size (mean distance between images of the condition,
 * as diameter); lines: to where recurrence moves the mean. Below, the
 * distance, angle and cloud size before and after, plotted explicitly.
 */
export async function fig9(core: CoreActivity, options: { layer?: LayerName; types?: readonly string[] } = {}): Promise<Figure> {
  const layer = options.layer ?? 'r1';
  const wanted = options.types ?? PAPER_TYPES;
  const nets = core.networks.filter((n) => n.instance === 0 && wanted.includes(n.network));
  const cells = nets.flatMap((n) => n.layers.clouds.filter((c) => c.layer === layer).map((c) => ({ network: n.network, ...c })));
  const xy = (p: { distance: number; angle: number }) => ({ x: p.distance * Math.cos(p.angle), y: p.distance * Math.sin(p.angle) });
  const panel = (network: string) => {
    const own = cells.filter((c) => c.network === network);
    const centres = own.map((c) => ({ condition: c.condition, ...xy(c.before), to: xy(c.after), size: c.sizeBefore }));
    const outline = centres.flatMap((c) => circle(c.x, c.y, c.size).map((p) => ({ condition: c.condition, ...p })));
    const moves = centres.flatMap((c) => [{ condition: c.condition, mx: c.x, my: c.y, k: 0 }, { condition: c.condition, mx: c.to.x, my: c.to.y, k: 1 }]);
    const xs = [...outline.map((p) => p.px), ...moves.map((p) => p.mx)];
    const ys = [...outline.map((p) => p.py), ...moves.map((p) => p.my)];
    // A square domain, so that circles stay round.
    const half = Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys)) * 0.55;
    const cx = (Math.max(...xs) + Math.min(...xs)) / 2;
    const cy = (Math.max(...ys) + Math.min(...ys)) / 2;
    const x = { type: 'quantitative', scale: { domain: [cx - half, cx + half], nice: false }, title: 'along the clean move' };
    const y = { type: 'quantitative', scale: { domain: [cy - half, cy + half], nice: false }, title: 'orthogonal' };
    const colour = { field: 'condition', type: 'nominal', scale: CONDITION_COLOURS, title: 'images' };
    return {
      title: network,
      width: 190,
      height: 190,
      layer: [
        { data: { values: outline }, mark: { type: 'line', strokeWidth: 1, opacity: 0.7 }, encoding: { x: { ...x, field: 'px' }, y: { ...y, field: 'py' }, color: colour, detail: { field: 'condition' }, order: { field: 'k' } } },
        { data: { values: moves }, mark: { type: 'line', strokeWidth: 2 }, encoding: { x: { ...x, field: 'mx' }, y: { ...y, field: 'my' }, color: colour, detail: { field: 'condition' }, order: { field: 'k' } } },
        { data: { values: moves.filter((m) => m.k === 1) }, mark: { type: 'point', filled: true, size: 30 }, encoding: { x: { ...x, field: 'mx' }, y: { ...y, field: 'my' }, color: colour } },
        { data: { values: centres }, mark: { type: 'point', shape: 'cross', size: 60, color: 'black', angle: 45, filled: true }, encoding: { x: { ...x, field: 'x' }, y: { ...y, field: 'y' } } },
      ],
    };
  };
  const metrics = [
    { title: 'distance', value: (c: (typeof cells)[number], after: boolean) => (after ? c.after : c.before).distance },
    { title: 'angle (°)', value: (c: (typeof cells)[number], after: boolean) => (180 / Math.PI) * (after ? c.after : c.before).angle },
    { title: 'cloud size', value: (c: (typeof cells)[number], after: boolean) => (after ? c.sizeAfter : c.sizeBefore) },
  ];
  const valueRow = (metric: (typeof metrics)[number]) => ({
    hconcat: nets.map((n, k) => ({
      width: 190,
      height: 90,
      data: { values: cells.filter((c) => c.network === n.network).flatMap((c) => [false, true].map((after) => ({ network: n.network, condition: c.condition, step: after ? 'last step' : 'step 0', value: metric.value(c, after) }))) },
      mark: { type: 'bar' },
      encoding: {
        x: { field: 'condition', type: 'nominal', sort: CONDITION_COLOURS.domain, title: null, axis: metric === metrics.at(-1) ? { labelAngle: -30 } : { labels: false, ticks: false } },
        xOffset: { field: 'step', type: 'nominal', sort: ['step 0', 'last step'] },
        y: { field: 'value', type: 'quantitative', title: k === 0 ? metric.title : null },
        color: { field: 'condition', type: 'nominal', scale: CONDITION_COLOURS, title: 'images' },
        opacity: { field: 'step', type: 'ordinal', sort: ['step 0', 'last step'], scale: { domain: ['step 0', 'last step'], range: [0.4, 1] }, title: 'bars' },
        tooltip: [{ field: 'network' }, { field: 'condition' }, { field: 'step' }, { field: 'value', format: '.3f', title: metric.title }],
      },
    })),
  });
  const sizeImages = cells[0]?.sizeImages ?? 0;
  const spec = {
    $schema: SCHEMA,
    title: {
      text: `Supplementary Figure 9: how the clouds of images move with recurrence (${LAYER_LABELS[layer]})`,
      subtitle: [
        `core ${core.core}, instance A. Origin: mean step-0 activity to clean images; x axis: the direction recurrence moves that mean`,
        'X: each noise type\'s step-0 mean at its distance and angle from the origin; circle: cloud size as diameter (step 0); line and dot: where recurrence moves the mean',
        `cloud size: mean Euclidean distance between ${sizeImages} images of the same condition; below, the values plotted explicitly:`,
        'distance and angle of each mean from the origin and the x axis, and cloud size, at step 0 (light) and the last step (dark)',
      ],
    },
    vconcat: [{ hconcat: nets.map((n) => panel(n.network)) }, ...metrics.map(valueRow)],
    resolve: { scale: { x: 'independent', y: 'independent' } },
  } as TopLevelSpec;
  return makeFigure(`fig9-clouds-${layer}`, spec, { core: core.core, layer, sizeImages, clouds: cells });
}

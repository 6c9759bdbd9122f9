/**
 * Figures 2B-D (section 2.2, Methods 4.2): the level-5 gain per network and
 * noise type, incorrect-label agreement and the correlation of logit
 * differences between every pair of networks.
 */
import { AccuracyRecord, GAIN_TEST, gainBars } from '../recurrence/accuracy';
import { behaviourMatrices, CoreActivity, MatrixSummary, networkLabel, summariseMatrices } from '../recurrence/activity';
import { RECURRENCE_TYPES } from '../recurrence/rules';
import { NOISE_TYPES } from '../noise/degrade';
import { makeFigure, type Figure, type TopLevelSpec } from './figure';

/** One colour per recurrence type, shared by the activity figures. */
export const TYPE_COLOURS: Record<string, string> = {
  'FB-TT': '#1f77b4', 'LR-TT': '#ff7f0e', 'FB-PC': '#2ca02c', 'LR-SS': '#d62728', 'FB-R': '#9467bd', 'LR-R': '#8c564b', Grads: '#7f7f7f', 'LR-GRCL': '#e377c2',
};
/** The noise types' colours. */
export const NOISE_COLOURS = { domain: [...NOISE_TYPES], range: ['#4c78a8', '#f58518', '#54a24b', '#b279a2'] };

/** Figure 2B's order: the paper's types, instances A then B, with Grads and the random controls last. */
const BAR_ORDER = ['FB-TT', 'LR-TT', 'LR-GRCL', 'FB-PC', 'LR-SS', 'Grads', 'FB-R', 'LR-R'] as const;

/**
 * Figure 2B: the level-5 gain (last step − step 0) per network instance and
 * noise type, mean ± s.t.d. over cores, with a star over the bars whose
 * per-core gains differ from 0 ({@link GAIN_TEST}, p < .05).
 */
export async function fig2b(records: readonly AccuracyRecord[], options: { level?: number; alpha?: number } = {}): Promise<Figure> {
  const bars = gainBars(records, options);
  const labels = BAR_ORDER.flatMap((t) => [...new Set(bars.filter((b) => b.network === t).map((b) => b.instance))].map((i) => networkLabel(t, i)));
  const rows = bars.map((b) => {
    const sd = Number.isFinite(b.gain.sd) ? b.gain.sd : null;
    const gain = 100 * b.gain.mean;
    return {
      network: networkLabel(b.network, b.instance), type: b.network, noise: b.noise, gain, sd: sd === null ? null : 100 * sd,
      lo: sd === null ? null : gain - 100 * sd, hi: sd === null ? null : gain + 100 * sd, star: b.significant ? '*' : '',
      starAt: (sd === null ? gain : gain + Math.sign(gain || 1) * 100 * sd) + (gain >= 0 ? 2 : -5), pValue: b.pValue, cores: b.gain.n,
    };
  });
  const level = bars[0]?.level ?? 5;
  const x = { field: 'network', type: 'nominal' as const, sort: labels, title: null, axis: { labelAngle: -40 } };
  const xOffset = { field: 'noise', type: 'nominal' as const, sort: [...NOISE_TYPES] };
  const cores = Math.max(...rows.map((r) => r.cores));
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: `Figure 2B: accuracy gain at noise level ${level} by network and noise type`,
      subtitle: [`last step − step 0, percentage points; mean ± s.t.d. over ${cores} core(s); instances A and B apart`, `* p < ${options.alpha ?? 0.05} (${GAIN_TEST}${cores < 3 ? `; with ${cores} core${cores === 1 ? '' : 's'} only a consistent large gain can reach it` : ''})`],
    },
    data: { values: rows },
    width: 620,
    height: 260,
    layer: [
      { mark: { type: 'bar' }, encoding: { x, xOffset, y: { field: 'gain', type: 'quantitative', title: 'gain (percentage points)' }, color: { field: 'noise', type: 'nominal', scale: NOISE_COLOURS, title: 'noise type' }, tooltip: [{ field: 'network' }, { field: 'noise' }, { field: 'gain', format: '.1f' }, { field: 'sd', format: '.1f' }, { field: 'pValue', format: '.2g' }] } },
      { mark: { type: 'rule', color: 'black' }, transform: [{ filter: 'datum.sd !== null' }], encoding: { x, xOffset, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } } },
      { mark: { type: 'text', fontSize: 13, fontWeight: 'bold' }, encoding: { x, xOffset, y: { field: 'starAt', type: 'quantitative' }, text: { field: 'star' } } },
      { mark: { type: 'rule', color: '#444', strokeDash: [2, 2] }, encoding: { y: { datum: 0 } } },
    ],
  } as TopLevelSpec;
  return makeFigure('fig2b-gain-by-noise', spec, { level, test: GAIN_TEST, bars });
}

/** A heatmap of a matrix over networks (mean over cores), values printed in the cells. */
export async function matrixFigure(name: string, title: string, subtitle: string[], summary: MatrixSummary, options: { domain?: [number, number]; scheme?: string } = {}): Promise<Figure> {
  const rows = summary.labels.flatMap((a, i) => summary.labels.map((b, j) => ({ row: a, column: b, value: summary.mean[i]![j]!, sd: summary.sd[i]![j]!, text: Number.isFinite(summary.mean[i]![j]!) ? summary.mean[i]![j]!.toFixed(2) : '' })));
  const axis = { sort: summary.labels, title: null };
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: title, subtitle },
    data: { values: rows },
    width: 26 * summary.labels.length,
    height: 26 * summary.labels.length,
    encoding: { x: { field: 'column', type: 'nominal', ...axis, axis: { labelAngle: -50 } }, y: { field: 'row', type: 'nominal', ...axis } },
    layer: [
      { mark: 'rect', encoding: { color: { field: 'value', type: 'quantitative', title: null, scale: { scheme: options.scheme ?? 'viridis', ...(options.domain ? { domain: options.domain } : {}) } }, tooltip: [{ field: 'row' }, { field: 'column' }, { field: 'value', format: '.3f' }, { field: 'sd', format: '.3f', title: 's.t.d. over cores' }] } },
      { mark: { type: 'text', fontSize: 7.5 }, encoding: { text: { field: 'text' }, color: { condition: { test: `datum.value > ${(options.domain ? (options.domain[0] + options.domain[1]) / 2 : 0.5)}`, value: 'black' }, value: 'white' } } },
    ],
  } as TopLevelSpec;
  return makeFigure(name, spec, summary);
}

function networkLabels(cores: readonly CoreActivity[]): string[] {
  const labels = cores[0]?.labelsOfNetworks ?? [];
  for (const c of cores) if (c.labelsOfNetworks.join('|') !== labels.join('|')) throw new Error(`networks of core ${c.core} differ from core ${cores[0]!.core}'s`);
  return labels;
}

/** Figures 2C and 2D, mean over cores. */
export async function fig2cd(cores: readonly CoreActivity[]): Promise<{ c: Figure; d: Figure }> {
  const labels = networkLabels(cores);
  const per = cores.map(behaviourMatrices);
  const n = cores.length;
  const images = cores[0] ? cores[0].labels.length - cores[0].images : 0;
  return {
    c: await matrixFigure('fig2c-incorrect-label-agreement', 'Figure 2C: incorrect-label agreement', [`of the level-5 images both networks get wrong (last step), the fraction given the same label; ${images} images per core, mean over ${n} core(s)`], summariseMatrices(labels, per.map((p) => p.agreement)), { domain: [0, 1] }),
    d: await matrixFigure('fig2d-logit-difference-correlation', 'Figure 2D: correlation of logit differences', [`per image, Pearson r of (last-step − step-0 logits) between two networks, over level-5 images both classify correctly; mean over ${n} core(s)`], summariseMatrices(labels, per.map((p) => p.logitCorrelation)), { domain: [-1, 1], scheme: 'redblue' }),
  };
}

/** Types in the paper's order, as present among networks. */
export function typesPresent(cores: readonly CoreActivity[]): string[] {
  const present = new Set(cores.flatMap((c) => c.networks.map((n) => n.network)));
  return RECURRENCE_TYPES.filter((t) => present.has(t));
}

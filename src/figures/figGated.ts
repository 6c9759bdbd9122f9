/**
 * Figures of Azeglio et al.'s experiments on MNIST: the GRCNN's accuracy under
 * our degradations against its test-time iterations (gated and ungated), and
 * the augmented cores' robustness with the gain recurrence still adds to them.
 */
import { NOISE_TYPES } from '../noise/degrade';
import { AccuracyRecord, GainRow, levelGainTable, MeanSd } from '../recurrence/accuracy';
import { CoreRobustnessRecord, GrcnnAccuracyRecord, grcnnIterationCurves, NoiseColumn, robustnessCurves } from '../recurrence/robustness';
import { makeFigure, type Figure, type TopLevelSpec } from './figure';

/** Column titles, in plotting order. */
const COLUMN_TITLES: Record<NoiseColumn, string> = { clean: 'clean (level 0)', pixel: 'pixel noise', blur: 'blur', contrast: 'low contrast', occlusion: 'occlusion', mean: 'mean of the 4 types' };
const NOISE_COLUMNS: readonly NoiseColumn[] = [...NOISE_TYPES, 'mean'];
const GRCNN_COLUMNS: readonly NoiseColumn[] = ['clean', ...NOISE_COLUMNS];

/** How augmentations are named and coloured in the figures, in plotting order (no augmentation in black, the baseline). */
const AUGMENTATION_STYLES: readonly { name: string; title: string; colour: string }[] = [
  { name: 'none', title: 'none', colour: '#222222' },
  { name: 'cutmix', title: 'CutMix', colour: '#e41a1c' },
  { name: 'augmix', title: 'AugMix + JSD', colour: '#377eb8' },
  { name: 'phase-noise', title: 'phase noise', colour: '#4daf4a' },
];
const styleOf = (a: string) => AUGMENTATION_STYLES.find((s) => s.name === a) ?? { name: a, title: a, colour: '#984ea3' };
const augmentationTitle = (a: string) => styleOf(a).title;
/** Augmentations in plotting order: the known ones first, in their order. */
const sortAugmentations = (names: Iterable<string>) => {
  const rank = (a: string) => {
    const i = AUGMENTATION_STYLES.findIndex((s) => s.name === a);
    return i < 0 ? AUGMENTATION_STYLES.length : i;
  };
  return [...new Set(names)].sort((a, b) => rank(a) - rank(b));
};

/** Mean, s.t.d. (null when undefined: one replicate) and the error bar's ends, as figure data. */
function spread(m: MeanSd): { mean: number; sd: number | null; lo: number | null; hi: number | null; n: number } {
  const sd = Number.isFinite(m.sd) ? m.sd : null;
  return { mean: m.mean, sd, lo: sd === null ? null : m.mean - sd, hi: sd === null ? null : m.mean + sd, n: m.n };
}

/** "mean ± s.t.d. over N <what>", or the one-replicate case. */
function spreadLabel(counts: number[], what: string): string {
  const ns = [...new Set(counts)].sort((a, b) => a - b);
  if (ns.length === 1 && ns[0] === 1) return `one ${what.replace(/s$/, '')} (no s.t.d.)`;
  return `mean ± s.t.d. over ${ns.length === 1 ? ns[0] : `${ns[0]}-${ns[ns.length - 1]}`} ${what}`;
}

/** Options shared by the figures here. */
export interface FigGatedOptions {
  /** What the data are, shown in the title, e.g. `smoke profile`. */
  dataLabel?: string;
}

/**
 * GRCNN accuracy against the number of iterations every GRCL runs at test
 * time (0 … T; trained with T). Columns: clean, each noise type, their mean;
 * rows: level 5, and the mean of levels 1-6; one line per variant (gated, and
 * the ungated control when present), mean ± s.t.d. over networks.
 */
export async function figGrcnnIterations(records: readonly GrcnnAccuracyRecord[], options: FigGatedOptions = {}): Promise<Figure> {
  const curves = grcnnIterationCurves(records);
  const variantOf = (gated: boolean) => (gated ? 'gated (GRCL)' : 'ungated (σ ≡ 1)');
  const rows = curves.map((c) => ({ variant: variantOf(c.gated), column: COLUMN_TITLES[c.column], levels: c.levels, iterations: c.iterations, ...spread(c.accuracy) }));
  const variants = [...new Set(curves.map((c) => c.gated))].map(variantOf);
  const maxIterations = Math.max(...records.map((r) => r.iterations));
  const x = { field: 'iterations', type: 'ordinal' as const, title: 'iterations', axis: { labelAngle: 0 } };
  const y = { field: 'mean', type: 'quantitative' as const, title: 'accuracy', scale: { domain: [0, 1] }, axis: { values: [0, 0.2, 0.4, 0.6, 0.8, 1], format: '.1f' } };
  const color = { field: 'variant', type: 'nominal' as const, title: null, scale: { domain: variants, range: ['#1b7837', '#b2182b'] }, legend: { orient: 'top' as const, symbolType: 'stroke', symbolStrokeWidth: 3 } };
  const { legend: _legend, ...shade } = color;
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: `GRCNN accuracy under degradation by test-time iterations${options.dataLabel ? ` (${options.dataLabel})` : ''}`,
      subtitle: [
        `every GRCL runs k iterations at test time (trained with T = ${maxIterations});`,
        `batch-norm statistics re-estimated for each k; ${spreadLabel(curves.map((c) => c.accuracy.n), 'networks')};`,
        'levels calibrated on the Table 1 core (not the GRCNN\'s target accuracies)',
      ],
    },
    data: { values: rows },
    facet: {
      row: { field: 'levels', type: 'nominal', title: null, sort: [...new Set(curves.map((c) => c.levels))], header: { labelFontWeight: 'bold', labelAngle: -90 } },
      column: { field: 'column', type: 'nominal', title: null, sort: GRCNN_COLUMNS.map((c) => COLUMN_TITLES[c]), header: { labelFontWeight: 'bold' } },
    },
    spec: {
      width: 110,
      height: 150,
      layer: [
        { mark: { type: 'rule', strokeWidth: 1.2 }, transform: [{ filter: 'datum.sd !== null' }], encoding: { x, y: { ...y, field: 'lo' }, y2: { field: 'hi' }, color: shade } },
        { mark: { type: 'line', strokeWidth: 2 }, encoding: { x, y, color } },
        {
          mark: { type: 'point', filled: true, size: 36, opacity: 1 },
          encoding: { x, y, color: shade, tooltip: [{ field: 'variant' }, { field: 'column', title: 'noise' }, { field: 'levels' }, { field: 'iterations' }, { field: 'mean', format: '.3f' }, { field: 'sd', format: '.3f' }] },
        },
      ],
    },
    spacing: { row: 18, column: 10 },
  } as TopLevelSpec;
  return makeFigure('figG1-grcnn-iterations', spec, { curves: rows });
}

/** Input of {@link figAugmentation}: the shape of the augmentation stage's results. */
export interface AugmentationFigureInput {
  /** Feedforward accuracy of every augmented core on every condition. */
  robustness: readonly CoreRobustnessRecord[];
  /** Per recurrent network on an augmented core, its accuracy records (levels 0 and 5 at least, every step). */
  recurrence: readonly { augmentation: string; records: readonly AccuracyRecord[] }[];
}

/** The level-5 gain of every network per augmentation (instances averaged), as figure rows. */
export function augmentationGains(input: AugmentationFigureInput, level = 5): { augmentation: string; row: GainRow }[] {
  const augmentations = sortAugmentations(input.recurrence.map((r) => r.augmentation));
  return augmentations.flatMap((augmentation) => {
    const table = levelGainTable(input.recurrence.filter((r) => r.augmentation === augmentation).flatMap((r) => r.records), level);
    const networks = [...new Set(table.map((r) => r.network))];
    // One row per network: the mean over instances when there are several, else the one instance.
    return networks.map((network) => {
      const rows = table.filter((r) => r.network === network);
      return { augmentation, row: rows.find((r) => r.instance === 'mean') ?? rows[0] };
    });
  });
}

/**
 * Does augmentation replace recurrence? Top: feedforward accuracy of the
 * augmented cores against noise level, per noise type and their mean. Bottom:
 * the gain each task-trained recurrence type adds on each augmented core at
 * level 5 (last step minus step 0), per noise type and their mean.
 */
export async function figAugmentation(input: AugmentationFigureInput, options: FigGatedOptions = {}): Promise<Figure> {
  const level = 5;
  const curves = robustnessCurves(input.robustness);
  const augmentations = sortAugmentations(curves.map((c) => c.augmentation));
  const robustnessRows = curves.map((c) => ({ augmentation: augmentationTitle(c.augmentation), column: COLUMN_TITLES[c.column], level: c.level, ...spread(c.accuracy) }));
  const gains = augmentationGains(input, level);
  const gainRows = gains.flatMap(({ augmentation, row }) => [
    ...row.byNoise.map((b) => ({ augmentation: augmentationTitle(augmentation), network: row.network, column: COLUMN_TITLES[b.noise], ...spread(b) })),
    { augmentation: augmentationTitle(augmentation), network: row.network, column: COLUMN_TITLES.mean, ...spread(row.gain) },
  ]);
  const networks = [...new Set(gains.map((g) => g.row.network))];
  const augmentationOrder = augmentations.map(augmentationTitle);
  const columnSort = NOISE_COLUMNS.map((c) => COLUMN_TITLES[c]);
  const column = (title: string | null) => ({ field: 'column', type: 'nominal' as const, title, sort: columnSort, header: { labelFontWeight: 'bold' } });
  const augColor = { field: 'augmentation', type: 'nominal' as const, title: 'augmentation', scale: { domain: augmentationOrder, range: augmentations.map((a) => styleOf(a).colour) }, legend: { orient: 'right' as const, symbolType: 'stroke', symbolStrokeWidth: 3 } };
  const { legend: _legend, ...augShade } = augColor;
  const y = { field: 'mean', type: 'quantitative' as const, title: 'feedforward accuracy', scale: { domain: [0, 1] }, axis: { values: [0, 0.2, 0.4, 0.6, 0.8, 1], format: '.1f' } };
  const levelX = { field: 'level', type: 'ordinal' as const, title: 'level', axis: { labelAngle: 0 } };
  const gainX = { field: 'augmentation', type: 'nominal' as const, title: null, sort: augmentationOrder, axis: { labelAngle: -40 } };
  const gainY = { field: 'mean', type: 'quantitative' as const, title: `gain at level ${level}`, axis: { format: '+.2f' } };
  const netColor = { field: 'network', type: 'nominal' as const, title: 'recurrence', scale: { domain: networks, range: ['#4d4d4d', '#b2182b', '#2166ac'] }, legend: { orient: 'right' as const } };
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: `Does augmentation replace recurrence?${options.dataLabel ? ` (${options.dataLabel})` : ''}`,
      subtitle: [
        `top: feedforward accuracy of cores trained with each augmentation (level 0: clean);`,
        `bottom: gain of recurrence task-trained on each augmented core, last step minus step 0`,
        `at level ${level}, instances averaged; ${spreadLabel([...curves.map((c) => c.accuracy.n), ...gainRows.map((r) => r.n)], 'cores')}`,
      ],
    },
    vconcat: [
      {
        data: { values: robustnessRows },
        facet: { column: column(null) },
        spec: {
          width: 120,
          height: 150,
          layer: [
            { mark: { type: 'rule', strokeWidth: 1.2 }, transform: [{ filter: 'datum.sd !== null' }], encoding: { x: levelX, y: { ...y, field: 'lo' }, y2: { field: 'hi' }, color: augShade } },
            { mark: { type: 'line', strokeWidth: 1.8 }, encoding: { x: levelX, y, color: augColor } },
            { mark: { type: 'point', filled: true, size: 25, opacity: 1 }, encoding: { x: levelX, y, color: augShade, tooltip: [{ field: 'augmentation' }, { field: 'column', title: 'noise' }, { field: 'level' }, { field: 'mean', format: '.3f' }, { field: 'sd', format: '.3f' }] } },
          ],
        },
        spacing: 10,
      },
      {
        data: { values: gainRows },
        facet: { column: { ...column(null), header: { labelFontWeight: 'bold', labelFontSize: 0 } } },
        spec: {
          width: 120,
          height: 130,
          layer: [
            { mark: { type: 'bar', opacity: 0.85 }, encoding: { x: gainX, xOffset: { field: 'network', sort: networks }, y: gainY, color: netColor, tooltip: [{ field: 'augmentation' }, { field: 'network' }, { field: 'column', title: 'noise' }, { field: 'mean', format: '+.3f' }, { field: 'sd', format: '.3f' }] } },
            { mark: { type: 'rule', strokeWidth: 1.2, color: 'black' }, transform: [{ filter: 'datum.sd !== null' }], encoding: { x: gainX, xOffset: { field: 'network', sort: networks }, y: { ...gainY, field: 'lo' }, y2: { field: 'hi' } } },
            { mark: { type: 'rule', color: '#888', strokeDash: [3, 3] }, encoding: { y: { datum: 0 } } },
          ],
        },
        spacing: 10,
      },
    ],
    resolve: { scale: { color: 'independent' } },
    spacing: 18,
  } as TopLevelSpec;
  return makeFigure('figG2-augmentation', spec, { level, robustness: robustnessRows, gains: gainRows });
}

/**
 * Model recovery (src/analysis/modelRecovery.ts): which network a simulated
 * recording is identified as, by each method, at each noise level and number
 * of recorded neurons. Top: identification accuracy against noise level with
 * chance; bottom: the confusion matrices by recurrence type.
 */
import { pooledConfusion, RECOVERY_METHODS, type RecoveryConfusion, type RecoveryMethod } from '../analysis/modelRecovery';
import { makeFigure, type Figure, type TopLevelSpec } from './figure';

/** The settings a figure reports (the profile's `modelRecovery` section). */
export interface RecoveryFigureSettings {
  images: number;
  layer: string;
  candidateLayers: readonly string[];
  components: number;
  repetitions: number;
  replicates: number;
  splits: number;
  /** Instances of each recurrent type recorded from (1: A only). */
  sourceInstances: number;
}

/** One core's experiment, as the model-recovery stage returns it. */
export interface RecoveryFigureCore {
  settings: RecoveryFigureSettings;
  samples: number;
  poolUnits: number;
  networks: readonly { label: string; group: string; components: readonly number[] }[];
  confusion: readonly RecoveryConfusion[];
}

/** Method names in the figure. */
export const RECOVERY_METHOD_TITLES: Record<RecoveryMethod, string> = {
  predictivity: 'predictivity (PLS)',
  denoising: 'de-noising signature',
  dimensionality: 'dimensionality signature',
};

/** The experiment's settings in words, one line each (for subtitles and notebooks). */
export function recoverySettingsLines(cores: readonly RecoveryFigureCore[]): string[] {
  const first = cores[0];
  if (!first) return [];
  const s = first.settings;
  const kept = [...new Set(first.networks.flatMap((n) => n.components))].sort((a, b) => a - b);
  const keptText = kept.length === 1 ? `${kept[0]}` : `${kept[0]}-${kept[kept.length - 1]}`;
  return [
    `recording: layer ${s.layer} of FF or of ${s.sourceInstances === 1 ? 'instance A of' : 'every instance of'} each type, ${s.repetitions} repetitions;`,
    `${s.images} test images × 5 conditions (clean, 4 noise types at level 5) = ${first.samples} stimuli;`,
    `neurons drawn from ${first.poolUnits} responsive units; noise s.d. = level × the neuron's signal s.d.;`,
    `${s.replicates} recording(s) per source, noise level and neuron count; ${cores.length} core(s);`,
    `candidates: all ${first.networks.length} networks; predictivity: PLS on the top ${keptText} PCs of ${s.candidateLayers.join(', ')} (best layer), ${s.splits} splits;`,
    'signatures: nearest template (mean of 4 simulated recordings of the candidate);',
    'identification scored by recurrence type; dashed: chance (a uniform guess over the networks)',
  ];
}

/**
 * Identification accuracy (by type) against noise level per method and neuron
 * count, with chance, over the confusion matrices by type, pooled over cores.
 */
export async function figModelRecovery(cores: readonly RecoveryFigureCore[], options: { dataLabel?: string } = {}): Promise<Figure> {
  if (cores.length === 0) throw new Error('figModelRecovery: no cores');
  const pooled = pooledConfusion(cores);
  const groups = pooled[0]!.groups;
  const levels = [...new Set(pooled.map((c) => c.noiseLevel))].sort((a, b) => a - b);
  const counts = [...new Set(pooled.map((c) => c.neurons))].sort((a, b) => a - b);
  const methods = RECOVERY_METHODS.map((m) => RECOVERY_METHOD_TITLES[m]);
  const neuronsTitle = (n: number) => `${n} neurons`;
  const panelOf = (level: number, neurons: number) => `noise ${level} · ${neurons} neurons`;
  const panel = (c: RecoveryConfusion) => panelOf(c.noiseLevel, c.neurons);
  const panels = levels.flatMap((l) => counts.map((n) => panelOf(l, n)));
  const accuracyRows = pooled.map((c) => ({ method: RECOVERY_METHOD_TITLES[c.method], neurons: neuronsTitle(c.neurons), noiseLevel: c.noiseLevel, accuracy: c.accuracy, chance: c.chance, trials: c.trials }));
  const cells = pooled.flatMap((c) => c.counts.flatMap((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((count, j) => ({ method: RECOVERY_METHOD_TITLES[c.method], panel: panel(c), source: groups[i]!, identified: groups[j]!, count, fraction: total ? count / total : 0 }));
  }));
  const methodColor = { field: 'method', type: 'nominal' as const, title: null, sort: methods, scale: { domain: methods, range: ['#7b3294', '#1b7837', '#e08214'] }, legend: { orient: 'right' as const, symbolType: 'stroke', symbolStrokeWidth: 3, labelLimit: 250 } };
  const { legend: _legend, ...methodShade } = methodColor;
  const x = { field: 'noiseLevel', type: 'ordinal' as const, title: 'noise level', sort: levels, axis: { labelAngle: 0 } };
  const y = { field: 'accuracy', type: 'quantitative' as const, title: 'identified type correct', scale: { domain: [0, 1] }, axis: { values: [0, 0.25, 0.5, 0.75, 1], format: '.2f' } };
  const cell = 15;
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: `Model recovery: which network is a recording identified as?${options.dataLabel ? ` (${options.dataLabel})` : ''}`,
      subtitle: recoverySettingsLines(cores),
    },
    vconcat: [
      {
        data: { values: accuracyRows },
        facet: { column: { field: 'neurons', type: 'nominal', title: null, sort: counts.map(neuronsTitle), header: { labelFontWeight: 'bold' } } },
        spec: {
          width: 200,
          height: 140,
          layer: [
            { mark: { type: 'line', strokeWidth: 2 }, encoding: { x, y, color: methodColor } },
            { mark: { type: 'point', filled: true, size: 40, opacity: 1 }, encoding: { x, y, color: methodShade, tooltip: [{ field: 'method' }, { field: 'neurons' }, { field: 'noiseLevel', title: 'noise level' }, { field: 'accuracy', format: '.3f' }, { field: 'chance', format: '.3f' }, { field: 'trials' }] } },
            { mark: { type: 'line', strokeDash: [4, 3], color: '#777', strokeWidth: 1.2 }, encoding: { x, y: { field: 'chance', type: 'quantitative' }, detail: { field: 'method' } } },
          ],
        },
        spacing: 12,
      },
      ...methods.map((method, m) => ({
        title: { text: method, anchor: 'start' as const, fontSize: 13 },
        data: { values: cells.filter((c) => c.method === method) },
        facet: { column: { field: 'panel', type: 'nominal' as const, title: null, sort: panels, header: m === 0 ? { labelFontWeight: 'bold' as const, labelExpr: "split(datum.value, ' · ')" } : { labels: false } } },
        spec: {
          width: cell * groups.length,
          height: cell * groups.length,
          mark: { type: 'rect' as const },
          encoding: {
            x: { field: 'identified', type: 'nominal' as const, sort: groups, title: m === methods.length - 1 ? 'identified as' : null, axis: m === methods.length - 1 ? { labelAngle: -60, labelFontSize: 9 } : { labels: false, ticks: false } },
            y: { field: 'source', type: 'nominal' as const, sort: groups, title: 'recorded from', axis: { labelFontSize: 9 } },
            color: { field: 'fraction', type: 'quantitative' as const, title: ['share of the', 'source type\'s', 'recordings'], scale: { domain: [0, 1], scheme: 'greys' }, legend: m === 0 ? { orient: 'right' as const, gradientLength: 120 } : null },
            tooltip: [{ field: 'method' }, { field: 'panel' }, { field: 'source' }, { field: 'identified' }, { field: 'count' }, { field: 'fraction', format: '.2f' }],
          },
        },
        spacing: 8,
      })),
    ],
    spacing: 22,
  } as TopLevelSpec;
  return makeFigure('figR-model-recovery', spec, { settings: cores[0]!.settings, samples: cores[0]!.samples, poolUnits: cores[0]!.poolUnits, cores: cores.length, networks: cores[0]!.networks, accuracy: accuracyRows, confusion: cells });
}

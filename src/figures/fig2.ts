/**
 * Figure 2A: accuracy over time per network type (panels) and noise level
 * (lines), averaged over noise types, with the steps that differ
 * significantly from the feedforward pass (step 0) marked.
 */
import { AccuracyRecord, FB_PC_PLOTTED_STEPS, levelCurves, LevelCurvePoint, plottedSteps, STEP_TEST, StepSignificance, stepSignificance } from '../recurrence/accuracy';
import { NUM_LEVELS } from '../noise/degrade';
import { RECURRENCE_SPECS } from '../recurrence/rules';
import { makeFigure, type Figure, type TopLevelSpec } from './figure';

/** Options of {@link fig2a}. */
export interface Fig2aOptions {
  /** Significance level of the markers (default .05, as in the paper). */
  alpha?: number;
  /** What the data are, shown in the title, e.g. `smoke profile` (default none). */
  dataLabel?: string;
}

/** How a plotted step compares with step 0, shown by the marker. */
type Marker = 'step 0' | 'higher than step 0' | 'not significant' | 'not tested (n < 2)' | 'lower than step 0';

function markerOf(point: LevelCurvePoint, test: StepSignificance | undefined): Marker {
  if (point.timeStep === 0 || test === undefined) return 'step 0';
  if (Number.isNaN(test.pValue)) return 'not tested (n < 2)';
  if (!test.significant) return 'not significant';
  return test.meanDifference > 0 ? 'higher than step 0' : 'lower than step 0';
}

/** "mean ± s.t.d. over N cores", or the range of N when networks differ, or the one-core case. */
function spreadLabel(curves: LevelCurvePoint[]): string {
  const counts = [...new Set(curves.map((c) => c.accuracy.n))].sort((a, b) => a - b);
  if (counts.length === 1 && counts[0] === 1) return 'one core (no s.t.d.)';
  const n = counts.length === 1 ? `${counts[0]}` : `${counts[0]}-${counts[counts.length - 1]}`;
  return `mean ± s.t.d. over ${n} cores`;
}

/**
 * Figure 2A: one panel per network type present (paper order), x = the
 * plotted time steps ({@link plottedSteps}; FB-PC shows steps 0, 6 and 12,
 * evenly spaced), y = accuracy averaged over noise types and instances,
 * mean ± s.t.d. over cores (no bars with one core), one line per noise level.
 * Markers at steps ≥ 1 give the {@link stepSignificance} result at `alpha`:
 * filled circle = significantly higher than step 0, open circle = not
 * significant (or untestable: fewer than 2 pairs), filled down-triangle =
 * significantly lower.
 */
export async function fig2a(records: readonly AccuracyRecord[], options: Fig2aOptions = {}): Promise<Figure> {
  const { alpha = 0.05, dataLabel } = options;
  const curves = levelCurves(records);
  const significance = stepSignificance(records, { alpha });
  const testOf = new Map(significance.map((s) => [`${s.network}|${s.level}|${s.timeStep}`, s]));
  const networks = [...new Set(curves.map((c) => c.network))];
  const levels = Array.from({ length: NUM_LEVELS + 1 }, (_, l) => l);
  const rows = curves.map((c) => {
    const test = testOf.get(`${c.network}|${c.level}|${c.timeStep}`);
    const sd = Number.isFinite(c.accuracy.sd) ? c.accuracy.sd : null;
    return {
      network: c.network, level: c.level, step: c.timeStep,
      mean: c.accuracy.mean, sd, lo: sd === null ? null : c.accuracy.mean - sd, hi: sd === null ? null : c.accuracy.mean + sd, cores: c.accuracy.n,
      marker: markerOf(c, test), pValue: test?.pValue ?? null, meanDifference: test?.meanDifference ?? null,
    };
  });
  const pLabel = `p < ${String(alpha).replace(/^0\./, '.')}`;
  const fbPc = networks.includes('FB-PC') ? `; FB-PC: steps ${FB_PC_PLOTTED_STEPS.join(', ')} of ${RECURRENCE_SPECS['FB-PC'].timeSteps}` : '';
  const x = { field: 'step', type: 'ordinal' as const, title: 'time step', axis: { labelAngle: 0 }, scale: { padding: 0.35 } };
  const y = { field: 'mean', type: 'quantitative' as const, title: 'accuracy', scale: { domain: [0, 1] }, axis: { values: [0, 0.2, 0.4, 0.6, 0.8, 1], format: '.1f' } };
  const color = { field: 'level', type: 'ordinal' as const, title: 'noise level', scale: { domain: levels, scheme: 'viridis', reverse: true }, legend: { symbolType: 'stroke', symbolStrokeWidth: 3 } };
  // One legend, from the lines; the other layers share the scale without their own.
  const { legend: _legend, ...shade } = color;
  const tooltip = [{ field: 'network' }, { field: 'level' }, { field: 'step' }, { field: 'mean', format: '.3f' }, { field: 'sd', format: '.3f' }, { field: 'marker', title: 'vs step 0' }, { field: 'pValue', format: '.2g' }];
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: `Figure 2A: accuracy over time by noise level${dataLabel ? ` (${dataLabel})` : ''}`,
      subtitle: [
        `${spreadLabel(curves)}, averaged over the 4 noise types (level 0: clean) and over instances${fbPc}`,
        `markers vs step 0 (two-sided ${STEP_TEST}, ${pLabel}): ● higher, ○ not significant${rows.some((r) => r.marker === 'not tested (n < 2)') ? ' or not testable (n < 2)' : ''}, ▼ lower`,
      ],
    },
    data: { values: rows },
    facet: { column: { field: 'network', type: 'nominal', sort: networks, title: null, header: { labelFontSize: 13, labelFontWeight: 'bold' } } },
    spec: {
      width: 105,
      height: 190,
      layer: [
        { mark: { type: 'rule', strokeWidth: 1.2 }, transform: [{ filter: 'datum.sd !== null' }], encoding: { x, y: { ...y, field: 'lo' }, y2: { field: 'hi' }, color: shade } },
        { mark: { type: 'line', strokeWidth: 1.8 }, encoding: { x, y, color } },
        {
          transform: [{ filter: "datum.marker === 'step 0' || datum.marker === 'higher than step 0'" }],
          mark: { type: 'point', shape: 'circle', size: 38, filled: true, opacity: 1 },
          encoding: { x, y, color: shade, tooltip },
        },
        {
          transform: [{ filter: "datum.marker === 'not significant' || datum.marker === 'not tested (n < 2)'" }],
          mark: { type: 'point', shape: 'circle', size: 38, strokeWidth: 1.5, filled: false, fill: 'white', opacity: 1 },
          encoding: { x, y, color: shade, tooltip },
        },
        {
          transform: [{ filter: "datum.marker === 'lower than step 0'" }],
          mark: { type: 'point', shape: 'triangle-down', size: 50, filled: true, opacity: 1 },
          encoding: { x, y, color: shade, tooltip },
        },
      ],
    },
    resolve: { scale: { x: 'independent' } },
    spacing: 12,
  } as TopLevelSpec;
  return makeFigure('fig2a-accuracy-over-time', spec, { alpha, test: STEP_TEST, dataLabel: dataLabel ?? null, plottedSteps: Object.fromEntries(networks.map((n) => [n, plottedSteps(n)])), curves, significance });
}

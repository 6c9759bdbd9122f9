/**
 * The studies' figures: the level-5 gain of every FB-PC variant by noise
 * type, and the gains of FB-TT, LR-TT and FB-PC against their training
 * length.
 */
import { NOISE_TYPES } from '../noise/degrade';
import { FbpcVariantStudy, fbpcVariantRows, instanceGain, TrainingLengthStudy, trainingLengthRows } from '../recurrence/studies';
import { NOISE_COLOURS, TYPE_COLOURS } from './figBehaviour';
import { makeFigure, type Figure, type TopLevelSpec } from './figure';

/** Bars: each variant's gain (last step − step 0) per noise type, mean over instances, with each instance as a tick. */
export async function figFbpcVariants(study: FbpcVariantStudy): Promise<Figure> {
  const rows = fbpcVariantRows(study);
  const order = rows.map((r) => r.id);
  const bars = rows.flatMap((r) => r.gains.map((g) => ({ variant: r.id, noise: g.noise, gain: 100 * g.gain })));
  const ticks = study.results.flatMap((r) => r.instances.flatMap((e) => NOISE_TYPES.map((noise) => ({ variant: r.variant.id, noise, instance: e.instance, gain: 100 * instanceGain(e, noise) }))));
  const x = { field: 'variant', type: 'nominal' as const, sort: order, title: null, axis: { labelAngle: -30, labelLimit: 240 } };
  const xOffset = { field: 'noise', type: 'nominal' as const, sort: [...NOISE_TYPES] };
  const instances = Math.max(...rows.map((r) => r.instances));
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: `FB-PC variants: accuracy gain at noise level ${study.level} by noise type`,
      subtitle: [`last step − step 0, percentage points; profile ${study.profile}, core ${study.core}`, `bars: mean of ${instances} instance(s); ticks: each instance`],
    },
    width: 80 * rows.length,
    height: 260,
    layer: [
      { data: { values: bars }, mark: { type: 'bar' }, encoding: { x, xOffset, y: { field: 'gain', type: 'quantitative', title: 'gain (percentage points)' }, color: { field: 'noise', type: 'nominal', scale: NOISE_COLOURS, title: 'noise type' }, tooltip: [{ field: 'variant' }, { field: 'noise' }, { field: 'gain', format: '.1f' }] } },
      { data: { values: ticks }, mark: { type: 'tick', color: 'black', thickness: 1.5, size: 9 }, encoding: { x, xOffset, y: { field: 'gain', type: 'quantitative' }, tooltip: [{ field: 'variant' }, { field: 'noise' }, { field: 'instance' }, { field: 'gain', format: '.1f' }] } },
      { data: { values: [{}] }, mark: { type: 'rule', color: '#444', strokeDash: [2, 2] }, encoding: { y: { datum: 0 } } },
    ],
  } as TopLevelSpec;
  return makeFigure('fbpc-variants', spec, { profile: study.profile, core: study.core, level: study.level, rows });
}

/**
 * Lines: the gain (last step − step 0) at the study's level against the
 * batches each network trained (log axis), one panel per noise type and one
 * for their mean; lines through the mean of the instances, points for each.
 */
export async function figTrainingLength(study: TrainingLengthStudy): Promise<Figure> {
  const panels = [...NOISE_TYPES, 'mean'];
  const means = trainingLengthRows(study).flatMap((r) => [
    ...r.gains.map((g) => ({ type: r.type, panel: g.noise, batches: r.batches, factor: r.factor, gain: 100 * g.gain })),
    { type: r.type, panel: 'mean', batches: r.batches, factor: r.factor, gain: 100 * r.meanGain },
  ]);
  const points = study.results.flatMap((r) => r.instances.flatMap((e) => {
    const gains = NOISE_TYPES.map((noise) => 100 * instanceGain(e, noise));
    return [...NOISE_TYPES.map((noise, k) => ({ type: r.type, panel: noise, batches: r.batches, instance: e.instance, gain: gains[k]! })), { type: r.type, panel: 'mean', batches: r.batches, instance: e.instance, gain: gains.reduce((s, g) => s + g, 0) / gains.length }];
  }));
  const types = [...new Set(study.results.map((r) => r.type))];
  const x = { field: 'batches', type: 'quantitative' as const, scale: { type: 'log' as const }, title: 'training batches (log)', axis: { tickCount: 4 } };
  const y = { field: 'gain', type: 'quantitative' as const, title: 'gain (percentage points)' };
  const color = { field: 'type', type: 'nominal' as const, title: 'network', scale: { domain: types, range: types.map((t) => TYPE_COLOURS[t] ?? '#000') } };
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: `Training length: accuracy gain at noise level ${study.level}`,
      subtitle: [`last step − step 0, percentage points; profile ${study.profile}, core ${study.core}; ${study.factors.join('x, ')}x the profile's batches`, 'lines: mean of the instances; points: each instance'],
    },
    data: { values: [...means.map((m) => ({ ...m, kind: 'mean' })), ...points.map((p) => ({ ...p, kind: 'instance' }))] },
    facet: { field: 'panel', type: 'nominal', sort: panels, title: null },
    columns: panels.length,
    spec: {
      width: 150,
      height: 200,
      layer: [
        { transform: [{ filter: "datum.kind === 'mean'" }], mark: { type: 'line', point: false }, encoding: { x, y, color, tooltip: [{ field: 'type' }, { field: 'batches' }, { field: 'gain', format: '.1f' }] } },
        { transform: [{ filter: "datum.kind === 'instance'" }], mark: { type: 'point', filled: true, size: 25, opacity: 0.7 }, encoding: { x, y, color } },
        { mark: { type: 'rule', color: '#444', strokeDash: [2, 2] }, encoding: { y: { datum: 0 } } },
      ],
    },
    resolve: { scale: { y: 'shared' } },
  } as TopLevelSpec;
  return makeFigure('training-length', spec, { profile: study.profile, core: study.core, level: study.level, factors: study.factors, rows: trainingLengthRows(study) });
}

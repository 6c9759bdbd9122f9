/**
 * Figure 1B (the grid of degradations: noise type by level) and the noise
 * calibration curves.
 */
import { ImageSet, IMAGE_SIZE, sliceSet } from '../data/mnist';
import { grayPngDataUrl } from './png';
import { degradeImages, NOISE_PARAMS, NOISE_TYPES, NoiseType, NUM_LEVELS } from '../noise/degrade';
import { type Calibration, noiseParam } from '../noise/calibrate';
import { Figure, makeFigure, TopLevelSpec } from './figure';

/** Options for {@link fig1b}. */
export interface Fig1bOptions {
  /** Which image of the set to show (default 0). */
  index?: number;
  /** Occlusion fill value (training mean intensity). */
  fillValue: number;
}

/**
 * Figure 1B: one digit under every noise type (columns) and level (rows, 0 =
 * clean). As in the paper, the low-contrast column has its own colour scale
 * (the brightest pixel of that column is white), since even level 1 is too
 * faint on the shared one; other columns show [0, 1], clamped.
 */
export async function fig1b(set: ImageSet, calibration: Calibration, options: Fig1bOptions): Promise<Figure> {
  const one = sliceSet(set, options.index ?? 0, (options.index ?? 0) + 1);
  const rows: { type: string; level: number; param: number; min: number; max: number; url: string }[] = [];
  for (const type of NOISE_TYPES) {
    const images: Float32Array[] = [];
    for (let level = 0; level <= NUM_LEVELS; level++) {
      images.push(degradeImages(one, type, noiseParam(calibration, type, level), { seed: calibration.seed, level, fillValue: options.fillValue }));
    }
    const columnMax = type === 'contrast' ? Math.max(...images.slice(1).map((im) => im.reduce((m, v) => Math.max(m, v), 0))) : 1;
    images.forEach((im, level) => {
      const shade = im.map((v) => v / columnMax);
      rows.push({
        type, level, param: noiseParam(calibration, type, level),
        min: im.reduce((m, v) => Math.min(m, v), Infinity), max: im.reduce((m, v) => Math.max(m, v), -Infinity),
        url: grayPngDataUrl(shade, IMAGE_SIZE, IMAGE_SIZE, 3),
      });
    });
  }
  const size = 84;
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: 'Figure 1B: image degradations by type and level', subtitle: [`level 0 = clean; low contrast on its own colour scale`, `test image ${one.sourceIndex[0]}; parameters from the calibration`] },
    data: { values: rows },
    facet: {
      row: { field: 'level', type: 'ordinal', title: 'noise level' },
      column: { field: 'type', type: 'nominal', sort: [...NOISE_TYPES], title: 'noise type' },
    },
    spec: {
      width: size,
      height: size,
      mark: { type: 'image', width: size, height: size, aspect: false, smooth: false },
      encoding: {
        url: { field: 'url', type: 'nominal' },
        x: { value: size / 2 },
        y: { value: size / 2 },
        tooltip: [{ field: 'type' }, { field: 'level' }, { field: 'param', format: '.3g' }, { field: 'min', format: '.3f' }, { field: 'max', format: '.3f' }],
      },
    },
    spacing: 4,
  } as TopLevelSpec;
  const params = NOISE_TYPES.map((type) => ({ type, label: NOISE_PARAMS[type].label, levels: Array.from({ length: NUM_LEVELS + 1 }, (_, l) => noiseParam(calibration, type, l)) }));
  return makeFigure('fig1b-degradations', spec, { image: one.sourceIndex[0], source: one.source, params });
}

/**
 * Calibration curves: feedforward accuracy on the validation images against
 * each noise parameter, every bisection evaluation shown, the chosen level
 * parameters marked with their level number, targets as dashed lines.
 */
export async function figCalibration(calibration: Calibration): Promise<Figure> {
  const panel = (type: NoiseType) => `${type}: ${NOISE_PARAMS[type].label}`;
  const points = NOISE_TYPES.flatMap((type) => calibration.types[type].points.map((p) => ({ type, panel: panel(type), param: p.param, accuracy: p.accuracy, levelKey: p.level })));
  const chosen = NOISE_TYPES.flatMap((type) => calibration.types[type].levels.map((l) => ({ type, panel: panel(type), param: l.param, accuracy: l.accuracy, target: l.target, level: l.level })));
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: 'Noise calibration: feedforward accuracy vs noise parameter (core 0, validation split)', subtitle: `${calibration.images} validation images; grey: every evaluation; numbers: chosen levels; dashed: targets` },
    data: { values: [...points.map((p) => ({ ...p, kind: 'evaluation' })), ...chosen.map((c) => ({ ...c, kind: 'level' }))] },
    facet: { column: { field: 'panel', type: 'nominal', sort: NOISE_TYPES.map(panel), title: null } },
    resolve: { scale: { x: 'independent' } },
    spec: {
      width: 170,
      height: 170,
      layer: [
        { data: { values: calibration.targets.map((t) => ({ t })) }, mark: { type: 'rule', strokeDash: [3, 3], color: '#bbb' }, encoding: { y: { field: 't', type: 'quantitative' } } },
        { transform: [{ filter: "datum.kind === 'evaluation'" }], mark: { type: 'point', filled: true, color: '#999', size: 25 }, encoding: { x: { field: 'param', type: 'quantitative', title: 'parameter' }, y: { field: 'accuracy', type: 'quantitative', title: 'accuracy', scale: { domain: [0, 1] } } } },
        { transform: [{ filter: "datum.kind === 'level'" }], mark: { type: 'point', filled: true, color: '#d62728', size: 50 }, encoding: { x: { field: 'param', type: 'quantitative' }, y: { field: 'accuracy', type: 'quantitative' }, tooltip: [{ field: 'level' }, { field: 'param', format: '.3g' }, { field: 'accuracy', format: '.3f' }, { field: 'target' }] } },
        { transform: [{ filter: "datum.kind === 'level'" }], mark: { type: 'text', dx: 8, dy: -6, fontSize: 10, color: '#d62728' }, encoding: { x: { field: 'param', type: 'quantitative' }, y: { field: 'accuracy', type: 'quantitative' }, text: { field: 'level' } } },
      ],
    },
  } as TopLevelSpec;
  return makeFigure('calibration-curves', spec, { images: calibration.images, targets: calibration.targets, levels: chosen, evaluations: points });
}

/**
 * The dynamics of one image, layer by layer: for each network, the activity of
 * layer 1 and layer 2 (mean over feature maps) and the probability of the
 * true class at every plotted time step.
 */
import * as tf from '@tensorflow/tfjs';
import { plottedSteps } from '../recurrence/accuracy';
import { disposeTaps, predictAtSteps, RecurrentNetwork, runDynamics } from '../recurrence/networks';
import { Figure, makeFigure, TopLevelSpec } from './figure';
import { grayPngDataUrl } from './png';

/** Options for {@link figDynamics}. */
export interface FigDynamicsOptions {
  /** Pixels of the image `[28, 28]`. */
  image: Float32Array;
  label: number;
  /** Caption of the image, e.g. `blur, level 5, test image 3`. */
  caption: string;
}

/**
 * The first image of `pixels` `[n, 28, 28]` that `net` gets wrong at step 0
 * and right at its last step (null if none): a good example of recurrence at work.
 */
export function pickExample(net: RecurrentNetwork, pixels: Float32Array, labels: Uint8Array): number | null {
  const n = labels.length;
  const last = net.timeSteps - 1;
  const [first, final] = predictAtSteps(net, pixels, labels, (s) => s === 0 || s === last);
  for (let i = 0; i < n; i++) if (first![i] !== labels[i] && final![i] === labels[i]) return i;
  return null;
}

/** Mean over feature maps of `[1, h, w, c]`, scaled so the map's maximum is white. */
function meanMap(t: tf.Tensor4D): { values: Float32Array; size: number; max: number } {
  return tf.tidy(() => {
    const m = tf.mean(t, 3).squeeze([0]);
    const max = tf.max(m).dataSync()[0]!;
    const values = tf.div(m, Math.max(max, 1e-12)).dataSync() as Float32Array;
    return { values, size: t.shape[1], max };
  });
}

/** Rows of image cells: network × layer × plotted step, with the true-class probability. */
export async function figDynamics(networks: RecurrentNetwork[], options: FigDynamicsOptions): Promise<Figure> {
  const rows: Record<string, string | number>[] = [];
  const x = tf.tensor4d(options.image, [1, 28, 28, 1]);
  const labels = tf.tensor1d([options.label], 'int32');
  for (const net of networks) {
    const shown = plottedSteps(net.type);
    const taps = runDynamics(net, x, { labels, keep: (s) => shown.includes(s) });
    taps.forEach((t, position) => {
      const p = tf.tidy(() => tf.softmax(t.logits!).dataSync());
      const predicted = p.indexOf(Math.max(...p));
      for (const [layer, tensor] of [['layer 1 (r1)', t.r1], ['layer 2 (r2)', t.r2]] as const) {
        const m = meanMap(tensor);
        rows.push({
          network: net.type, layer, step: t.timeStep, position, url: grayPngDataUrl(m.values, m.size, m.size, Math.round(84 / m.size)),
          label: `t=${t.timeStep}: p(${options.label})=${p[options.label]!.toFixed(2)}, says ${predicted}`, max: m.max,
        });
      }
    });
    disposeTaps(taps);
  }
  tf.dispose([x, labels]);
  const size = 84;
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: `Dynamics of one image (${options.caption}, label ${options.label})`, subtitle: ['in each cell: layer 1 (r1, 28x28) left, layer 2 (r2, 14x14) right; mean over feature maps, each map scaled to its own maximum', 'text: probability of the true class and the predicted class at that step'] },
    data: { values: rows },
    facet: {
      row: { field: 'network', type: 'nominal', sort: networks.map((n) => n.type), title: null, header: { labelAngle: 0, labelAlign: 'left', labelFontWeight: 'bold' } },
      column: { field: 'position', type: 'ordinal', title: 'time step (FB-PC: 0, 6, 12)' },
    },
    spec: {
      width: 2 * size + 8,
      height: size + 16,
      layer: [
        { transform: [{ filter: "datum.layer === 'layer 1 (r1)'" }], mark: { type: 'image', width: size, height: size, aspect: false }, encoding: { url: { field: 'url', type: 'nominal' }, x: { value: size / 2 }, y: { value: size / 2 + 14 } } },
        { transform: [{ filter: "datum.layer === 'layer 2 (r2)'" }], mark: { type: 'image', width: size, height: size, aspect: false }, encoding: { url: { field: 'url', type: 'nominal' }, x: { value: 1.5 * size + 8 }, y: { value: size / 2 + 14 } } },
        { transform: [{ filter: "datum.layer === 'layer 1 (r1)'" }], mark: { type: 'text', align: 'left', baseline: 'top', fontSize: 10 }, encoding: { text: { field: 'label' }, x: { value: 0 }, y: { value: 0 } } },
      ],
    },
    spacing: 6,
  } as TopLevelSpec;
  return makeFigure('dynamics-example', spec, { caption: options.caption, label: options.label, cells: rows.map(({ url: _url, ...rest }) => rest) });
}

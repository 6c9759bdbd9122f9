/**
 * Sections 2.4-2.5: the per-network analyses (`recurrence/layers`) against
 * direct calls of the tested library functions and hand cases, their
 * summaries over cores (`recurrence/layerSummary`) against hand computations
 * and scipy (test/golden/make_layers_golden.py), the claims they decide, and
 * the figures drawn from them.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '../src/backend';
import { denoisingPerPair, pearsonR } from '../src/analysis/denoising';
import { crossLayerDimensionality, drawUnits, participationRatio, selectUnits } from '../src/analysis/dimensionality';
import { meanPairwiseDistance, selectRows } from '../src/analysis/representation';
import { oneSampleTTest, pairedTTest, standardError } from '../src/analysis/stats';
import { Rng } from '../src/random';
import { LayerActivity, LAYER_NAMES, LAYER_UNITS, LayerName } from '../src/recurrence/recording';
import {
  analyseLayers, capRows, CrossDimensionalityCell, DenoisingCell, DimensionalityCell, DIMENSIONALITY_GROUPS, feedforwardLayers, LayerAnalyses, LAYER_PAIRS,
} from '../src/recurrence/layers';
import { categoryDifferences, denoisingBars, denoisingTest, ratioBars, subsampleShift } from '../src/recurrence/layerSummary';
import type { CoreActivity, GroupPoint, NetworkActivity } from '../src/recurrence/activity';
import { combinedVerdict, layerClaims } from '../src/recurrence/claims';
import { RecurrenceType } from '../src/recurrence/rules';
import { NOISE_TYPES } from '../src/noise/degrade';
import { fig5, fig6, fig7a, fig7b, fig9 } from '../src/figures/figLayers';

const GOLDEN = path.join(__dirname, '..', '..', 'test', 'golden');

before(async () => {
  await initBackend({ force: 'wasm', log: false });
});

// --- per network --------------------------------------------------------------------------

const IMAGES = 12;
const SAMPLES = 5 * IMAGES;

/** A recording of every layer: a few latent directions per sample plus noise, rectified like post-ReLU layers. */
function recording(rng: Rng): LayerActivity {
  const out = {} as LayerActivity;
  for (const layer of LAYER_NAMES) {
    const units = LAYER_UNITS[layer];
    const latent = Float64Array.from({ length: SAMPLES * 3 }, () => rng.normal());
    const a = new Float32Array(SAMPLES * units);
    for (let i = 0; i < SAMPLES; i++) {
      for (let u = 0; u < units; u++) {
        const v = latent[i * 3]! * Math.sin(u * 0.7) + latent[i * 3 + 1]! * Math.cos(u * 0.3) + 0.5 * latent[i * 3 + 2]! * Math.sin(u * 1.9) + 0.4 * rng.normal();
        a[i * units + u] = layer === 'logits' ? v : Math.max(0, v + 0.3);
      }
    }
    out[layer] = a;
  }
  return out;
}

function shifted(a: LayerActivity, rng: Rng): LayerActivity {
  const out = {} as LayerActivity;
  for (const layer of LAYER_NAMES) out[layer] = Float32Array.from(a[layer], (v) => v + 0.3 * rng.normal() + 0.1);
  return out;
}

const labels = Uint8Array.from({ length: SAMPLES }, (_, i) => i % 10);
const set = { images: IMAGES, labels };
const rows = (f: (i: number) => boolean) => Int32Array.from({ length: SAMPLES }, (_, i) => i).filter(f);

test('capRows keeps small groups whole and draws a seeded, ascending subset of large ones', () => {
  const r = Int32Array.from([3, 8, 9, 20, 21, 40, 41]);
  assert.equal(capRows(r, 7, 1), r);
  const a = capRows(r, 4, 1);
  assert.equal(a.length, 4);
  assert.deepEqual(a, capRows(r, 4, 1));
  for (let i = 1; i < a.length; i++) assert.ok(a[i]! > a[i - 1]!);
  assert.ok(Array.from(a).every((v) => r.includes(v)));
  assert.throws(() => capRows(r, 0, 1), /capRows: cap must be a positive integer, got 0/);
});

test('analyseLayers: every number equals the library function applied to the rows it names', () => {
  const rng = new Rng(31);
  const first = recording(rng);
  const last = shifted(first, rng);
  // Step 0 correct on samples i % 3 === 0; the last step correct on i % 2 === 0.
  const beforePred = Uint8Array.from(labels, (l, i) => (i % 3 === 0 ? l : (l + 1) % 10));
  const afterPred = Uint8Array.from(labels, (l, i) => (i % 2 === 0 ? l : (l + 1) % 10));
  const options = { samples: 20, subsampleFraction: 0.2, seed: 5 };
  const ff = feedforwardLayers(first, set, options);
  const result = analyseLayers(set, first, last, beforePred, afterPred, ff);

  // Figure 5: d over the noisy samples s that go incorrect → correct (s % 3 ≠ 0, s % 2 = 0).
  for (const layer of ['r1', 'logits'] as const) {
    const units = LAYER_UNITS[layer];
    NOISE_TYPES.forEach((noise, k) => {
      const cell = result.denoising.find((d) => d.layer === layer && d.noise === noise)!;
      const images = Array.from({ length: IMAGES }, (_, i) => i).filter((i) => { const s = (k + 1) * IMAGES + i; return s % 3 !== 0 && s % 2 === 0; });
      assert.equal(cell.images, images.length);
      const d = images.map((i) => pearsonR(first[layer].subarray(i * units, (i + 1) * units), last[layer].subarray(((k + 1) * IMAGES + i) * units, ((k + 1) * IMAGES + i + 1) * units))
        - pearsonR(first[layer].subarray(i * units, (i + 1) * units), first[layer].subarray(((k + 1) * IMAGES + i) * units, ((k + 1) * IMAGES + i + 1) * units)));
      assert.ok(Math.abs(cell.mean! - d.reduce((a, b) => a + b, 0) / d.length) < 1e-12, `${layer} ${noise}`);
      const all = denoisingPerPair(first[layer].subarray(0, IMAGES * units), first[layer].subarray((k + 1) * IMAGES * units, (k + 2) * IMAGES * units), last[layer].subarray((k + 1) * IMAGES * units, (k + 2) * IMAGES * units), { pairs: IMAGES, units });
      assert.ok(Math.abs(cell.allImagesMean! - all.reduce((a, b) => a + b, 0) / IMAGES) < 1e-12);
    });
  }

  // Figure 7: the group's rows (capped at 20, seeded), PR and cross-layer dimensionality of exactly those rows.
  const ic = rows((i) => i % 3 !== 0 && i % 2 === 0);
  const icRows = capRows(ic, 20, 5 + DIMENSIONALITY_GROUPS.indexOf('incorrect→correct'));
  const cell = result.dimensionality.find((d) => d.layer === 'r2' && d.group === 'incorrect→correct')!;
  assert.equal(cell.groupSize, ic.length);
  assert.equal(cell.samples, Math.min(20, ic.length));
  const sub = (a: LayerActivity, layer: LayerName, r: Int32Array) => selectRows(a[layer], { samples: SAMPLES, units: LAYER_UNITS[layer] }, r);
  for (const [act, value] of [[first, cell.before], [last, cell.after]] as const) {
    const pr = participationRatio(sub(act, 'r2', icRows), { samples: icRows.length, units: LAYER_UNITS.r2 });
    assert.ok(Math.abs(value! - pr) < 1e-6 * pr, `PR ${value} vs ${pr}`);
  }
  const allRows = capRows(Int32Array.from({ length: SAMPLES }, (_, i) => i), 20, 5 + DIMENSIONALITY_GROUPS.indexOf('all'));
  const r1r2 = result.crossDimensionality.find((d) => d.pair === 'r1-r2' && d.group === 'all')!;
  const shape = (layer: LayerName) => ({ samples: allRows.length, units: LAYER_UNITS[layer] });
  const exact = crossLayerDimensionality(sub(last, 'r1', allRows), shape('r1'), sub(last, 'r2', allRows), shape('r2')).dimensionality;
  assert.ok(Math.abs(r1r2.after! - exact) < 1e-6 * exact, `cross ${r1r2.after} vs ${exact}`);
  // The paper's subsample: per-layer draws of 20 % of layers 1 and 2 (seed + 1000 + layer index).
  const keep1 = drawUnits(new Rng(5 + 1000), LAYER_UNITS.r1, 0.2);
  const keep2 = drawUnits(new Rng(5 + 1001), LAYER_UNITS.r2, 0.2);
  const subsampled = crossLayerDimensionality(selectUnits(sub(first, 'r1', allRows), shape('r1'), keep1), { samples: allRows.length, units: keep1.length }, selectUnits(sub(first, 'r2', allRows), shape('r2'), keep2), { samples: allRows.length, units: keep2.length }).dimensionality;
  assert.ok(Math.abs(r1r2.subsampledBefore! - subsampled) < 1e-6 * subsampled);
  const r3r4 = result.crossDimensionality.find((d) => d.pair === 'r3-logits' && d.group === 'all')!;
  assert.equal(r3r4.subsampledBefore, r3r4.before, 'layers 3 and 4 are not subsampled');
  assert.equal(result.crossDimensionality.length, LAYER_PAIRS.length * DIMENSIONALITY_GROUPS.length);

  // Figure 9: sizes are mean pairwise distances of the condition's images; the clean mean moves along +x.
  const blur = result.clouds.find((c) => c.layer === 'r1' && c.condition === 'blur')!;
  const blurRows = Int32Array.from({ length: IMAGES }, (_, i) => 2 * IMAGES + i);
  assert.ok(Math.abs(blur.sizeAfter - meanPairwiseDistance(sub(last, 'r1', blurRows), { samples: IMAGES, units: LAYER_UNITS.r1 })) < 1e-9 * blur.sizeAfter);
  const clean = result.clouds.find((c) => c.layer === 'r1' && c.condition === 'clean')!;
  assert.equal(clean.before.distance, 0);
  assert.ok(clean.after.angle < 1e-6, 'the clean mean moves along the x axis by definition');
  assert.ok(clean.after.distance > 0);
});

test('analyseLayers: without recurrence nothing changes and no image changes category (empty cells are reported as such)', () => {
  const rng = new Rng(32);
  const first = recording(rng);
  const pred = Uint8Array.from(labels, (l, i) => (i % 4 === 0 ? (l + 1) % 10 : l));
  const ff = feedforwardLayers(first, set, { samples: 100, subsampleFraction: 0.2, seed: 1 });
  const r = analyseLayers(set, first, first, pred, pred, ff);
  for (const d of r.denoising) {
    assert.equal(d.images, 0);
    assert.equal(d.mean, null);
    assert.equal(d.allImagesMean, 0, 'd = 0 when the last step is step 0');
  }
  for (const d of r.dimensionality) {
    if (d.group === 'all') assert.equal(d.after, d.before);
    else assert.deepEqual([d.samples, d.before, d.after], [0, null, null], 'no image changes category');
  }
  for (const c of r.crossDimensionality.filter((x) => x.group === 'all')) {
    assert.equal(c.after, c.before);
    assert.equal(c.subsampledAfter, c.subsampledBefore);
  }
  for (const c of r.clouds) {
    assert.ok(Math.abs(c.after.distance - c.before.distance) < 1e-9 * (1 + c.before.distance));
    assert.ok(Math.abs(c.sizeAfter - c.sizeBefore) < 1e-9 * c.sizeBefore);
  }
});

test('analyseLayers: a common translation of the last step moves each cloud by it and leaves cloud sizes and dimensionality alone', () => {
  const rng = new Rng(33);
  const first = recording(rng);
  const last = {} as LayerActivity;
  const move = Object.fromEntries(LAYER_NAMES.map((l) => [l, Float64Array.from({ length: LAYER_UNITS[l] }, (_, u) => 0.5 + 0.2 * Math.sin(u))])) as Record<LayerName, Float64Array>;
  for (const l of LAYER_NAMES) last[l] = Float32Array.from(first[l], (v, k) => v + move[l][k % LAYER_UNITS[l]]!);
  const pred = Uint8Array.from(labels);
  const ff = feedforwardLayers(first, set, { samples: 100, subsampleFraction: 0.2, seed: 1 });
  const r = analyseLayers(set, first, last, pred, pred, ff);
  const norm = (l: LayerName) => Math.sqrt(move[l].reduce((s, v) => s + v * v, 0));
  for (const c of r.clouds) {
    assert.ok(Math.abs(c.sizeAfter - c.sizeBefore) < 1e-4 * c.sizeBefore, `${c.layer} ${c.condition} size`);
    if (c.condition === 'clean') assert.ok(Math.abs(c.after.distance - norm(c.layer)) < 1e-4 * norm(c.layer));
  }
  for (const d of r.dimensionality.filter((x) => x.group === 'all')) assert.ok(Math.abs(d.after! - d.before!) < 1e-5 * d.before!, `${d.layer}: centring removes the shift`);
});

// --- over cores -----------------------------------------------------------------------------

const golden = JSON.parse(fs.readFileSync(path.join(GOLDEN, 'layers_golden.json'), 'utf8')) as {
  pairedTTest: { a: number[]; b: number[]; t: number; p: number }[];
  ratioTTest: { values: number[]; t: number; p: number; mean: number; sem: number }[];
};

test('pairedTTest matches scipy.stats.ttest_rel; the ratio test and standardError match scipy ttest_1samp(·, 1) and sem', () => {
  for (const c of golden.pairedTTest) {
    const r = pairedTTest(c.a, c.b);
    assert.ok(Math.abs(r.t - c.t) < 1e-9 * Math.abs(c.t), `t ${r.t} vs ${c.t}`);
    assert.ok(Math.abs(r.pValue - c.p) < 1e-9, `p ${r.pValue} vs ${c.p}`);
  }
  for (const c of golden.ratioTTest) {
    const r = oneSampleTTest(c.values, 1);
    assert.ok(Math.abs(r.t - c.t) < 1e-9 * Math.abs(c.t) && Math.abs(r.pValue - c.p) < 1e-9);
    assert.ok(Math.abs(standardError(c.values) - c.sem) < 1e-12);
  }
  assert.throws(() => pairedTTest([1, 2], [1]), /pairedTTest: 2 values against 1/);
});

/** Per-network section 2.4-2.5 results from a few numbers (the rest fixed). */
function layersOf(spec: { d?: Partial<Record<LayerName, number>>; images?: number; ratio?: Partial<Record<string, number>>; cross?: number; subCross?: number }): LayerAnalyses {
  const denoising: DenoisingCell[] = LAYER_NAMES.flatMap((layer) => NOISE_TYPES.map((noise) => {
    const images = spec.images ?? 10;
    const d = spec.d?.[layer] ?? 0;
    return { layer, noise, images, mean: images ? d + 0.01 * NOISE_TYPES.indexOf(noise) : null, median: images ? d : null, sd: images > 1 ? 0.1 : null, allImagesMean: d / 2 };
  }));
  const dimensionality: DimensionalityCell[] = LAYER_NAMES.flatMap((layer) => DIMENSIONALITY_GROUPS.map((group) => ({ layer, group, samples: 50, groupSize: 50, before: 10, after: 10 * (spec.ratio?.[`${layer} ${group}`] ?? 1) })));
  const crossDimensionality: CrossDimensionalityCell[] = LAYER_PAIRS.flatMap(([a, b]) => DIMENSIONALITY_GROUPS.map((group) => ({ pair: `${a}-${b}`, group, samples: 50, groupSize: 50, before: 20, after: 20 * (spec.cross ?? 1), subsampledBefore: 21, subsampledAfter: 21 * (spec.subCross ?? spec.cross ?? 1) })));
  const clouds = LAYER_NAMES.flatMap((layer) => (['clean', ...NOISE_TYPES] as const).map((condition, c) => ({ layer, condition, before: { distance: c * 2, angle: c * 0.4 }, after: { distance: c * 2 + 1, angle: c * 0.3 }, sizeBefore: 3 + c, sizeAfter: 4 + c, sizeImages: 20 })));
  return { denoising, dimensionality, crossDimensionality, clouds, seconds: 0 };
}

const point = (condition: GroupPoint['condition'], digit: number, k: number): GroupPoint => ({ condition, digit, pc1: Math.cos(digit + k), pc2: Math.sin(digit) + k });

function network(type: RecurrenceType, core: number, instance: number, layers: LayerAnalyses): NetworkActivity {
  const projections = Object.fromEntries(LAYER_NAMES.map((l, k) => [l, (['clean', ...NOISE_TYPES] as const).flatMap((c) => Array.from({ length: 10 }, (_, d) => point(c, d, k + 1)))])) as Record<LayerName, GroupPoint[]>;
  return {
    network: type, core, instance, timeSteps: [0, 2], predictions: [], logitDifference: [], layer1Projection: [], layerProjections: projections,
    influence: { mean: 0, histogram: { min: 0, max: 1, counts: [], outside: 0 } },
    differencePca: { samples: 0, cumulative: [], curve: [], feedforwardAccuracy: 0, fullAccuracy: 0, networkAccuracy: 0, components85: null },
    layers, seconds: 0,
  };
}

function coreOf(core: number, networks: NetworkActivity[]): CoreActivity {
  const projections = Object.fromEntries(LAYER_NAMES.map((l, k) => [l, (['clean', ...NOISE_TYPES] as const).flatMap((c) => Array.from({ length: 10 }, (_, d) => point(c, d, k)))])) as Record<LayerName, GroupPoint[]>;
  return {
    core, images: 10, labels: [], conditions: [], layer1Projection: [], layer1Explained: [0.2, 0.1],
    layerProjections: projections, layerExplained: Object.fromEntries(LAYER_NAMES.map((l) => [l, [0.3, 0.2]])) as Record<LayerName, [number, number]>, layerPcaSamples: 50,
    networks, labelsOfNetworks: networks.map((n) => `${n.network} ${n.instance}`), influenceCorrelation: [], alignmentTop: [], alignmentGap: [], computeSeconds: 0,
  };
}

test('denoisingBars: instances averaged within a core, then mean ± s.t.d. over cores; cells without images are null with count 0', () => {
  const cores = [0, 1].map((core) => coreOf(core, [
    network('FB-TT', core, 0, layersOf({ d: { r1: -0.1 - 0.1 * core } })),
    network('FB-TT', core, 1, layersOf({ d: { r1: -0.3 - 0.1 * core } })),
    network('FB-PC', core, 0, layersOf({ d: { r1: 0.2 }, images: core === 0 ? 3 : 0 })),
  ]));
  const bars = denoisingBars(cores);
  const tt = bars.find((b) => b.network === 'FB-TT' && b.layer === 'r1' && b.noise === 'pixel')!;
  // Core means: −0.2, −0.3 → mean −0.25, s.d. √0.005.
  assert.ok(Math.abs(tt.mean! + 0.25) < 1e-12 && Math.abs(tt.sd! - Math.sqrt(0.005)) < 1e-12);
  assert.equal(tt.images, 40);
  const pc = bars.find((b) => b.network === 'FB-PC' && b.layer === 'r1' && b.noise === 'pixel')!;
  assert.deepEqual([pc.mean, pc.sd, pc.cores, pc.images], [0.2, null, 1, 3]);
  const t = denoisingTest(cores, 'FB-TT', 'r1');
  assert.equal(t.cells, 16);
  const cells = [0, 1].flatMap((core) => [-0.1 - 0.1 * core, -0.3 - 0.1 * core].flatMap((d) => NOISE_TYPES.map((_, k) => d + 0.01 * k)));
  assert.ok(Math.abs(t.pValue! - oneSampleTTest(cells).pValue) < 1e-15);
  assert.equal(denoisingTest([coreOf(0, [network('FB-PC', 0, 0, layersOf({ images: 0 }))])], 'FB-PC', 'r1').pValue, null);
});

test('ratioBars and categoryDifferences: after/before per network, mean ± s.e.m., the named tests', () => {
  const ratios = [1.2, 1.3, 1.25, 1.4];
  const cores = [0, 1].map((core) => coreOf(core, [0, 1].map((instance) => network('LR-TT', core, instance, layersOf({
    ratio: { 'r1 all': ratios[2 * core + instance]!, 'logits incorrect→correct': 1.1 + 0.01 * (2 * core + instance), 'logits correct→incorrect': 1 - 0.01 * instance },
    cross: 1.5, subCross: 1.45,
  })))));
  const bars = ratioBars(cores, { kind: 'layer' });
  const r1 = bars.find((b) => b.what === 'r1' && b.group === 'all')!;
  assert.equal(r1.networks, 4);
  assert.ok(Math.abs(r1.mean! - 1.2875) < 1e-12);
  assert.ok(Math.abs(r1.sem! - standardError(ratios)) < 1e-12);
  assert.ok(Math.abs(r1.pValue! - oneSampleTTest(ratios, 1).pValue) < 1e-15);
  assert.equal(r1.significant, r1.pValue! < 0.01);
  const flat = bars.find((b) => b.what === 'r2' && b.group === 'all')!;
  assert.equal(flat.mean, 1);
  assert.equal(flat.pValue, null, 'no spread at all: the t statistic is undefined');
  const diff = categoryDifferences(cores, { kind: 'layer' }).find((d) => d.what === 'logits')!;
  const a = [0, 1, 2, 3].map((k) => 1.1 + 0.01 * k);
  const b = [0, 1, 0, 1].map((i) => 1 - 0.01 * i);
  assert.equal(diff.networks, 4);
  assert.ok(Math.abs(diff.pValue! - pairedTTest(a, b).pValue) < 1e-15);
  const cross = ratioBars(cores, { kind: 'pair', method: 'subsampled' }).find((x) => x.what === 'r1-r2' && x.group === 'all')!;
  assert.ok(Math.abs(cross.mean! - 1.45) < 1e-12);
  const shift = subsampleShift(cores).find((s) => s.pair === 'r1-r2')!;
  // Raw: |21 − 20| / 20 before and |30.45 − 30| / 30 after; normalised |1.45 − 1.5|.
  assert.equal(shift.values, 4 * 3 * 2);
  assert.ok(Math.abs(shift.maxRelative! - 0.05) < 1e-12 && Math.abs(shift.meanRelative! - (0.05 + 0.015) / 2) < 1e-12);
  assert.ok(Math.abs(shift.meanNormalised! - 0.05) < 1e-12);
  const overall = subsampleShift(cores).find((s) => s.pair === 'all')!;
  assert.equal(overall.values, 4 * 3 * 2 * 4, 'the four pairs with layer 1 or 2 (layers 3-4 are not subsampled)');
});

test('layerClaims: verdicts follow the data (de-noising, dimensionality, cross-layer dimensionality)', () => {
  const make = (fbpcD: number, ttR1: number, cross: number) => [0, 1].map((core) => coreOf(core, [
    ...(['FB-TT', 'LR-TT'] as const).flatMap((t) => [0, 1].map((instance) => network(t, core, instance, layersOf({
      d: { r1: -0.2 + 0.01 * (core + instance), r2: -0.05 + 0.01 * instance, logits: 0.3 + 0.02 * core }, ratio: { 'r1 all': ttR1 + 0.02 * (core + instance) }, cross: cross + 0.01 * instance,
    })))),
    ...[0, 1].map((instance) => network('FB-PC', core, instance, layersOf({ d: { r1: fbpcD + 0.01 * instance, r2: 0.1, r3: 0.1, logits: 0.1 + 0.01 * core }, ratio: { 'r1 all': 0.8 - 0.01 * (core + instance) }, cross: cross + 0.02 * core }))),
    network('LR-SS', core, 0, layersOf({ cross: cross + 0.001 * core, ratio: { 'r1 all': 0.9 + 0.01 * core } })),
  ]));
  const verdict = (claims: ReturnType<typeof layerClaims>, text: string) => claims.find((c) => c.claim.includes(text))!.verdict;
  const good = layerClaims(make(0.15, 1.5, 1.3));
  assert.equal(verdict(good, 'predictive feedback de-noises layer 1'), 'holds');
  assert.equal(verdict(good, 'anti-de-noises layer 1'), 'holds');
  assert.equal(verdict(good, 'does not de-noise layers 1-2'), 'holds');
  assert.equal(verdict(good, 'de-noises layer 4'), 'holds');
  assert.equal(verdict(good, 'predictive feedback lowers layer-1 dimensionality'), 'holds');
  assert.equal(verdict(good, 'task-trained recurrence raises layer-1 dimensionality'), 'holds');
  assert.equal(verdict(good, 'cross-layer dimensionality of layers 1-2'), 'holds');
  assert.equal(verdict(good, 'surround suppression raises'), 'differs', 'LR-SS lowers it here');
  const bad = layerClaims(make(-0.15, 0.7, 0.8));
  assert.equal(verdict(bad, 'predictive feedback de-noises layer 1'), 'differs');
  assert.equal(verdict(bad, 'task-trained recurrence raises layer-1 dimensionality'), 'differs');
  assert.equal(verdict(bad, 'cross-layer dimensionality of layers 1-2'), 'differs');
  const one = layerClaims([coreOf(0, [network('FB-PC', 0, 0, layersOf({ d: { r1: 0.2 }, images: 0 }))])]);
  assert.equal(verdict(one, 'predictive feedback de-noises layer 1'), 'untestable', 'no image turned correct');
  assert.equal(verdict(one, 'lowers layer-1 dimensionality'), 'untestable', 'one network');
});

test('combinedVerdict: one failing testable part decides; otherwise an untestable part leaves it open', () => {
  assert.equal(combinedVerdict([{ testable: true, ok: true }, { testable: true, ok: true }]), 'holds');
  assert.equal(combinedVerdict([{ testable: true, ok: false }, { testable: false, ok: false }]), 'differs');
  assert.equal(combinedVerdict([{ testable: true, ok: true }, { testable: false, ok: false }]), 'untestable');
  // Every type must raise layers 1-2 cross-layer dimensionality: LR-SS (one network) cannot be tested, FB-PC's fall decides.
  const cores = [coreOf(0, [
    ...[0, 1].map((i) => network('FB-PC', 0, i, layersOf({ cross: 0.8 + 0.01 * i }))),
    network('LR-SS', 0, 0, layersOf({ cross: 1.5 })),
  ])];
  assert.equal(layerClaims(cores).find((c) => c.claim.includes('cross-layer dimensionality of layers 1-2'))!.verdict, 'differs');
});

test('Figures 5, 6, 7A, 7B and 9 render from the summaries, with their numbers in the data', async () => {
  const cores = [0, 1].map((core) => coreOf(core, [
    ...(['FB-TT', 'LR-TT', 'FB-PC'] as const).flatMap((t) => [0, 1].map((instance) => network(t, core, instance, layersOf({ d: { r1: t === 'FB-PC' ? 0.1 : -0.2, logits: 0.2 }, images: t === 'FB-PC' && core === 1 ? 0 : 5, ratio: { 'r1 all': 1.2 + 0.05 * instance + 0.02 * core }, cross: 1.3 + 0.01 * core, subCross: 1.31 + 0.01 * instance })))),
    network('LR-SS', core, 0, layersOf({ images: 0 })),
  ]));
  const f5 = await fig5(cores);
  assert.match(f5.svg, /LR-SS 16 of 16/);
  assert.equal((f5.data as { bars: unknown[] }).bars.length, 4 * 4 * 4);
  const f6 = await fig6(cores[0]!);
  for (const t of ['feedforward (step 0)', 'FB-TT (last step)', 'LR-SS (last step)']) assert.ok(f6.svg.includes(t), t);
  const f7a = await fig7a(cores);
  assert.ok(f7a.svg.includes('two-sided one-sample t-test'));
  const f7b = await fig7b(cores);
  assert.match(f7b.svg, /the subsample moves the raw values by [0-9.]+ %/);
  const data = f7b.data as { rows: { method: string }[]; subsampleShift: { pair: string }[] };
  assert.equal(new Set(data.rows.map((r) => r.method)).size, 2, 'exact and subsampled side by side');
  const f9 = await fig9(cores[0]!);
  assert.equal((f9.data as { clouds: unknown[] }).clouds.length, 4 * 5, 'four example networks × five conditions');
  assert.ok(f9.svg.includes('cloud size'));
});

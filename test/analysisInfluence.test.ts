/**
 * Recurrent-influence analyses (src/analysis/influence.ts): per-sample
 * correlations between networks, summary statistics and histograms, by hand
 * and against numpy (test/golden/make_analysis2_golden.py).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { histogram, influenceCorrelation, influenceStats } from '../src/analysis/influence';
import { Rng } from '../src/random';
import { assertClose } from './helpers';

const GOLDEN = path.join(__dirname, '..', '..', 'test', 'golden');

interface InfluenceGolden {
  rowCorrelation: { samples: number; units: number; a: number[]; b: number[]; perSample: number[]; mean: number; entryMean: number; entrySd: number };
  histogram: { values: number[]; cases: { bins: number; range: [number, number] | null; counts: number[]; edges: number[] }[] };
}
const golden = JSON.parse(fs.readFileSync(path.join(GOLDEN, 'analysis2_golden.json'), 'utf8')) as InfluenceGolden;

test('influence correlation: 1 for affine copies per sample, −1 for negated ones; constant samples are left out', () => {
  const rng = new Rng(51);
  const [samples, units] = [4, 50];
  const a = Float32Array.from({ length: samples * units }, () => rng.normal());
  // Each sample its own positive scale and offset.
  const b = a.map((v, i) => (1 + Math.floor(i / units)) * v + 3 * Math.floor(i / units));
  const shape = { samples, units };
  const r = influenceCorrelation(a, b, shape);
  assert.equal(r.samples, samples);
  assert.ok(Math.abs(r.correlation - 1) < 1e-12);
  assert.ok(Math.abs(influenceCorrelation(a, a.map((v) => -v), shape).correlation + 1) < 1e-12);
  // Sample 1 unchanged by one network's recurrence (all zero), sample 2 constant in the other.
  const zeroed = Float32Array.from(b);
  zeroed.fill(0, units, 2 * units);
  const shifted = Float32Array.from(a);
  shifted.fill(0.3, 2 * units, 3 * units);
  const partial = influenceCorrelation(shifted, zeroed, shape);
  assert.equal(partial.samples, 2);
  assert.ok(Number.isNaN(partial.perSample[1]!) && Number.isNaN(partial.perSample[2]!));
  assert.ok(Math.abs(partial.correlation - 1) < 1e-12);
  assert.ok(Number.isNaN(influenceCorrelation(new Float32Array(8), new Float32Array(8), { samples: 2, units: 4 }).correlation));
  assert.throws(() => influenceCorrelation(a, b.subarray(1), shape), /influenceCorrelation: b has 199 values, expected \[samples 4, units 50\] = 200/);
});

test('influence correlation matches numpy (np.corrcoef per row)', () => {
  const g = golden.rowCorrelation;
  const r = influenceCorrelation(Float64Array.from(g.a), Float64Array.from(g.b), { samples: g.samples, units: g.units });
  assertClose(r.perSample, g.perSample, 1e-14, 0, 'per-sample r');
  assert.ok(Math.abs(r.correlation - g.mean) < 1e-14);
});

test('influence statistics: mean and sd over all entries match numpy', () => {
  const g = golden.rowCorrelation;
  const s = influenceStats(Float64Array.from(g.a), { samples: g.samples, units: g.units });
  assert.equal(s.entries, g.samples * g.units);
  assert.ok(Math.abs(s.mean - g.entryMean) < 1e-13);
  assert.ok(Math.abs(s.sd - g.entrySd) < 1e-13);
  assert.deepEqual(influenceStats(Float64Array.of(1, -2, 3, 6), { samples: 2, units: 2 }), { entries: 4, mean: 2, sd: Math.sqrt(34 / 3), min: -2, max: 6 });
  assert.throws(() => influenceStats(new Float64Array(3), { samples: 2, units: 2 }), /influenceStats: influence has 3 values/);
});

test('histogram matches np.histogram; the last bin is closed; values outside are counted apart', () => {
  for (const c of golden.histogram.cases) {
    const h = histogram(golden.histogram.values, c.range ? { bins: c.bins, min: c.range[0], max: c.range[1] } : { bins: c.bins });
    assert.deepEqual(Array.from(h.counts), c.counts);
    assertClose(h.edges, c.edges, 0, 1e-15, 'edges');
    assert.equal(h.outside, golden.histogram.values.length - c.counts.reduce((a, b) => a + b, 0));
  }
  const h = histogram([0, 0.5, 1, 1, 2, -1, NaN], { bins: 2, min: 0, max: 1 });
  assert.deepEqual({ counts: Array.from(h.counts), edges: Array.from(h.edges), outside: h.outside }, { counts: [1, 3], edges: [0, 0.5, 1], outside: 3 });
  assert.deepEqual(Array.from(histogram([2, 2, 2], { bins: 2 }).edges), [1.5, 2, 2.5]);
  assert.throws(() => histogram([1], { bins: 0 }), /bins must be a positive integer/);
});

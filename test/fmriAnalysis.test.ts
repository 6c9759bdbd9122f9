import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type BData, BDataBuilder, BDataError, readBData } from '../src/fmri/bdata';
import { analyzeFmriDirectory, analyzeFmriSubject, analyzeSyntheticFmri, compareWithPlantedTruth, discoverRois } from '../src/fmri/analysis';
import { generateSyntheticFmri, SYNTHETIC_FMRI_TRUTH, writeSyntheticFmri } from '../src/fmri/synthetic';
import { tempDir } from './helpers';

const GOLDEN = path.join(__dirname, '..', '..', 'test', 'golden');

interface FmriGolden {
  results: {
    roiKey: string;
    region: string;
    hemisphere: string;
    voxels: number;
    droppedVoxels: number;
    pairs: number;
    images: number[];
    blurLevel: number;
    denoising: number[];
    meanDenoising: number;
    medianDenoising: number;
    tStatistic: number;
    pValue: number;
    dimensionalityFirst: number;
    dimensionalityLast: number;
  }[];
}

function near(actual: number, expected: number, rel: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= rel * Math.max(Math.abs(expected), 1e-12), `${what}: ${actual} vs ${expected}`);
}

test('the analysis of an h5py-written BData file matches an independent numpy/scipy implementation', async () => {
  const golden = JSON.parse(fs.readFileSync(path.join(GOLDEN, 'fmri_golden.json'), 'utf8')) as FmriGolden;
  const bdata = await readBData(path.join(GOLDEN, 'bdata_h5py.h5'));
  const results = analyzeFmriSubject(bdata, 'G');
  assert.deepEqual(
    results.map((r) => r.roiKey),
    golden.results.map((g) => g.roiKey),
  );
  for (const [i, r] of results.entries()) {
    const g = golden.results[i]!;
    assert.equal(r.region, g.region);
    assert.equal(r.hemisphere, g.hemisphere);
    assert.equal(r.voxels, g.voxels);
    assert.equal(r.droppedVoxels, g.droppedVoxels);
    assert.deepEqual(r.images, g.images);
    assert.equal(r.blurLevel, g.blurLevel);
    r.denoising.forEach((d, p) => near(d, g.denoising[p]!, 1e-10, `${r.roiKey} d[${p}]`));
    near(r.meanDenoising, g.meanDenoising, 1e-10, `${r.roiKey} mean`);
    near(r.medianDenoising, g.medianDenoising, 1e-10, `${r.roiKey} median`);
    near(r.tStatistic, g.tStatistic, 1e-9, `${r.roiKey} t`);
    near(r.pValue, g.pValue, 1e-7, `${r.roiKey} p`);
    // Participation ratios come from float32 Gram entries (src/analysis/dimensionality.ts): ~1e-8 relative.
    near(r.dimensionalityFirst, g.dimensionalityFirst, 1e-6, `${r.roiKey} dim first`);
    near(r.dimensionalityLast, g.dimensionalityLast, 1e-6, `${r.roiKey} dim last`);
  }
});

/** A copy of `b` with rows permuted and every voxel column scaled and shifted. */
function transformed(b: BData, voxelColumns: number): BData {
  const order = Array.from({ length: b.samples }, (_, i) => (i * 7) % b.samples);
  assert.equal(new Set(order).size, b.samples);
  const dataset = new Float64Array(b.dataset.length);
  order.forEach((src, dst) => {
    for (let c = 0; c < b.columns; c++) {
      const v = b.dataset[src * b.columns + c]!;
      dataset[dst * b.columns + c] = c < voxelColumns ? v * (0.5 + c) + 100 * c : v;
    }
  });
  return { ...b, dataset };
}

test('results do not depend on sample order or on per-voxel scale and offset', () => {
  const dataset = generateSyntheticFmri({ seed: 11, subjects: 1, voxels: 12, blurLevels: 2 });
  const b = dataset.subjects[0]!.bdata;
  const voxelColumns = b.metadata.find((m) => m.key === 'VoxelData')!.value.filter((v) => v === 1).length;
  const a = analyzeFmriSubject(b, 'S');
  const t = analyzeFmriSubject(transformed(b, voxelColumns), 'S');
  assert.equal(a.length, 14);
  for (const [i, r] of a.entries()) {
    const s = t[i]!;
    r.denoising.forEach((d, p) => near(s.denoising[p]!, d, 1e-8, `${r.roiKey} d[${p}]`));
    near(s.dimensionalityFirst, r.dimensionalityFirst, 1e-6, `${r.roiKey} dim`);
    near(s.pValue, r.pValue, 1e-6, `${r.roiKey} p`);
  }
});

test('region masks: hemisphere keys where present, else a bilateral mask; requested regions must exist', () => {
  const b = new BDataBuilder(1, 'masks')
    .addColumns('VoxelData', [0, 0, 0, 0], 4)
    .addMetadata('ROI_LH_V1', [1, 0, 0, 0], 'VoxelData')
    .addMetadata('ROI_RH_V1', [0, 1, 0, 0], 'VoxelData')
    .addMetadata('ROI_V1', [1, 1, 0, 0], 'VoxelData')
    .addMetadata('ROI_MTG', [0, 0, 1, 1], 'VoxelData')
    .addMetadata('ROI_FFA', [0, 0, 1, 0], 'VoxelData')
    .build();
  assert.deepEqual(
    discoverRois(b).map((r) => `${r.region}/${r.hemisphere}/${r.key}`),
    ['V1/LH/ROI_LH_V1', 'V1/RH/ROI_RH_V1', 'FFA/both/ROI_FFA', 'MTG/both/ROI_MTG'],
  );
  assert.deepEqual(
    discoverRois(b, ['MTG']).map((r) => r.key),
    ['ROI_MTG'],
  );
  assert.throws(() => discoverRois(b, ['V4']), /masks: ROI_LH_V4 \/ ROI_RH_V4 \/ ROI_V4: no mask for region 'V4'; regions found: V1, FFA, MTG/);
});

test('files that do not follow the conventions get errors naming the file and the key', () => {
  const b = generateSyntheticFmri({ seed: 2, subjects: 1, voxels: 6, blurLevels: 1, images: 4 }).subjects[0]!.bdata;
  const without = (key: string): BData => ({ ...b, metadata: b.metadata.filter((m) => m.key !== key) });
  assert.throws(() => analyzeFmriSubject(without('TimeBin'), 'S'), (e: unknown) => e instanceof BDataError && /^S01: metadata key 'TimeBin': unknown/.test(e.message));
  assert.throws(() => analyzeFmriSubject(b, 'S', { blurLevel: 5 }), /S01: Modification: no blurred level 5 among the values 1, 2/);
  assert.throws(() => analyzeFmriSubject(b, 'S', { timeBinKey: 'Run' }), /S01: Run: image 1 \(clean\) has no sample at time bin 1/);
  assert.throws(() => analyzeFmriSubject(b, 'S', { firstBin: 4, lastBin: 1 }), /must be present and in order/);
});

test('end to end on synthetic data: every planted effect is recovered, null regions stay quiet (40 seeds)', (t) => {
  const seeds = 40;
  let nullTests = 0;
  let nullHits = 0;
  let nullRegionCleanSeeds = 0;
  let nullCells = 0;
  let nullCellsClean = 0;
  for (let seed = 1; seed <= seeds; seed++) {
    const dataset = generateSyntheticFmri({ seed, voxels: 60, blurLevels: 1 });
    const { results } = analyzeSyntheticFmri(dataset);
    const rows = compareWithPlantedTruth(results, dataset.truth);
    for (const row of rows) {
      assert.equal(row.tests, 10, `seed ${seed} ${row.region}`);
      if (row.planted === 'null') {
        nullTests += row.tests;
        nullHits += row.significantPositive + row.significantNegative;
      } else {
        assert.ok(row.recovered, `seed ${seed}: planted ${row.planted} effect in ${row.region} not recovered: ${JSON.stringify(row)}`);
      }
    }
    const nullRegion = results.filter((r) => r.region === SYNTHETIC_FMRI_TRUTH.nullRegion);
    nullCells += nullRegion.length;
    nullCellsClean += nullRegion.filter((r) => !r.significant).length;
    if (nullRegion.every((r) => !r.significant)) nullRegionCleanSeeds++;
  }
  const rate = nullHits / nullTests;
  t.diagnostic(`null regions: ${nullHits}/${nullTests} tests significant at p < .01 (rate ${rate.toFixed(4)})`);
  t.diagnostic(`${SYNTHETIC_FMRI_TRUTH.nullRegion}: no significant subject x hemisphere in ${nullRegionCleanSeeds}/${seeds} seeds; ${nullCellsClean}/${nullCells} subject x hemisphere results not significant`);
  // A valid test at alpha = .01 gives about 1 % false positives per test.
  assert.ok(rate <= 0.02, `false-positive rate ${rate}`);
  assert.ok(nullCellsClean / nullCells >= 0.95);
  // Ten tests per seed: with a 1 % rate, about 90 % of seeds have none; far fewer would mean a biased test.
  assert.ok(nullRegionCleanSeeds / seeds >= 0.8, `${nullRegionCleanSeeds}/${seeds} seeds clean`);
});

test('end to end through files: the synthetic set written as BData and analysed from the directory', async () => {
  const dir = tempDir();
  const written = await writeSyntheticFmri(dir, { seed: 5, voxels: 200, blurLevels: 3 }, { dtype: 'float32' });
  assert.deepEqual(
    written.files.map((f) => path.basename(f)),
    ['S01.h5', 'S02.h5', 'S03.h5', 'S04.h5', 'S05.h5'],
  );
  const truth = JSON.parse(fs.readFileSync(written.truthFile, 'utf8')) as { truth: typeof written.dataset.truth };
  assert.equal(truth.truth.regions.V1.effect, 'positive');
  const results = await analyzeFmriDirectory(dir);
  assert.deepEqual(results.subjects, ['S01', 'S02', 'S03', 'S04', 'S05']);
  assert.equal(results.results.length, 5 * 7 * 2);
  for (const r of results.results) {
    assert.equal(r.blurLevel, 2);
    assert.equal(r.pairs, 20);
    assert.equal(r.voxels, truth.truth.subjects.find((s) => s.name === r.subject)!.voxels[r.roiKey]);
  }
  const rows = compareWithPlantedTruth(results.results, truth.truth);
  for (const row of rows.filter((r) => r.planted !== 'null')) assert.ok(row.recovered, JSON.stringify(row));
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runFmriStage } from '../src/stages/fmri';
import { runFmriCommand } from '../src/cli/fmri';
import { fig8a, fig8b } from '../src/figures/fig8';
import { analyzeSyntheticFmri } from '../src/fmri/analysis';
import { generateSyntheticFmri } from '../src/fmri/synthetic';
import { getProfile } from '../src/stages/profiles';
import { tempDir } from './helpers';

test('runFmriStage (smoke, synthetic): writes data, Figure 8A/B and results; reuses the data on a second run', async () => {
  delete process.env.REPRO_FMRI_DIR;
  const root = tempDir();
  const messages: string[] = [];
  const options = {
    syntheticDir: path.join(root, 'synthetic'),
    figuresDir: path.join(root, 'figures'),
    resultsFile: path.join(root, 'results', 'fmri.json'),
    log: (m: string) => messages.push(m),
  };
  const out = await runFmriStage(getProfile('smoke'), options);
  assert.equal(out.kind, 'synthetic');
  assert.equal(out.results.results.length, 70);
  for (const name of ['fig8a-fmri-denoising', 'fig8b-fmri-dimensionality']) {
    for (const ext of ['svg', 'png', 'vl.json', 'data.json']) assert.ok(fs.existsSync(path.join(options.figuresDir, `${name}.${ext}`)), `${name}.${ext}`);
  }
  assert.match(out.figures.a.svg, /SYNTHETIC data, seed 1/);
  const json = JSON.parse(fs.readFileSync(options.resultsFile, 'utf8')) as { kind: string; results: { meanDenoising: number; pValue: number; voxels: number; dimensionalityFirst: number }[] };
  assert.equal(json.kind, 'synthetic');
  assert.equal(json.results.length, 70);
  for (const row of out.truthComparison!.filter((r) => r.planted !== 'null')) assert.ok(row.recovered, JSON.stringify(row));
  assert.match(messages.join('\n'), /writing synthetic data/);

  messages.length = 0;
  const again = await runFmriStage(getProfile('smoke'), options);
  assert.match(messages.join('\n'), /reusing synthetic data/);
  assert.deepEqual(
    again.results.results.map((r) => r.pValue),
    out.results.results.map((r) => r.pValue),
  );
});

test('repro fmri: --synthetic writes the set, --data analyses it into JSON and figures; bad arguments are reported', async () => {
  const root = tempDir();
  const data = path.join(root, 'data');
  await runFmriCommand(['fmri', '--synthetic', data, '--seed', '4', '--profile', 'smoke']);
  assert.deepEqual(fs.readdirSync(data).sort(), ['S01.h5', 'S02.h5', 'S03.h5', 'S04.h5', 'S05.h5', 'truth.json']);
  const outFile = path.join(root, 'out.json');
  await runFmriCommand(['--data', data, '--out', outFile, '--regions', 'V1,FFA', '--figures', path.join(root, 'figs')]);
  const json = JSON.parse(fs.readFileSync(outFile, 'utf8')) as { subjects: string[]; results: Record<string, unknown>[] };
  assert.deepEqual(json.subjects, ['S01', 'S02', 'S03', 'S04', 'S05']);
  assert.equal(json.results.length, 5 * 2 * 2);
  for (const key of ['subject', 'region', 'hemisphere', 'voxels', 'meanDenoising', 'medianDenoising', 'pValue', 'dimensionalityFirst', 'dimensionalityLast']) {
    assert.ok(key in json.results[0]!, key);
  }
  assert.ok(fs.existsSync(path.join(root, 'figs', 'fig8a-fmri-denoising.png')));
  await assert.rejects(runFmriCommand(['--data', data, '--bogus', '1']), /unknown argument '--bogus'/);
  await assert.rejects(runFmriCommand(['--out', outFile]), /--data DIR or --synthetic DIR is required/);
  await assert.rejects(runFmriCommand(['--data', path.join(root, 'empty-nothing')]), /not a directory/);
  await assert.rejects(runFmriCommand(['--data', data, '--alpha', 'x']), /--alpha must be a number/);
});

test('Figure 8: one panel per subject and hemisphere, asterisks only where p < alpha', async () => {
  const { results } = analyzeSyntheticFmri(generateSyntheticFmri({ seed: 1, subjects: 2, voxels: 30, blurLevels: 1 }));
  const a = await fig8a(results, { dataLabel: 'test' });
  const rows = (a.data as { rows: { kind: string; region: string; subject: string; hemisphere: string }[] }).rows;
  const stars = rows.filter((r) => r.kind === 'star').map((r) => `${r.subject}|${r.hemisphere}|${r.region}`);
  const significant = results.filter((r) => r.pValue < 0.01).map((r) => `${r.subject}|${r.hemisphere === 'LH' ? 'left' : 'right'} hemisphere|${r.region}`);
  assert.deepEqual(stars.sort(), significant.sort());
  assert.equal(rows.filter((r) => r.kind === 'pair').length, results.length * 20);
  assert.match(a.svg, /Figure 8A/);
  for (const label of ['S01', 'S02', 'left hemisphere', 'right hemisphere', 'V1', 'PPA']) assert.ok(a.svg.includes(label), label);
  const b = await fig8b(results);
  assert.equal((b.data as { rows: unknown[] }).rows.length, results.length * 2);
  assert.match(b.svg, /Figure 8B/);
});

/**
 * Notebooks in a real browser (Debian's classic jupyter-notebook and headless
 * Chromium, installed by npm run setup): an executed notebook whose figure
 * outputs are made by the library's own figure code renders its figures,
 * untrusted (PNG) and trusted (SVG); an error output is caught; an SVG-only
 * figure does not show in an untrusted notebook.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkNotebooksInBrowser } from '../src/cli/browser';
import { makeFigure, svgToPng } from '../src/figures/figure';
import { decodePng } from '../src/io/png';
import { figureBundle } from '../src/notebook';
import { tempDir } from './helpers';

function notebook(cells: unknown[]): string {
  return JSON.stringify({
    cells,
    metadata: { kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' }, language_info: { name: 'python' } },
    nbformat: 4,
    nbformat_minor: 5,
  });
}

const code = (id: string, outputs: unknown[]) => ({ cell_type: 'code', execution_count: 1, id, metadata: {}, source: ['showFigure(fig)'], outputs });

test('the PNG decoder reads what resvg writes', async () => {
  const fig = await makeFigure('t', { data: { values: [{ a: 1 }] }, mark: 'point', encoding: { x: { field: 'a', type: 'quantitative' } } }, null);
  const img = decodePng(svgToPng(fig.svg, 1));
  assert.ok(img.width > 50 && img.height > 10, `${img.width}x${img.height}`);
  let dark = 0;
  for (let p = 0; p < img.width * img.height; p++) if (img.rgba[4 * p]! < 128) dark++;
  assert.ok(dark > 10, 'the axis and the point are drawn');
  assert.throws(() => decodePng(new Uint8Array([1, 2, 3])), /not a PNG/);
});

test('an executed notebook shows its figures in classic Notebook in Chromium; an error output is caught', async () => {
  const dir = tempDir('repro-browser-test-');
  const fig = await makeFigure('fig-test', {
    title: 'browser check',
    data: { values: [{ x: 'a', y: 3 }, { x: 'b', y: 5 }, { x: 'c', y: 2 }] },
    mark: 'bar',
    encoding: { x: { field: 'x', type: 'nominal' }, y: { field: 'y', type: 'quantitative' } },
    width: 300,
    height: 200,
  }, null);
  const good = path.join(dir, 'good.ipynb');
  fs.writeFileSync(good, notebook([
    { cell_type: 'markdown', id: 'm', metadata: {}, source: ['# A figure'] },
    code('f', [{ output_type: 'display_data', data: figureBundle(fig), metadata: {} }]),
    code('t', [{ output_type: 'execute_result', execution_count: 1, data: { 'text/html': '<table><tr><td>1</td></tr></table>', 'text/plain': '1' }, metadata: {} }]),
  ]));
  const bad = path.join(dir, 'bad.ipynb');
  fs.writeFileSync(bad, notebook([
    code('f', [{ output_type: 'display_data', data: figureBundle(fig), metadata: {} }]),
    code('e', [{ output_type: 'error', ename: 'Error', evalue: 'core 0 is not trained yet', traceback: ['Error: core 0 is not trained yet'] }]),
  ]));
  // What classic Notebook does with an SVG-only figure from an untrusted notebook: it ignores it (hence the PNG in the bundle).
  const svgOnly = path.join(dir, 'svg-only.ipynb');
  fs.writeFileSync(svgOnly, notebook([code('f', [{ output_type: 'display_data', data: { 'image/svg+xml': fig.svg, 'text/plain': '[figure]' }, metadata: {} }])]));
  const shots = path.join(dir, 'screenshots');
  const [goodReport, badReport, svgOnlyReport] = await checkNotebooksInBrowser([good, bad, svgOnly], { screenshotDir: shots });
  assert.deepEqual(goodReport!.problems, []);
  for (const v of goodReport!.views) {
    assert.equal(v.rendered, 1, `${v.trusted ? 'trusted' : 'untrusted'}: one figure`);
    assert.ok(v.smallest.width >= 300 && v.smallest.height >= 200, `figure size ${v.smallest.width}x${v.smallest.height}`);
    assert.ok(v.painted > 0.02 && v.colours > 3, `screenshot painted ${v.painted}, ${v.colours} colours`);
    assert.ok(fs.statSync(v.screenshot).size > 5000);
  }
  assert.deepEqual(goodReport!.views.map((v) => v.trusted), [false, true]);
  assert.match(badReport!.problems.join('\n'), /error outputs: .*core 0 is not trained yet/);
  assert.deepEqual(svgOnlyReport!.problems, ['untrusted: 0 PNG figures on the page, 1 in the file']);
  fs.rmSync(dir, { recursive: true, force: true });
});

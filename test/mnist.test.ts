import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseIdx, IdxFormatError, readIdx } from '../src/data/idx';
import { defaultMnistDir, loadMnist, VALIDATION_SIZE } from '../src/data/mnist';
import { tempDir } from './helpers';

function idxBytes(shape: number[], typeByte = 0x08, extra = 0): Uint8Array {
  const size = shape.reduce((a, b) => a * b, 1);
  const buf = new Uint8Array(4 + 4 * shape.length + size + extra);
  buf[2] = typeByte;
  buf[3] = shape.length;
  const view = new DataView(buf.buffer);
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  for (let i = 0; i < size; i++) buf[4 + 4 * shape.length + i] = i % 256;
  return buf;
}

test('parseIdx reads shape and data of a hand-made file', () => {
  const a = parseIdx(idxBytes([2, 3, 2]), 'x.idx', { rank: 3 });
  assert.deepEqual(a.shape, [2, 3, 2]);
  assert.deepEqual([...a.data], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
});

test('parseIdx names the file and field for wrong magic, type, rank, dimensions and length', () => {
  const bad = idxBytes([2, 2]);
  bad[0] = 1;
  assert.throws(() => parseIdx(bad, 'a.idx'), /a\.idx: IDX magic number/);
  assert.throws(() => parseIdx(idxBytes([2, 2], 0x0d), 'b.idx'), /b\.idx: IDX data type byte: expected 0x08/);
  assert.throws(() => parseIdx(idxBytes([2, 2]), 'c.idx', { rank: 3 }), /c\.idx: IDX number of dimensions: expected 3, found 2/);
  assert.throws(() => parseIdx(idxBytes([2, 3, 3]), 'd.idx', { innerShape: [28, 28] }), /d\.idx: IDX dimensions: expected \[n, 28, 28\]/);
  const full = idxBytes([4, 4]);
  assert.throws(() => parseIdx(full.subarray(0, full.length - 3), 'e.idx'), (err: unknown) => err instanceof IdxFormatError && /e\.idx: IDX file length.*truncated/.test(err.message));
  assert.throws(() => parseIdx(idxBytes([4, 4], 0x08, 2), 'f.idx'), /f\.idx: IDX file length/);
  assert.throws(() => parseIdx(new Uint8Array(2), 'g.idx'), /g\.idx: IDX header/);
});

test('the shipped MNIST training images are the original file', () => {
  const file = path.join(defaultMnistDir(), 'train-images-idx3-ubyte');
  const md5 = crypto.createHash('md5').update(fs.readFileSync(file)).digest('hex');
  assert.equal(md5, '6bbc9ace898e44ae57da46a324031adb');
  assert.deepEqual(readIdx(file).shape, [60000, 28, 28]);
});

test('loadMnist splits train / validation (last 5000) / test, pixels in [0, 1]', () => {
  const m = loadMnist();
  assert.equal(m.train.n, 55000);
  assert.equal(m.validation.n, VALIDATION_SIZE);
  assert.equal(m.test.n, 10000);
  assert.equal(m.validation.sourceIndex[0], 55000);
  assert.equal(m.test.source, 'test');
  let max = 0;
  for (let i = 0; i < 784 * 100; i++) max = Math.max(max, m.train.images[i]!);
  assert.equal(max, 1);
  assert.ok(m.trainMean > 0.12 && m.trainMean < 0.14, `mean intensity ${m.trainMean}`);
  const counts = new Array(10).fill(0) as number[];
  for (const l of m.test.labels) counts[l]!++;
  assert.ok(counts.every((c) => c > 800), `test label counts ${counts}`);
});

test('loadMnist on a directory with a truncated file fails naming that file', () => {
  const dir = tempDir();
  for (const f of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) {
    fs.copyFileSync(path.join(defaultMnistDir(), f), path.join(dir, f));
  }
  const victim = path.join(dir, 't10k-images-idx3-ubyte');
  fs.truncateSync(victim, 1000);
  assert.throws(() => loadMnist(dir), new RegExp(`${victim.replace(/[/.]/g, '\\$&')}: IDX file length`));
});

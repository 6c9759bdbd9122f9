import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CacheCorruptError, hashConfig, loadArrays, loadArraysIfValid, loadJsonChecked, saveArrays, saveJsonChecked, writeFileAtomic } from '../src/io/cache';
import { tempDir } from './helpers';

test('tensor files round-trip names, shapes, values and metadata', () => {
  const file = path.join(tempDir(), 'w.rvt');
  saveArrays(file, { a: { shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) }, b: { shape: [3], data: new Float32Array([-1, 0.5, 1e-8]) } }, { step: 7 });
  const back = loadArrays(file);
  assert.deepEqual(back.arrays.a!.shape, [2, 2]);
  assert.deepEqual([...back.arrays.b!.data], [...new Float32Array([-1, 0.5, 1e-8])]);
  assert.deepEqual(back.meta, { step: 7 });
});

test('a flipped payload byte, a truncation and a foreign file are detected; the corrupt file is removed', () => {
  const dir = tempDir();
  const file = path.join(dir, 'w.rvt');
  saveArrays(file, { a: { shape: [100], data: new Float32Array(100).fill(3) } });
  const bytes = fs.readFileSync(file);
  bytes[bytes.length - 5] ^= 0xff;
  fs.writeFileSync(file, bytes);
  assert.throws(() => loadArrays(file), (e: unknown) => e instanceof CacheCorruptError && /checksum/.test(e.message));
  fs.writeFileSync(file, bytes.subarray(0, bytes.length - 8));
  assert.throws(() => loadArrays(file), /payload is/);
  fs.writeFileSync(file, 'hello');
  assert.throws(() => loadArrays(file), /magic/);
  assert.equal(loadArraysIfValid(file), null);
  assert.equal(fs.existsSync(file), false);
});

test('atomic writes leave no temporary files', () => {
  const dir = tempDir();
  writeFileAtomic(path.join(dir, 'sub', 'x.json'), '{}');
  assert.deepEqual(fs.readdirSync(path.join(dir, 'sub')), ['x.json']);
});

test('checked JSON round-trips and rejects an edited file', () => {
  const file = path.join(tempDir(), 'c.json');
  saveJsonChecked(file, { b: 1, a: [1, 2] });
  assert.deepEqual(loadJsonChecked(file), { a: [1, 2], b: 1 });
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"b": 1', '"b": 2'));
  assert.equal(loadJsonChecked(file), null);
});

test('configuration hashes ignore key order and change with any value', () => {
  assert.equal(hashConfig({ a: 1, b: { c: 2, d: 3 } }), hashConfig({ b: { d: 3, c: 2 }, a: 1 }));
  assert.notEqual(hashConfig({ a: 1 }), hashConfig({ a: 2 }));
});

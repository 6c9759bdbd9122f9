import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { artefactLedger, CacheCorruptError, hashConfig, loadArrays, loadArraysIfValid, loadJsonChecked, saveArrays, saveJsonChecked, setArtefactBackend, writeFileAtomic } from '../src/io/cache';
import { tempDir } from './helpers';

const weights = { kind: 'weights', key: { seed: 1 } };

/** Captures what `fn` writes to stderr. */
function stderrOf(fn: () => void): string {
  const chunks: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => chunks.push(String(chunk)) > 0) as typeof process.stderr.write;
  try {
    fn();
  } finally {
    process.stderr.write = write;
  }
  return chunks.join('');
}

/** Rewrites the JSON header of a tensor file through `edit` (keeping the payload). */
function editHeader(file: string, edit: (header: Record<string, unknown>) => void): void {
  const buf = fs.readFileSync(file);
  const length = buf.readUInt32LE(4);
  const header = JSON.parse(buf.toString('utf8', 8, 8 + length)) as Record<string, unknown>;
  edit(header);
  const text = Buffer.from(JSON.stringify(header).padEnd(length, ' '), 'utf8');
  assert.equal(text.length, length, 'the edited header must keep its length');
  fs.writeFileSync(file, Buffer.concat([buf.subarray(0, 8), text, buf.subarray(8 + length)]));
}

test('tensor files round-trip names, shapes, values and metadata', () => {
  const file = path.join(tempDir(), 'w.rvt');
  saveArrays(file, { a: { shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) }, b: { shape: [3], data: new Float32Array([-1, 0.5, 1e-8]) } }, weights, { step: 7 });
  const back = loadArrays(file, { ...weights, shapes: { a: [2, 2], b: [3] } });
  assert.deepEqual(back.arrays.a!.shape, [2, 2]);
  assert.deepEqual([...back.arrays.b!.data], [...new Float32Array([-1, 0.5, 1e-8])]);
  assert.deepEqual(back.meta, { step: 7 });
});

test('a flipped payload byte, a truncation and a foreign file are detected; the corrupt file is removed', () => {
  const dir = tempDir();
  const file = path.join(dir, 'w.rvt');
  saveArrays(file, { a: { shape: [100], data: new Float32Array(100).fill(3) } }, weights);
  const bytes = fs.readFileSync(file);
  bytes[bytes.length - 5] ^= 0xff;
  fs.writeFileSync(file, bytes);
  assert.throws(() => loadArrays(file, weights), (e: unknown) => e instanceof CacheCorruptError && /checksum/.test(e.message));
  fs.writeFileSync(file, bytes.subarray(0, bytes.length - 8));
  assert.throws(() => loadArrays(file, weights), /checksum/);
  fs.writeFileSync(file, 'hello');
  assert.throws(() => loadArrays(file, weights), /magic/);
  assert.match(stderrOf(() => assert.equal(loadArraysIfValid(file, weights), null)), /w\.rvt: cache file is invalid \(magic is not RVT1\); it will be rebuilt/);
  assert.equal(fs.existsSync(file), false);
});

test('the header is covered by the checksum: an edited backend, seed or key is detected', () => {
  const file = path.join(tempDir(), 'w.rvt');
  const save = () => saveArrays(file, { a: { shape: [4], data: new Float32Array(4).fill(1) } }, weights, { seed: 11 });
  save();
  editHeader(file, (h) => { h.backend = 'gpu'.padEnd(String(h.backend).length, 'x'); });
  assert.throws(() => loadArrays(file, weights), /checksum of header and payload does not match/);
  save();
  editHeader(file, (h) => { h.meta = { seed: 12 }; });
  assert.throws(() => loadArrays(file, weights), /checksum/);
  save();
  editHeader(file, (h) => { h.key = String(h.key).replace(/^./, (c) => (c === '0' ? '1' : '0')); });
  assert.throws(() => loadArrays(file, weights), /checksum/);
});

test('a valid file of another kind, key or shape is refused under this name', () => {
  const file = path.join(tempDir(), 'w.rvt');
  saveArrays(file, { w1: { shape: [2], data: new Float32Array(2) } }, { kind: 'recurrence', key: { seed: 1 } });
  assert.throws(() => loadArrays(file, weights), /holds a recurrence file, expected a weights file/);
  saveArrays(file, { w1: { shape: [2], data: new Float32Array(2) } }, { kind: 'weights', key: { seed: 2 } });
  assert.throws(() => loadArrays(file, weights), /built for key [0-9a-f]{16}, expected key [0-9a-f]{16}/);
  saveArrays(file, { w1: { shape: [2], data: new Float32Array(2) } }, weights);
  assert.throws(() => loadArrays(file, { ...weights, shapes: { w1: [3] } }), /holds w1 \[2\], expected w1 \[3\]/);
  assert.throws(() => loadArrays(file, { ...weights, shapes: { w1: [2], b1: [1] } }), /expected w1 \[2\], b1 \[1\]/);
});

test('atomic writes leave no temporary files; a failed write names the file', () => {
  const dir = tempDir();
  writeFileAtomic(path.join(dir, 'sub', 'x.json'), '{}');
  assert.deepEqual(fs.readdirSync(path.join(dir, 'sub')), ['x.json']);
  fs.writeFileSync(path.join(dir, 'blocker'), '');
  assert.throws(() => writeFileAtomic(path.join(dir, 'blocker', 'x.json'), '{}'), /blocker: cannot create the directory \((ENOTDIR|EEXIST)/);
});

test('checked JSON round-trips and rejects an edited file, another kind, another key, a failed check', () => {
  const file = path.join(tempDir(), 'c.json');
  const binding = { kind: 'calibration', key: { type: 'pixel' } };
  saveJsonChecked(file, { b: 1, a: [1, 2] }, binding);
  assert.deepEqual(loadJsonChecked(file, binding), { a: [1, 2], b: 1 });
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"b": 1', '"b": 2'));
  assert.match(stderrOf(() => assert.equal(loadJsonChecked(file, binding), null)), /checksum does not match/);
  saveJsonChecked(file, { b: 1 }, { kind: 'calibration', key: { type: 'blur' } });
  assert.match(stderrOf(() => assert.equal(loadJsonChecked(file, binding), null)), /built for key/);
  saveJsonChecked(file, { b: 1 }, { kind: 'tuning', key: { type: 'pixel' } });
  assert.match(stderrOf(() => assert.equal(loadJsonChecked(file, binding), null)), /holds a tuning file, expected a calibration file/);
  saveJsonChecked(file, { b: 1 }, binding);
  assert.match(stderrOf(() => assert.equal(loadJsonChecked(file, { ...binding, check: () => 'b is wrong' }), null)), /\(b is wrong\)/);
  assert.equal(fs.existsSync(file), false);
});

test('every file records the backend that made it; reuse on another backend is said, and listed', () => {
  const dir = tempDir();
  const file = path.join(dir, 'w.rvt');
  setArtefactBackend('wasm');
  saveArrays(file, { a: { shape: [1], data: new Float32Array(1) } }, weights);
  setArtefactBackend('cpu');
  try {
    let loaded: ReturnType<typeof loadArrays> | undefined;
    const said = stderrOf(() => { loaded = loadArrays(file, weights); });
    assert.equal(loaded?.backend, 'wasm');
    assert.match(said, /w\.rvt: made on the wasm backend, reused on cpu/);
    // Made by this process, then reused: listed once, as made.
    assert.deepEqual(artefactLedger().find((r) => r.file === path.resolve(file)), { file: path.resolve(file), kind: 'weights', backend: 'wasm', action: 'made' });
    fs.rmSync(file);
    assert.equal(artefactLedger().find((r) => r.file === path.resolve(file)), undefined, 'removed files are not listed');
  } finally {
    setArtefactBackend('unknown');
  }
});

test('configuration hashes ignore key order and change with any value', () => {
  assert.equal(hashConfig({ a: 1, b: { c: 2, d: 3 } }), hashConfig({ b: { d: 3, c: 2 }, a: 1 }));
  assert.notEqual(hashConfig({ a: 1 }), hashConfig({ a: 2 }));
});

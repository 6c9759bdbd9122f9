import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  type BData,
  BDataBuilder,
  BDataError,
  metadataKeys,
  metadataRow,
  readBData,
  sampleColumn,
  selectColumns,
  selectData,
  writeBData,
} from '../src/fmri/bdata';
import { tempDir } from './helpers';

const GOLDEN = path.join(__dirname, '..', '..', 'test', 'golden');

/** A small BData with voxel columns, label columns, masks, NaN and a vmap. */
function smallBData(): BData {
  const samples = 4;
  const voxels = Float64Array.from({ length: samples * 5 }, (_, i) => Math.sin(i) * 10 + i / 7);
  return new BDataBuilder(samples, 'small')
    .addColumns('VoxelData', voxels, 5, 'voxels')
    .addColumns('Label', [3, 1, 2, 3], 1, 'image id')
    .addColumns('TimeBin', [1, 2, 1, 2], 1)
    .addMetadata('ROI_LH_V1', [1, 1, 0, 0, 0], 'VoxelData', 'left V1')
    .addMetadata('ROI_RH_V1', [0, 0, 1, 1, 0], 'VoxelData', 'right V1 — ünïcode description')
    .addMetadata('voxel_x', [-10.5, -3, 4, 8.25, NaN], 'VoxelData')
    .addVmap('Label', { '1': 'cat.jpg', '2': 'dog.jpg', '3': 'ünï.jpg' })
    .build();
}

function assertSameBData(actual: BData, expected: BData): void {
  assert.equal(actual.samples, expected.samples);
  assert.equal(actual.columns, expected.columns);
  assert.deepEqual(Array.from(actual.dataset), Array.from(expected.dataset));
  assert.deepEqual(metadataKeys(actual), metadataKeys(expected));
  assert.deepEqual(
    actual.metadata.map((m) => m.description),
    expected.metadata.map((m) => m.description),
  );
  // deepEqual treats NaN as equal to NaN.
  assert.deepEqual(
    actual.metadata.map((m) => Array.from(m.value)),
    expected.metadata.map((m) => Array.from(m.value)),
  );
  assert.deepEqual(actual.vmap, expected.vmap);
}

test('builder: block rows are 1 on their columns and NaN elsewhere; selection by key and value', () => {
  const b = smallBData();
  assert.equal(b.columns, 7);
  assert.deepEqual(Array.from(metadataRow(b, 'Label')), [NaN, NaN, NaN, NaN, NaN, 1, NaN]);
  assert.deepEqual(Array.from(selectColumns(b, 'ROI_RH_V1')), [2, 3]);
  assert.deepEqual(Array.from(selectColumns(b, 'ROI_RH_V1', 0)), [0, 1, 4]);
  assert.deepEqual(Array.from(sampleColumn(b, 'Label')), [3, 1, 2, 3]);
  const { data, columns } = selectData(b, 'ROI_LH_V1');
  assert.deepEqual(Array.from(columns), [0, 1]);
  assert.deepEqual(Array.from(data), [0, 1, 7, 8, 14, 15, 21, 22].map((i) => b.dataset[i]));
  assert.throws(() => sampleColumn(b, 'VoxelData'), /flags 5 columns with value 1, expected exactly one/);
});

test('round trip write → read gives identical data, for every spelling and string encoding', async () => {
  const dir = tempDir();
  const b = smallBData();
  for (const legacy of [false, true]) {
    for (const strings of ['fixed', 'variable'] as const) {
      const file = path.join(dir, `rt-${legacy}-${strings}.h5`);
      await writeBData(file, b, { legacy, strings });
      const back = await readBData(file);
      assert.equal(back.source, file);
      assertSameBData(back, b);
    }
  }
  // float32 storage rounds to float32 and reads back as float64.
  const f32 = path.join(dir, 'f32.h5');
  await writeBData(f32, b, { dtype: 'float32' });
  assert.deepEqual(Array.from((await readBData(f32)).dataset), Array.from(Float32Array.from(b.dataset)));
  // Nothing but the files themselves is left behind (no temporary files).
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
});

test('reads bdpy-style files written by h5py: fixed-length byte keys, vlen descriptions, vmap, legacy spelling', async () => {
  const expected = JSON.parse(fs.readFileSync(path.join(GOLDEN, 'fmri_golden.json'), 'utf8')) as { samples: number; columns: number; keys: string[] };
  const modern = await readBData(path.join(GOLDEN, 'bdata_h5py.h5'));
  const legacy = await readBData(path.join(GOLDEN, 'bdata_h5py_legacy.h5'));
  for (const b of [modern, legacy]) {
    assert.equal(b.samples, expected.samples);
    assert.equal(b.columns, expected.columns);
    assert.deepEqual(metadataKeys(b), expected.keys);
    assert.equal(b.metadata[0]!.description, 'Attribute: VoxelData = 1');
    assert.equal(selectColumns(b, 'ROI_LH_V1').length, 7);
  }
  assert.deepEqual(Array.from(modern.dataset), Array.from(legacy.dataset));
  // vmap keys written by bdpy as str(float) ('1.0') are normalised to '1'.
  assert.equal(modern.vmap.Label!['1'], 'image01');
  assert.equal(modern.vmap.Label!['7'], 'image07');
  assert.deepEqual(legacy.vmap, {});
});

test('a file written here reads in h5py the way bdpy expects', { skip: !fs.existsSync('/usr/bin/python3') }, async () => {
  const { spawnSync } = await import('node:child_process');
  const file = path.join(tempDir(), 'for-h5py.h5');
  await writeBData(file, smallBData(), { strings: 'fixed' });
  const script = [
    'import sys, h5py, numpy as np',
    'f = h5py.File(sys.argv[1], "r")',
    'print(f["dataset"].shape, [k.decode() for k in f["metadata/key"][:]], f["metadata/value"].shape, f["vmap/Label/3"][()].decode())',
  ].join('\n');
  const out = spawnSync('/usr/bin/python3', ['-c', script, file], { encoding: 'utf8' });
  if (out.status !== 0 && /No module named/.test(out.stderr)) return; // h5py not installed here
  assert.equal(out.status, 0, out.stderr);
  assert.equal(out.stdout.trim(), "(4, 7) ['VoxelData', 'Label', 'TimeBin', 'ROI_LH_V1', 'ROI_RH_V1', 'voxel_x'] (6, 7) ünï.jpg");
});

test('a non-HDF5 file, a truncated file and a missing file give clear errors naming the file', async () => {
  const dir = tempDir();
  const text = path.join(dir, 'notes.h5');
  fs.writeFileSync(text, 'this is not HDF5\n'.repeat(100));
  await assert.rejects(readBData(text), (err: unknown) => err instanceof BDataError && err.message.includes(text) && /not an HDF5 file/.test(err.message));

  const good = path.join(dir, 'good.h5');
  await writeBData(good, smallBData());
  const bytes = fs.readFileSync(good);
  for (const keep of [0.9, 0.5, 0.1]) {
    const cut = path.join(dir, `cut-${keep}.h5`);
    fs.writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * keep)));
    await assert.rejects(readBData(cut), (err: unknown) => err instanceof BDataError && err.message.includes(cut) && /truncated/.test(err.message));
  }
  // Damage inside the file (superblock intact) is caught from the HDF5 library, not a crash.
  const damaged = path.join(dir, 'damaged.h5');
  const copy = Buffer.from(bytes);
  copy.fill(0xab, 120, 1200);
  fs.writeFileSync(damaged, copy);
  await assert.rejects(readBData(damaged), (err: unknown) => err instanceof BDataError && err.message.startsWith(damaged) && /could not (be )?read/.test(err.message));
  // The library is still usable afterwards.
  assert.equal((await readBData(good)).samples, 4);

  const missing = path.join(dir, 'nope.h5');
  await assert.rejects(readBData(missing), new RegExp(`${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: file: not found`));
});

test('missing /dataset, missing metadata and mismatched shapes are reported with file and field', { skip: !fs.existsSync('/usr/bin/python3') }, async () => {
  const { spawnSync } = await import('node:child_process');
  const dir = tempDir();
  const script = [
    'import sys, h5py, numpy as np',
    'd = sys.argv[1]',
    'def meta(f, m, cols):',
    '    f.create_dataset("metadata/key", data=[b"VoxelData"] * m if m == 1 else [b"VoxelData", b"Label"][:m])',
    '    f.create_dataset("metadata/description", data=[b"x"] * m)',
    '    f.create_dataset("metadata/value", data=np.ones((m, cols)))',
    'with h5py.File(d + "/nodataset.h5", "w") as f:',
    '    meta(f, 2, 3)',
    'with h5py.File(d + "/nometa.h5", "w") as f:',
    '    f.create_dataset("dataset", data=np.zeros((2, 3)))',
    'with h5py.File(d + "/badshape.h5", "w") as f:',
    '    f.create_dataset("dataset", data=np.zeros((2, 4)))',
    '    meta(f, 2, 3)',
    'with h5py.File(d + "/baddesc.h5", "w") as f:',
    '    f.create_dataset("dataset", data=np.zeros((2, 3)))',
    '    meta(f, 2, 3)',
    '    del f["metadata/description"]',
    '    f.create_dataset("metadata/description", data=[b"only one"])',
    'with h5py.File(d + "/onedim.h5", "w") as f:',
    '    f.create_dataset("dataset", data=np.zeros(3))',
    '    meta(f, 2, 3)',
  ].join('\n');
  const out = spawnSync('/usr/bin/python3', ['-c', script, dir], { encoding: 'utf8' });
  if (out.status !== 0 && /No module named/.test(out.stderr)) return;
  assert.equal(out.status, 0, out.stderr);
  const cases: [string, RegExp][] = [
    ['nodataset.h5', /nodataset\.h5: \/dataset: missing \(expected \/dataset or legacy \/dataSet; top level has: metadata\)/],
    ['nometa.h5', /nometa\.h5: \/metadata: missing/],
    ['badshape.h5', /badshape\.h5: \/metadata\/value: has shape \[2,3\], expected \[keys 2, dataset columns 4\]/],
    ['baddesc.h5', /baddesc\.h5: \/metadata\/description: has 1 entries, expected one per key \(2\)/],
    ['onedim.h5', /onedim\.h5: \/dataset: has shape \[3\], expected 2-D \[samples, columns\]/],
  ];
  for (const [name, pattern] of cases) await assert.rejects(readBData(path.join(dir, name)), pattern);
});

test('an unknown metadata key names the file and lists the known keys', () => {
  const b = smallBData();
  assert.throws(() => selectColumns(b, 'ROI_V9'), (err: unknown) => err instanceof BDataError && err.message === "small: metadata key 'ROI_V9': unknown; the file has: VoxelData, Label, TimeBin, ROI_LH_V1, ROI_RH_V1, voxel_x");
});

test('the builder and writer refuse inconsistent input', async () => {
  assert.throws(() => new BDataBuilder(3).addColumns('VoxelData', [1, 2, 3, 4], 2), /has 4 values, expected \[samples 3, width 2\]/);
  assert.throws(() => new BDataBuilder(2).addColumns('VoxelData', [1, 2], 1).addMetadata('ROI_V1', [1, 0], 'VoxelData'), /expected one per column of 'VoxelData' \(1\)/);
  const bad = smallBData();
  bad.metadata[1] = { ...bad.metadata[1]!, value: new Float64Array(3) };
  const file = path.join(tempDir(), 'bad.h5');
  await assert.rejects(writeBData(file, bad), /metadata\/value\['Label'\]: has 3 values, expected one per dataset column \(7\)/);
  assert.equal(fs.existsSync(file), false);
});

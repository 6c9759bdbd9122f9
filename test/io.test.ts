import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../src/io/errors';
import { readHdf5Dataset } from '../src/io/hdf5';
import { parseInputSpec, readArray, readMatrix } from '../src/io/matrixInput';
import { encodeNpy, parseNpy, readNpy, writeNpy } from '../src/io/npy';
import { tempDir } from './helpers';

const GOLDEN = path.join(__dirname, '..', '..', 'test', 'golden');
const NPY = path.join(GOLDEN, 'npy');
const H5 = path.join(GOLDEN, 'analyze', 'inputs.h5');

/** The values make_npy_golden.py writes: k / 7 − 1 for the k-th element, in float64 or rounded to float32. */
function expectedValues(count: number, float32: boolean): number[] {
  return Array.from({ length: count }, (_, k) => (float32 ? Math.fround(k / 7 - 1) : k / 7 - 1));
}

/** Asserts that `fn` rejects or throws an InputError for `file` and `field` whose problem matches `problem`. */
async function assertInputError(fn: () => unknown, file: string, field: string, problem: RegExp): Promise<void> {
  await assert.rejects(
    async () => fn(),
    (err: unknown) => {
      assert.ok(err instanceof InputError, `expected an InputError, got ${String(err)}`);
      assert.equal(err.file, file);
      assert.equal(err.field, field);
      assert.match(err.problem, problem);
      assert.equal(err.message, `${file}: ${field}: ${err.problem}`);
      return true;
    },
  );
}

// --- .npy -------------------------------------------------------------------------------------

test('readNpy: numpy files of versions 1.0, 2.0 and 3.0, float32 and float64, ranks 0 to 3 and empty', () => {
  const cases: [string, number[], boolean][] = [
    ['f8_v1.npy', [3, 4], false],
    ['f4_v1.npy', [2, 5], true],
    ['f8_v2.npy', [4, 2], false],
    ['f4_v3.npy', [2, 3], true],
    ['f8_scalar.npy', [], false],
    ['f8_1d.npy', [6], false],
    ['f4_3d.npy', [2, 3, 4], true],
    ['f8_empty.npy', [0, 3], false],
  ];
  for (const [name, shape, float32] of cases) {
    const { data, shape: actual } = readNpy(path.join(NPY, name));
    assert.deepEqual(actual, shape, name);
    assert.ok(float32 ? data instanceof Float32Array : data instanceof Float64Array, `${name}: array type`);
    assert.deepEqual(Array.from(data), expectedValues(data.length, float32), name);
  }
});

test('encodeNpy writes what numpy writes, byte for byte, and reads back', () => {
  for (const name of ['f8_v1.npy', 'f4_v1.npy', 'f8_scalar.npy', 'f8_1d.npy', 'f4_3d.npy', 'f8_empty.npy']) {
    const file = path.join(NPY, name);
    assert.deepEqual(Buffer.from(encodeNpy(readNpy(file))), fs.readFileSync(file), name);
  }
  const out = path.join(tempDir(), 'round.npy');
  const array = { data: Float64Array.of(1.5, -2, Math.PI, 1e-300, -0, 7), shape: [3, 2] };
  writeNpy(out, array);
  assert.deepEqual(readNpy(out), array);
  assert.throws(() => encodeNpy({ data: new Float64Array(5), shape: [2, 3] }), /shape \[2, 3\] does not match 5 values/);
});

test('readNpy rejects other dtypes, big-endian, Fortran order, truncated and non-.npy files, naming file and field', async () => {
  const at = (name: string) => path.join(NPY, name);
  await assertInputError(() => readNpy(at('bad_int64.npy')), at('bad_int64.npy'), 'descr', /dtype int64 \('<i8'\) is not supported; expected float32 \(<f4\) or float64 \(<f8\)/);
  await assertInputError(() => readNpy(at('bad_bigendian.npy')), at('bad_bigendian.npy'), 'descr', /big-endian float64 \('>f8'\); expected little-endian/);
  await assertInputError(() => readNpy(at('bad_fortran.npy')), at('bad_fortran.npy'), 'fortran_order', /Fortran \(column-major\) order; expected C order/);
  await assertInputError(() => readNpy(at('bad_structured.npy')), at('bad_structured.npy'), 'descr', /structured dtype/);
  await assertInputError(() => readNpy(at('bad_truncated.npy')), at('bad_truncated.npy'), 'data', /truncated: shape \[3, 4\] needs 96 bytes of data but 88 follow/);
  await assertInputError(() => parseNpy(Buffer.from('hello, world'), 'x.txt'), 'x.txt', 'magic', /not an \.npy file/);
  const v9 = Buffer.from(fs.readFileSync(at('f8_v1.npy')));
  v9[6] = 9;
  await assertInputError(() => parseNpy(v9, 'v9.npy'), 'v9.npy', 'version', /format version 9\.0 is not supported/);
  await assertInputError(() => readNpy(at('missing.npy')), at('missing.npy'), 'file', /^not found$/);
});

// --- HDF5 -------------------------------------------------------------------------------------

test('readHdf5Dataset reads a float32 dataset written by h5py; errors name the file and dataset', async () => {
  const x = await readHdf5Dataset(H5, '/pr/x');
  assert.deepEqual(x.shape, [30, 8]);
  assert.ok(x.data instanceof Float32Array);
  const reference = readNpy(path.join(GOLDEN, 'analyze', 'pr_x.npy'));
  assert.deepEqual(Array.from(x.data), Array.from(reference.data, Math.fround));
  await assertInputError(() => readHdf5Dataset(H5, '/pr/nope'), H5, '/pr/nope', /^no such dataset \(\/pr has: \/pr\/x\)$/);
  await assertInputError(() => readHdf5Dataset(H5, '/nope/x'), H5, '/nope/x', /no such dataset \(the file has: .*\/predictivity\/features/);
  await assertInputError(() => readHdf5Dataset(H5, '/denoising'), H5, '/denoising', /is a group, expected a dataset; it holds: \/denoising\/clean_ff, /);
  await assertInputError(() => readHdf5Dataset(H5, '/predictivity/labels_int'), H5, '/predictivity/labels_int', /expected float32 or float64/);
  const npy = path.join(NPY, 'f8_v1.npy');
  await assertInputError(() => readHdf5Dataset(npy, '/x'), npy, 'file', /not an HDF5 file/);
  await assertInputError(() => readHdf5Dataset(path.join(NPY, 'missing.h5'), '/x'), path.join(NPY, 'missing.h5'), 'file', /^not found$/);
});

// --- readMatrix ---------------------------------------------------------------------------------

test('parseInputSpec: FILE:/path is HDF5, anything else a file', () => {
  assert.deepEqual(parseInputSpec('a.h5:/g/x'), { format: 'hdf5', file: 'a.h5', dataset: '/g/x' });
  assert.deepEqual(parseInputSpec('dir/a.npy'), { format: 'npy', file: 'dir/a.npy' });
  assert.deepEqual(parseInputSpec('a:b.h5:/x'), { format: 'hdf5', file: 'a:b.h5', dataset: '/x' });
});

test('readMatrix dispatches on the spec and checks rank, emptiness and finiteness', async () => {
  const fromNpy = await readMatrix(path.join(GOLDEN, 'analyze', 'pr_x.npy'));
  const fromH5 = await readMatrix(`${H5}:/pr/x`);
  assert.deepEqual(fromNpy.shape, [30, 8]);
  assert.deepEqual(fromH5.shape, [30, 8]);
  assert.equal(fromH5.file, H5);
  assert.equal(fromH5.field, '/pr/x');
  assert.equal(fromNpy.field, 'data');

  const dir = tempDir();
  const write = (name: string, data: number[], shape: number[]) => {
    const file = path.join(dir, name);
    writeNpy(file, { data: Float64Array.from(data), shape });
    return file;
  };
  const nan = write('nan.npy', [1, 2, 3, 4, 5, NaN], [2, 3]);
  await assertInputError(() => readMatrix(nan), nan, 'data', /^NaN at \[1, 2\]; expected finite values$/);
  const inf = write('inf.npy', [1, -Infinity, 3, 4], [2, 2]);
  await assertInputError(() => readMatrix(inf), inf, 'data', /^-Inf at \[0, 1\]/);
  const cube = write('cube.npy', new Array(8).fill(1), [2, 2, 2]);
  await assertInputError(() => readMatrix(cube), cube, 'data', /^has shape \[2, 2, 2\] \(3-D\), expected 2-D \[samples, units\]$/);
  assert.deepEqual((await readMatrix(cube, { layouts: [['a', 'b'], ['r', 'a', 'b']] })).shape, [2, 2, 2]);
  const empty = path.join(NPY, 'f8_empty.npy');
  await assertInputError(() => readMatrix(empty), empty, 'data', /is empty \(shape \[0, 3\]\)/);
  await assertInputError(() => readArray(H5), H5, 'file', /is an HDF5 file; name the dataset too/);
  const text = path.join(dir, 'notes.txt');
  fs.writeFileSync(text, 'samples,units\n1,2\n');
  await assertInputError(() => readArray(text), text, 'file', /not an \.npy or HDF5 file/);
  await assertInputError(() => readArray(dir), dir, 'file', /is not a regular file/);
});

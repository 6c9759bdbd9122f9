/**
 * HDF5 files through h5wasm: loading the library, checking a file before the
 * C library sees it, opening it, and reading one float dataset by path.
 *
 * h5wasm in Node: the package is ESM-only (its `exports` offer no `require`
 * condition), so this CommonJS project loads `dist/node/hdf5_hl.js` with a
 * native `import()` of its file URL. That build is compiled with Emscripten's
 * NODERAWFS, so it opens real paths directly: no copying into `h5wasm.FS`.
 * `await ready` must finish before any File is made. By default the HDF5 C
 * library prints errors to stderr and `new File` returns a bad handle without
 * throwing; this module switches on h5wasm's throwing error handler and also
 * checks the HDF5 signature and the superblock's end-of-file address itself,
 * so a non-HDF5 or truncated file gets a short message naming the file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as H5 from 'h5wasm';
import { InputError } from './errors';

/** The h5wasm module. */
export type H5Lib = typeof H5;
let h5Promise: Promise<H5Lib> | null = null;

/** A native dynamic import: TypeScript's CommonJS output would turn `import()` into `require()`, which h5wasm's exports refuse. */
const importEsm = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

function h5wasmEntry(): string {
  for (const dir of require.resolve.paths('h5wasm') ?? []) {
    const candidate = path.join(dir, 'h5wasm', 'dist', 'node', 'hdf5_hl.js');
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error('h5wasm is not installed (looked for h5wasm/dist/node/hdf5_hl.js in node_modules); run npm install');
}

/** Loads h5wasm once per process (waits for `ready`, enables throwing errors). */
export function loadH5wasm(): Promise<H5Lib> {
  h5Promise ??= (async () => {
    const lib = (await importEsm(pathToFileURL(h5wasmEntry()).href)) as H5Lib;
    const module = await lib.ready;
    module.activate_throwing_error_handler();
    return lib;
  })();
  return h5Promise;
}

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

function readUint(buf: Buffer, offset: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(buf[offset + i]!);
  return v;
}

/**
 * Checks that `file` exists, starts with the HDF5 signature (at byte 0 or a
 * user-block offset 512, 1024, ...), and is at least as long as its superblock
 * says. Throws {@link InputError} otherwise.
 */
export function checkHdf5File(file: string): void {
  if (!fs.existsSync(file)) throw new InputError(file, 'file', 'not found');
  if (!fs.statSync(file).isFile()) throw new InputError(file, 'file', 'is not a regular file');
  const size = fs.statSync(file).size;
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(96);
    let sigAt = -1;
    for (let offset = 0; offset + 8 <= size; offset = offset === 0 ? 512 : offset * 2) {
      fs.readSync(fd, head, 0, head.length, offset);
      if (head.subarray(0, 8).equals(HDF5_SIGNATURE)) {
        sigAt = offset;
        break;
      }
    }
    if (sigAt < 0) throw new InputError(file, 'file', `not an HDF5 file (no HDF5 signature at byte 0, 512, 1024, ...; ${size} bytes)`);
    const version = head[8]!;
    // Superblock layout (HDF5 file format spec, section II.A): where the
    // base address and end-of-file address sit depends on the version.
    let offsetSize: number;
    let baseAt: number;
    if (version === 0 || version === 1) {
      offsetSize = head[13]!;
      baseAt = version === 0 ? 24 : 28;
    } else if (version === 2 || version === 3) {
      offsetSize = head[9]!;
      baseAt = 12;
    } else {
      return; // A newer superblock: leave the checks to the library.
    }
    if (![2, 4, 8].includes(offsetSize) || baseAt + 3 * offsetSize > head.length) {
      throw new InputError(file, 'superblock', `malformed HDF5 superblock (offset size ${offsetSize})`);
    }
    const base = readUint(head, baseAt, offsetSize);
    const eof = readUint(head, baseAt + 2 * offsetSize, offsetSize);
    const undefinedAddress = (1n << BigInt(8 * offsetSize)) - 1n;
    if (eof !== undefinedAddress && base + eof > BigInt(size)) {
      throw new InputError(file, 'file', `truncated: the HDF5 superblock records ${base + eof} bytes but the file has ${size}`);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** The deepest message of an HDF5 error stack, e.g. "file signature not found". */
export function hdf5Reason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const frames = [...text.matchAll(/#\d+:.* in ([\w]+)\(\): (.*)$/gm)];
  const last = frames[frames.length - 1];
  return last ? `${last[2]!.trim()} (in ${last[1]})` : text.split('\n')[0]!;
}

/** An open HDF5 file and the library it was opened with. */
export interface OpenHdf5 {
  lib: H5Lib;
  h5file: H5.File;
}

/**
 * Checks (see {@link checkHdf5File}) and opens `file` read-only. Close it with
 * {@link closeHdf5}. Throws {@link InputError}.
 */
export async function openHdf5(file: string): Promise<OpenHdf5> {
  checkHdf5File(file);
  const lib = await loadH5wasm();
  try {
    return { lib, h5file: new lib.File(path.resolve(file), 'r') };
  } catch (err) {
    throw new InputError(file, 'file', `HDF5 could not open it: ${hdf5Reason(err)}`);
  }
}

/** Closes an HDF5 file, ignoring errors: closing a file that failed half way can fail again, and the read error is what matters. */
export function closeHdf5(h5file: H5.File): void {
  try {
    h5file.close();
  } catch {
    // See above.
  }
}

/** Paths of every dataset in `group` (depth first, file order), at most `limit`. */
function datasetPaths(lib: H5Lib, group: H5.Group, prefix: string, limit: number, out: string[] = []): string[] {
  for (const key of group.keys()) {
    if (out.length >= limit) break;
    const child = group.get(key);
    if (child instanceof lib.Dataset) out.push(`${prefix}/${key}`);
    else if (child instanceof lib.Group) datasetPaths(lib, child, `${prefix}/${key}`, limit, out);
  }
  return out;
}

function listDatasets(lib: H5Lib, group: H5.Group, prefix: string): string {
  const limit = 20;
  const paths = datasetPaths(lib, group, prefix === '/' ? '' : prefix, limit + 1);
  if (paths.length === 0) return 'no datasets';
  return paths.length > limit ? `${paths.slice(0, limit).join(', ')}, ...` : paths.join(', ');
}

/** A float dataset read from HDF5: values row-major (C order), and its shape (`[]` for a scalar). */
export interface Hdf5Array {
  /** Float32Array for 32-bit float datasets, Float64Array for 64-bit ones. */
  data: Float64Array | Float32Array;
  /** Dimensions, outermost first. */
  shape: number[];
}

/**
 * Reads the float32 or float64 dataset at `datasetPath` (e.g. `/layers/conv1`)
 * of `file`. Throws {@link InputError} naming the file and the dataset for a
 * missing file, a non-HDF5 or truncated file, a missing dataset (listing the
 * datasets that exist), a group, or another type.
 */
export async function readHdf5Dataset(file: string, datasetPath: string): Promise<Hdf5Array> {
  const field = datasetPath.startsWith('/') ? datasetPath : `/${datasetPath}`;
  const { lib, h5file } = await openHdf5(file);
  try {
    let entity: H5.Entity | null;
    try {
      entity = h5file.get(field);
    } catch (err) {
      throw new InputError(file, field, `could not be read: ${hdf5Reason(err)}`);
    }
    if (entity === null) {
      const parent = field.slice(0, field.lastIndexOf('/')) || '/';
      const parentGroup = parent === '/' ? h5file : h5file.get(parent);
      const where = parentGroup instanceof lib.Group ? `${parent} has: ${listDatasets(lib, parentGroup, parent)}` : `the file has: ${listDatasets(lib, h5file, '/')}`;
      throw new InputError(file, field, `no such dataset (${where})`);
    }
    if (entity instanceof lib.Group) throw new InputError(file, field, `is a group, expected a dataset; it holds: ${listDatasets(lib, entity, field)}`);
    if (!(entity instanceof lib.Dataset)) throw new InputError(file, field, 'is not a dataset');
    const meta = entity.metadata;
    // H5T class 1 is floating point (H5Tpublic.h).
    if (meta.type !== 1 || (meta.size !== 4 && meta.size !== 8)) {
      throw new InputError(file, field, `has type ${JSON.stringify(entity.dtype)} (HDF5 class ${meta.type}, ${meta.size} bytes); expected float32 or float64, e.g. h5py create_dataset(..., dtype='f8')`);
    }
    let value: H5.OutputData | null;
    let shape: number[];
    try {
      shape = entity.shape ?? [];
      value = entity.value;
    } catch (err) {
      throw new InputError(file, field, `could not be read (file damaged?): ${hdf5Reason(err)}`);
    }
    if (value instanceof Float64Array || value instanceof Float32Array) return { data: value, shape };
    if (typeof value === 'number') return { data: Float64Array.of(value), shape };
    throw new InputError(file, field, 'did not read as a float array');
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(file, field, `HDF5 could not read it (damaged?): ${hdf5Reason(err)}`);
  } finally {
    closeHdf5(h5file);
  }
}

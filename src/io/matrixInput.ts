/**
 * Numeric input named on the command line: `FILE.npy` (see `npy.ts`) or
 * `FILE.h5:/path/to/dataset` (any HDF5 file; see `hdf5.ts`). Values are float32
 * or float64, row-major; every value must be finite.
 */
import * as fs from 'node:fs';
import { InputError } from './errors';
import { readHdf5Dataset } from './hdf5';
import { readNpy } from './npy';

export { InputError } from './errors';

/** Where an input lives: an `.npy` file, or a dataset in an HDF5 file. */
export type InputSource = { format: 'npy'; file: string } | { format: 'hdf5'; file: string; dataset: string };

/** An array read from an input spec. */
export interface InputArray {
  /** The spec as given, e.g. `acts.h5:/layer1`. */
  spec: string;
  /** The file part of the spec. */
  file: string;
  /** The field for messages: the dataset path for HDF5, `data` for `.npy`. */
  field: string;
  /** Values, row-major. */
  data: Float64Array | Float32Array;
  /** Dimensions, outermost first. */
  shape: number[];
}

/** Options for {@link readMatrix}. */
export interface ReadMatrixOptions {
  /**
   * The accepted layouts, each a list of dimension names, e.g.
   * `[['samples', 'neuroids'], ['repetitions', 'samples', 'neuroids']]`
   * (default `[['samples', 'units']]`). Used to check the rank and in messages.
   */
  layouts?: string[][];
}

/** Splits `FILE:/dataset` (the first `:` followed by `/`) from a plain `FILE`. */
export function parseInputSpec(spec: string): InputSource {
  const m = /^(.+?):(\/.*)$/.exec(spec);
  if (m) return { format: 'hdf5', file: m[1]!, dataset: m[2]! };
  return { format: 'npy', file: spec };
}

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
const NPY_MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);

/** The first (up to) 8 bytes of `file`; throws {@link InputError} for a missing file or a directory. */
function fileHead(file: string): Buffer {
  if (!fs.existsSync(file)) throw new InputError(file, 'file', 'not found');
  if (!fs.statSync(file).isFile()) throw new InputError(file, 'file', 'is not a regular file');
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(8);
    const n = fs.readSync(fd, head, 0, 8, 0);
    return head.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Reads the array named by `spec` (`FILE.npy` or `FILE.h5:/path`), of any rank.
 * Throws {@link InputError}: missing file, not an `.npy` or HDF5 file, an HDF5
 * file without a dataset path, a missing dataset, an unsupported dtype.
 */
export async function readArray(spec: string): Promise<InputArray> {
  const source = parseInputSpec(spec);
  if (source.format === 'hdf5') {
    const { data, shape } = await readHdf5Dataset(source.file, source.dataset);
    return { spec, file: source.file, field: source.dataset, data, shape };
  }
  const head = fileHead(source.file);
  if (head.subarray(0, 8).equals(HDF5_SIGNATURE)) {
    throw new InputError(source.file, 'file', `is an HDF5 file; name the dataset too, as ${source.file}:/path/to/dataset`);
  }
  if (!head.subarray(0, 6).equals(NPY_MAGIC)) {
    throw new InputError(source.file, 'file', 'not an .npy or HDF5 file; expected FILE.npy (np.save) or FILE.h5:/path/to/dataset');
  }
  const { data, shape } = readNpy(source.file);
  return { spec, file: source.file, field: 'data', data, shape };
}

/** `[i, j, ...]` of flat index `k` in C order. */
function unravel(k: number, shape: number[]): number[] {
  const index = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    index[d] = k % shape[d]!;
    k = Math.floor(k / shape[d]!);
  }
  return index;
}

function describeLayouts(layouts: string[][]): string {
  return layouts.map((dims) => `${dims.length}-D [${dims.join(', ')}]`).join(' or ');
}

/**
 * Reads the array named by `spec` (see {@link readArray}) and checks it: its
 * rank must match one of `options.layouts` (default 2-D `[samples, units]`),
 * no dimension may be 0, and every value must be finite. Throws
 * {@link InputError} naming the file, the field and the expectation, e.g.
 * `acts.npy: data: NaN at [3, 7]; expected finite values`.
 */
export async function readMatrix(spec: string, options: ReadMatrixOptions = {}): Promise<InputArray> {
  const { layouts = [['samples', 'units']] } = options;
  const input = await readArray(spec);
  const { file, field, data, shape } = input;
  if (!layouts.some((dims) => dims.length === shape.length)) {
    throw new InputError(file, field, `has shape [${shape.join(', ')}] (${shape.length}-D), expected ${describeLayouts(layouts)}`);
  }
  if (shape.some((d) => d === 0)) throw new InputError(file, field, `is empty (shape [${shape.join(', ')}])`);
  for (let k = 0; k < data.length; k++) {
    const v = data[k]!;
    if (!Number.isFinite(v)) throw new InputError(file, field, `${Number.isNaN(v) ? 'NaN' : v > 0 ? 'Inf' : '-Inf'} at [${unravel(k, shape).join(', ')}]; expected finite values`);
  }
  return input;
}

/**
 * BData: the Kamitani lab's HDF5 layout for brain data (bdpy), read and
 * written with h5wasm.
 *
 * Layout (bdpy ≥ 0.13; older files spell `/dataSet` and `/metaData`):
 * - `/dataset`: float `[samples, columns]`. Columns are voxels and per-sample
 *   labels (`Run`, `Label`, ...) side by side.
 * - `/metadata/key`, `/metadata/description`: strings `[m]`, fixed-length or
 *   variable-length.
 * - `/metadata/value`: float `[m, columns]`, NaN = not applicable. A block of
 *   columns is flagged by a row equal to 1 on its columns (e.g. `VoxelData`,
 *   `Label`); voxel attributes are rows too (ROI masks such as `ROI_V1` = 1/0,
 *   coordinates).
 * - `/vmap/<key>/<value>` (optional): a string label for a numeric value of
 *   `key`, e.g. `/vmap/stimulus_name/1.0` = "n01443537_22563.JPEG".
 *
 * Reading goes through `src/io/hdf5.ts` (h5wasm loading, signature and
 * truncation checks); its {@link InputError}s come out as {@link BDataError}s.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import type * as H5 from 'h5wasm';
import { InputError } from '../io/errors';
import { type H5Lib, type OpenHdf5, closeHdf5, hdf5Reason, loadH5wasm, openHdf5 } from '../io/hdf5';

/** One metadata row. */
export interface BDataMetadataEntry {
  /** Key, e.g. `ROI_LH_V1`. */
  key: string;
  /** Free-text description. */
  description: string;
  /** Value per dataset column, `[columns]`; NaN = not applicable. */
  value: Float64Array;
}

/** A BData dataset in memory. */
export interface BData {
  /** Where it came from (a file path, or a name for in-memory data); used in messages. */
  source: string;
  /** Number of samples (rows of the dataset). */
  samples: number;
  /** Number of columns. */
  columns: number;
  /** Row-major `[samples, columns]`. */
  dataset: Float64Array;
  /** Metadata rows, in file order; keys are unique. */
  metadata: BDataMetadataEntry[];
  /** Value labels: `vmap[key][String(value)]` = label. */
  vmap: Record<string, Record<string, string>>;
}

/** Bad BData input: names the file, the field, and what was expected. */
export class BDataError extends InputError {
  constructor(file: string, field: string, problem: string) {
    super(file, field, problem);
    this.name = 'BDataError';
  }
}

/** An {@link InputError} from the HDF5 layer as a {@link BDataError}; other errors unchanged. */
function asBDataError(err: unknown): unknown {
  return err instanceof InputError && !(err instanceof BDataError) ? new BDataError(err.file, err.field, err.problem) : err;
}

function trimString(s: string): string {
  return s.replace(/[\0\s]+$/, '');
}

type ReadDataset = { shape: number[]; values: Float64Array } | { shape: number[]; strings: string[] };

/** Reads one dataset as numbers or strings; errors name the file and field. */
function readDataset(lib: H5Lib, file: string, h5file: H5.File, field: string): ReadDataset | null {
  let entity: H5.Entity | null;
  try {
    entity = h5file.get(field);
  } catch (err) {
    throw new BDataError(file, `/${field}`, `could not be read: ${hdf5Reason(err)}`);
  }
  if (entity === null) return null;
  if (!(entity instanceof lib.Dataset)) throw new BDataError(file, `/${field}`, 'expected a dataset, found a group or link');
  let value: H5.OutputData | null;
  let shape: number[];
  try {
    shape = entity.shape ?? [];
    value = entity.value;
  } catch (err) {
    throw new BDataError(file, `/${field}`, `could not be read (file damaged?): ${hdf5Reason(err)}`);
  }
  if (typeof value === 'string') return { shape, strings: [trimString(value)] };
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return { shape, strings: (value as string[]).map(trimString) };
  if (typeof value === 'number') return { shape, values: Float64Array.of(value) };
  if (value instanceof BigInt64Array || value instanceof BigUint64Array) return { shape, values: Float64Array.from(value, (v) => Number(v)) };
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return { shape, values: Float64Array.from(value as ArrayLike<number>) };
  throw new BDataError(file, `/${field}`, `has an unsupported type (HDF5 type class ${entity.metadata.type}); expected numbers or strings`);
}

function requireNumbers(file: string, field: string, d: ReadDataset | null): { shape: number[]; values: Float64Array } {
  if (d === null) throw new BDataError(file, field, 'missing');
  if (!('values' in d)) throw new BDataError(file, field, 'expected a float array, found strings');
  return d;
}

function requireStrings(file: string, field: string, d: ReadDataset | null): string[] {
  if (d === null) throw new BDataError(file, field, 'missing');
  if (!('strings' in d)) throw new BDataError(file, field, 'expected an array of strings, found numbers');
  return d.strings;
}

/** Checks internal consistency (lengths, unique keys); throws {@link BDataError} naming `bdata.source`. */
export function validateBData(bdata: BData): void {
  const { source, samples, columns } = bdata;
  if (bdata.dataset.length !== samples * columns) {
    throw new BDataError(source, 'dataset', `has ${bdata.dataset.length} values, expected [samples ${samples}, columns ${columns}]`);
  }
  const seen = new Set<string>();
  for (const m of bdata.metadata) {
    if (seen.has(m.key)) throw new BDataError(source, 'metadata/key', `duplicate key '${m.key}'`);
    seen.add(m.key);
    if (m.value.length !== columns) {
      throw new BDataError(source, `metadata/value['${m.key}']`, `has ${m.value.length} values, expected one per dataset column (${columns})`);
    }
  }
  for (const key of Object.keys(bdata.vmap)) {
    if (!seen.has(key)) throw new BDataError(source, `vmap/${key}`, 'has no matching metadata key');
  }
}

/**
 * Reads a BData HDF5 file (either spelling). Throws {@link BDataError} naming
 * the file and field for a missing file, a non-HDF5 or truncated file, missing
 * datasets and mismatched shapes.
 */
export async function readBData(file: string): Promise<BData> {
  let opened: OpenHdf5;
  try {
    opened = await openHdf5(file);
  } catch (err) {
    throw asBDataError(err);
  }
  const { lib, h5file } = opened;
  try {
    const top = h5file.keys();
    const dsName = top.includes('dataset') ? 'dataset' : top.includes('dataSet') ? 'dataSet' : null;
    const mdName = top.includes('metadata') ? 'metadata' : top.includes('metaData') ? 'metaData' : null;
    if (dsName === null) throw new BDataError(file, '/dataset', `missing (expected /dataset or legacy /dataSet; top level has: ${top.join(', ') || 'nothing'})`);
    if (mdName === null) throw new BDataError(file, '/metadata', `missing (expected /metadata or legacy /metaData; top level has: ${top.join(', ')})`);

    const ds = requireNumbers(file, `/${dsName}`, readDataset(lib, file, h5file, dsName));
    if (ds.shape.length !== 2) throw new BDataError(file, `/${dsName}`, `has shape [${ds.shape}], expected 2-D [samples, columns]`);
    const [samples, columns] = ds.shape as [number, number];
    const keys = requireStrings(file, `/${mdName}/key`, readDataset(lib, file, h5file, `${mdName}/key`));
    const descriptions = requireStrings(file, `/${mdName}/description`, readDataset(lib, file, h5file, `${mdName}/description`));
    const mv = requireNumbers(file, `/${mdName}/value`, readDataset(lib, file, h5file, `${mdName}/value`));
    const m = keys.length;
    if (descriptions.length !== m) {
      throw new BDataError(file, `/${mdName}/description`, `has ${descriptions.length} entries, expected one per key (${m})`);
    }
    const valueShapeOk = (mv.shape.length === 2 && mv.shape[0] === m && mv.shape[1] === columns) || (mv.shape.length === 1 && m === 1 && mv.shape[0] === columns);
    if (!valueShapeOk) {
      throw new BDataError(file, `/${mdName}/value`, `has shape [${mv.shape}], expected [keys ${m}, dataset columns ${columns}]`);
    }
    const metadata = keys.map((key, i) => ({ key, description: descriptions[i]!, value: mv.values.slice(i * columns, (i + 1) * columns) }));

    const vmap: Record<string, Record<string, string>> = {};
    if (top.includes('vmap')) {
      const group = h5file.get('vmap');
      if (!(group instanceof lib.Group)) throw new BDataError(file, '/vmap', 'expected a group');
      for (const key of group.keys()) {
        const sub = h5file.get(`vmap/${key}`);
        if (!(sub instanceof lib.Group)) throw new BDataError(file, `/vmap/${key}`, 'expected a group of value labels');
        const labels: Record<string, string> = {};
        for (const v of sub.keys()) {
          const label = requireStrings(file, `/vmap/${key}/${v}`, readDataset(lib, file, h5file, `vmap/${key}/${v}`));
          const numeric = Number(v);
          labels[Number.isFinite(numeric) ? String(numeric) : v] = label[0] ?? '';
        }
        vmap[key] = labels;
      }
    }
    const bdata: BData = { source: file, samples, columns, dataset: ds.values, metadata, vmap };
    validateBData(bdata);
    return bdata;
  } catch (err) {
    if (err instanceof BDataError) throw err;
    throw new BDataError(file, 'file', `HDF5 could not read it (damaged?): ${hdf5Reason(err)}`);
  } finally {
    closeHdf5(h5file);
  }
}

/** Options for {@link writeBData}. */
export interface WriteBDataOptions {
  /** Write the legacy spelling `/dataSet` + `/metaData` (default false). */
  legacy?: boolean;
  /** String encoding of keys, descriptions and vmap labels (default 'variable', as h5py writes Python str). */
  strings?: 'fixed' | 'variable';
  /** Storage type of `/dataset` (default 'float64'; 'float32' halves the file, reading widens it again). */
  dtype?: 'float64' | 'float32';
}

function stringDtype(values: string[], encoding: 'fixed' | 'variable'): string {
  if (encoding === 'variable') return 'S';
  return `S${Math.max(1, ...values.map((s) => Buffer.byteLength(s, 'utf8')))}`;
}

/**
 * Writes `bdata` to `file` in the BData layout, atomically (a temporary file
 * in the same directory, then a rename).
 */
export async function writeBData(file: string, bdata: BData, options: WriteBDataOptions = {}): Promise<void> {
  const { legacy = false, strings = 'variable', dtype = 'float64' } = options;
  validateBData({ ...bdata, source: file });
  for (const key of Object.keys(bdata.vmap)) {
    if (key.includes('/')) throw new BDataError(file, `vmap/${key}`, "key contains '/', which HDF5 names cannot");
  }
  const lib = await loadH5wasm();
  const abs = path.resolve(file);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  const tmp = `${abs}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  try {
    const h5file = new lib.File(tmp, 'w');
    try {
      const ds = legacy ? 'dataSet' : 'dataset';
      const md = legacy ? 'metaData' : 'metadata';
      const data = dtype === 'float32' ? Float32Array.from(bdata.dataset) : bdata.dataset;
      h5file.create_dataset({ name: ds, data, shape: [bdata.samples, bdata.columns], dtype: dtype === 'float32' ? '<f' : '<d' });
      h5file.create_group(md);
      const keys = bdata.metadata.map((m) => m.key);
      const descriptions = bdata.metadata.map((m) => m.description);
      h5file.create_dataset({ name: `${md}/key`, data: keys, dtype: stringDtype(keys, strings) });
      h5file.create_dataset({ name: `${md}/description`, data: descriptions, dtype: stringDtype(descriptions, strings) });
      const values = new Float64Array(bdata.metadata.length * bdata.columns);
      bdata.metadata.forEach((m, i) => values.set(m.value, i * bdata.columns));
      h5file.create_dataset({ name: `${md}/value`, data: values, shape: [bdata.metadata.length, bdata.columns], dtype: '<d' });
      if (!legacy || Object.keys(bdata.vmap).length > 0) {
        h5file.create_group('vmap');
        for (const [key, labels] of Object.entries(bdata.vmap)) {
          h5file.create_group(`vmap/${key}`);
          for (const [v, label] of Object.entries(labels)) {
            h5file.create_dataset({ name: `vmap/${key}/${v}`, data: [label], shape: [], dtype: stringDtype([label], strings) });
          }
        }
      }
    } finally {
      h5file.close();
    }
    fs.renameSync(tmp, abs);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    if (err instanceof BDataError) throw err;
    throw new BDataError(file, 'file', `could not be written: ${hdf5Reason(err)}`);
  }
}

/** All metadata keys, in file order. */
export function metadataKeys(bdata: BData): string[] {
  return bdata.metadata.map((m) => m.key);
}

/** The metadata row `key`, `[columns]`; an unknown key is a {@link BDataError} listing the known ones. */
export function metadataRow(bdata: BData, key: string): Float64Array {
  const entry = bdata.metadata.find((m) => m.key === key);
  if (!entry) {
    const keys = metadataKeys(bdata);
    const shown = keys.length > 40 ? `${keys.slice(0, 40).join(', ')}, ... (${keys.length} keys)` : keys.join(', ');
    throw new BDataError(bdata.source, `metadata key '${key}'`, `unknown; the file has: ${shown}`);
  }
  return entry.value;
}

/** Indices of the columns where metadata `key` equals `value` (default 1), ascending. */
export function selectColumns(bdata: BData, key: string, value = 1): Int32Array {
  const row = metadataRow(bdata, key);
  const out: number[] = [];
  for (let c = 0; c < row.length; c++) if (row[c] === value) out.push(c);
  return Int32Array.from(out);
}

/** Row-major `[samples, columns.length]` copy of the given dataset columns. */
export function extractColumns(bdata: BData, columns: ArrayLike<number>): Float64Array {
  const k = columns.length;
  const out = new Float64Array(bdata.samples * k);
  for (let s = 0; s < bdata.samples; s++) {
    const row = s * bdata.columns;
    for (let j = 0; j < k; j++) out[s * k + j] = bdata.dataset[row + columns[j]!]!;
  }
  return out;
}

/** The data of the columns where `key` = `value`: row-major `[samples, columns.length]`. */
export function selectData(bdata: BData, key: string, value = 1): { data: Float64Array; columns: Int32Array } {
  const columns = selectColumns(bdata, key, value);
  return { data: extractColumns(bdata, columns), columns };
}

/**
 * A per-sample label such as `Run`, `Label`, `Modification` or `TimeBin`: the
 * single dataset column flagged by metadata `key` = 1, `[samples]`.
 */
export function sampleColumn(bdata: BData, key: string): Float64Array {
  const cols = selectColumns(bdata, key, 1);
  if (cols.length !== 1) {
    throw new BDataError(bdata.source, `metadata key '${key}'`, `flags ${cols.length} columns with value 1, expected exactly one (a per-sample label column)`);
  }
  return extractColumns(bdata, cols);
}

/** One block of columns for {@link BDataBuilder}. */
interface Block {
  key: string;
  description: string;
  width: number;
  data: Float64Array;
}

/**
 * Assembles a BData the way bdpy's `add_dataset` / `add_metadata` do: each
 * block of columns gets a metadata row equal to 1 on its columns (NaN
 * elsewhere); attribute rows give values on the columns of one block.
 */
export class BDataBuilder {
  private readonly blocks: Block[] = [];
  private readonly attributes: { key: string; description: string; where: string; values: Float64Array }[] = [];
  private readonly vmap: Record<string, Record<string, string>> = {};

  /** `samples`: rows of every block. `source`: a name for messages. */
  constructor(readonly samples: number, readonly source = 'BDataBuilder') {}

  /** Appends columns `data` (row-major `[samples, width]`) flagged by metadata `key` = 1. */
  addColumns(key: string, data: ArrayLike<number>, width: number, description = `Attribute: ${key} = 1`): this {
    if (data.length !== this.samples * width) {
      throw new BDataError(this.source, key, `has ${data.length} values, expected [samples ${this.samples}, width ${width}]`);
    }
    if (this.blocks.some((b) => b.key === key)) throw new BDataError(this.source, key, 'block added twice');
    this.blocks.push({ key, description, width, data: Float64Array.from(data) });
    return this;
  }

  /** Adds metadata `key` with `values` on the columns of block `where` (one per column), NaN elsewhere. */
  addMetadata(key: string, values: ArrayLike<number>, where: string, description = ''): this {
    const block = this.blocks.find((b) => b.key === where);
    if (!block) throw new BDataError(this.source, key, `block '${where}' has not been added`);
    if (values.length !== block.width) {
      throw new BDataError(this.source, key, `has ${values.length} values, expected one per column of '${where}' (${block.width})`);
    }
    this.attributes.push({ key, description, where, values: Float64Array.from(values) });
    return this;
  }

  /** Sets value labels for metadata `key`. */
  addVmap(key: string, labels: Record<string, string>): this {
    this.vmap[key] = { ...(this.vmap[key] ?? {}), ...labels };
    return this;
  }

  /** The assembled BData. */
  build(): BData {
    const columns = this.blocks.reduce((s, b) => s + b.width, 0);
    const dataset = new Float64Array(this.samples * columns);
    const offsets = new Map<string, number>();
    let offset = 0;
    for (const b of this.blocks) {
      offsets.set(b.key, offset);
      for (let s = 0; s < this.samples; s++) dataset.set(b.data.subarray(s * b.width, (s + 1) * b.width), s * columns + offset);
      offset += b.width;
    }
    const metadata: BDataMetadataEntry[] = this.blocks.map((b) => {
      const value = new Float64Array(columns).fill(NaN);
      value.fill(1, offsets.get(b.key)!, offsets.get(b.key)! + b.width);
      return { key: b.key, description: b.description, value };
    });
    for (const a of this.attributes) {
      const value = new Float64Array(columns).fill(NaN);
      value.set(a.values, offsets.get(a.where)!);
      metadata.push({ key: a.key, description: a.description, value });
    }
    const bdata: BData = { source: this.source, samples: this.samples, columns, dataset, metadata, vmap: structuredClone(this.vmap) };
    validateBData(bdata);
    return bdata;
  }
}

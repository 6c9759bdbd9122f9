/**
 * NumPy `.npy` files (format versions 1.0, 2.0 and 3.0), float32 and float64
 * only, little-endian, C order: what `np.save` writes for a float array.
 *
 * Layout (numpy.lib.format): the magic `\x93NUMPY`, a major and a minor
 * version byte, the header length (uint16 LE in 1.0, uint32 LE in 2.0 and
 * 3.0), then the header: a Python dict literal such as
 * `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }` padded with
 * spaces and a newline so that the data start at a multiple of 64 bytes
 * (ASCII in 1.0 and 2.0, UTF-8 in 3.0). The data follow, row-major.
 *
 * Anything else (another dtype, big-endian, Fortran order, a truncated file)
 * is an {@link InputError} naming the file and the header field.
 */
import * as fs from 'node:fs';
import { InputError } from './errors';

/** An n-dimensional float array: `data` row-major (C order), `shape` its dimensions (`[]` for a scalar). */
export interface NpyArray {
  /** Values in C order; Float32Array for `<f4` files, Float64Array for `<f8`. */
  data: Float64Array | Float32Array;
  /** Dimensions, outermost first. */
  shape: number[];
}

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);

const DTYPE_NAMES: Record<string, string> = { b: 'bool', i: 'int', u: 'uint', f: 'float', c: 'complex', m: 'timedelta', M: 'datetime', O: 'object', S: 'bytes', U: 'str', V: 'void' };

/** A readable name for a numpy type string such as `<i8` (→ int64). */
function describeDescr(descr: string): string {
  const m = /^([<>|=])([a-zA-Z])(\d*)$/.exec(descr);
  if (!m) return `'${descr}'`;
  const name = DTYPE_NAMES[m[2]!] ?? m[2]!;
  const bits = m[3] && ['b', 'i', 'u', 'f', 'c'].includes(m[2]!) ? String(8 * Number(m[3])) : '';
  return `${name}${bits} ('${descr}')`;
}

/** Parses the bytes of a `.npy` file; `file` is used in messages. */
export function parseNpy(bytes: Uint8Array, file: string): NpyArray {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) {
    throw new InputError(file, 'magic', `not an .npy file (it does not start with \\x93NUMPY; ${buf.length} bytes)`);
  }
  const major = buf[6]!;
  const minor = buf[7]!;
  if (![1, 2, 3].includes(major) || minor !== 0) {
    throw new InputError(file, 'version', `format version ${major}.${minor} is not supported; expected 1.0, 2.0 or 3.0`);
  }
  const lengthBytes = major === 1 ? 2 : 4;
  if (buf.length < 8 + lengthBytes) throw new InputError(file, 'header', 'truncated before the header length');
  const headerLength = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const dataStart = 8 + lengthBytes + headerLength;
  if (buf.length < dataStart) {
    throw new InputError(file, 'header', `truncated: the header should be ${headerLength} bytes but the file ends after ${buf.length - 8 - lengthBytes}`);
  }
  const header = buf.subarray(8 + lengthBytes, dataStart).toString(major === 3 ? 'utf8' : 'latin1');

  if (/'descr'\s*:\s*\[/.test(header)) throw new InputError(file, 'descr', 'a structured dtype; expected float32 (<f4) or float64 (<f8)');
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined) throw new InputError(file, 'descr', `missing from the header ${JSON.stringify(header.trim())}`);
  if (fortran === undefined) throw new InputError(file, 'fortran_order', `missing from the header ${JSON.stringify(header.trim())}`);
  if (shapeText === undefined) throw new InputError(file, 'shape', `missing from the header ${JSON.stringify(header.trim())}`);

  let itemSize: 4 | 8;
  if (descr === '<f8') itemSize = 8;
  else if (descr === '<f4') itemSize = 4;
  else if (descr === '>f8' || descr === '>f4') {
    throw new InputError(file, 'descr', `big-endian ${describeDescr(descr)}; expected little-endian float32 (<f4) or float64 (<f8), e.g. a.astype('<f8')`);
  } else {
    throw new InputError(file, 'descr', `dtype ${describeDescr(descr)} is not supported; expected float32 (<f4) or float64 (<f8), e.g. a.astype(np.float64)`);
  }
  if (fortran === 'True') {
    throw new InputError(file, 'fortran_order', 'the array is stored in Fortran (column-major) order; expected C order, e.g. np.save(f, np.ascontiguousarray(a))');
  }
  const parts = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (!parts.every((s) => /^\d+$/.test(s))) throw new InputError(file, 'shape', `(${shapeText}) is not a tuple of non-negative integers`);
  const shape = parts.map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const bytesNeeded = count * itemSize;
  if (buf.length - dataStart < bytesNeeded) {
    throw new InputError(file, 'data', `truncated: shape [${shape.join(', ')}] needs ${bytesNeeded} bytes of data but ${buf.length - dataStart} follow the header`);
  }
  // A DataView reads little-endian on any host and needs no alignment.
  const view = new DataView(buf.buffer, buf.byteOffset + dataStart, bytesNeeded);
  if (itemSize === 8) {
    const data = new Float64Array(count);
    for (let i = 0; i < count; i++) data[i] = view.getFloat64(8 * i, true);
    return { data, shape };
  }
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = view.getFloat32(4 * i, true);
  return { data, shape };
}

/** Reads a `.npy` file; throws {@link InputError} for a missing or unsupported file. */
export function readNpy(file: string): NpyArray {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    const code = err instanceof Error && 'code' in err ? String(err.code) : String(err);
    throw new InputError(file, 'file', code === 'ENOENT' ? 'not found' : `could not be read (${code})`);
  }
  return parseNpy(bytes, file);
}

/**
 * The bytes of a `.npy` file holding `array` (`<f8` for a Float64Array, `<f4`
 * for a Float32Array, C order), in format 1.0 unless the header needs 2.0.
 */
export function encodeNpy(array: NpyArray): Uint8Array {
  const { data, shape } = array;
  const count = shape.reduce((a, b) => a * b, 1);
  if (!shape.every((d) => Number.isInteger(d) && d >= 0) || count !== data.length) {
    throw new Error(`encodeNpy: shape [${shape.join(', ')}] does not match ${data.length} values`);
  }
  const descr = data instanceof Float64Array ? '<f8' : '<f4';
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${tuple}, }`;
  const major = dict.length + 11 <= 0xffff ? 1 : 2;
  const prefix = major === 1 ? 10 : 12;
  // Pad with spaces so that the data start at a multiple of 64 bytes; the header ends with a newline.
  const total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  const header = `${dict}${' '.repeat(total - prefix - dict.length - 1)}\n`;
  const out = Buffer.alloc(total + data.byteLength);
  MAGIC.copy(out, 0);
  out[6] = major;
  out[7] = 0;
  if (major === 1) out.writeUInt16LE(header.length, 8);
  else out.writeUInt32LE(header.length, 8);
  out.write(header, prefix, 'latin1');
  const view = new DataView(out.buffer, out.byteOffset + total, data.byteLength);
  if (data instanceof Float64Array) for (let i = 0; i < count; i++) view.setFloat64(8 * i, data[i]!, true);
  else for (let i = 0; i < count; i++) view.setFloat32(4 * i, data[i]!, true);
  return out;
}

/** Writes `array` to `file` as `.npy` (see {@link encodeNpy}). */
export function writeNpy(file: string, array: NpyArray): void {
  fs.writeFileSync(file, encodeNpy(array));
}

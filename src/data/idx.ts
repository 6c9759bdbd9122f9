/**
 * Reader for the IDX format of the original MNIST files (LeCun et al.):
 * two zero bytes, a type byte (0x08 = unsigned byte), the number of dimensions,
 * one big-endian uint32 per dimension, then the data in row-major order.
 */
import * as fs from 'node:fs';

/** A parsed IDX file of unsigned bytes. */
export interface IdxArray {
  /** Dimensions, e.g. `[60000, 28, 28]` for images, `[60000]` for labels. */
  shape: number[];
  /** The values, `shape` multiplied out. */
  data: Uint8Array;
}

/** Thrown for a file that is not the IDX file it should be; names the file and the field. */
export class IdxFormatError extends Error {
  constructor(readonly file: string, readonly field: string, expected: string, actual: string) {
    super(`${file}: IDX ${field}: expected ${expected}, found ${actual}`);
    this.name = 'IdxFormatError';
  }
}

/** Options for {@link parseIdx}. */
export interface ParseIdxOptions {
  /** Number of dimensions the file must have (3 for images, 1 for labels). */
  rank?: number;
  /** Trailing dimensions the file must have, e.g. `[28, 28]`. */
  innerShape?: number[];
}

/** Parses an IDX buffer; `file` is used only in error messages. */
export function parseIdx(buf: Uint8Array, file: string, options: ParseIdxOptions = {}): IdxArray {
  if (buf.length < 4) throw new IdxFormatError(file, 'header', 'at least 4 bytes', `${buf.length} bytes`);
  if (buf[0] !== 0 || buf[1] !== 0) {
    throw new IdxFormatError(file, 'magic number', 'two leading zero bytes', `0x${hex(buf[0]!)}${hex(buf[1]!)}`);
  }
  if (buf[2] !== 0x08) throw new IdxFormatError(file, 'data type byte', '0x08 (unsigned byte)', `0x${hex(buf[2]!)}`);
  const rank = buf[3]!;
  if (options.rank !== undefined && rank !== options.rank) {
    throw new IdxFormatError(file, 'number of dimensions', String(options.rank), String(rank));
  }
  const headerBytes = 4 + 4 * rank;
  if (buf.length < headerBytes) throw new IdxFormatError(file, 'dimensions', `${headerBytes} header bytes`, `${buf.length} bytes`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) shape.push(view.getUint32(4 + 4 * i, false));
  if (options.innerShape) {
    const inner = shape.slice(1);
    if (inner.join('x') !== options.innerShape.join('x')) {
      throw new IdxFormatError(file, 'dimensions', `[n, ${options.innerShape.join(', ')}]`, `[${shape.join(', ')}]`);
    }
  }
  const size = shape.reduce((a, b) => a * b, 1);
  if (buf.length !== headerBytes + size) {
    throw new IdxFormatError(file, 'file length', `${headerBytes + size} bytes for shape [${shape.join(', ')}]`,
      `${buf.length} bytes${buf.length < headerBytes + size ? ' (truncated)' : ''}`);
  }
  return { shape, data: buf.subarray(headerBytes) };
}

/** Reads and parses an IDX file. */
export function readIdx(file: string, options: ParseIdxOptions = {}): IdxArray {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (err) {
    throw new Error(`${file}: cannot read IDX file: ${(err as Error).message}`);
  }
  return parseIdx(buf, file, options);
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}

/**
 * The run cache: atomic writes, configuration hashes, and a checked binary
 * format for named float arrays (weights, checkpoints).
 *
 * A tensor file is `RVT1` + a uint32 header length + a JSON header (format
 * version, entries with name / shape / byte offset, the SHA-256 of the payload,
 * free metadata) + the float32 payload. Reading verifies all of it; a file that
 * fails is reported as {@link CacheCorruptError} and callers rebuild it. Every
 * write goes to a temporary file in the same directory and is renamed into
 * place, so an interrupted write never leaves a half file under the real name.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Bumped when the cache layout changes; files of another version are rebuilt. */
export const CACHE_FORMAT_VERSION = 1;
const MAGIC = 'RVT1';

/** A cached file that failed its checks. */
export class CacheCorruptError extends Error {
  constructor(readonly file: string, reason: string) {
    super(`${file}: cache file is invalid (${reason}); it will be rebuilt`);
    this.name = 'CacheCorruptError';
  }
}

/** Writes `data` to `file` via a temporary file and a rename (creating the directory). */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/** JSON with object keys sorted, so equal configurations serialise equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v)) {
      const o = v as Record<string, unknown>;
      return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
    }
    return v;
  });
}

/** A short hash (16 hex digits of SHA-256) of a configuration, with the cache format version. */
export function hashConfig(config: unknown): string {
  return crypto.createHash('sha256').update(canonicalJson({ v: CACHE_FORMAT_VERSION, config })).digest('hex').slice(0, 16);
}

/** A named float32 array with its shape. */
export interface NamedArray {
  shape: number[];
  data: Float32Array;
}

interface TensorFileHeader {
  format: number;
  sha256: string;
  entries: { name: string; shape: number[]; offset: number; length: number }[];
  meta: unknown;
}

/** Saves named arrays plus JSON metadata to a checked tensor file, atomically. */
export function saveArrays(file: string, arrays: Record<string, NamedArray>, meta: unknown = null): void {
  const entries: TensorFileHeader['entries'] = [];
  let offset = 0;
  for (const [name, a] of Object.entries(arrays)) {
    const size = a.shape.reduce((x, y) => x * y, 1);
    if (size !== a.data.length) throw new Error(`saveArrays(${file}): ${name} has shape [${a.shape}] but ${a.data.length} values`);
    entries.push({ name, shape: a.shape, offset, length: a.data.length });
    offset += a.data.length;
  }
  const payload = new Float32Array(offset);
  for (const e of entries) payload.set(arrays[e.name]!.data, e.offset);
  const payloadBytes = new Uint8Array(payload.buffer);
  const header: TensorFileHeader = {
    format: CACHE_FORMAT_VERSION,
    sha256: crypto.createHash('sha256').update(payloadBytes).digest('hex'),
    entries,
    meta,
  };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  // Pad the header so the payload starts 4-byte aligned.
  const pad = (4 - ((8 + headerBytes.length) % 4)) % 4;
  const prefix = Buffer.alloc(8);
  prefix.write(MAGIC, 0, 'ascii');
  prefix.writeUInt32LE(headerBytes.length + pad, 4);
  writeFileAtomic(file, Buffer.concat([prefix, headerBytes, Buffer.alloc(pad, 0x20), payloadBytes]));
}

/** A loaded tensor file. */
export interface LoadedArrays {
  arrays: Record<string, NamedArray>;
  meta: unknown;
}

/** Loads and verifies a tensor file; throws {@link CacheCorruptError} on any mismatch. */
export function loadArrays(file: string): LoadedArrays {
  const buf = fs.readFileSync(file);
  if (buf.length < 8 || buf.toString('ascii', 0, 4) !== MAGIC) throw new CacheCorruptError(file, `magic is not ${MAGIC}`);
  const headerLength = buf.readUInt32LE(4);
  if (8 + headerLength > buf.length) throw new CacheCorruptError(file, 'header runs past the end of the file');
  let header: TensorFileHeader;
  try {
    header = JSON.parse(buf.toString('utf8', 8, 8 + headerLength)) as TensorFileHeader;
  } catch {
    throw new CacheCorruptError(file, 'header is not JSON');
  }
  if (header.format !== CACHE_FORMAT_VERSION) {
    throw new CacheCorruptError(file, `written by cache format ${header.format}, this version reads ${CACHE_FORMAT_VERSION}`);
  }
  const payloadBytes = buf.subarray(8 + headerLength);
  const total = header.entries.reduce((s, e) => s + e.length, 0);
  if (payloadBytes.length !== total * 4) throw new CacheCorruptError(file, `payload is ${payloadBytes.length} bytes, header says ${total * 4}`);
  const sha = crypto.createHash('sha256').update(payloadBytes).digest('hex');
  if (sha !== header.sha256) throw new CacheCorruptError(file, 'payload checksum does not match');
  const payload = new Float32Array(payloadBytes.buffer.slice(payloadBytes.byteOffset, payloadBytes.byteOffset + payloadBytes.length));
  const arrays: Record<string, NamedArray> = {};
  for (const e of header.entries) arrays[e.name] = { shape: e.shape, data: payload.subarray(e.offset, e.offset + e.length) };
  return { arrays, meta: header.meta };
}

/** Loads a tensor file if present and valid; a corrupt one is reported on stderr, removed, and null returned. */
export function loadArraysIfValid(file: string): LoadedArrays | null {
  if (!fs.existsSync(file)) return null;
  try {
    return loadArrays(file);
  } catch (err) {
    if (!(err instanceof CacheCorruptError)) throw err;
    process.stderr.write(`[repro] ${err.message}\n`);
    fs.rmSync(file, { force: true });
    return null;
  }
}

/** Writes JSON atomically with a checksum wrapper. */
export function saveJsonChecked(file: string, value: unknown): void {
  const body = canonicalJson(value);
  const sha256 = crypto.createHash('sha256').update(body).digest('hex');
  writeFileAtomic(file, JSON.stringify({ format: CACHE_FORMAT_VERSION, sha256, body: JSON.parse(body) as unknown }, null, 1));
}

/** Reads JSON written by {@link saveJsonChecked}; null when missing, corrupt (removed, reported) or of another format. */
export function loadJsonChecked<T>(file: string): T | null {
  if (!fs.existsSync(file)) return null;
  try {
    const wrapper = JSON.parse(fs.readFileSync(file, 'utf8')) as { format?: number; sha256?: string; body?: unknown };
    if (wrapper.format !== CACHE_FORMAT_VERSION) throw new CacheCorruptError(file, `cache format ${wrapper.format}`);
    const body = canonicalJson(wrapper.body);
    if (crypto.createHash('sha256').update(body).digest('hex') !== wrapper.sha256) throw new CacheCorruptError(file, 'checksum does not match');
    return wrapper.body as T;
  } catch (err) {
    const reason = err instanceof CacheCorruptError ? err.message : `${file}: cache file is invalid (${(err as Error).message}); it will be rebuilt`;
    process.stderr.write(`[repro] ${reason}\n`);
    fs.rmSync(file, { force: true });
    return null;
  }
}

/**
 * The run cache: atomic writes, configuration hashes, and two checked formats
 * bound to what they hold.
 *
 * Every cache file records its kind (`core`, `calibration`, ...), the hash of
 * the key it was built for, and the backend that produced it, and a SHA-256
 * over all of that and the content. A loader states the kind and key it wants
 * (and, for tensors, the shapes): a file that fails any check, including one
 * of another kind or key put under this name, is reported as
 * {@link CacheCorruptError}, removed, and rebuilt by the caller.
 *
 * - Tensor files: `RVT1` + a uint32 header length + a JSON header (format,
 *   kind, key, backend, entries with name / shape / offset, free metadata,
 *   the checksum) + the float32 payload.
 * - Checked JSON: `{ format, kind, key, backend, sha256, body }`.
 *
 * Every write goes to a temporary file in the same directory and is renamed
 * into place, so an interrupted write never leaves a half file under the real
 * name; a failed write names the file.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Bumped when the cache layout changes; files of another version are rebuilt. */
export const CACHE_FORMAT_VERSION = 2;
const MAGIC = 'RVT1';

/** A cached file that failed its checks. */
export class CacheCorruptError extends Error {
  constructor(readonly file: string, reason: string) {
    super(`${file}: cache file is invalid (${reason}); it will be rebuilt`);
    this.name = 'CacheCorruptError';
  }
}

/** What a cache file is for: its kind and the configuration it is built from (hashed into the file). */
export interface CacheBinding {
  /** What the file holds, e.g. `core`, `core-checkpoint`, `calibration`. */
  kind: string;
  /** Everything that determines the content; its {@link hashConfig} is stored and checked. */
  key: unknown;
}

/** A cache file read or written by this process: what it is and which backend made it. */
export interface ArtefactRecord {
  file: string;
  kind: string;
  /** The backend that produced it (`wasm`, `cpu`, `node`, `gpu`; `unknown` outside a run). */
  backend: string;
  /** Whether this process reused it or made it. */
  action: 'reused' | 'made';
}

let producer = 'unknown';
const ledger = new Map<string, ArtefactRecord>();
const noticed = new Set<string>();

/** Sets the backend recorded in the cache files this process writes (called by `initBackend`). */
export function setArtefactBackend(backend: string): void {
  producer = backend;
}

/**
 * The cache files this process (and the workers it merged) reused or made, in
 * order of first use; files since removed (finished checkpoints) are left out.
 */
export function artefactLedger(): ArtefactRecord[] {
  return [...ledger.values()].filter((r) => fs.existsSync(r.file));
}

/** Notes a use of a cache file; a file made by this run stays `made` when it is later reused. */
function note(r: ArtefactRecord): void {
  const seen = ledger.get(r.file);
  ledger.set(r.file, seen?.action === 'made' && seen.backend === r.backend ? seen : r);
}

/** Adds records reported by a worker process. */
export function mergeArtefactLedger(records: readonly ArtefactRecord[]): void {
  for (const r of records) note(r);
}

function record(file: string, kind: string, backend: string, action: ArtefactRecord['action']): void {
  note({ file: path.resolve(file), kind, backend, action });
  if (action === 'reused' && producer !== 'unknown' && backend !== producer && !noticed.has(file)) {
    noticed.add(file);
    process.stderr.write(`[repro] ${file}: made on the ${backend} backend, reused on ${producer} (backends are recorded, not part of cache keys)\n`);
  }
}

/** The error of a failed write or directory creation, naming the path and the reason. */
export function describeIoError(err: unknown, file: string, action = 'cannot write'): Error {
  const e = err as NodeJS.ErrnoException;
  const reasons: Record<string, string> = {
    ENOSPC: 'no space left on the device',
    EROFS: 'the file system is read-only',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ENOTDIR: 'a part of the path is a file, not a directory',
    EISDIR: 'it is a directory',
    EDQUOT: 'disk quota exceeded',
  };
  const reason = e && typeof e.code === 'string' ? `${e.code}: ${reasons[e.code] ?? e.message}` : String(err);
  return new Error(`${file}: ${action} (${reason})`);
}

/** Creates `dir` (and its parents); an error names the directory and why. */
export function ensureDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw describeIoError(err, dir, 'cannot create the directory');
  }
}

/** Writes `data` to `file` via a temporary file and a rename (creating the directory). */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  ensureDir(path.dirname(file));
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw describeIoError(err, file);
  }
}

/**
 * Checks that `dir` can be created and written (a small file is written and
 * removed): runs call it before any work, so an unwritable output fails at
 * once with the path named.
 */
export function assertWritableDir(dir: string): void {
  ensureDir(dir);
  if (!fs.statSync(dir).isDirectory()) throw new Error(`${dir}: cannot write (not a directory)`);
  const probe = path.join(dir, `.write-test-${process.pid}-${crypto.randomBytes(4).toString('hex')}`);
  try {
    fs.writeFileSync(probe, Buffer.alloc(4096));
  } catch (err) {
    throw describeIoError(err, dir);
  } finally {
    fs.rmSync(probe, { force: true });
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

/** SHA-256 of the canonical form of `fields` followed by `payload`. */
function checksum(fields: unknown, payload: Uint8Array = new Uint8Array(0)): string {
  return crypto.createHash('sha256').update(canonicalJson(fields)).update(payload).digest('hex');
}

/** The stamp every cache file carries; `sha256` covers the stamp and the content. */
interface Stamp {
  format: number;
  kind: string;
  key: string;
  backend: string;
}

function stampOf(binding: CacheBinding): Stamp {
  return { format: CACHE_FORMAT_VERSION, kind: binding.kind, key: hashConfig(binding.key), backend: producer };
}

/** Throws {@link CacheCorruptError} unless the stored stamp is of this format, kind and key. */
function checkStamp(file: string, stored: Partial<Stamp>, binding: CacheBinding): void {
  if (stored.format !== CACHE_FORMAT_VERSION) throw new CacheCorruptError(file, `written by cache format ${stored.format}, this version reads ${CACHE_FORMAT_VERSION}`);
  if (stored.kind !== binding.kind) throw new CacheCorruptError(file, `holds a ${stored.kind} file, expected a ${binding.kind} file`);
  const key = hashConfig(binding.key);
  if (stored.key !== key) throw new CacheCorruptError(file, `built for key ${stored.key}, expected key ${key}`);
}

/** A named float32 array with its shape. */
export interface NamedArray {
  shape: number[];
  data: Float32Array;
}

interface TensorFileHeader extends Stamp {
  entries: { name: string; shape: number[]; offset: number; length: number }[];
  meta: unknown;
  sha256: string;
}

/** Saves named arrays plus JSON metadata to a checked tensor file bound to `binding`, atomically. */
export function saveArrays(file: string, arrays: Record<string, NamedArray>, binding: CacheBinding, meta: unknown = null): void {
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
  const unsigned = { ...stampOf(binding), entries, meta };
  const header: TensorFileHeader = { ...unsigned, sha256: checksum(unsigned, payloadBytes) };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  // Pad the header so the payload starts 4-byte aligned.
  const pad = (4 - ((8 + headerBytes.length) % 4)) % 4;
  const prefix = Buffer.alloc(8);
  prefix.write(MAGIC, 0, 'ascii');
  prefix.writeUInt32LE(headerBytes.length + pad, 4);
  writeFileAtomic(file, Buffer.concat([prefix, headerBytes, Buffer.alloc(pad, 0x20), payloadBytes]));
  record(file, binding.kind, producer, 'made');
}

/** A loaded tensor file. */
export interface LoadedArrays {
  arrays: Record<string, NamedArray>;
  meta: unknown;
  /** The backend that wrote it. */
  backend: string;
}

/** What a tensor file must hold: its binding and, optionally, exactly these arrays with these shapes. */
export interface ArraysExpectation extends CacheBinding {
  shapes?: Record<string, readonly number[]>;
}

/** Loads and verifies a tensor file; throws {@link CacheCorruptError} on any mismatch. */
export function loadArrays(file: string, expect: ArraysExpectation): LoadedArrays {
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
  if (!header || typeof header !== 'object' || !Array.isArray(header.entries)) throw new CacheCorruptError(file, 'header has no entries');
  const payloadBytes = buf.subarray(8 + headerLength);
  const { sha256, ...unsigned } = header;
  if (checksum(unsigned, payloadBytes) !== sha256) throw new CacheCorruptError(file, 'checksum of header and payload does not match');
  checkStamp(file, header, expect);
  const total = header.entries.reduce((s, e) => s + e.length, 0);
  if (payloadBytes.length !== total * 4) throw new CacheCorruptError(file, `payload is ${payloadBytes.length} bytes, header says ${total * 4}`);
  if (expect.shapes) {
    const want = Object.entries(expect.shapes);
    const found = header.entries.map((e) => `${e.name} [${e.shape}]`).join(', ');
    const same = want.length === header.entries.length
      && want.every(([name, shape]) => header.entries.some((e) => e.name === name && e.shape.join('x') === shape.join('x')));
    if (!same) throw new CacheCorruptError(file, `holds ${found}, expected ${want.map(([n, s]) => `${n} [${s}]`).join(', ')}`);
  }
  const payload = new Float32Array(payloadBytes.buffer.slice(payloadBytes.byteOffset, payloadBytes.byteOffset + payloadBytes.length));
  const arrays: Record<string, NamedArray> = {};
  for (const e of header.entries) arrays[e.name] = { shape: e.shape, data: payload.subarray(e.offset, e.offset + e.length) };
  record(file, expect.kind, header.backend, 'reused');
  return { arrays, meta: header.meta, backend: header.backend };
}

/** Reports a corrupt cache file on stderr and removes it. */
function discard(err: CacheCorruptError): null {
  process.stderr.write(`[repro] ${err.message}\n`);
  fs.rmSync(err.file, { force: true });
  return null;
}

/** Loads a tensor file if present and valid; a corrupt or mismatched one is reported on stderr, removed, and null returned. */
export function loadArraysIfValid(file: string, expect: ArraysExpectation): LoadedArrays | null {
  if (!fs.existsSync(file)) return null;
  try {
    return loadArrays(file, expect);
  } catch (err) {
    if (err instanceof CacheCorruptError) return discard(err);
    throw err;
  }
}

interface JsonWrapper extends Stamp {
  sha256: string;
  body: unknown;
}

/** Writes JSON bound to `binding` atomically, with a checksum over stamp and body. */
export function saveJsonChecked(file: string, value: unknown, binding: CacheBinding): void {
  const unsigned = { ...stampOf(binding), body: JSON.parse(canonicalJson(value)) as unknown };
  const wrapper: JsonWrapper = { ...unsigned, sha256: checksum(unsigned) };
  writeFileAtomic(file, JSON.stringify(wrapper, null, 1));
  record(file, binding.kind, producer, 'made');
}

/** What a checked JSON file must hold: its binding and, optionally, a check of the body (a reason when it fails). */
export interface JsonExpectation extends CacheBinding {
  check?: (body: unknown) => string | null;
}

/**
 * Reads JSON written by {@link saveJsonChecked} for this binding; null when
 * missing, or when corrupt, of another kind or key, or failing `check`
 * (then reported and removed).
 */
export function loadJsonChecked<T>(file: string, expect: JsonExpectation): T | null {
  if (!fs.existsSync(file)) return null;
  try {
    let wrapper: JsonWrapper;
    try {
      wrapper = JSON.parse(fs.readFileSync(file, 'utf8')) as JsonWrapper;
    } catch (err) {
      throw new CacheCorruptError(file, `not JSON: ${(err as Error).message}`);
    }
    if (!wrapper || typeof wrapper !== 'object') throw new CacheCorruptError(file, 'not a checked JSON file');
    const { sha256, ...unsigned } = wrapper;
    if (checksum(unsigned) !== sha256) throw new CacheCorruptError(file, 'checksum does not match');
    checkStamp(file, wrapper, expect);
    const problem = expect.check?.(wrapper.body) ?? null;
    if (problem) throw new CacheCorruptError(file, problem);
    record(file, expect.kind, wrapper.backend, 'reused');
    return wrapper.body as T;
  } catch (err) {
    if (err instanceof CacheCorruptError) return discard(err);
    throw err;
  }
}

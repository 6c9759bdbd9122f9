/**
 * Per-artefact claims, so that runs sharing a `data/runs` directory (two
 * `repro reproduce`, a notebook beside a run, cluster jobs) never build the
 * same thing twice. Whoever builds `<file>` first holds `<file>.lock` (created
 * with O_EXCL, holding its pid and host); the others wait, then load what it
 * wrote. Writes are atomic renames in any case, so files never interleave.
 *
 * A lock whose process is gone (same host, pid no longer alive: `kill -9`, a
 * crash) is stale: the next claimant reports it and takes over, resuming from
 * the checkpoint where there is one. A lock held on another host is waited on;
 * the message names the file to remove if that job died.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CacheBinding, describeIoError, ensureDir, loadJsonChecked, saveJsonChecked } from './cache';

/** Who holds a lock. */
export interface LockHolder {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  since: string;
}

/** Options of {@link withLock}. */
export interface LockOptions {
  /** Milliseconds between checks while waiting (default 1000). */
  pollMs?: number;
  /** Progress messages (default: stderr). */
  log?: (message: string) => void;
}

const held = new Set<string>();

function readHolder(lockFile: string): LockHolder | null {
  try {
    const h = JSON.parse(fs.readFileSync(lockFile, 'utf8')) as Partial<LockHolder>;
    return typeof h.pid === 'number' && typeof h.host === 'string' ? { pid: h.pid, host: h.host, since: String(h.since) } : null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when the holder's process is known to be gone (same host, pid not alive). */
function isStale(holder: LockHolder | null, lockFile: string): boolean {
  if (!holder) {
    // Unreadable: a claimant died between creating and writing it, or it is being written now.
    try {
      return Date.now() - fs.statSync(lockFile).mtimeMs > 10_000;
    } catch {
      return false;
    }
  }
  return holder.host === os.hostname() && !alive(holder.pid);
}

function tryCreate(lockFile: string): boolean {
  try {
    const fd = fs.openSync(lockFile, 'wx');
    try {
      fs.writeSync(fd, JSON.stringify({ pid: process.pid, host: os.hostname(), since: new Date().toISOString() } satisfies LockHolder));
    } finally {
      fs.closeSync(fd);
    }
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw describeIoError(err, lockFile, 'cannot create the lock');
  }
}

/**
 * Removes a stale lock. Two claimants may judge the same lock stale; the
 * removal happens under a second, short-lived lock and only if the file still
 * names the dead holder, so a fresh lock taken meanwhile is never removed.
 */
function breakStale(lockFile: string, stale: LockHolder | null): void {
  const breaker = `${lockFile}.break`;
  if (!tryCreate(breaker)) {
    if (isStale(readHolder(breaker), breaker)) fs.rmSync(breaker, { force: true });
    return;
  }
  try {
    const now = readHolder(lockFile);
    if (JSON.stringify(now) === JSON.stringify(stale)) fs.rmSync(lockFile, { force: true });
  } finally {
    fs.rmSync(breaker, { force: true });
  }
}

function release(lockFile: string): void {
  held.delete(lockFile);
  if (readHolder(lockFile)?.pid === process.pid) fs.rmSync(lockFile, { force: true });
}

process.on('exit', () => {
  for (const lockFile of held) release(lockFile);
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs `fn` holding `<file>.lock`, waiting while another live process holds it. */
export async function withLock<T>(file: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const { pollMs = 1000, log = (m: string) => process.stderr.write(`${m}\n`) } = options;
  const lockFile = `${file}.lock`;
  if (held.has(lockFile)) throw new Error(`${lockFile}: already held by this process (a build of ${path.basename(file)} needs itself)`);
  ensureDir(path.dirname(lockFile));
  let waited = false;
  while (!tryCreate(lockFile)) {
    const holder = readHolder(lockFile);
    if (isStale(holder, lockFile)) {
      log(`[repro] ${lockFile}: its process ${holder ? `(pid ${holder.pid}, since ${holder.since}) ` : ''}is gone; taking over`);
      breakStale(lockFile, holder);
      continue;
    }
    if (!waited) {
      waited = true;
      const who = holder ? `pid ${holder.pid} on ${holder.host} since ${holder.since}` : 'another process';
      log(`[repro] waiting for ${path.basename(file)}: being built by ${who} (if that job died on another host, remove ${lockFile})`);
    }
    await sleep(pollMs);
  }
  held.add(lockFile);
  try {
    return await fn();
  } finally {
    release(lockFile);
  }
}

/**
 * The cached artefact `load()` finds, or else `build()`'s, built by one
 * process at a time: after waiting for another builder, its result is loaded
 * instead of built again.
 */
export async function buildOnce<T>(file: string, load: () => T | null, build: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const hit = load();
  if (hit !== null) return hit;
  return withLock(file, async () => load() ?? build(), options);
}

/**
 * A JSON result cached at `file` for `binding`: loaded when present and valid,
 * else built once (under the file's lock, so two runs never build it twice)
 * and saved bound to what it holds.
 */
export function cachedJson<T>(file: string, binding: CacheBinding & { check?: (body: unknown) => string | null }, build: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  return buildOnce(file, () => loadJsonChecked<T>(file, binding), async () => {
    const value = await build();
    saveJsonChecked(file, value, binding);
    return value;
  }, options);
}

/**
 * The audit log (docs/api.md#accountability): `<home>/audit.log`, one JSON line per change, append-only.
 *
 * Group commit: append() queues a line and resolves once it is written *and* fsynced. Lines that
 * arrive while a write is under way wait for the next one, so N concurrent changes cost one
 * write + one fdatasync, not N. A batch is never split across files: rotation (at `maxBytes`, the
 * current file becomes `audit.log.1`, `.1` becomes `.2` … `.keep` is dropped) happens only between
 * batches, so no line is lost or cut at the boundary.
 *
 * Moved or deleted from outside (issue 18): before each batch, one fstat of the open file and one
 * stat of the path; when the path no longer names that file (another device/inode, or none), the
 * file is reopened (created anew, 0600) and the batch goes there. reopen() (SIGHUP) does it at once.
 * The file is opened O_APPEND and its size re-read per batch, so an outside copytruncate works too.
 *
 * Reads (query) go through the files newest first and stop at `limit`; they never block appends.
 */
import { close as closeCb, fdatasync as fdatasyncCb, fstat as fstatCb, fsync as fsyncCb, open as openCb, write as writeCb } from 'node:fs';
import { readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import type { AuditEntry } from '../wire/audit.js';

/** docs/api.md#accountability: rotated at 10 MiB, keeping `audit.log.1` … `.5`. */
export const AUDIT_MAX_BYTES = 10 * 1024 * 1024;
export const AUDIT_KEEP_FILES = 5;
/** Lines parsed per event-loop turn while a query scans a file (~10 ms). */
const SCAN_SLICE = 2000;

export interface AuditFilter {
  node?: string;
  operator?: string;
  /** Wall ms: entries at or after this only. */
  since?: number;
  limit: number;
}

/** Where a change's audit line goes; `append` resolves once the line is on disk. */
export interface AuditSink {
  append(entry: AuditEntry): Promise<void>;
  /** Closes the file and opens the path anew (SIGHUP): after an outside move, delete or rotation. */
  reopen(): Promise<void>;
  query(filter: AuditFilter): Promise<AuditEntry[]>;
  close(): Promise<void>;
}

// Plain descriptors, not FileHandles: a server built by a test and never closed must not warn at GC.
const openFd = promisify(openCb);
const closeFd = promisify(closeCb);
const writeFd = promisify(writeCb);
const fdatasync = promisify(fdatasyncCb);
const fsync = promisify(fsyncCb);
const fstat = promisify(fstatCb);

interface Waiter {
  resolve(): void;
  reject(e: unknown): void;
}

export class AuditLog implements AuditSink {
  private fd: number | null = null;
  private size = 0;
  private lines: string[] = [];
  private waiters: Waiter[] = [];
  private flushing: Promise<void> | null = null;
  /** reopen() callers, served by the flush loop between batches (never while a batch writes). */
  private reopenWaiters: Waiter[] = [];
  private readonly maxBytes: number;
  private readonly keep: number;
  /** Told when the path was found no longer naming the open file (it is then started anew). */
  private readonly onMoved: () => void;
  /** Batches written (fsyncs), for tests and the bench: fewer than lines under load. */
  commits = 0;

  constructor(
    readonly path: string,
    opts: { maxBytes?: number; keep?: number; onMoved?: () => void } = {},
  ) {
    this.maxBytes = opts.maxBytes ?? AUDIT_MAX_BYTES;
    this.keep = opts.keep ?? AUDIT_KEEP_FILES;
    this.onMoved = opts.onMoved ?? (() => {});
  }

  append(entry: AuditEntry): Promise<void> {
    this.lines.push(`${JSON.stringify(entry)}\n`);
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.flushing ??= this.flushLoop();
    return done;
  }

  reopen(): Promise<void> {
    const done = new Promise<void>((resolve, reject) => this.reopenWaiters.push({ resolve, reject }));
    this.flushing ??= this.flushLoop();
    return done;
  }

  /** Writes batches until nothing is queued; each batch's waiters learn its outcome. */
  private async flushLoop(): Promise<void> {
    while (this.lines.length > 0 || this.reopenWaiters.length > 0) {
      if (this.reopenWaiters.length > 0) {
        const waiters = this.reopenWaiters;
        this.reopenWaiters = [];
        try {
          await this.closeFile();
          await this.file();
          for (const w of waiters) w.resolve();
        } catch (e) {
          for (const w of waiters) w.reject(e);
        }
        continue;
      }
      const text = this.lines.join('');
      const waiters = this.waiters;
      this.lines = [];
      this.waiters = [];
      try {
        await this.write(text);
        for (const w of waiters) w.resolve();
      } catch (e) {
        for (const w of waiters) w.reject(e);
      }
    }
    this.flushing = null;
  }

  private async write(text: string): Promise<void> {
    const buf = Buffer.from(text, 'utf8');
    await this.followPath();
    if (this.fd !== null && this.size > 0 && this.size + buf.length > this.maxBytes) await this.rotate();
    const fd = await this.file();
    let off = 0;
    while (off < buf.length) off += (await writeFd(fd, buf, off, buf.length - off, null)).bytesWritten;
    await fdatasync(fd);
    this.size += buf.length;
    this.commits++;
  }

  /**
   * Closes the open file when the path no longer names it (moved, deleted, replaced), so that
   * file() opens the path anew; else takes its size as it is now (an outside truncation).
   */
  private async followPath(): Promise<void> {
    if (this.fd === null) return;
    const [open, named] = await Promise.all([fstat(this.fd, { bigint: true }), stat(this.path, { bigint: true }).catch(nullIfMissing)]);
    if (named === null || named.dev !== open.dev || named.ino !== open.ino) {
      await this.closeFile();
      this.onMoved();
    } else this.size = Number(open.size);
  }

  private async closeFile(): Promise<void> {
    const fd = this.fd;
    this.fd = null;
    if (fd !== null) await closeFd(fd);
  }

  private async file(): Promise<number> {
    if (this.fd === null) {
      this.fd = await openFd(this.path, 'a', 0o600);
      this.size = (await fstat(this.fd)).size;
      if (this.size > 0 && this.size >= this.maxBytes) {
        await this.rotate();
        return this.file();
      }
    }
    return this.fd;
  }

  /** audit.log → .1 → .2 … → .keep (the oldest is dropped); the directory entry is fsynced. */
  private async rotate(): Promise<void> {
    if (this.fd !== null) await closeFd(this.fd);
    this.fd = null;
    await rm(`${this.path}.${this.keep}`, { force: true });
    for (let i = this.keep - 1; i >= 1; i--) await rename(`${this.path}.${i}`, `${this.path}.${i + 1}`).catch(ignoreMissing);
    await rename(this.path, `${this.path}.1`).catch(ignoreMissing);
    await syncDir(dirname(this.path));
    this.fd = await openFd(this.path, 'a', 0o600);
    this.size = 0;
  }

  /** Newest first, through the current file and then the rotated ones, up to `limit`. */
  async query(f: AuditFilter): Promise<AuditEntry[]> {
    const out: AuditEntry[] = [];
    const files = [this.path, ...Array.from({ length: this.keep }, (_, i) => `${this.path}.${i + 1}`)];
    for (const file of files) {
      const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? '' : Promise.reject(e)));
      const lines = text.split('\n');
      for (let i = lines.length - 1, n = 0; i >= 0; i--, n++) {
        if (n > 0 && n % SCAN_SLICE === 0) await new Promise((r) => setImmediate(r));
        const line = lines[i]!;
        if (line === '') continue;
        // Cheap pre-checks before JSON.parse: most lines of a filtered query are skipped here.
        if (f.node !== undefined && !line.includes(JSON.stringify(f.node))) continue;
        if (f.operator !== undefined && !line.includes(JSON.stringify(f.operator))) continue;
        let e: AuditEntry;
        try {
          e = JSON.parse(line) as AuditEntry;
        } catch {
          continue; // a torn last line after a crash mid-write (never acknowledged)
        }
        if (f.since !== undefined && Date.parse(e.time) < f.since) return out; // older from here on
        if (f.node !== undefined && e.target !== f.node && !namesNode(e, f.node)) continue;
        if (f.operator !== undefined && e.operator !== f.operator) continue;
        out.push(e);
        if (out.length >= f.limit) return out;
      }
    }
    return out;
  }

  /** Waits for queued lines, then closes the file. */
  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
    await this.closeFile();
  }
}

/**
 * A line about several nodes counts for each of them: a fleet exec lists the nodes it reached in
 * `detail.nodes`, a body's delete the heads it unpinned in `detail.cleared_heads`.
 */
const NODE_LISTS = ['nodes', 'cleared_heads'] as const;
function namesNode(e: AuditEntry, node: string): boolean {
  const detail = (e.detail ?? {}) as Record<string, unknown>;
  return NODE_LISTS.some((k) => Array.isArray(detail[k]) && (detail[k] as unknown[]).includes(node));
}

function nullIfMissing(e: NodeJS.ErrnoException): null {
  if (e.code === 'ENOENT') return null;
  throw e;
}

function ignoreMissing(e: NodeJS.ErrnoException): void {
  if (e.code !== 'ENOENT') throw e;
}

async function syncDir(dir: string): Promise<void> {
  const d = await openFd(dir, 'r');
  try {
    await fsync(d);
  } finally {
    await closeFd(d);
  }
}

/**
 * nodes.yaml: the durable store behind {@link NodeStore}. One JSON object per line, which is also
 * a YAML 1.2 flow mapping, so the file loads fast (JSON.parse per line, see nodes-load.ts) yet
 * stays real YAML that an operator may hand-edit.
 */
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { iso, type Clock, type TimerHandle } from '../clock.js';
import type { Logger } from '../log.js';
import { FORMAT, ITEM, NL } from './nodes-format.js';
import type { NodeStore, NodeStoreStats, StoredRecord } from './nodes-store.js';

export { loadNodesFile } from './nodes-load.js';

// Legal raw in JSON strings, but YAML 1.2 forbids them (C1, DEL, U+FFFE/F) or editors and YAML 1.1
// tools take them for line breaks (U+2028/9, NEL); the \u escape means the same in JSON and YAML.
const UNSAFE = /[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g;
const escapeChar = (c: string): string => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0');
// Platforms (Windows, some network filesystems) refuse to open or fsync a directory.
const DIR_SYNC_UNSUPPORTED = new Set(['EISDIR', 'EPERM', 'EACCES', 'EINVAL', 'ENOTSUP', 'EBADF']);

const header = (now: number, count: number): string =>
  '# HydraCluster durable state. Written by the hydracluster server; edit only while it is stopped.\n' +
  '# One record per line (YAML flow mapping). Back it up at any time: it is replaced atomically.\n' +
  `format: ${FORMAT}\nwritten_at: "${iso(now)}"\ncount: ${count}\n${count === 0 ? 'nodes: []' : 'nodes:'}\n`;

/** Bytes of the write buffer; a slice is written once it holds this much (a larger record gets its own). */
const WRITE_BUFFER_BYTES = 1 << 20;

/**
 * The record's JSON as cached for its line (`  - ` + JSON + `\n`). Kept as a string, not a Buffer:
 * 100,000 small Buffers occupy thousands of pool slabs outside the heap, and that memory pressure
 * made V8 run full collections (with long incremental marking on the event loop) during writes.
 */
function toJson(id: string, record: StoredRecord): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(record);
  } catch (err) {
    throw new Error(`record ${id} cannot be serialized: ${(err as Error).message}`);
  }
  if (json?.[0] !== '{') throw new Error(`record ${id} is not a JSON object`);
  return json.replace(UNSAFE, escapeChar);
}

/** Bytes of the line of `json` (ITEM, the JSON in UTF-8, newline). */
const lineBytes = (json: string): number => ITEM.length + Buffer.byteLength(json) + 1;

/** Puts the line of `json` into `buf` at `off` (the caller made sure it fits); returns the new end. */
function putLine(buf: Buffer, off: number, json: string): number {
  buf[off] = 0x20; // ITEM, byte by byte: no string conversion per line
  buf[off + 1] = 0x20;
  buf[off + 2] = 0x2d;
  buf[off + 3] = 0x20;
  off += ITEM.length;
  off += buf.write(json, off);
  buf[off] = NL;
  return off + 1;
}


async function writeAll(fh: FileHandle, buf: Buffer, len: number): Promise<number> {
  for (let off = 0; off < len; ) {
    const { bytesWritten } = await fh.write(buf, off, len - off);
    if (bytesWritten <= 0) throw new Error('short write');
    off += bytesWritten;
  }
  return len;
}

async function syncDir(dir: string): Promise<void> {
  let dh: FileHandle | undefined;
  try {
    dh = await open(dir, 'r');
    await dh.sync();
  } catch (err) {
    if (!DIR_SYNC_UNSUPPORTED.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
  } finally {
    await dh?.close().catch(() => {});
  }
}

/** Options of {@link NodesFile}. */
export interface NodesFileOptions {
  path: string;
  clock: Clock;
  log: Logger;
  /**
   * A write runs in slices, the event loop yielded between them (while the slice is written out):
   * a slice ends after this many records (default 1000) or after `sliceMs`, whichever comes first.
   */
  chunkRecords?: number;
  /** Synchronous work per slice, in ms (default 8); checked after each record. */
  sliceMs?: number;
  /** Longest delay before a put/remove that nobody commits reaches the disk. */
  lazyFlushMs?: number;
}

interface Entry {
  id: string;
  /** The record as the actor last pushed it. */
  record: StoredRecord;
  /** The record's JSON as last written (its line minus ITEM and newline); null: never serialized. */
  line: string | null;
  dirty: boolean;
}

/**
 * {@link NodeStore} on nodes.yaml: group-committed, atomic full rewrites that only re-serialize
 * dirty records, run in slices bounded by time and record count so the event loop keeps turning.
 */
export class NodesFile implements NodeStore {
  private readonly entries = new Map<string, Entry>();
  private readonly chunk: number;
  private readonly sliceMs: number;
  private readonly lazyMs: number;
  private waiters: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  private wanted = false;
  private scheduled = false;
  private running: Promise<Error | null> | null = null;
  private lazy: TimerHandle | null = null;
  /** Membership changed since the last write began, or no write has succeeded yet. */
  private changed = true;
  private closed = false;
  private closing: Promise<void> | null = null;
  private readonly st: Omit<NodeStoreStats, 'records' | 'dirty'> = { writes: 0, failedWrites: 0, lastWriteMs: null, lastWriteBytes: null, lastWriteAt: null };

  constructor(private readonly opts: NodesFileOptions) {
    this.chunk = Math.max(1, opts.chunkRecords ?? 1000);
    this.sliceMs = Math.max(0, opts.sliceMs ?? 8);
    this.lazyMs = opts.lazyFlushMs ?? 2000;
  }

  put(id: string, record: StoredRecord): void {
    const e = this.entries.get(id);
    if (e) [e.record, e.dirty] = [record, true];
    else this.entries.set(id, { id, record, line: null, dirty: true });
    this.changed ||= !e;
    this.scheduleLazy();
  }

  remove(id: string): void {
    if (!this.entries.delete(id)) return;
    this.changed = true;
    this.scheduleLazy();
  }

  commit(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('store closed'));
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.kick();
    });
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  stats(): NodeStoreStats {
    let dirty = 0;
    for (const e of this.entries.values()) if (e.dirty) dirty++;
    return { records: this.entries.size, dirty, ...this.st };
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    this.lazy?.cancel();
    this.lazy = null;
    while (this.running || this.scheduled) await (this.running ?? new Promise<void>((r) => setImmediate(() => r())));
    let dirty = false;
    for (const e of this.entries.values()) dirty ||= e.dirty;
    if (!dirty && !this.changed) return;
    const err = await this.start();
    if (err) throw err;
  }

  private scheduleLazy(): void {
    if (this.closed || this.lazy) return;
    this.lazy = this.opts.clock.after(this.lazyMs, () => {
      this.lazy = null;
      this.kick();
    });
  }

  /** Asks for a write; deferred with setImmediate so commits of the same tick share it. */
  private kick(): void {
    this.wanted = true;
    if (this.running || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.running) void this.start();
    });
  }

  private start(): Promise<Error | null> {
    this.wanted = false;
    this.lazy?.cancel();
    this.lazy = null;
    const waiters = this.waiters;
    this.waiters = [];
    const run = this.write().then((err) => {
      this.running = null;
      for (const w of waiters) {
        if (err) w.reject(err);
        else w.resolve();
      }
      if (this.wanted) this.kick();
      return err;
    });
    this.running = run;
    return run;
  }

  /** One full rewrite; never rejects (the error is returned so waiters can be told). */
  private async write(): Promise<Error | null> {
    const { path, clock, log } = this.opts;
    const tmp = `${path}.tmp`;
    const t0 = performance.now();
    const snapshot = [...this.entries.values()];
    this.changed = false;
    const serialized: Entry[] = [];
    let fh: FileHandle | null = null;
    let bytes = 0;
    try {
      await rm(tmp, { force: true }); // a stale temp file would keep its old mode
      fh = await open(tmp, 'w', 0o600);
      // One buffer, reused by every slice (a slice is written out before the next one starts):
      // the lines are copied into it, nothing per line is allocated except a dirty record's JSON.
      let buf = Buffer.allocUnsafeSlow(WRITE_BUFFER_BYTES);
      let off = buf.write(header(clock.now(), snapshot.length));
      let i = 0;
      do {
        const until = performance.now() + this.sliceMs;
        const last = Math.min(i + this.chunk, snapshot.length);
        while (i < last) {
          const e = snapshot[i];
          if (e.dirty || e.line === null) {
            // Cleared now: a put from here on (while this write runs) keeps it dirty for the next one.
            e.dirty = false;
            serialized.push(e);
            e.line = toJson(e.id, e.record);
          }
          const json = e.line;
          // A UTF-16 unit takes at most 3 bytes in UTF-8: count exactly only near the end of the buffer.
          if (ITEM.length + json.length * 3 + 1 > buf.length - off) {
            const need = lineBytes(json);
            if (need > buf.length - off) {
              if (off > 0) break; // write what the buffer holds; this record starts the next slice
              buf = Buffer.allocUnsafeSlow(need); // one record larger than the buffer
            }
          }
          off = putLine(buf, off, json);
          i++;
          if (performance.now() >= until) break;
        }
        bytes += await writeAll(fh, buf, off); // yields the event loop until the slice is written
        off = 0;
      } while (i < snapshot.length);
      await fh.sync();
      await fh.close();
      fh = null;
      await rename(tmp, path);
      await syncDir(dirname(path));
      const ms = Math.round(performance.now() - t0);
      Object.assign(this.st, { writes: this.st.writes + 1, lastWriteMs: ms, lastWriteBytes: bytes, lastWriteAt: iso(clock.now()) });
      log.debug('nodes.yaml written', { records: snapshot.length, serialized: serialized.length, bytes, ms });
      return null;
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      for (const x of serialized) x.dirty = true;
      this.changed = true;
      this.st.failedWrites++;
      log.error('nodes.yaml write failed', { error: err.message });
      await fh?.close().catch(() => {});
      await rm(tmp, { force: true }).catch(() => {});
      this.scheduleLazy();
      return err;
    }
  }
}

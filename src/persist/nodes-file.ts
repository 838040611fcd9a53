/**
 * nodes.yaml: the durable store behind {@link NodeStore}. One JSON object per line, which is also
 * a YAML 1.2 flow mapping, so the file loads fast (JSON.parse per line) yet stays real YAML that
 * an operator may hand-edit (any YAML style is accepted on load, via the `yaml` package).
 */
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { isMap, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { iso, type Clock, type TimerHandle } from '../clock.js';
import type { Logger } from '../log.js';
import type { NodeStore, NodeStoreStats, StoredRecord } from './nodes-store.js';

const FORMAT = 'hydracluster-nodes/1';
const ITEM = '  - ';
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
/** Bytes read from nodes.yaml at a time on load; a longer line grows the buffer. */
const READ_CHUNK_BYTES = 1 << 20;
const NL = 0x0a;

/**
 * The record's JSON as cached for its line (`  - ` + JSON + `\n`). Kept as a string, not a Buffer:
 * 100,000 small Buffers occupy thousands of pool slabs outside the heap, and that memory pressure
 * made V8 run full collections (with long incremental marking on the event loop) during writes.
 */
function toJson(id: string, source: () => StoredRecord): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(source());
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

/**
 * Reads nodes.yaml. A missing file yields no records. The file as written by {@link NodesFile} is
 * read line by line with JSON.parse; anything else (e.g. hand-edited block style) is parsed as
 * YAML. Records are returned unvalidated. Throws an Error naming the file and line if the file is
 * neither. `readChunkBytes` is for tests (chunk boundaries).
 */
export async function loadNodesFile(
  path: string,
  opts: { readChunkBytes?: number } = {},
): Promise<{ records: unknown[]; source: 'absent' | 'fast' | 'yaml' }> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], source: 'absent' };
    throw err;
  }
  try {
    const fast = await readFast(fh, path, Math.max(1, opts.readChunkBytes ?? READ_CHUNK_BYTES));
    if (fast) return { records: fast, source: 'fast' };
    // Same file (even if it was replaced meanwhile): readFast only did positioned reads, so this
    // reads from the start.
    const text = await fh.readFile('utf8');
    return { records: parseYaml(text, path), source: 'yaml' };
  } finally {
    await fh.close().catch(() => {});
  }
}

/**
 * The exact layout {@link NodesFile} writes, or null to make the caller fall back to YAML (as soon
 * as a line does not fit it). Reads the file in chunks into one reused buffer and decodes line by
 * line: no copy of the whole file as a string (at ~90 MB, fresh memory alone costs a lot).
 */
async function readFast(fh: FileHandle, path: string, chunk: number): Promise<unknown[] | null> {
  const p = new FastParser(path);
  let buf = Buffer.allocUnsafeSlow(chunk);
  let len = 0; // bytes of buf holding data (an incomplete line carried over, then what was read)
  for (let pos = 0; ; ) {
    if (len === buf.length) {
      const bigger = Buffer.allocUnsafeSlow(buf.length * 2);
      buf.copy(bigger, 0, 0, len);
      buf = bigger;
    }
    const { bytesRead } = await fh.read(buf, len, buf.length - len, pos);
    pos += bytesRead;
    len += bytesRead;
    const data = buf.subarray(0, len);
    let s = 0;
    for (let nl = data.indexOf(NL, s); nl !== -1; s = nl + 1, nl = data.indexOf(NL, s)) {
      if (!p.line(data, s, nl)) return null;
    }
    if (bytesRead === 0) {
      if (s < len && !p.line(data, s, len)) return null; // last line without a newline
      return p.end();
    }
    buf.copyWithin(0, s, len);
    len -= s;
  }
}

/** Line by line state of {@link readFast}; accepts only what the writer emits, each key once. */
class FastParser {
  private readonly records: unknown[] = [];
  private lineNo = 0;
  private section: 'header' | 'nodes' | 'empty' = 'header';
  private format = false;
  private count = -1;
  private countLine = 0;

  constructor(private readonly path: string) {}

  /** Takes the line buf[s, e) (without its newline); false if it is not the fast layout. */
  line(buf: Buffer, s: number, e: number): boolean {
    this.lineNo++;
    if (this.section === 'nodes') {
      // '  - {': the record's JSON starts at the brace.
      if (e - s < 5 || buf[s] !== 0x20 || buf[s + 1] !== 0x20 || buf[s + 2] !== 0x2d || buf[s + 3] !== 0x20 || buf[s + 4] !== 0x7b) return false;
      try {
        this.records.push(JSON.parse(buf.toString('utf8', s + ITEM.length, e)));
      } catch {
        return false;
      }
      return true;
    }
    if (this.section === 'empty') return false; // nothing may follow 'nodes: []'
    // Header: a handful of lines, compared as strings. Anything unexpected is left to the YAML parser to judge.
    const l = buf.toString('utf8', s, e);
    if (l === 'nodes:' || l === 'nodes: []') {
      if (!this.format || this.count < 0) return false;
      this.section = l === 'nodes:' ? 'nodes' : 'empty';
    } else if (l === `format: ${FORMAT}` && !this.format) this.format = true;
    else if (/^count: \d+$/.test(l) && this.count < 0) [this.count, this.countLine] = [Number(l.slice(7)), this.lineNo];
    else if (!(l === '' || l.startsWith('#') || /^written_at: "[\w:.+-]*"$/.test(l))) return false;
    return true;
  }

  /** At the end of the file: the records, null if the header never ended, or a count mismatch. */
  end(): unknown[] | null {
    if (this.section === 'header') return null;
    if (this.records.length !== this.count) throw countMismatch(this.path, this.countLine, this.count, this.records.length);
    return this.records;
  }
}

const countMismatch = (path: string, line: number, count: number, found: number): Error =>
  new Error(`${path}: line ${line}: count is ${count} but the file holds ${found} records (truncated? if hand-edited, fix count)`);

function parseYaml(text: string, path: string): unknown[] {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  const fail = (offset: number, reason: string): never => {
    const { line, col } = lc.linePos(offset);
    throw new Error(`${path}: line ${line}, column ${col}: ${reason}`);
  };
  const e = doc.errors[0];
  if (e) fail(e.pos[0], e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, ''));
  const root = doc.contents;
  if (!isMap(root)) return fail(root?.range?.[0] ?? 0, 'not a hydracluster nodes file (expected format, count and nodes keys)');
  const at = (key: string): number => (root.get(key, true) as YamlNode | undefined)?.range?.[0] ?? root.range?.[0] ?? 0;
  let data: { format?: unknown; count?: unknown; nodes?: unknown };
  try {
    data = doc.toJS() as typeof data;
  } catch (err) {
    return fail(0, (err as Error).message);
  }
  if (data.format !== FORMAT) fail(at('format'), `format is ${JSON.stringify(data.format)}, expected ${FORMAT}`);
  if (data.nodes != null && !isSeq(root.get('nodes', true))) fail(at('nodes'), 'nodes must be a list');
  const records = (data.nodes ?? []) as unknown[];
  if (data.count !== undefined && data.count !== records.length) {
    throw countMismatch(path, lc.linePos(at('count')).line, Number(data.count), records.length);
  }
  return records;
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
  /** Longest delay before a markDirty/track/remove that nobody commits reaches the disk. */
  lazyFlushMs?: number;
  /** Period at which every record is re-serialized, so telemetry like last_seen is fresh on disk. */
  refreshMs?: number;
}

interface Entry {
  id: string;
  source: () => StoredRecord;
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
  private readonly refresh: TimerHandle;
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
    this.refresh = opts.clock.every(opts.refreshMs ?? 60_000, () => {
      for (const e of this.entries.values()) e.dirty = true;
      this.kick();
    });
  }

  track(id: string, source: () => StoredRecord): void {
    const e = this.entries.get(id);
    if (e) [e.source, e.dirty] = [source, true];
    else this.entries.set(id, { id, source, line: null, dirty: true });
    this.changed ||= !e;
    this.scheduleLazy();
  }

  markDirty(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    e.dirty = true;
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
    this.refresh.cancel();
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
            // Cleared before source() so a change made from here on keeps it dirty for the next write.
            e.dirty = false;
            serialized.push(e);
            e.line = toJson(e.id, e.source);
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

/**
 * nodes.yaml: the durable store behind {@link NodeStore}. One JSON object per line, which is also
 * a YAML 1.2 flow mapping, so the file loads fast (JSON.parse per line) yet stays real YAML that
 * an operator may hand-edit (any YAML style is accepted on load, via the `yaml` package).
 */
import { open, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
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

/** The record's whole line, as bytes: concatenating cached buffers is far cheaper than strings. */
function toLine(id: string, source: () => StoredRecord): Buffer {
  let json: string | undefined;
  try {
    json = JSON.stringify(source());
  } catch (err) {
    throw new Error(`record ${id} cannot be serialized: ${(err as Error).message}`);
  }
  if (json?.[0] !== '{') throw new Error(`record ${id} is not a JSON object`);
  return Buffer.from(`${ITEM}${json.replace(UNSAFE, escapeChar)}\n`);
}

/**
 * Reads nodes.yaml. A missing file yields no records. The file as written by {@link NodesFile} is
 * read line by line with JSON.parse; anything else (e.g. hand-edited block style) is parsed as
 * YAML. Records are returned unvalidated. Throws an Error naming the file and line if the file is
 * neither.
 */
export async function loadNodesFile(path: string): Promise<{ records: unknown[]; source: 'absent' | 'fast' | 'yaml' }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], source: 'absent' };
    throw err;
  }
  const fast = parseFast(text, path);
  return fast ? { records: fast, source: 'fast' } : { records: parseYaml(text, path), source: 'yaml' };
}

/** The exact layout {@link NodesFile} writes, or null to make the caller fall back to YAML. */
function parseFast(text: string, path: string): unknown[] | null {
  const lines = text.split('\n');
  let i = 0, count = -1, countLine = 0, format = false;
  // Only what the writer emits, each key once; anything else is left to the YAML parser to judge.
  for (; i < lines.length && lines[i] !== 'nodes:' && lines[i] !== 'nodes: []'; i++) {
    const l = lines[i];
    if (l === `format: ${FORMAT}` && !format) format = true;
    else if (/^count: \d+$/.test(l) && count < 0) [count, countLine] = [Number(l.slice(7)), i + 1];
    else if (!(l === '' || l.startsWith('#') || /^written_at: "[\w:.+-]*"$/.test(l))) return null;
  }
  if (!format || count < 0 || i === lines.length) return null;
  const end = lines[lines.length - 1] === '' ? lines.length - 1 : lines.length;
  if (lines[i] === 'nodes: []' && end > i + 1) return null;
  const records: unknown[] = [];
  for (let j = i + 1; j < end; j++) {
    if (!lines[j].startsWith('  - {')) return null;
    try {
      records.push(JSON.parse(lines[j].slice(ITEM.length)));
    } catch {
      return null;
    }
  }
  if (records.length !== count) throw countMismatch(path, countLine, count, records.length);
  return records;
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

async function writeAll(fh: FileHandle, buf: Buffer): Promise<number> {
  for (let off = 0; off < buf.length; ) {
    const { bytesWritten } = await fh.write(buf, off, buf.length - off);
    if (bytesWritten <= 0) throw new Error('short write');
    off += bytesWritten;
  }
  return buf.length;
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
  /** Records serialized and written per chunk; the event loop is yielded between chunks. */
  chunkRecords?: number;
  /** Longest delay before a markDirty/track/remove that nobody commits reaches the disk. */
  lazyFlushMs?: number;
  /** Period at which every record is re-serialized, so telemetry like last_seen is fresh on disk. */
  refreshMs?: number;
}

interface Entry {
  id: string;
  source: () => StoredRecord;
  line: Buffer | null;
  dirty: boolean;
}

/**
 * {@link NodeStore} on nodes.yaml: group-committed, chunked, atomic full rewrites that only
 * re-serialize dirty records.
 */
export class NodesFile implements NodeStore {
  private readonly entries = new Map<string, Entry>();
  private readonly chunk: number;
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
      let out: Buffer[] = [Buffer.from(header(clock.now(), snapshot.length))];
      for (let i = 0; i < snapshot.length; i += this.chunk) {
        for (let j = i; j < Math.min(i + this.chunk, snapshot.length); j++) {
          const e = snapshot[j];
          if (e.dirty || e.line === null) {
            // Cleared before source() so a change made from here on keeps it dirty for the next write.
            e.dirty = false;
            serialized.push(e);
            e.line = toLine(e.id, e.source);
          }
          out.push(e.line);
        }
        bytes += await writeAll(fh, Buffer.concat(out));
        out = [];
      }
      if (out.length > 0) bytes += await writeAll(fh, out[0]);
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

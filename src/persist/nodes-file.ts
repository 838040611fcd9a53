/**
 * The durable store behind {@link NodeStore} (docs/operations.md#the-home-folder, docs/api.md#node-lifecycle, docs/architecture.md#nodesyaml-and-its-journal): nodes.yaml is the snapshot,
 * written by compaction; between compactions each change goes to nodes.journal as one line (the
 * record's changed fields), group-committed: every commit() that arrives while an append runs is
 * served by the next one, one fsync for all. The disk work grows with what changes, not with the
 * fleet. See ./journal-lines.ts for the lines and ./journal-load.ts for the boot.
 *
 * Compaction (the journal grew past a fraction of the snapshot, or a clean stop): the records as the
 * disk has them are captured between two appends, written to nodes.yaml.tmp in slices (appends go
 * on meanwhile), then — one step, appends waiting — a `compacted` line is appended, the temp file
 * renamed over nodes.yaml, and the journal replaced by a new header plus the lines appended since
 * the capture (a clean stop removes it instead). A crash at any point leaves a pair that boots.
 */
import { rm } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { monotonicFactory } from 'ulid';
import { iso, type Clock, type TimerHandle } from '../clock.js';
import type { Logger } from '../log.js';
import { JournalFile } from './journal-file.js';
import { changeLine, headerLine, markLine, type SnapshotRef } from './journal-lines.js';
import { journalPathOf, type LoadedState } from './journal-load.js';
import type { NodeStore, NodeStoreStats, StoredRecord } from './nodes-store.js';
import { replaceWith, writeSnapshotFile, type SnapshotOptions, type WrittenSnapshot } from './snapshot-write.js';

export { loadNodesFile } from './nodes-load.js';
export { loadState, JournalMismatchError } from './journal-load.js';

const ulid = monotonicFactory();
/** A compaction that failed is tried again after this long (the journal keeps every change meanwhile). */
const COMPACT_RETRY_MS = 30_000;

/** Options of {@link NodesFile}. */
export interface NodesFileOptions {
  path: string;
  clock: Clock;
  log: Logger;
  /** What loadState() read at boot: the store goes on from it. Without it, the first write is a full snapshot. */
  loaded?: LoadedState;
  /** A snapshot is written in slices of at most this many records (default 1000)… */
  chunkRecords?: number;
  /** …or this many ms of synchronous work (default 8), as is the diffing of an append. */
  sliceMs?: number;
  /** Longest delay before a put/remove that nobody commits reaches the disk. */
  lazyFlushMs?: number;
  /** Compact once the journal holds more than this fraction of the snapshot's bytes (default 0.5)… */
  compactRatio?: number;
  /** …and at least this many bytes (default 1 MiB). */
  compactMinBytes?: number;
  /** Tests: awaited at each step of a compaction, to look at the files as a crash there would leave them. */
  onStep?: (step: CompactionStep) => void | Promise<void>;
}

/** The steps of a compaction, in order (`marked` only when a journal exists). */
export type CompactionStep = 'snapshot-written' | 'marked' | 'renamed' | 'journal-replaced';

interface Entry {
  id: string;
  /** The record as the actor last pushed it; null: removed. */
  record: StoredRecord | null;
  /** The record as the disk has it (snapshot plus journal); null: not on disk. */
  base: StoredRecord | null;
}

type Waiter = { resolve: () => void; reject: (err: Error) => void };

/** {@link NodeStore} on nodes.yaml and nodes.journal. */
export class NodesFile implements NodeStore {
  private readonly entries = new Map<string, Entry>();
  private readonly dirty = new Set<Entry>();
  private readonly journal: JournalFile;
  private readonly snapOpts: SnapshotOptions;
  private readonly lazyMs: number;
  /** The nodes.yaml the journal follows; null: not one this store knows (its first write is a full snapshot). */
  private snapshot: SnapshotRef | null = null;
  private snapshotBytes = 0;
  private seq = 0;
  /** Lines appended since a running compaction captured its records; null when none runs. */
  private carry: Buffer[] | null = null;
  private compacting: Promise<void> | null = null;
  private compactAfter = 0;
  private ops: Array<() => Promise<void>> = [];
  private waiters: Waiter[] = [];
  private wanted = false;
  private scheduled = false;
  private running: Promise<void> | null = null;
  private lazy: TimerHandle | null = null;
  private closed = false;
  private closing: Promise<void> | null = null;
  private readonly st = { writes: 0, failedWrites: 0, lastWriteMs: null as number | null, lastWriteBytes: null as number | null, lastWriteAt: null as string | null, bytesWritten: 0, compactions: 0, lastCompactionMs: null as number | null };

  constructor(private readonly opts: NodesFileOptions) {
    this.snapOpts = { chunkRecords: Math.max(1, opts.chunkRecords ?? 1000), sliceMs: Math.max(0, opts.sliceMs ?? 8) };
    this.lazyMs = opts.lazyFlushMs ?? 2000;
    const l = opts.loaded;
    this.journal = new JournalFile(journalPathOf(opts.path), l?.journal?.goodBytes ?? null);
    if (!l) return;
    for (const r of l.records as StoredRecord[]) this.entries.set(r.id, { id: r.id, record: r, base: r });
    [this.snapshot, this.snapshotBytes, this.seq] = [{ snapshot: l.snapshot, sha256: l.sha256 }, l.bytes, l.journal?.lastSeq ?? 0];
  }

  put(id: string, record: StoredRecord): void {
    let e = this.entries.get(id);
    if (e) e.record = record;
    else this.entries.set(id, (e = { id, record, base: null }));
    this.dirty.add(e);
    this.scheduleLazy();
  }

  remove(id: string): void {
    const e = this.entries.get(id);
    if (!e || e.record === null) return;
    e.record = null;
    this.dirty.add(e);
    this.scheduleLazy();
  }

  commit(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('store closed'));
    return this.flushSoon();
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  stats(): NodeStoreStats {
    return { records: this.entries.size, dirty: this.dirty.size, ...this.st, journalBytes: this.journal.bytes };
  }

  /**
   * Writes a consistent snapshot of what the disk holds once everything put so far is journaled
   * (`hydracluster backup`) to `path` (temp file beside it, fsync, rename). Does not touch the journal.
   */
  async backup(path: string, note: string): Promise<WrittenSnapshot> {
    if (this.closed) throw new Error('store closed');
    await this.flushSoon();
    const records = await this.exclusive(async () => this.capture());
    const tmp = `${path}.tmp`;
    const w = await writeSnapshotFile(tmp, records, { snapshot: `snap-${ulid()}`, writtenAt: iso(this.opts.clock.now()), note }, this.snapOpts);
    await replaceWith(tmp, path).catch(async (e: unknown) => {
      await rm(tmp, { force: true }).catch(() => {});
      throw e;
    });
    return w;
  }

  /** Resolves once no append or compaction runs or waits to run (the bench's steps). */
  async idle(): Promise<void> {
    while (this.running || this.scheduled || this.compacting) await (this.compacting?.catch(() => {}) ?? this.running ?? new Promise<void>((r) => setImmediate(r)));
  }

  /** Compacts now (tests, bench); resolves when done, rejects if it failed. */
  compact(): Promise<void> {
    this.compacting ??= this.runCompaction(false).finally(() => (this.compacting = null));
    return this.compacting;
  }

  private flushSoon(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.wanted = true;
      this.kick();
    });
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    this.lazy?.cancel();
    this.lazy = null;
    await this.compacting?.catch(() => {});
    if (this.snapshot === null || this.dirty.size > 0) await this.flushSoon();
    if (this.journal.exists) await this.runCompaction(true);
    else await this.journal.remove(); // a stale one the boot found holding nothing
    await this.journal.close();
  }

  private scheduleLazy(): void {
    if (this.closed || this.lazy) return;
    this.lazy = this.opts.clock.after(this.lazyMs, () => {
      this.lazy = null;
      this.wanted = true;
      this.kick();
    });
  }

  /** Runs `fn` between two appends (appends wait for it). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.ops.push(() => fn().then(resolve, reject));
      this.kick();
    });
  }

  /** Starts the disk loop on the next turn, so commits of the same tick share one append. */
  private kick(): void {
    if (this.running || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.running ??= this.drive().finally(() => {
        this.running = null;
        if (this.wanted || this.ops.length > 0) this.kick(); // asked for between the loop's end and now
      });
    });
  }

  private async drive(): Promise<void> {
    for (;;) {
      const op = this.ops.shift();
      if (op) {
        await op();
        continue;
      }
      if (!this.wanted) return;
      this.wanted = false;
      this.lazy?.cancel();
      this.lazy = null;
      const waiters = this.waiters;
      this.waiters = [];
      const err = await this.flush().then(() => null, (e: unknown) => (e instanceof Error ? e : new Error(String(e))));
      for (const w of waiters) {
        if (err) w.reject(err);
        else w.resolve();
      }
    }
  }

  /** One group commit; never rejects (the error is returned for the waiters). */
  private async flush(): Promise<void> {
    const t0 = performance.now();
    try {
      const first = this.snapshot === null;
      const bytes = first ? await this.writeFirst() : await this.append();
      if (bytes === 0) return;
      Object.assign(this.st, { writes: this.st.writes + 1, lastWriteMs: Math.round(performance.now() - t0), lastWriteBytes: bytes, lastWriteAt: iso(this.opts.clock.now()) });
      if (!first) this.st.bytesWritten += bytes; // a first snapshot counted itself
    } catch (e) {
      this.st.failedWrites++;
      this.opts.log.error('nodes.yaml write failed', { error: (e as Error).message });
      this.scheduleLazy();
      throw e;
    }
    if (!this.closed && this.compacting === null && this.opts.clock.mono() >= this.compactAfter && this.journal.bytes > this.compactThreshold()) void this.compact().catch(() => {});
  }

  private compactThreshold(): number {
    return Math.max(this.opts.compactMinBytes ?? 1 << 20, (this.opts.compactRatio ?? 0.5) * this.snapshotBytes);
  }

  /** The dirty records' lines appended and fsynced; their entries then say the disk holds them. Returns the bytes. */
  private async append(): Promise<number> {
    const list = [...this.dirty];
    this.dirty.clear();
    const done: Array<[Entry, StoredRecord | null]> = [];
    const lines: string[] = [];
    try {
      let until = performance.now() + this.snapOpts.sliceMs;
      for (const e of list) {
        const next = e.record;
        const line = changeLine(this.seq + 1, e.id, e.base, next);
        if (line === null) {
          if (next === null) this.entries.delete(e.id); // never on disk
          else e.base = next; // the same as on disk: later comparisons are by identity
        } else {
          this.seq++;
          lines.push(line);
          done.push([e, next]);
        }
        if (performance.now() >= until) {
          await new Promise<void>((r) => setImmediate(r));
          until = performance.now() + this.snapOpts.sliceMs;
        }
      }
      if (lines.length === 0) return 0;
      const data = Buffer.from(lines.join(''));
      const seqBefore = this.seq - lines.length;
      await this.journal.append(data, () => headerLine(this.snapshot!, seqBefore));
      this.carry?.push(data);
      for (const [e, next] of done) {
        e.base = next;
        if (next === null && e.record === null) this.entries.delete(e.id);
      }
      return data.length;
    } catch (e) {
      for (const x of list) if (this.entries.get(x.id) === x) this.dirty.add(x);
      throw e;
    }
  }

  /** A store that does not know the file on disk writes a whole snapshot first (and no journal follows an unknown one). */
  private async writeFirst(): Promise<number> {
    for (const e of this.dirty) if (e.record === null) this.entries.delete(e.id);
    for (const e of this.entries.values()) e.base = e.record;
    this.dirty.clear();
    await this.journal.remove();
    return this.writeSnapshot(this.capture(), null, false);
  }

  /** What the disk holds, in order: the snapshot's records as compaction writes them. */
  private capture(): StoredRecord[] {
    const out: StoredRecord[] = [];
    for (const e of this.entries.values()) if (e.base) out.push(e.base);
    return out;
  }

  private async runCompaction(final: boolean): Promise<void> {
    const t0 = performance.now();
    try {
      const { records, through } = await this.exclusive(async () => {
        this.carry = [];
        return { records: this.capture(), through: this.seq };
      });
      await this.writeSnapshot(records, through, final);
      this.st.compactions++;
      this.st.lastCompactionMs = Math.round(performance.now() - t0);
      this.opts.log.debug('nodes.yaml compacted', { records: records.length, through, ms: this.st.lastCompactionMs });
    } catch (e) {
      this.compactAfter = this.opts.clock.mono() + COMPACT_RETRY_MS;
      this.opts.log.error('nodes.yaml compaction failed; changes stay in nodes.journal', { error: (e as Error).message });
      throw e;
    } finally {
      this.carry = null;
    }
  }

  /**
   * Writes `records` to nodes.yaml.tmp (slices; appends go on), then, appends waiting: the
   * `compacted` line (when a journal exists), the rename, and the journal replaced by what it must
   * still hold (or removed when `final`). `through` null: no journal is involved (writeFirst).
   */
  private async writeSnapshot(records: StoredRecord[], through: number | null, final: boolean): Promise<number> {
    const path = this.opts.path;
    const tmp = `${path}.tmp`;
    const id = `snap-${ulid()}`;
    const w = await writeSnapshotFile(tmp, records, { snapshot: id, writtenAt: iso(this.opts.clock.now()) }, this.snapOpts);
    const to: SnapshotRef = { snapshot: id, sha256: w.sha256 };
    const step = async (s: CompactionStep) => this.opts.onStep?.(s);
    const install = async () => {
      try {
        await step('snapshot-written');
        if (through !== null && this.journal.exists) {
          await this.journal.append(Buffer.from(markLine(to, through)), () => '');
          await step('marked');
        }
        await replaceWith(tmp, path);
      } catch (e) {
        await rm(tmp, { force: true }).catch(() => {});
        throw e;
      }
      [this.snapshot, this.snapshotBytes] = [to, w.bytes];
      this.st.bytesWritten += w.bytes;
      await step('renamed');
      if (through === null) return;
      if (final) await this.journal.remove();
      else if (this.journal.exists) {
        const content = Buffer.concat([Buffer.from(headerLine(to, through)), ...(this.carry ?? [])]);
        await this.journal.replace(content);
        this.st.bytesWritten += content.length;
      }
      await step('journal-replaced');
    };
    await (through === null ? install() : this.exclusive(install));
    return w.bytes;
  }
}

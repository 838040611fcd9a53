/**
 * MemoryStore: a {@link NodeStore} held in memory — the one store tests and benchmarks use when
 * nodes.yaml itself is not under test. Commits resolve on the next turn (like a fast disk) and can
 * be made to fail (`failWrites`) or to wait (`hold`), to test what a full disk or a slow one does.
 */
import type { NodeStore, NodeStoreStats, StoredRecord } from './nodes-store.js';
import { replaceWith, writeSnapshotFile } from './snapshot-write.js';

export class MemoryStore implements NodeStore {
  /** What a successful commit made durable: the "disk". */
  readonly durable = new Map<string, StoredRecord>();
  private readonly pending = new Map<string, StoredRecord | null>();
  private error: Error | null = null;
  private gate: Promise<void> | null = null;
  private st = { writes: 0, failedWrites: 0 };

  put(id: string, record: StoredRecord): void {
    this.pending.set(id, record);
  }

  remove(id: string): void {
    this.pending.set(id, null);
  }

  /** From now on every write fails with `err` (e.g. ENOSPC); `null` heals the disk. */
  failWrites(err: Error | null): void {
    this.error = err;
  }

  /** Commits wait until the returned function is called (a slow disk). */
  hold(): () => void {
    let release!: () => void;
    this.gate = new Promise<void>((r) => (release = r));
    return () => {
      this.gate = null;
      release();
    };
  }

  async commit(): Promise<void> {
    await new Promise<void>((r) => setImmediate(r));
    while (this.gate) await this.gate;
    if (this.error) {
      this.st.failedWrites++;
      throw this.error;
    }
    for (const [id, rec] of this.pending) {
      if (rec === null) this.durable.delete(id);
      else this.durable.set(id, rec);
    }
    this.pending.clear();
    this.st.writes++;
  }

  async close(): Promise<void> {
    if (!this.error) await this.commit();
  }

  /** The durable records, written as a real snapshot file. */
  async backup(path: string, note: string): Promise<{ bytes: number; sha256: string }> {
    await this.commit();
    const w = await writeSnapshotFile(`${path}.tmp`, [...this.durable.values()], { snapshot: 'snap-memory', writtenAt: new Date().toISOString(), note }, { chunkRecords: 1000, sliceMs: 8 });
    await replaceWith(`${path}.tmp`, path);
    return w;
  }

  stats(): NodeStoreStats {
    return { records: this.durable.size, dirty: this.pending.size, writes: this.st.writes, failedWrites: this.st.failedWrites, lastWriteMs: null, lastWriteBytes: null, lastWriteAt: null, bytesWritten: 0, journalBytes: 0, compactions: 0, lastCompactionMs: null };
  }
}

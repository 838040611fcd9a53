/**
 * Contract of the durable store behind nodes.yaml. Implemented in ./nodes-file.ts.
 *
 * Records are plain JSON-able objects with a string `id`. The store never interprets them: the
 * domain validates what `load` returns. Writes are atomic (temp file, fsync, rename, fsync of the
 * folder), grouped (every commit() that arrives while a write is running is served by the next
 * write) and chunked (the event loop is never held for long, also with 100,000 records).
 */
export interface StoredRecord {
  id: string;
}

export interface NodeStore {
  /** Adds or replaces the record `id`; `source()` gives its current persisted form. Marks it dirty. */
  track(id: string, source: () => StoredRecord): void;
  /** The record changed in a way that may be written a little later (heartbeat telemetry). */
  markDirty(id: string): void;
  /** Drops the record from the file (on the next write). */
  remove(id: string): void;
  /**
   * Resolves once a write that started after this call has reached the disk, i.e. every change
   * tracked/marked/removed before the call is durable. Rejects if that write failed.
   */
  commit(): Promise<void>;
  /** Final write of anything pending, then stops the store's timers. */
  close(): Promise<void>;
  stats(): NodeStoreStats;
}

export interface NodeStoreStats {
  records: number;
  dirty: number;
  writes: number;
  failedWrites: number;
  lastWriteMs: number | null;
  lastWriteBytes: number | null;
  lastWriteAt: string | null;
}

/**
 * Contract of the durable store behind nodes.yaml. Implemented in ./nodes-file.ts.
 *
 * Records are plain JSON-able objects with a string `id`. The store never interprets them: the
 * domain validates what `load` returns. Writes are atomic (temp file, fsync, rename, fsync of the
 * folder), grouped (every commit() that arrives while a write is running is served by the next
 * write) and chunked (the event loop is never held for long, also with 100,000 records).
 */
import type { PersistPort, StoredRecord } from '../actors/kernel/store.js';

export type { StoredRecord };

/**
 * The actors' {@link PersistPort} plus what the server needs to run the store. A put is written
 * within `lazyFlushMs` (2 s) even if nobody commits; commit() is for changes that must be durable
 * before a reply.
 */
export interface NodeStore extends PersistPort {
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

/**
 * Contract of the durable store behind nodes.yaml. Implemented in ./nodes-file.ts.
 *
 * Records are plain JSON-able objects with a string `id`. The store never interprets them: the
 * domain validates what the boot loads. Changes are appended to nodes.journal, grouped (every
 * commit() that arrives while an append is running is served by the next one); nodes.yaml is
 * rewritten by compaction only: atomically (temp file, fsync, rename, fsync of the folder) and in
 * slices (the event loop is never held for long, also with 100,000 records).
 */
import type { PersistPort, StoredRecord } from '../actors/kernel/store.js';

export type { StoredRecord };

/**
 * The actors' {@link PersistPort} plus what the server needs to run the store. A put is written
 * within `lazyFlushMs` (2 s) even if nobody commits; commit() is for changes that must be durable
 * before a reply.
 */
export interface NodeStore extends PersistPort {
  /** Final write of anything pending (a clean stop: one compacted nodes.yaml, no journal), then stops the store's timers. */
  close(): Promise<void>;
  stats(): NodeStoreStats;
  /**
   * Writes one consistent snapshot of everything committed so far to `path` (mode 0600, temp file
   * beside it, fsync, rename), `note` as a comment in its header; its size and SHA-256.
   */
  backup(path: string, note: string): Promise<{ bytes: number; sha256: string }>;
}

export interface NodeStoreStats {
  records: number;
  dirty: number;
  writes: number;
  failedWrites: number;
  lastWriteMs: number | null;
  lastWriteBytes: number | null;
  lastWriteAt: string | null;
  /** Bytes written by appends and snapshots since the start (the bench's disk figure). */
  bytesWritten: number;
  journalBytes: number;
  compactions: number;
  lastCompactionMs: number | null;
}

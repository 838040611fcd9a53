/**
 * The persist port: how an actor hands what must be durable to the store (nodes.yaml). State
 * flows one way — the actor pushes its persisted form; the store never reaches into an actor.
 * Implemented by src/persist/nodes-file.ts (and by the in-memory store tests use).
 */
export interface StoredRecord {
  id: string;
}

export interface PersistPort {
  /** The record `id` is now `record` (a plain JSON-able object the actor will not mutate). */
  put(id: string, record: StoredRecord): void;
  /** The record `id` is gone. */
  remove(id: string): void;
  /**
   * Resolves once a write that started after this call has reached the disk: everything put or
   * removed before the call is durable. Rejects if that write failed.
   */
  commit(): Promise<void>;
}

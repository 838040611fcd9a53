/**
 * The lines of nodes.journal (one JSON object per line, appended; docs/architecture.md#nodesyaml-and-its-journal):
 *
 *   {"journal":"hydracluster-journal/1","follows":{"snapshot":"snap-…","sha256":"…"},"seq":0}   first line
 *   {"seq":7,"put":{…record…}}                          a new record, or one changed in most fields
 *   {"seq":8,"id":"node-…","set":{"last_seen":"…"}}     changed fields ("unset":[keys] for removed ones)
 *   {"seq":9,"del":"node-…"}                            a removed record
 *   {"compacted":{"snapshot":"snap-…","sha256":"…","through":9}}
 *
 * The first line names the snapshot the journal follows (its id, and the SHA-256 of the file's
 * bytes: a hand edit changes it). `seq` grows by one per change. A `compacted` line is written
 * before a new snapshot replaces nodes.yaml: that snapshot holds every change up to `through`, so a
 * crash between the rename and the journal's own replacement still replays the right lines.
 */
import { toJson } from './snapshot-write.js';
import type { StoredRecord } from './nodes-store.js';

export const JOURNAL_FORMAT = 'hydracluster-journal/1';
/** What a marker line starts with (found by its first bytes, without parsing every line). */
export const MARK_PREFIX = '{"compacted":';

export interface SnapshotRef {
  /** The snapshot's `snapshot:` id; null for a file without one (older, or written by hand). */
  snapshot: string | null;
  /** SHA-256 of nodes.yaml's bytes; null: there was no nodes.yaml. */
  sha256: string | null;
}

export const headerLine = (follows: SnapshotRef, seq: number): string => JSON.stringify({ journal: JOURNAL_FORMAT, follows, seq }) + '\n';
export const markLine = (to: SnapshotRef, through: number): string => JSON.stringify({ compacted: { ...to, through } }) + '\n';

/**
 * The line that turns `base` into `next` (null: removed), or null when they hold the same. Fields
 * are compared by identity first (an actor's record keeps its unchanged fields' objects), then by
 * their JSON.
 */
export function changeLine(seq: number, id: string, base: StoredRecord | null, next: StoredRecord | null): string | null {
  if (next === null) return base === null ? null : `{"seq":${seq},"del":${JSON.stringify(id)}}\n`;
  if (base === null) return `{"seq":${seq},"put":${toJson(id, next)}}\n`;
  const b = base as unknown as Record<string, unknown>;
  const n = next as unknown as Record<string, unknown>;
  let set: Record<string, unknown> | null = null;
  let keys = 0;
  for (const k in n) {
    keys++;
    const v = n[k];
    if (v === undefined || v === b[k]) continue; // undefined: absent in JSON (see unset below)
    if (typeof v === 'object' && v !== null && typeof b[k] === 'object' && JSON.stringify(v) === JSON.stringify(b[k])) continue;
    (set ??= {})[k] = v;
  }
  let unset: string[] | null = null;
  for (const k in b) if (b[k] !== undefined && n[k] === undefined) (unset ??= []).push(k);
  if (set === null && unset === null) return null;
  const changed = (set ? Object.keys(set).length : 0) + (unset?.length ?? 0);
  if (changed * 2 > keys) return `{"seq":${seq},"put":${toJson(id, next)}}\n`;
  const body = `{"seq":${seq},"id":${JSON.stringify(id)}` + (set ? `,"set":${toJson(id, set)}` : '') + (unset ? `,"unset":${JSON.stringify(unset)}` : '');
  return body + '}\n';
}

/** A change line as parsed; anything else is not one. */
export type Change =
  | { seq: number; put: StoredRecord & Record<string, unknown> }
  | { seq: number; id: string; set?: Record<string, unknown>; unset?: string[] }
  | { seq: number; del: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The change a parsed line holds, or null if it is not a well-formed change line. */
export function asChange(v: unknown): Change | null {
  if (!isObject(v) || !Number.isSafeInteger(v.seq)) return null;
  if ('put' in v) return isObject(v.put) && typeof v.put.id === 'string' ? (v as Change) : null;
  if ('del' in v) return typeof v.del === 'string' ? (v as Change) : null;
  if (typeof v.id !== 'string') return null;
  if (v.set !== undefined && !isObject(v.set)) return null;
  if (v.unset !== undefined && !(Array.isArray(v.unset) && v.unset.every((k) => typeof k === 'string'))) return null;
  return v as Change;
}

/** Applies one change to the records by id (set/unset change the record object in place). */
export function applyChange(records: Map<string, Record<string, unknown>>, c: Change): void {
  if ('put' in c) {
    records.set(c.put.id, c.put);
  } else if ('del' in c) {
    records.delete(c.del);
  } else {
    const r = records.get(c.id);
    if (!r) return; // a record this server never wrote: nothing to change
    if (c.set) Object.assign(r, c.set);
    if (c.unset) for (const k of c.unset) delete r[k];
  }
}

/**
 * Writing one nodes.yaml snapshot: compaction (./nodes-file.ts) and `hydracluster backup` both use
 * it. One JSON object per line, which is also a YAML 1.2 flow mapping, so the file loads fast
 * (JSON.parse per line, see nodes-load.ts) yet stays real YAML that an operator may hand-edit.
 * Written to a temp file, fsynced, renamed over the target, the folder fsynced: a reader never sees
 * it half-written. The work runs in slices bounded by time and record count, the event loop yielded
 * between them while a slice is written out.
 */
import { createHash } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { FORMAT, ITEM, NL } from './nodes-format.js';
import type { StoredRecord } from './nodes-store.js';

// Legal raw in JSON strings, but YAML 1.2 forbids them (C1, DEL, U+FFFE/F) or editors and YAML 1.1
// tools take them for line breaks (U+2028/9, NEL); the \u escape means the same in JSON and YAML.
const UNSAFE = /[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g;
const escapeChar = (c: string): string => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0');
// Platforms (Windows, some network filesystems) refuse to open or fsync a directory.
const DIR_SYNC_UNSUPPORTED = new Set(['EISDIR', 'EPERM', 'EACCES', 'EINVAL', 'ENOTSUP', 'EBADF']);
/** Bytes of the write buffer; a slice is written once it holds this much (a larger record gets its own). */
const WRITE_BUFFER_BYTES = 1 << 20;

/**
 * A record's JSON, safe as a YAML flow mapping. Throws naming the record when it cannot be
 * serialized or is not an object.
 */
export function toJson(id: string, record: unknown): string {
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

/** Writes `len` bytes of `buf` at the file's position (or at `position`); returns `len`. */
export async function writeAll(fh: FileHandle, buf: Buffer, len: number, position?: number): Promise<number> {
  for (let off = 0; off < len; ) {
    const { bytesWritten } = await fh.write(buf, off, len - off, position === undefined ? null : position + off);
    if (bytesWritten <= 0) throw new Error('short write');
    off += bytesWritten;
  }
  return len;
}

/** fsync of a folder, so a rename or a new file in it survives a crash (skipped where unsupported). */
export async function syncDir(dir: string): Promise<void> {
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

export interface SnapshotHeader {
  /** `snap-<ULID>`: named by the journal that follows this snapshot, and in messages. */
  snapshot: string;
  writtenAt: string;
  /** An extra comment line (a backup says what it is). */
  note?: string;
}

const header = (h: SnapshotHeader, count: number): string =>
  '# HydraCluster durable state. Written by the hydracluster server; edit only while it is stopped.\n' +
  '# One record per line (YAML flow mapping). While the server runs, changes since this snapshot are\n' +
  '# in nodes.journal beside it: copy this file with the server stopped, or use `hydracluster backup`.\n' +
  (h.note ? `# ${h.note}\n` : '') +
  `format: ${FORMAT}\nsnapshot: "${h.snapshot}"\nwritten_at: "${h.writtenAt}"\ncount: ${count}\n${count === 0 ? 'nodes: []' : 'nodes:'}\n`;

export interface SnapshotOptions {
  /** A slice ends after this many records or after `sliceMs` of synchronous work, whichever first. */
  chunkRecords: number;
  sliceMs: number;
  /** Mode of the new file (0600: it holds token hashes). */
  mode?: number;
}

export interface WrittenSnapshot {
  bytes: number;
  sha256: string;
}

/**
 * Writes `records` (in order) as a snapshot into `tmp` (created 0600, fsynced, closed). Throws
 * (the file removed) if any step fails. {@link replaceWith} then puts it in place.
 */
export async function writeSnapshotFile(tmp: string, records: readonly StoredRecord[], h: SnapshotHeader, opts: SnapshotOptions): Promise<WrittenSnapshot> {
  const hash = createHash('sha256');
  let fh: FileHandle | null = null;
  let bytes = 0;
  try {
    await rm(tmp, { force: true }); // a stale temp file would keep its old mode
    fh = await open(tmp, 'w', opts.mode ?? 0o600);
    // One buffer, reused by every slice (a slice is written out before the next one starts).
    let buf = Buffer.allocUnsafeSlow(WRITE_BUFFER_BYTES);
    let off = buf.write(header(h, records.length));
    let i = 0;
    do {
      const until = performance.now() + opts.sliceMs;
      const last = Math.min(i + opts.chunkRecords, records.length);
      while (i < last) {
        const r = records[i]!;
        const json = toJson(r.id, r);
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
      hash.update(buf.subarray(0, off));
      bytes += await writeAll(fh, buf, off); // yields the event loop until the slice is written
      off = 0;
    } while (i < records.length);
    await fh.sync();
    await fh.close();
    fh = null;
    return { bytes, sha256: hash.digest('hex') };
  } catch (e) {
    await fh?.close().catch(() => {});
    await rm(tmp, { force: true }).catch(() => {});
    throw e;
  }
}

/** Renames `tmp` over `path` and fsyncs the folder: `path` is the old file or the new, never half of one. */
export async function replaceWith(tmp: string, path: string): Promise<void> {
  await rename(tmp, path);
  await syncDir(dirname(path));
}

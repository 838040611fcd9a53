/**
 * Boot: nodes.yaml (the snapshot), then nodes.journal replayed over it (docs/architecture.md#nodesyaml-and-its-journal). The journal
 * must follow this very nodes.yaml (by the SHA-256 of its bytes): one edited after a crash while
 * a journal remained stops the start, naming both files, rather than replaying over the edit or
 * dropping the journal. A torn last line (a crash during an append) is not applied; the store cuts
 * it off before appending again.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { applyChange, asChange, JOURNAL_FORMAT, MARK_PREFIX, type SnapshotRef } from './journal-lines.js';
import { loadNodesFile, type LoadedNodesFile } from './nodes-load.js';
import { NL } from './nodes-format.js';

const READ_CHUNK_BYTES = 1 << 20;

/** `<dir>/nodes.journal` beside `<dir>/nodes.yaml`. */
export const journalPathOf = (path: string): string => join(dirname(path), `${basename(path, '.yaml')}.journal`);

export interface LoadedJournal {
  path: string;
  follows: SnapshotRef;
  /** Bytes up to the end of the last complete line (what follows is a torn append, cut off). */
  goodBytes: number;
  /** The highest seq written, and how many change lines were applied. */
  lastSeq: number;
  replayed: number;
  changes: number;
}

export interface LoadedState extends LoadedNodesFile {
  /** The journal replayed over nodes.yaml; null when there is none (or it holds no change). */
  journal: LoadedJournal | null;
}

/** nodes.yaml and nodes.journal do not belong together: the start stops with this message. */
export class JournalMismatchError extends Error {}

type Header = { journal: string; follows: SnapshotRef; seq: number };
type Mark = { compacted: SnapshotRef & { through: number } };

/** Reads nodes.yaml and replays nodes.journal over it; throws naming the file (and line) on a problem. */
export async function loadState(path: string): Promise<LoadedState> {
  const snap = await loadNodesFile(path);
  const jpath = journalPathOf(path);
  let fh: FileHandle;
  try {
    fh = await open(jpath, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ...snap, journal: null };
    throw err;
  }
  try {
    // Pass 1: the header and the compaction marks (found by their first bytes), to know which
    // lines nodes.yaml already holds before any change is applied.
    let header: Header | null = null;
    let changes = 0;
    const marks: Array<Mark | null> = [];
    await eachLine(fh, (buf, s, e, no, complete) => {
      if (no === 1) header = complete ? parseHeader(buf.toString('utf8', s, e)) : null;
      else if (!isMark(buf, s, e)) changes++;
      else if (complete) marks.push(parseMark(buf.toString('utf8', s, e)));
    });
    const h = header as Header | null;
    if (h === null) {
      if (changes > 0) throw new Error(`${jpath}: line 1 is not a hydracluster journal header`);
      return { ...snap, journal: null }; // torn at its creation: it never held an acknowledged change
    }
    const through = h.follows.sha256 === snap.sha256 ? h.seq : markFor(marks, snap.sha256);
    if (through === undefined) {
      if (changes === 0) return { ...snap, journal: null }; // nothing to replay over the edit, nothing lost
      throw new JournalMismatchError(mismatch(path, jpath, snap, h.follows, changes));
    }
    // Pass 2: the changes after `through`, in order.
    const records = byId(path, snap.records);
    let lastSeq = h.seq;
    let replayed = 0;
    let goodBytes = 0;
    let bad: number | null = null;
    await eachLine(fh, (buf, s, e, no, complete, end) => {
      if (no === 1) return void (goodBytes = end);
      let c: ReturnType<typeof asChange> = null;
      let mark = false;
      const plain = complete ? plainSet(buf, s, e) : null;
      if (plain !== null) {
        if (plain.seq <= lastSeq) return void (bad ??= no);
        if (bad !== null) throw new Error(`${jpath}: line ${bad} is not a journal change, yet later lines are (damaged file?)`);
        goodBytes = end;
        lastSeq = plain.seq;
        if (plain.seq > through) {
          const r = records.get(plain.id);
          if (r) r[plain.key] = plain.value; // the common line: no object built, none merged
          replayed++;
        }
        return;
      }
      if (complete) {
        try {
          const v: unknown = JSON.parse(buf.toString('utf8', s, e));
          mark = isMark(buf, s, e);
          c = mark ? null : asChange(v);
        } catch {
          c = null;
        }
      }
      if (!mark && (c === null || c.seq <= lastSeq)) return void (bad ??= no);
      if (bad !== null) throw new Error(`${jpath}: line ${bad} is not a journal change, yet later lines are (damaged file?)`);
      goodBytes = end;
      if (c === null) return;
      lastSeq = c.seq;
      if (c.seq > through) {
        applyChange(records, c);
        replayed++;
      }
    });
    const journal = { path: jpath, follows: h.follows, goodBytes, lastSeq, replayed, changes };
    return { ...snap, records: [...records.values()], journal };
  } finally {
    await fh.close().catch(() => {});
  }
}

function parseHeader(line: string): Header | null {
  try {
    const v = JSON.parse(line) as Partial<Header> | null;
    return v?.journal === JOURNAL_FORMAT && typeof v.follows === 'object' && Number.isSafeInteger(v.seq) ? (v as Header) : null;
  } catch {
    return null;
  }
}

function parseMark(line: string): Mark | null {
  try {
    const v = JSON.parse(line) as Partial<Mark> | null;
    return typeof v?.compacted?.sha256 === 'string' && Number.isSafeInteger(v.compacted.through) ? (v as Mark) : null;
  } catch {
    return null; // judged as a damaged line by the second pass
  }
}

/** `through` of the last mark naming the snapshot `sha256` (the nodes.yaml a compaction put in place). */
function markFor(marks: Array<Mark | null>, sha256: string | null): number | undefined {
  for (let i = marks.length - 1; i >= 0; i--) if (sha256 !== null && marks[i]?.compacted.sha256 === sha256) return marks[i]!.compacted.through;
  return undefined;
}

function byId(path: string, records: unknown[]): Map<string, Record<string, unknown>> {
  const m = new Map<string, Record<string, unknown>>();
  records.forEach((r, i) => {
    const id = (r as { id?: unknown } | null)?.id;
    if (typeof id !== 'string') throw new Error(`${path}: record #${i + 1} has no id`);
    if (m.has(id)) throw new Error(`nodes.yaml: node ${id} appears twice`);
    m.set(id, r as Record<string, unknown>);
  });
  return m;
}

const short = (sha: string | null): string => (sha === null ? 'none (no file)' : sha.slice(0, 16));

function mismatch(path: string, jpath: string, snap: LoadedNodesFile, follows: SnapshotRef, changes: number): string {
  return (
    `${path} does not match ${jpath}: the journal holds ${changes} change(s) made after snapshot ${follows.snapshot ?? '(unnamed)'} ` +
    `(sha256 ${short(follows.sha256)}…) that were not yet compacted when the server stopped without a clean shutdown, but ${path} ` +
    `is now snapshot ${snap.snapshot ?? '(unnamed)'} (sha256 ${short(snap.sha256)}…): it was changed or replaced after the crash. ` +
    `Refusing to start rather than replay the journal over it or drop the journal. Either put back the nodes.yaml the journal ` +
    `follows and start again, or move ${jpath} away to start from ${path} as it is (the journal's changes are then lost).`
  );
}

const SEQ = Buffer.from('{"seq":');
const ID = Buffer.from(',"id":"');
const SET = Buffer.from('","set":{"');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * The most common line, `{"seq":N,"id":"X","set":{"K":"V"}}` with plain strings (no escapes: a
 * `last_seen` refresh), read straight from the bytes; null for anything else (JSON.parse decides).
 */
function plainSet(buf: Buffer, s: number, e: number): { seq: number; id: string; key: string; value: string } | null {
  if (!bytesAt(buf, s, SEQ)) return null;
  let i = s + SEQ.length;
  let seq = 0;
  for (; i < e && buf[i]! >= 0x30 && buf[i]! <= 0x39 && i - s < 24; i++) seq = seq * 10 + buf[i]! - 0x30;
  if (!bytesAt(buf, i, ID)) return null;
  const idStart = i + ID.length;
  const idEnd = plainEnd(buf, idStart, e);
  if (idEnd < 0 || !bytesAt(buf, idEnd, SET)) return null;
  const keyStart = idEnd + SET.length;
  const keyEnd = plainEnd(buf, keyStart, e);
  if (keyEnd < 0 || buf[keyEnd + 1] !== 0x3a || buf[keyEnd + 2] !== QUOTE) return null; // ":"
  const valStart = keyEnd + 3;
  const valEnd = plainEnd(buf, valStart, e);
  if (valEnd < 0 || valEnd + 3 !== e || buf[valEnd + 1] !== 0x7d || buf[valEnd + 2] !== 0x7d) return null; // "}}
  if (!Number.isSafeInteger(seq)) return null;
  return { seq, id: buf.toString('utf8', idStart, idEnd), key: buf.toString('utf8', keyStart, keyEnd), value: buf.toString('utf8', valStart, valEnd) };
}

/** `want` is at buf[i…] (byte by byte: Buffer.compare with offsets costs more than these few bytes). */
function bytesAt(buf: Buffer, i: number, want: Buffer): boolean {
  if (i + want.length > buf.length) return false;
  for (let k = 0; k < want.length; k++) if (buf[i + k] !== want[k]) return false;
  return true;
}

/** The index of the quote that ends a string starting at `i`, or -1 if it holds an escape or runs out. */
function plainEnd(buf: Buffer, i: number, e: number): number {
  for (; i < e; i++) {
    const c = buf[i];
    if (c === QUOTE) return i;
    if (c === BACKSLASH) return -1;
  }
  return -1;
}

const MARK = Buffer.from(MARK_PREFIX);
/** The line buf[s, e) starts with a `compacted` mark (a byte comparison: no string per line). */
const isMark = (buf: Buffer, s: number, e: number): boolean => e - s >= MARK.length && bytesAt(buf, s, MARK);

/**
 * Calls `fn` for every line of the file, read in chunks into one reused buffer: the line is
 * buf[s, e) without its newline; `no` counts from 1; `complete` is false for a last line without a
 * newline; `end` is the file offset just past the line (and its newline).
 */
async function eachLine(fh: FileHandle, fn: (buf: Buffer, s: number, e: number, no: number, complete: boolean, end: number) => void): Promise<void> {
  let buf = Buffer.allocUnsafeSlow(READ_CHUNK_BYTES);
  let len = 0;
  let base = 0; // file offset of buf[0]
  let no = 0;
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
    for (let nl = data.indexOf(NL, s); nl !== -1; s = nl + 1, nl = data.indexOf(NL, s)) fn(data, s, nl, ++no, true, base + nl + 1);
    if (bytesRead === 0) {
      if (s < len) fn(data, s, len, ++no, false, base + len);
      return;
    }
    buf.copyWithin(0, s, len);
    len -= s;
    base += s;
  }
}

/**
 * Loading nodes.yaml. The layout {@link NodesFile} writes is read in chunks and parsed line by line
 * with JSON.parse (100,000 records in about a second); any other YAML (an operator's hand edit) is
 * parsed with the `yaml` package.
 */
import { createHash, type Hash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { isMap, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { FORMAT, ITEM, NL } from './nodes-format.js';

/** Bytes read from nodes.yaml at a time on load; a longer line grows the buffer. */
const READ_CHUNK_BYTES = 1 << 20;
/** What was read of nodes.yaml: its records (unvalidated), how, and which snapshot it is. */
export interface LoadedNodesFile {
  records: unknown[];
  source: 'absent' | 'fast' | 'yaml';
  /** The `snapshot:` id of its header (null: absent file, or a file without one). */
  snapshot: string | null;
  /** SHA-256 (hex) of the file's bytes; null when absent. The journal names its snapshot by it. */
  sha256: string | null;
  bytes: number;
}

/**
 * Reads nodes.yaml. A missing file yields no records. The file as written by {@link NodesFile} is
 * read line by line with JSON.parse; anything else (e.g. hand-edited block style) is parsed as
 * YAML. Records are returned unvalidated. Throws an Error naming the file and line if the file is
 * neither. `readChunkBytes` is for tests (chunk boundaries).
 */
export async function loadNodesFile(path: string, opts: { readChunkBytes?: number } = {}): Promise<LoadedNodesFile> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], source: 'absent', snapshot: null, sha256: null, bytes: 0 };
    throw err;
  }
  try {
    const hash = createHash('sha256');
    const fast = await readFast(fh, path, Math.max(1, opts.readChunkBytes ?? READ_CHUNK_BYTES), hash);
    if (fast) return { records: fast.records, source: 'fast', snapshot: fast.snapshot, sha256: hash.digest('hex'), bytes: fast.bytes };
    // Same file (even if it was replaced meanwhile): readFast only did positioned reads, so this
    // reads from the start.
    const raw = await fh.readFile();
    const text = raw.toString('utf8');
    const records = parseYaml(text, path);
    return { records, source: 'yaml', snapshot: snapshotOf(text), sha256: createHash('sha256').update(raw).digest('hex'), bytes: raw.length };
  } finally {
    await fh.close().catch(() => {});
  }
}

const SNAPSHOT_LINE = /^snapshot: "([\w-]+)"$/;
const snapshotOf = (text: string): string | null => {
  for (const l of text.split('\n', 12)) {
    const m = SNAPSHOT_LINE.exec(l);
    if (m) return m[1]!;
  }
  return null;
};

/**
 * The exact layout {@link NodesFile} writes, or null to make the caller fall back to YAML (as soon
 * as a line does not fit it). Reads the file in chunks into one reused buffer and decodes line by
 * line: no copy of the whole file as a string (at ~90 MB, fresh memory alone costs a lot).
 */
async function readFast(fh: FileHandle, path: string, chunk: number, hash: Hash): Promise<{ records: unknown[]; snapshot: string | null; bytes: number } | null> {
  const p = new FastParser(path);
  let buf = Buffer.allocUnsafeSlow(chunk);
  let len = 0; // bytes of buf holding data (an incomplete line carried over, then what was read)
  for (let pos = 0; ; ) {
    if (len === buf.length) {
      const bigger = Buffer.allocUnsafeSlow(buf.length * 2);
      buf.copy(bigger, 0, 0, len);
      buf = bigger;
    }
    const { bytesRead } = await fh.read(buf, len, buf.length - len, pos);
    hash.update(buf.subarray(len, len + bytesRead));
    pos += bytesRead;
    len += bytesRead;
    const data = buf.subarray(0, len);
    let s = 0;
    for (let nl = data.indexOf(NL, s); nl !== -1; s = nl + 1, nl = data.indexOf(NL, s)) {
      if (!p.line(data, s, nl)) return null;
    }
    if (bytesRead === 0) {
      if (s < len && !p.line(data, s, len)) return null; // last line without a newline
      const records = p.end();
      return records && { records, snapshot: p.snapshot, bytes: pos };
    }
    buf.copyWithin(0, s, len);
    len -= s;
  }
}

/** Line by line state of {@link readFast}; accepts only what the writer emits, each key once. */
class FastParser {
  private readonly records: unknown[] = [];
  private lineNo = 0;
  private section: 'header' | 'nodes' | 'empty' = 'header';
  private format = false;
  private count = -1;
  private countLine = 0;
  snapshot: string | null = null;

  constructor(private readonly path: string) {}

  /** Takes the line buf[s, e) (without its newline); false if it is not the fast layout. */
  line(buf: Buffer, s: number, e: number): boolean {
    this.lineNo++;
    if (this.section === 'nodes') {
      // '  - {': the record's JSON starts at the brace.
      if (e - s < 5 || buf[s] !== 0x20 || buf[s + 1] !== 0x20 || buf[s + 2] !== 0x2d || buf[s + 3] !== 0x20 || buf[s + 4] !== 0x7b) return false;
      try {
        this.records.push(JSON.parse(buf.toString('utf8', s + ITEM.length, e)));
      } catch {
        return false;
      }
      return true;
    }
    if (this.section === 'empty') return false; // nothing may follow 'nodes: []'
    // Header: a handful of lines, compared as strings. Anything unexpected is left to the YAML parser to judge.
    const l = buf.toString('utf8', s, e);
    if (l === 'nodes:' || l === 'nodes: []') {
      if (!this.format || this.count < 0) return false;
      this.section = l === 'nodes:' ? 'nodes' : 'empty';
    } else if (l === `format: ${FORMAT}` && !this.format) this.format = true;
    else if (/^count: \d+$/.test(l) && this.count < 0) [this.count, this.countLine] = [Number(l.slice(7)), this.lineNo];
    else if (SNAPSHOT_LINE.test(l) && this.snapshot === null) this.snapshot = SNAPSHOT_LINE.exec(l)![1]!;
    else if (!(l === '' || l.startsWith('#') || /^written_at: "[\w:.+-]*"$/.test(l))) return false;
    return true;
  }

  /** At the end of the file: the records, null if the header never ended, or a count mismatch. */
  end(): unknown[] | null {
    if (this.section === 'header') return null;
    if (this.records.length !== this.count) throw countMismatch(this.path, this.countLine, this.count, this.records.length);
    return this.records;
  }
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

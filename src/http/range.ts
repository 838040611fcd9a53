/**
 * One `Range: bytes=…` header against a file of `size` bytes (RFC 9110 §14). Only a single range
 * is served as 206; several ranges are answered with the whole file (allowed, and no client here
 * needs multipart). A range starting at or past the end is unsatisfiable (416).
 */

/** Inclusive byte positions. */
export interface ByteRange {
  start: number;
  end: number;
}

const SINGLE = /^bytes=(\d*)-(\d*)$/;

/** The range to send: null for the whole file, `unsatisfiable` for a 416. */
export function parseRange(header: string | undefined, size: number): ByteRange | null | 'unsatisfiable' {
  if (header === undefined) return null;
  const m = SINGLE.exec(header.trim());
  if (!m) return null; // another unit, several ranges, or malformed: ignored, as RFC 9110 allows
  const [, first, last] = m;
  if (first === '' && last === '') return null;
  if (first === '') {
    // bytes=-N: the last N bytes
    const n = Number(last);
    if (n === 0) return 'unsatisfiable';
    return size === 0 ? 'unsatisfiable' : { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return null; // invalid: ignored
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

/** Whether an `If-None-Match` header names this ETag (or `*`). */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((t) => {
    const v = t.trim();
    return v === '*' || v === etag || v === `W/${etag}`;
  });
}

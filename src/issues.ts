/**
 * Readable, bounded text from zod issues, shared by request validation (400s) and config loading.
 * Names and paths come from the input, so each is cut to a few dozen characters and lists name only
 * the first few: a 50,000-key body must not produce a half-megabyte error message.
 */
import type { z } from 'zod';

type Issue = z.ZodError['issues'][number];

/** A name (field, key, path segment) is shown with at most this many characters. */
export const MAX_NAME_CHARS = 64;
/** A list of unknown keys names at most this many, then says how many more. */
export const MAX_LISTED_KEYS = 5;
/** No message built here is longer than this. */
export const MAX_MESSAGE_CHARS = 512;

/** One name as shown in a message: control characters escaped, cut at MAX_NAME_CHARS. */
export function showName(name: string): string {
  const cut = name.length > MAX_NAME_CHARS ? `${name.slice(0, MAX_NAME_CHARS)}…` : name;
  return cut.replace(/[\u0000-\u001f\u007f]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** `a.b[2].c`, each segment bounded; `sep` joins object keys. */
export function fieldPath(path: ReadonlyArray<PropertyKey>, sep = '.'): string {
  return path.reduce<string>((acc, p) => {
    if (typeof p === 'number') return `${acc}[${p}]`;
    const seg = showName(String(p));
    return acc ? `${acc}${sep}${seg}` : seg;
  }, '');
}

/** "`a`, `b`, `c`" for up to MAX_LISTED_KEYS names, then "and N more". */
export function listNames(names: ReadonlyArray<string>): string {
  const shown = names.slice(0, MAX_LISTED_KEYS).map((k) => `\`${showName(k)}\``).join(', ');
  const more = names.length - MAX_LISTED_KEYS;
  return more > 0 ? `${shown} and ${more} more` : shown;
}

/** The issue's own sentence, with any unknown keys listed in bounded form. */
export function issueText(issue: Issue): string {
  if (issue.code === 'unrecognized_keys') {
    return `unknown ${issue.keys.length === 1 ? 'field' : 'fields'} ${listNames(issue.keys)}`;
  }
  return bound(issue.message.replace(/^Invalid (input|option): /, ''));
}

/** Cuts any text to MAX_MESSAGE_CHARS. */
export function bound(text: string): string {
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)}…` : text;
}

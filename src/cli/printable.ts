/**
 * What the CLI prints of the server's text reaches an operator's terminal: a name holding ESC
 * sequences, C1 controls or bidi overrides could fake or hide a row (issue 18). Whatever the
 * server says — a name stored before it refused them, a hostname an agent reported, an error
 * message — goes through here first and comes out with every such character as a visible escape.
 *
 * Escaped: controls (C0, DEL, C1), format characters (bidi marks, embeddings, overrides and
 * isolates, zero-width space, soft hyphen, BOM, tag characters…), the line and paragraph
 * separators and lone surrogates. Kept: ZWNJ and ZWJ (U+200C/D), which scripts and emoji need and
 * which move nothing. A remote command's own output (`exec`, `shell`) is not the server's text
 * and stays byte for byte.
 */

const INVISIBLE = /(?![\u200c\u200d])[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');

/** `\x1b` for a control up to U+00FF, `\u202e` for the rest of the BMP, `\u{e0001}` beyond it. */
function escapeChar(ch: string): string {
  const cp = ch.codePointAt(0)!;
  if (cp <= 0xff) return `\\x${hex(cp, 2)}`;
  return cp <= 0xffff ? `\\u${hex(cp, 4)}` : `\\u{${hex(cp, 1)}}`;
}

/** `s` with every invisible or cursor-moving character shown as an escape. */
export function printable(s: string): string {
  return s.replace(INVISIBLE, escapeChar);
}

/** JSON's own escape: `\uXXXX`, a surrogate pair beyond the BMP. */
function jsonEscape(ch: string): string {
  let out = '';
  for (let i = 0; i < ch.length; i++) out += `\\u${hex(ch.charCodeAt(i), 4)}`;
  return out;
}

/**
 * `v` as indented JSON, a line at the end, that is safe to print: JSON.stringify escapes C0
 * controls but not DEL, C1 or bidi characters; those are written as `\uXXXX`, which any JSON
 * reader reads back as the same string. (Outside strings, stringify writes only `\n` and spaces.)
 */
export function printableJson(v: unknown, indent = 2): string {
  return `${(JSON.stringify(v, null, indent) ?? String(v)).replace(INVISIBLE, (ch) => (ch === '\n' ? ch : jsonEscape(ch)))}\n`;
}

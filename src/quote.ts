/**
 * Quoting values into the shell text the server writes for nodes (install commands, the heads'
 * screenshot and log commands). Pure string functions, shared by the HTTP layer and the actors.
 */

/**
 * The characters PowerShell's tokenizer takes as a single quote: `'` and U+2018–U+201B (‘ ’ ‚ ‛).
 * Any of them ends a single-quoted string, and any of them followed by another is one quote char.
 */
export const PS_SINGLE_QUOTES = ["'", '\u2018', '\u2019', '\u201a', '\u201b'] as const;
const PS_SINGLE_QUOTE_RE = /['\u2018-\u201b]/g;

/** A PowerShell single-quoted string holding `s` verbatim: every quote character doubled. */
export function psQuote(s: string): string {
  return `'${s.replace(PS_SINGLE_QUOTE_RE, (q) => q + q)}'`;
}

/** A bash single-quoted word holding `s` verbatim. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * A PowerShell expression whose value is `s`, written in ASCII only: the UTF-8 bytes in base64.
 * For values a node reported (a head's `log_path`): nothing in them is ever read as script text,
 * whatever quote characters they hold and however the script's text is carried to PowerShell.
 */
export function psStringFromBase64(s: string): string {
  return `[Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('${Buffer.from(s, 'utf8').toString('base64')}'))`;
}

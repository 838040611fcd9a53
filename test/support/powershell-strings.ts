/**
 * A model of how PowerShell's tokenizer reads string literals, enough to check the script text the
 * server writes: a single-quoted string opens and ends at any of ' ‘ ’ ‚ ‛ (U+0027, U+2018–U+201B)
 * and two quote characters in a row stand for the second one; a double-quoted string opens and ends
 * at any of " “ ” „ (U+0022, U+201C–U+201E), with backtick escapes and doubled quotes. Mirrors
 * CharExtensions.IsSingleQuote/IsDoubleQuote and Tokenizer.ScanStringLiteral/ScanStringExpandable
 * of PowerShell (there is no PowerShell on the test machine).
 */
export const isSingleQuote = (c: string | undefined): boolean => c !== undefined && /^['\u2018-\u201b]$/.test(c);
export const isDoubleQuote = (c: string | undefined): boolean => c !== undefined && /^["\u201c-\u201e]$/.test(c);

export interface Literal {
  kind: 'single' | 'double';
  value: string;
  start: number;
  /** Index just past the closing quote. */
  end: number;
}

/** Reads the single-quoted string opening at `start`; throws when it is not closed. */
export function readSingleQuoted(text: string, start: number): Literal {
  if (!isSingleQuote(text[start])) throw new Error(`no single quote at ${start}`);
  let value = '';
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i]!;
    if (isSingleQuote(c)) {
      if (!isSingleQuote(text[i + 1])) return { kind: 'single', value, start, end: i + 1 };
      i++;
      value += text[i];
      continue;
    }
    value += c;
  }
  throw new Error('unterminated single-quoted string');
}

function readDoubleQuoted(text: string, start: number): Literal {
  let value = '';
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i]!;
    if (c === '`' && i + 1 < text.length) {
      value += text[++i];
      continue;
    }
    if (isDoubleQuote(c)) {
      if (!isDoubleQuote(text[i + 1])) return { kind: 'double', value, start, end: i + 1 };
      i++;
      value += text[i];
      continue;
    }
    value += c;
  }
  throw new Error('unterminated double-quoted string');
}

/** Every string literal of a script, in order (comments and here-strings are not modelled). */
export function stringLiterals(script: string): Literal[] {
  const out: Literal[] = [];
  for (let i = 0; i < script.length; i++) {
    if (isSingleQuote(script[i])) out.push(readSingleQuoted(script, i));
    else if (isDoubleQuote(script[i])) out.push(readDoubleQuoted(script, i));
    else continue;
    i = out.at(-1)!.end - 1;
  }
  return out;
}

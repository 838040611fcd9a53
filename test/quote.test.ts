/**
 * Quoting for PowerShell and bash: a value quoted by psQuote reads back verbatim through a model of
 * PowerShell's tokenizer (every quote character PowerShell knows, mixed with anything else), and
 * through the real bash for shQuote; psStringFromBase64 writes only ASCII.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { installCommands } from '../src/http/install-commands.js';
import { PS_SINGLE_QUOTES, psQuote, psStringFromBase64, shQuote } from '../src/quote.js';
import { testConfig } from './support/harness.js';
import { isSingleQuote, readSingleQuoted, stringLiterals } from './support/powershell-strings.js';

/** Deterministic pseudo-random strings (mulberry32), so a failure names a value that reproduces. */
function randomStrings(count: number, seed: number): string[] {
  let a = seed;
  const next = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const alphabet = [...PS_SINGLE_QUOTES, '"', '\u201c', '\u201d', '\u201e', '`', '$', ';', ' ', '\n', '\\', 'a', 'Z', '0', 'é', '😀', '\uff07'];
  return Array.from({ length: count }, () => Array.from({ length: Math.floor(next() * 12) }, () => alphabet[Math.floor(next() * alphabet.length)]).join(''));
}

describe('psQuote', () => {
  it('when a value holds any of PowerShell’s quote characters, then the quoted form is one string literal holding the value verbatim', () => {
    for (const q of PS_SINGLE_QUOTES) expect(isSingleQuote(q), q).toBe(true);
    const values = [...PS_SINGLE_QUOTES.map((q) => `C:\\it${q}s\\x.log`), ...PS_SINGLE_QUOTES, PS_SINGLE_QUOTES.join(''), ...randomStrings(5000, 18)];
    for (const v of values) {
      const quoted = psQuote(v);
      expect(readSingleQuoted(quoted, 0), JSON.stringify(v)).toEqual({ kind: 'single', value: v, start: 0, end: quoted.length });
    }
  });

  it('when a path holds U+2019, then doubling only the ASCII quote would end the string early (the model tells them apart)', () => {
    const path = 'C:\\Users\\kiosk\\it\u2019s; Remove-Item C:\\ -Recurse; \u2019.log';
    const naive = `'${path.replace(/'/g, "''")}'`;
    expect(readSingleQuoted(naive, 0).end).toBeLessThan(naive.length);
    expect(stringLiterals(`$f = ${psQuote(path)}`)).toEqual([{ kind: 'single', value: path, start: 5, end: 5 + psQuote(path).length }]);
  });
});

describe('install commands', () => {
  it('when a configured URL holds U+2019, then the PowerShell install command still reads it as one string', () => {
    const url = 'http://hc.example/it\u2019s; iex x; \u2019';
    const server = { ...testConfig().server, public_url: url, agent_downloads: { windows: `${url}/agent.exe`, linux: '' } };
    const literals = stringLiterals(installCommands(server, 'hce_token', { manifest: null }).powershell).map((l) => l.value);
    // Each value is one whole literal: none was cut at the U+2019 inside it.
    expect(literals.filter((l) => l.includes('hc.example')).sort()).toEqual([url, `${url}/agent.exe`].sort());
    expect(literals).toContain('hce_token');
  });
});

describe('psStringFromBase64', () => {
  it('when a value holds any characters, then the expression is ASCII with one base64 literal that decodes to the value', () => {
    for (const v of ['C:\\it\u2019s\\x.log', ...randomStrings(500, 7)]) {
      const expr = psStringFromBase64(v);
      expect(/^[\x20-\x7e]*$/.test(expr), expr).toBe(true);
      const literals = stringLiterals(expr);
      expect(literals).toHaveLength(1);
      expect(Buffer.from(literals[0]!.value, 'base64').toString('utf8')).toBe(v);
    }
  });
});

describe('shQuote', () => {
  it('when a value holds quotes, spaces and shell syntax, then bash reads it back as one word', () => {
    for (const v of ["it's", "'", "a b $HOME `id` \"x\" ; \\ \u2019", ...randomStrings(20, 3)]) {
      const out = execFileSync('bash', ['-c', `printf '%s' ${shQuote(v)}`], { encoding: 'utf8' });
      expect(out, JSON.stringify(v)).toBe(v);
    }
  });
});

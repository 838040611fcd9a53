/**
 * What runs on a head for `/heads/{id}/screenshot` and `/heads/{id}/logs` (docs/api.md#heads-and-eligibility): a short
 * command per interpreter (bash on macOS/Linux heads, PowerShell on Windows heads), and the
 * reading of its output. Pure: no exec queue, no clock here.
 *
 * Screenshot: prints `age <seconds>` on its first line, then the file's bytes in base64; exits 3
 * with a message on stderr when the file is absent. Logs: the last {@link LOG_LINES} lines.
 */
import { psStringFromBase64, shQuote as shq } from '../../quote.js';
import type { Interpreter } from '../exec/machine.js';

export const LOG_LINES = 200;
/** Exit code of the capture commands when the file is not there. PowerShell lines are joined with `; `. */
export const ABSENT_EXIT = 3;

/** A path for bash: `~/…` stays relative to the head user's home, the rest is quoted. */
function bashPath(path: string): string {
  return path.startsWith('~/') ? `"$HOME"/${shq(path.slice(2))}` : shq(path);
}

/**
 * A path for PowerShell, outside the script's text: its UTF-8 bytes in base64 (the path is what a
 * head reported; PowerShell also ends quoted strings at U+2018–U+201B). `~\…` is under $HOME.
 */
function psPath(path: string): string {
  return /^~[\\/]/.test(path) ? `(Join-Path $HOME (${psStringFromBase64(path.slice(2))}))` : psStringFromBase64(path);
}

export function screenshotCommand(path: string, interpreter: Interpreter): string {
  if (interpreter === 'powershell') {
    return [
      `$f = ${psPath(path)}`,
      `if (-not (Test-Path -LiteralPath $f -PathType Leaf)) { [Console]::Error.WriteLine("no screenshot at $f"); exit ${ABSENT_EXIT} }`,
      '$i = Get-Item -LiteralPath $f',
      "'age ' + [int][Math]::Floor(((Get-Date).ToUniversalTime() - $i.LastWriteTimeUtc).TotalSeconds)",
      '[Convert]::ToBase64String([IO.File]::ReadAllBytes($i.FullName))',
    ].join('; ');
  }
  return [
    `f=${bashPath(path)}`,
    `if [ ! -f "$f" ]; then echo "no screenshot at $f" >&2; exit ${ABSENT_EXIT}; fi`,
    'm=$(stat -c %Y "$f" 2>/dev/null || stat -f %m "$f")',
    'echo "age $(( $(date +%s) - m ))"',
    "base64 < \"$f\" | tr -d '\\n'",
    'echo',
  ].join('\n');
}

export function logsCommand(path: string, interpreter: Interpreter): string {
  if (interpreter === 'powershell') {
    return [
      `$f = ${psPath(path)}`,
      `if (-not (Test-Path -LiteralPath $f -PathType Leaf)) { [Console]::Error.WriteLine("no log file at $f"); exit ${ABSENT_EXIT} }`,
      `Get-Content -LiteralPath $f -Tail ${LOG_LINES}`,
    ].join('; ');
  }
  return [`f=${bashPath(path)}`, `if [ ! -f "$f" ]; then echo "no log file at $f" >&2; exit ${ABSENT_EXIT}; fi`, `tail -n ${LOG_LINES} "$f"`].join('\n');
}

export type Screenshot = { ok: true; jpeg: Buffer; ageS: number } | { ok: false; why: string };

/** Reads the screenshot command's stdout; `maxAgeS`: older is stale. */
export function readScreenshot(stdout: string, maxAgeS: number): Screenshot {
  const nl = stdout.indexOf('\n');
  const first = (nl < 0 ? stdout : stdout.slice(0, nl)).trim();
  const m = /^age (-?\d+)$/.exec(first);
  if (!m) return { ok: false, why: 'the head did not report the screenshot age' };
  const ageS = Math.max(0, Number(m[1]));
  if (ageS > maxAgeS) return { ok: false, why: `the screenshot is ${ageS} s old (max_age_s ${maxAgeS}): is the screenshot loop running on the head?` };
  const b64 = stdout.slice(nl + 1).replace(/\s+/g, '');
  if (b64 === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return { ok: false, why: 'the head sent no screenshot bytes' };
  return { ok: true, jpeg: Buffer.from(b64, 'base64'), ageS };
}

/** The log command's stdout as lines (at most {@link LOG_LINES}, no line ends). */
export function readLogLines(stdout: string): string[] {
  const lines = stdout.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.slice(-LOG_LINES);
}

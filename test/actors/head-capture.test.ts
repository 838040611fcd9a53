/**
 * The commands a head runs for its screenshot and logs, run here with the real bash (paths with
 * quotes and `~/`), and the reading of their output (age, base64, stale, garbage, log lines).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ABSENT_EXIT, LOG_LINES, logsCommand, readLogLines, readScreenshot, screenshotCommand } from '../../src/actors/head/capture.js';
import { PS_SINGLE_QUOTES } from '../../src/quote.js';
import { tempDir } from '../agent/agent-process.js';
import { stringLiterals } from '../support/powershell-strings.js';

function bash(command: string, home: string): { code: number; stdout: string } {
  try {
    return { code: 0, stdout: execFileSync('bash', ['-c', command], { env: { PATH: process.env.PATH, HOME: home }, encoding: 'utf8' }) };
  } catch (e) {
    const err = e as { status: number; stdout: string };
    return { code: err.status, stdout: err.stdout };
  }
}

describe('head capture commands', () => {
  it("when the screenshot path has a quote and starts with ~/, then bash reads it from the head user's home", () => {
    const home = tempDir('hc-cap-');
    mkdirSync(join(home, "it's here"));
    const jpeg = Buffer.from([0xff, 0xd8, 1, 2, 3, 0xff, 0xd9]);
    writeFileSync(join(home, "it's here", 'shot.jpg'), jpeg);
    const out = bash(screenshotCommand("~/it's here/shot.jpg", 'bash'), home);
    expect(out.code).toBe(0);
    const s = readScreenshot(out.stdout, 60);
    expect(s.ok && s.jpeg.equals(jpeg)).toBe(true);
    const old = new Date(Date.now() - 3_600_000);
    utimesSync(join(home, "it's here", 'shot.jpg'), old, old);
    const stale = readScreenshot(bash(screenshotCommand("~/it's here/shot.jpg", 'bash'), home).stdout, 60);
    expect(stale.ok).toBe(false);
    expect(bash(screenshotCommand('/nonexistent/x.jpg', 'bash'), home).code).toBe(ABSENT_EXIT);
  });

  it('when the log has more lines than the tail, then the last ones come back without line ends', () => {
    const home = tempDir('hc-cap-');
    writeFileSync(join(home, 'a.log'), Array.from({ length: 300 }, (_, i) => `l${i}`).join('\r\n') + '\r\n');
    const out = bash(logsCommand(join(home, 'a.log'), 'bash'), home);
    const lines = readLogLines(out.stdout);
    expect(lines).toHaveLength(LOG_LINES);
    expect([lines[0], lines.at(-1)]).toEqual(['l100', 'l299']);
  });

  it('when the output is not age plus base64, then it is no screenshot', () => {
    expect(readScreenshot('hello', 60).ok).toBe(false);
    expect(readScreenshot('age 3\n', 60).ok).toBe(false);
    expect(readScreenshot('age 3\nnot*base64!\n', 60).ok).toBe(false);
    expect(readScreenshot('age 61\n/9j/2Q==\n', 60).ok).toBe(false);
    expect(readScreenshot('age 60\r\n/9j/2Q==\r\n', 60)).toEqual({ ok: true, jpeg: Buffer.from([0xff, 0xd8, 0xff, 0xd9]), ageS: 60 });
  });

  it('when the head runs PowerShell, then the path reaches it outside the script text: ASCII only, one base64 literal that decodes to it', () => {
    const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
    const shot = screenshotCommand("C:\\it's\\shot.jpg", 'powershell');
    expect(shot).toContain(`$f = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('${b64("C:\\it's\\shot.jpg")}'))`);
    const home = logsCommand('~/hydra.log', 'powershell');
    expect(home).toContain(`(Join-Path $HOME ([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('${b64('hydra.log')}'))))`);
    expect(home).toContain(`-Tail ${LOG_LINES}`);
  });

  it('when a head’s log_path holds U+2019 (or any PowerShell quote), then it reaches PowerShell as one string, and the script is otherwise unchanged', () => {
    for (const q of PS_SINGLE_QUOTES) {
      const path = `C:\\Users\\kiosk\\it${q}s; Remove-Item -Recurse C:\\; ${q}.log`;
      for (const script of [logsCommand(path, 'powershell'), screenshotCommand(path, 'powershell')]) {
        expect(/^[\x20-\x7e]*$/.test(script), script).toBe(true);
        expect(script).not.toContain('Remove-Item');
        const literals = stringLiterals(script);
        const single = literals.filter((l) => l.kind === 'single');
        // The path's literal, then the script's own constants ('age ' in the screenshot command).
        expect(Buffer.from(single[0]!.value, 'base64').toString('utf8')).toBe(path);
        expect(single.slice(1).map((l) => l.value)).toEqual(script.includes("'age '") ? ['age '] : []);
      }
    }
    expect(logsCommand('C:\\it\u2019s.log', 'powershell')).toBe(
      [
        `$f = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('${Buffer.from('C:\\it\u2019s.log').toString('base64')}'))`,
        `if (-not (Test-Path -LiteralPath $f -PathType Leaf)) { [Console]::Error.WriteLine("no log file at $f"); exit ${ABSENT_EXIT} }`,
        `Get-Content -LiteralPath $f -Tail ${LOG_LINES}`,
      ].join('; '),
    );
  });
});

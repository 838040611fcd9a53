/**
 * The commands a head runs for its screenshot and logs, run here with the real bash (paths with
 * quotes and `~/`), and the reading of their output (age, base64, stale, garbage, log lines).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ABSENT_EXIT, LOG_LINES, logsCommand, readLogLines, readScreenshot, screenshotCommand } from '../../src/actors/head/capture.js';
import { tempDir } from '../agent/agent-process.js';

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

  it('when the head runs PowerShell, then the commands read the same path with its quote doubled', () => {
    expect(screenshotCommand("C:\\it's\\shot.jpg", 'powershell')).toContain("$f = 'C:\\it''s\\shot.jpg'");
    expect(logsCommand('~/hydra.log', 'powershell')).toContain("(Join-Path $HOME 'hydra.log')");
    expect(logsCommand('~/hydra.log', 'powershell')).toContain(`-Tail ${LOG_LINES}`);
  });
});

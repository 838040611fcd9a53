/**
 * Running commands: separate streams, exit codes, output caps, and the timeout that kills the
 * whole process group.
 */
import { describe, expect, it } from 'vitest';
import { findInterpreters, launchFor, runCommand, type Launch } from '../../src/agent/exec-runner.js';
import { pidsWith } from './agent-process.js';

const found = findInterpreters(process.env);
const bash = (command: string): Launch => {
  const l = launchFor('bash', command, found);
  if ('error' in l) throw new Error(l.error);
  return l;
};

describe('exec runner', () => {
  it('when a command writes to both streams and exits non-zero, then each stream and the exit code are reported', async () => {
    const o = await runCommand({ launch: bash('echo out; echo err >&2; exit 3'), timeoutMs: 5000 });
    expect(o).toMatchObject({ exitCode: 3, stdout: 'out\n', stderr: 'err\n', timedOut: false, stdoutTruncated: false });
  });

  it('when a command writes more than the cap to both streams, then each keeps exactly the cap, is flagged, and has no marker text', async () => {
    const o = await runCommand({ launch: bash('head -c 100000 /dev/zero | tr "\\0" x; head -c 5000 /dev/zero | tr "\\0" y >&2'), timeoutMs: 5000, maxOutputBytes: 1000 });
    expect(o).toMatchObject({ stdout: 'x'.repeat(1000), stderr: 'y'.repeat(1000), stdoutTruncated: true, stderrTruncated: true });
  });

  it('when a command writes exactly the cap, then nothing is flagged', async () => {
    const o = await runCommand({ launch: bash('head -c 1000 /dev/zero | tr "\\0" x'), timeoutMs: 5000, maxOutputBytes: 1000 });
    expect(o).toMatchObject({ stdout: 'x'.repeat(1000), stdoutTruncated: false });
  });

  it('when a command outlives its timeout, then its whole process group is killed and the partial output kept', async () => {
    const marker = `200.${process.pid}${Date.now() % 100_000}`;
    const o = await runCommand({ launch: bash(`echo partial; sleep ${marker} & sleep ${marker}`), timeoutMs: 300 });
    expect(o.timedOut).toBe(true);
    expect(o.stdout).toBe('partial\n');
    expect(pidsWith(`sleep ${marker}`)).toEqual([]);
  });

  it('when a command ignores SIGTERM, then SIGKILL follows after the grace', async () => {
    const o = await runCommand({ launch: bash('trap "" TERM; sleep 30'), timeoutMs: 200 });
    expect(o.timedOut).toBe(true);
    expect(o.durationMs).toBeLessThan(5000);
  });

  it('when the stop signal aborts, then the running command is killed and marked aborted', async () => {
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 100);
    const o = await runCommand({ launch: bash('sleep 30'), timeoutMs: 60_000, signal: stop.signal });
    expect(o).toMatchObject({ aborted: true, timedOut: false });
  });

  it('when the exec asks for powershell and none is installed, then it cannot launch and says why', () => {
    const l = launchFor('powershell', 'Get-Date', { bash: '/bin/bash', powershell: null, cmd: null });
    expect(l).toEqual({ error: expect.stringMatching(/PowerShell is not available on this node/) });
  });

  it('when pwsh is installed, then powershell execs run it non-interactively', () => {
    expect(launchFor('powershell', 'Get-Date', { bash: null, powershell: '/usr/bin/pwsh', cmd: null })).toEqual({
      file: '/usr/bin/pwsh',
      args: ['-NoProfile', '-NonInteractive', '-Command', 'Get-Date'],
    });
  });
});

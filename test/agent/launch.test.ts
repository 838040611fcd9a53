import { describe, expect, it } from 'vitest';
import { findInterpreters, launchFor, POWERSHELL_UTF8 } from '../../src/agent/exec-runner.js';
import { execFixture } from '../http/exec-helpers.js';

const found = { bash: '/bin/bash', powershell: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', cmd: 'C:\\Windows\\System32\\cmd.exe' };

describe('how the agent launches each interpreter (docs/operations.md#agent-distribution, Windows)', () => {
  it('when PowerShell runs on Windows, then it has no profile, no prompt, the execution policy bypassed and UTF-8 output', () => {
    expect(launchFor('powershell', 'Get-Date', found, 'win32')).toEqual({
      file: found.powershell,
      args: ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command', `${POWERSHELL_UTF8}Get-Date`],
    });
    expect(launchFor('powershell', 'Get-Date', found, 'linux')).toEqual({ file: found.powershell, args: ['-NoProfile', '-NonInteractive', '-Command', 'Get-Date'] });
  });

  it('when cmd is asked for, then Windows runs cmd.exe /d /s /c "command" verbatim; elsewhere it is reported unavailable', () => {
    expect(launchFor('cmd', 'echo hi & exit /b 3', found, 'win32')).toEqual({ file: found.cmd, args: ['/d', '/s', '/c', '"echo hi & exit /b 3"'], verbatim: true });
    expect(launchFor('cmd', 'dir', { ...found, cmd: null }, 'linux')).toEqual({ error: 'hydranode: cmd is only available on Windows nodes' });
    expect(findInterpreters({ PATH: '' }, 'linux').cmd).toBeNull();
    expect(findInterpreters({ PATH: '', ComSpec: 'C:\\Windows\\system32\\cmd.exe' }, 'win32').cmd).toBe('C:\\Windows\\system32\\cmd.exe');
  });

  it('when an admin submits an exec with interpreter cmd, then the server accepts it and delivers it as cmd', async () => {
    const { h, node } = await execFixture();
    const r = await h.json('POST', `/nodes/${node.id}/exec`, { body: { command: 'echo hi', interpreter: 'cmd' } });
    expect(r.status).toBe(202);
    const d = await h.json('GET', '/body/exec', { token: node.token });
    expect(d.body).toMatchObject({ command: 'echo hi', interpreter: 'cmd' });
  });
});

/**
 * Processes and ports as the provider's health and stop steps see them: a process found by the
 * name it gives itself, stopped by name (asked, then killed); a port that listens or does not; the
 * Windows forms (tasklist's CSV, `.exe` and case, cmd's command line) checked as text.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { findProcesses, nameMatches, parseTasklist, portListens, stopProcesses } from '../../../src/agent/provider/processes.js';
import { shellLaunch } from '../../../src/agent/provider/launch.js';
import { eventually, freePort } from '../agent-process.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

/** A node process that names itself `title` (as a provider's process has its own name) and ignores SIGTERM when told to. */
function named(title: string, ignoreTerm = false): ChildProcess {
  // The handler first: once the title shows, SIGTERM is already ignored.
  const code = `${ignoreTerm ? "process.on('SIGTERM', () => {});" : ''} process.title = ${JSON.stringify(title)}; setInterval(() => {}, 1000);`;
  const c = spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
  children.push(c);
  return c;
}

const exited = (c: ChildProcess) => new Promise<string | null>((r) => (c.exitCode !== null || c.signalCode !== null ? r(c.signalCode) : c.once('exit', (_code, sig) => r(sig))));

describe('provider processes (Linux)', () => {
  it('when a process runs under a name, then it is found by that name and stopped by it (SIGTERM)', async () => {
    const title = `hcp-${randomBytes(3).toString('hex')}`;
    const c = named(title);
    const found = await eventually('process named', async () => ((await findProcesses([title], 'linux')).length === 1 ? true : undefined));
    expect(found).toBe(true);
    expect(await stopProcesses([title], 'linux', 5000)).toEqual([title]);
    expect(await exited(c)).toBe('SIGTERM');
    expect(await findProcesses([title], 'linux')).toEqual([]);
  });

  it('when a process ignores SIGTERM, then it is killed once the grace has passed', async () => {
    const title = `hcq-${randomBytes(3).toString('hex')}`;
    const c = named(title, true);
    await eventually('process named', async () => ((await findProcesses([title], 'linux')).length === 1 ? true : undefined));
    await stopProcesses([title], 'linux', 300);
    expect(await exited(c)).toBe('SIGKILL');
  });

  it('when the agent looks for its own name, then it never finds itself', async () => {
    const own = (await findProcesses([process.title], 'linux')).map((p) => p.pid);
    expect(own).not.toContain(process.pid);
  });

  it('when something listens on a port, then it counts as listening; a free port does not', async () => {
    const srv = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => srv.once('listening', r));
    const port = (srv.address() as { port: number }).port;
    expect(await portListens(port)).toBe(true);
    srv.close();
    expect(await portListens(await freePort())).toBe(false);
  });
});

describe('provider processes (Windows forms)', () => {
  it('when tasklist lists the runbook\u2019s processes, then the runbook\u2019s names match them with or without .exe, in any case', () => {
    const list = parseTasklist('"LarkXRLauncher.exe","4242","Services","0","12,345 K"\r\n"java.exe","77","Services","0","1 K"\r\n"mysqld.exe","78","Services","0","1 K"\r\n');
    expect(list).toEqual([{ pid: 4242, name: 'LarkXRLauncher.exe' }, { pid: 77, name: 'java.exe' }, { pid: 78, name: 'mysqld.exe' }]);
    expect(nameMatches(list[0]!, 'LarkXRLauncher', 'win32')).toBe(true);
    expect(nameMatches(list[0]!, 'larkxrlauncher.EXE', 'win32')).toBe(true);
    expect(nameMatches(list[1]!, 'javaw', 'win32')).toBe(false);
    // Linux keeps case, and cuts comm at 15 characters.
    expect(nameMatches({ pid: 1, name: 'CloudLarkRender' }, 'CloudLarkRenderServer', 'linux')).toBe(true);
    expect(nameMatches({ pid: 1, name: 'java' }, 'Java', 'linux')).toBe(false);
  });

  it('when the start command is start.bat, then cmd runs it as typed (/d /s /c, verbatim); elsewhere bash -c', () => {
    expect(shellLaunch({ command: 'start.bat', platform: 'win32', env: { ComSpec: 'C:\\Windows\\system32\\cmd.exe' }, bash: null })).toEqual({
      file: 'C:\\Windows\\system32\\cmd.exe',
      args: ['/d', '/s', '/c', '"start.bat"'],
      verbatim: true,
    });
    expect(shellLaunch({ command: 'bash start.sh', platform: 'linux', env: {}, bash: '/usr/bin/bash' })).toEqual({ file: '/usr/bin/bash', args: ['-c', 'bash start.sh'], verbatim: false });
    // Under systemd: its own transient scope, so stopping the agent's service leaves the provider running.
    const scoped = shellLaunch({ command: 'bash start.sh', platform: 'linux', env: {}, bash: '/usr/bin/bash', scope: { systemdRun: '/usr/bin/systemd-run', unit: 'hydranode-provider-r-1' } });
    expect(scoped).toEqual({ file: '/usr/bin/systemd-run', args: ['--scope', '--quiet', '--collect', '--unit=hydranode-provider-r-1', '/usr/bin/bash', '-c', 'bash start.sh'], verbatim: false });
  });
});

/**
 * The shell end to end: the real server, the real agent (`hydranode run`, node-pty) and the real
 * CLI as child processes on loopback. `exec --shell` runs in a real PTY, passes exit codes and
 * binary data (base64) through, keeps working while the node's exec queue is full and its agent
 * busy, and a client that goes away mid-command leaves no process behind on the node.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN } from '../support/harness.js';
import { CLI, call, makeHome, startServerProcess, type ServerProcess } from '../support/process.js';
import { enroll, enrolledAgent, eventually, nodeWhen, pidsWith, runNode, stop, tempDir, type AgentProcess } from '../agent/agent-process.js';

/** The process group of `pid` (field 5 of /proc/<pid>/stat). */
function pgrpOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

/** Live processes in process group `pgrp`. */
function inGroup(pgrp: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (pgrpOf(Number(e)) === pgrp) out.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

describe('shell end to end', () => {
  let server: ServerProcess;
  let agent: AgentProcess;
  let id: string;
  const cli = (...args: string[]) => runNode([CLI, ...args, '--server', server.url, '--admin-token', ADMIN], 60_000);

  beforeAll(async () => {
    server = await startServerProcess(
      makeHome((doc) => {
        doc.server.heartbeat_interval_s = 1;
        doc.server.offline_after_s = 30;
        doc.server.exec.max_queue = 3;
        // Short for the no-agent test, with room for an agent that attaches on a loaded machine.
        doc.server.shell = { attach_timeout_s: 5 };
      }),
    );
    ({ id, agent } = await enrolledAgent(server.url, 'shell-node'));
    await eventually('node online', nodeWhen(server.url, id, (n) => n.state === 'online'));
  });

  afterAll(async () => {
    if (agent) await stop(agent.child);
    if (server) await stop(server.child);
  });

  it('when `exec --shell` runs `tty; echo $((6*7))`, then it prints a /dev/pts path and 42, and a remote `exit 5` exits 5', async () => {
    const r = await cli('exec', '--shell', id, 'tty; echo $((6*7))');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\/dev\/pts\/\d+\n42\n$/);
    expect((await cli('exec', '--shell', id, 'exit 5')).code).toBe(5);
  });

  it('when a shell session is running on the node, then a second one runs beside it', async () => {
    const first = spawn(process.execPath, [CLI, 'exec', '--shell', id, 'sleep 300', '--server', server.url, '--admin-token', ADMIN], { stdio: 'ignore' });
    const firstExit = new Promise((r) => first.once('exit', r));
    await eventually('the first session attached', async () => {
      const actors = (await call(server.url, 'GET', '/debug/actors?kind=shell')).body;
      return actors.some((a: any) => a.state === 'attached') ? true : undefined;
    });
    const r = await cli('exec', '--shell', id, 'echo second');
    expect(r).toMatchObject({ code: 0, stdout: 'second\n', stderr: '' });
    first.kill('SIGKILL');
    await firstExit;
  });

  it('when the exec queue is full (429) and the agent is busy on a long exec, then `exec --shell` still answers at once', async () => {
    const marker = `busy-${Date.now()}`;
    const first = await call(server.url, 'POST', `/nodes/${id}/exec`, { command: `sleep 60; : ${marker}`, timeout_s: 60 });
    expect(first.status).toBe(202);
    await eventually('the long exec running', async () => (pidsWith(marker).length > 0 ? true : undefined));
    for (let i = 0; i < 2; i++) expect((await call(server.url, 'POST', `/nodes/${id}/exec`, { command: 'true' })).status).toBe(202);
    expect((await call(server.url, 'POST', `/nodes/${id}/exec`, { command: 'true' })).status).toBe(429);
    const r = await cli('exec', '--shell', id, 'echo still here');
    expect(r.stdout).toBe('still here\n');
    expect(r.code).toBe(0);
    expect((await call(server.url, 'DELETE', `/nodes/${id}/exec`)).status).toBe(200);
  });

  it('when a 1 MiB random file is base64-encoded through `exec --shell`, then it decodes byte for byte', async () => {
    const file = join(tempDir('hc-shell-bin-'), 'blob');
    const data = randomBytes(1024 * 1024);
    writeFileSync(file, data);
    const r = await cli('exec', '--shell', id, `base64 '${file}'`);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('\r');
    const back = Buffer.from(r.stdout, 'base64');
    expect(back.length).toBe(data.length);
    expect(back.equals(data)).toBe(true);
  });

  it('when the client is killed mid-command, then the command\'s whole process group on the node is killed', async () => {
    const marker = `orphan-${Date.now()}`;
    const child = spawn(process.execPath, [CLI, 'exec', '--shell', id, `sleep 600 & sleep 601; : ${marker}`, '--server', server.url, '--admin-token', ADMIN], { stdio: 'ignore' });
    const isSleep = (p: number) => readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'sleep';
    const pid = await eventually('the remote sleep running', async () => pidsWith('sleep 601').find(isSleep));
    const group = pgrpOf(pid);
    expect(inGroup(group).length).toBeGreaterThanOrEqual(2); // the shell's background sleep shares the group
    child.kill('SIGKILL');
    await eventually('the process group gone', async () => (inGroup(group).length === 0 ? true : undefined), 15_000);
  });

  it('when the node has no agent, then `exec --shell` fails with agent_unavailable and exit 69, and `--timeout` gives 124', async () => {
    const e = await enroll(server.url, 'no-agent');
    const r = await cli('exec', '--shell', e.node_id, 'true');
    expect(r.code).toBe(69);
    expect(r.stderr).toContain('agent_unavailable');
    const t = await cli('exec', '--shell', id, 'sleep 30', '--timeout', '1s');
    expect(t.code).toBe(124);
  });
});

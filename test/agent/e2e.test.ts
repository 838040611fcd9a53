/**
 * End to end: the real server as a child process, an enrollment through the admin API, and the
 * real agent (`hydranode install`, then `hydranode run`) as child processes on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { findInterpreters } from '../../src/agent/exec-runner.js';
import { ADMIN } from '../support/harness.js';
import { CLI, call, makeHome, startServerProcess, type ServerProcess } from '../support/process.js';
import { enrolledAgent, eventually, execViaApi, nodeWhen, pidsWith, runNode, stop, type AgentProcess } from './agent-process.js';

const ONLINE_WITHIN_MS = 5000;

describe('hydranode against a real server', () => {
  let server: ServerProcess;
  let agent: AgentProcess;
  let id: string;
  let home: string;

  beforeAll(async () => {
    server = await startServerProcess(makeHome((doc) => void (doc.server.heartbeat_interval_s = 1)));
    ({ id, home, agent } = await enrolledAgent(server.url, 'e2e-node'));
  });

  afterAll(async () => {
    if (agent) await stop(agent.child);
    if (server) await stop(server.child);
  });

  it('when an agent is installed with an enrollment token and run, then the node is online within a few seconds', async () => {
    expect(statSync(join(home, 'config.yaml')).mode & 0o777).toBe(0o600);
    const node = await eventually('node online', nodeWhen(server.url, id, (n) => n.state === 'online'), ONLINE_WITHIN_MS);
    expect(node).toMatchObject({ os: 'linux', agent_version: expect.any(String), hostname: expect.any(String) });
    expect(node.lan_ip === null || /^\d+\.\d+\.\d+\.\d+$/.test(node.lan_ip)).toBe(true);
    expect(node.diagnostics.agent_pid).toBe(agent.child.pid);
  });

  it('when an admin runs `hydracluster exec <id> "uname -s"`, then it prints Linux from the real agent', async () => {
    const cli = await runNode([CLI, 'exec', id, 'uname -s', '--server', server.url, '--admin-token', ADMIN, '--timeout', '20s']);
    expect(cli.stderr).toBe('');
    expect(cli.stdout).toBe('Linux\n');
    expect(cli.code).toBe(0);
  });

  it('when a command writes to both streams and fails, then stdout, stderr and the exit code come back separately', async () => {
    const result = await execViaApi(server.url, id, 'echo out; echo err >&2; exit 7', 20);
    expect(result).toMatchObject({ status: 'done', exit_code: 7, stdout: 'out\n', stderr: 'err\n' });
  });

  it.skipIf(findInterpreters(process.env).powershell !== null)('when an exec asks for powershell on a node without it, then the result is exit 127 with a clear stderr', async () => {
    const sub = await call(server.url, 'POST', `/nodes/${id}/exec`, { command: 'Get-Date', interpreter: 'powershell', timeout_s: 10 });
    const result = await eventually('powershell result', async () => {
      const r = await call(server.url, 'GET', `/nodes/${id}/exec/${sub.body.id}/result`);
      return r.status === 200 ? r.body : undefined;
    });
    expect(result).toMatchObject({ status: 'done', exit_code: 127, stderr: expect.stringMatching(/PowerShell is not available/) });
  });

  it('when an exec outlives its 1 s timeout, then the result is timed_out and no process of it is left behind', async () => {
    const marker = `100.${process.pid}${Date.now() % 100_000}`;
    const result = await execViaApi(server.url, id, `echo started; sleep ${marker} & sleep ${marker}`, 1);
    expect(result.status).toBe('timed_out');
    expect(result.stdout).toBe('started\n');
    expect(pidsWith(`sleep ${marker}`)).toEqual([]);
  });

  it('when the agent gets SIGTERM, then it stops polling and exits 0', async () => {
    expect(await stop(agent.child)).toBe(0);
    expect(agent.output()).toMatch(/"msg":"hydranode stopped"/);
  });
});

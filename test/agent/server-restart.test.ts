/**
 * The server dies (SIGKILL) and comes back on the same home and port while the agent runs: the
 * agent backs off, reconnects by itself, and neither restarts nor re-runs recipes whose checks pass.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { call, makeHome, startServerProcess, type ServerProcess } from '../support/process.js';
import { enrolledAgent, eventually, freePort, markerRole, nodeWhen, stop, tempDir, type AgentProcess } from './agent-process.js';

const ROLE = 'marker-role';
const installs = (log: string): number => (log.match(/"msg":"(installing|reinstalling) role/g) ?? []).length;

describe('agent across a server crash', () => {
  let home: string;
  let listen: string[];
  let server: ServerProcess;
  let agent: AgentProcess;
  let id: string;
  const dir = tempDir('hn-restart-');

  beforeAll(async () => {
    home = makeHome((doc) => {
      doc.server.heartbeat_interval_s = 1;
      doc.roles[ROLE] = markerRole(dir);
    });
    listen = ['--listen', `127.0.0.1:${await freePort()}`];
    server = await startServerProcess(home, listen);
    ({ id, agent } = await enrolledAgent(server.url, 'restart-node'));
    expect((await call(server.url, 'POST', `/nodes/${id}/roles`, { roles: [ROLE] })).status).toBe(200);
    await eventually('role applied', nodeWhen(server.url, id, (n) => n.state === 'online' && n.roles_applied.includes(ROLE)));
    // The agent batches its log lines (up to 20 ms): its install line may reach stdout after the
    // server has seen the role applied. Counting before it arrived made the test flaky.
    await eventually('install logged', async () => (installs(agent.output()) === 1 ? true : undefined));
  });

  afterAll(async () => {
    if (agent) await stop(agent.child);
    if (server) await stop(server.child);
  });

  it('when the server is SIGKILLed and restarted, then the same agent comes back online by itself without re-running passing recipes', async () => {
    const marker = readFileSync(join(dir, 'marker'), 'utf8');
    const pid = agent.child.pid;
    const installsBefore = installs(agent.output());
    // An exec that is running when the server dies: its result post fails, then meets a server that forgot it.
    const sub = await call(server.url, 'POST', `/nodes/${id}/exec`, { command: 'sleep 1; echo late', timeout_s: 30 });
    expect(sub.status).toBe(202);
    await eventually('exec delivered', async () => {
      const r = await call(server.url, 'GET', `/nodes/${id}/exec/${sub.body.id}/result`);
      return r.status === 202 && r.body.state === 'delivered' ? true : undefined;
    });

    server.child.kill('SIGKILL');
    await server.exited;
    // Down until the agent has seen its heartbeat and its result post fail (what it logs, not a timer).
    await eventually('heartbeat failure logged', async () => (/"msg":"heartbeat failed: server away or slow; backing off"/.test(agent.output()) ? true : undefined), 20_000);
    await eventually('result post failure logged', async () => (agent.output().includes(`"msg":"exec result not delivered; retrying","exec_id":"${sub.body.id}"`) ? true : undefined), 20_000);
    const restartedAt = Date.now();
    server = await startServerProcess(home, listen);

    const node = await eventually(
      'node online after the restart',
      nodeWhen(server.url, id, (n) => n.state === 'online' && n.last_seen !== null && Date.parse(n.last_seen) >= restartedAt),
      20_000,
    );
    expect(agent.child.exitCode).toBeNull();
    expect(node.diagnostics.agent_pid).toBe(pid);
    expect(node.roles_applied).toContain(ROLE);
    expect(readFileSync(join(dir, 'marker'), 'utf8')).toBe(marker);
    expect(installs(agent.output())).toBe(installsBefore);
    expect(agent.output()).toMatch(/"msg":"heartbeat failed: server away or slow; backing off"/);
    await eventually('reconnect logged', async () => (/"msg":"server reachable again"/.test(agent.output()) ? true : undefined));

    const exec = sub.body.id as string;
    await eventually('late result dropped', async () => (agent.output().includes(`"msg":"exec result dropped`) ? true : undefined), 20_000);
    expect(agent.output()).toMatch(new RegExp(`"msg":"exec result not delivered; retrying","exec_id":"${exec}"`));
    expect(agent.output()).toMatch(new RegExp(`"msg":"exec result dropped[^"]*","exec_id":"${exec}"`));
  });
});

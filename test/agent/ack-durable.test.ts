/**
 * docs/api.md#node-lifecycle: a heartbeat that acknowledges a flag is on disk before its reply, so a flag the agent
 * has acknowledged is never delivered again after a crash. The real agent reinstalls on a
 * reprovision, acks it, the server is killed (-9) the moment the agent has the reply, and comes back:
 * the flag is not delivered again and the agent does not reinstall a second time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { call, makeHome, startServerProcess, type ServerProcess } from '../support/process.js';
import { enrolledAgent, eventually, freePort, markerRole, nodeWhen, stop, tempDir, type AgentProcess } from './agent-process.js';

const ROLE = 'marker-role';
const installs = (log: string): number => (log.match(/"msg":"(installing|reinstalling) role/g) ?? []).length;
const ACKED = /"msg":"flags acknowledged","flags":\["reprovision"\]/;

describe('an acknowledged reprovision across a kill -9', () => {
  let home: string;
  let listen: string[];
  let server: ServerProcess;
  let agent: AgentProcess;
  let id: string;
  const dir = tempDir('hn-ack-');

  beforeAll(async () => {
    home = makeHome((doc) => {
      doc.server.heartbeat_interval_s = 1;
      doc.server.offline_after_s = 2;
      doc.roles[ROLE] = markerRole(dir);
    });
    listen = ['--listen', `127.0.0.1:${await freePort()}`];
    server = await startServerProcess(home, listen);
    ({ id, agent } = await enrolledAgent(server.url, 'ack-node'));
    expect((await call(server.url, 'POST', `/nodes/${id}/roles`, { roles: [ROLE] })).status).toBe(200);
    await eventually('role applied', nodeWhen(server.url, id, (n) => n.state === 'online' && n.roles_applied.includes(ROLE)));
  });

  afterAll(async () => {
    if (agent) await stop(agent.child);
    if (server) await stop(server.child);
  });

  it('when the server is killed right after the agent got the reply to its ack, then after the restart the flag is not delivered again and nothing is reinstalled', async () => {
    expect((await call(server.url, 'POST', `/nodes/${id}/reprovision`)).status).toBe(202);
    await eventually('ack answered', async () => (ACKED.test(agent.output()) ? true : undefined), 20_000, 2);
    server.child.kill('SIGKILL');
    await server.exited;
    const afterAck = installs(agent.output());
    const marker = readFileSync(join(dir, 'marker'), 'utf8');

    server = await startServerProcess(home, listen);
    const restarted = Date.now();
    // Three heartbeats after the restart: each would have carried the flag had the ack been lost.
    let beats = 0;
    let lastSeen = '';
    await eventually('three heartbeats after the restart', async () => {
      const r = await call(server.url, 'GET', `/nodes/${id}`);
      const seen = r.body?.last_seen as string | null;
      if (seen && Date.parse(seen) >= restarted && seen !== lastSeen) (lastSeen = seen), beats++;
      expect(r.body.flags.reprovision).toBe(false);
      return beats >= 3 ? true : undefined;
    }, 20_000, 50);
    const node = (await call(server.url, 'GET', `/nodes/${id}`)).body;
    expect(node.state).toBe('online');
    expect(node.flags.reprovision).toBe(false);
    expect(installs(agent.output())).toBe(afterAck);
    expect(readFileSync(join(dir, 'marker'), 'utf8')).toBe(marker);
    expect(agent.output().match(new RegExp(ACKED.source, 'g'))).toHaveLength(1);
  });
});

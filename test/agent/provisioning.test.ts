/**
 * Role provisioning through the real server and agent: a role whose bash recipe writes a marker
 * file is applied, reinstalled on reprovision, and reinstalled by itself when the file goes away.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { call, makeHome, startServerProcess, type ServerProcess } from '../support/process.js';
import { enrolledAgent, eventually, markerRole, nodeWhen, stop, tempDir, type AgentProcess } from './agent-process.js';

const ROLE = 'marker-role';

describe('role provisioning by the agent', () => {
  let server: ServerProcess;
  let agent: AgentProcess;
  let id: string;
  const dir = tempDir('hn-role-');
  const marker = join(dir, 'marker');
  const content = () => readFileSync(marker, 'utf8');
  const online = (n: any) => n.state === 'online' && n.roles_applied.includes(ROLE);

  beforeAll(async () => {
    const home = makeHome((doc) => {
      doc.server.heartbeat_interval_s = 1;
      doc.roles[ROLE] = { ...markerRole(dir), provider: 'marker' }; // a reprovision also waits for provider_status running
    });
    server = await startServerProcess(home);
    ({ id, agent } = await enrolledAgent(server.url, 'role-node'));
    await eventually('node online without roles', nodeWhen(server.url, id, (n) => n.state === 'online'));
  });

  afterAll(async () => {
    if (agent) await stop(agent.child);
    if (server) await stop(server.child);
  });

  it('when a role is assigned, then the node goes provisioning, the agent applies it, and the node is online with it', async () => {
    const assigned = await call(server.url, 'POST', `/nodes/${id}/roles`, { roles: [ROLE] });
    expect(assigned.status).toBe(200);
    expect(assigned.body.state).toBe('provisioning');
    const node = await eventually('role applied', nodeWhen(server.url, id, online));
    expect(node.provider_status).toBe('running');
    expect(existsSync(marker)).toBe(true);
  });

  it('when a reprovision is requested, then the install runs again (marker rewritten) and the node returns online', async () => {
    const before = content();
    const r = await call(server.url, 'POST', `/nodes/${id}/reprovision`);
    expect(r.status).toBe(202);
    expect(r.body.state).toBe('provisioning');
    await eventually('reprovision done', nodeWhen(server.url, id, (n) => online(n) && !n.flags.reprovision));
    expect(content()).not.toBe(before);
    expect(agent.output()).toMatch(/"msg":"reinstalling role","role":"marker-role"/);
    // The server clears the flag before the agent reads the reply and logs the ack.
    await eventually('ack logged', async () => (/"msg":"flags acknowledged","flags":\["reprovision"\]/.test(agent.output()) ? true : undefined));
  });

  it('when the installed marker is deleted, then the agent reinstalls it by itself on a later tick', async () => {
    const before = content();
    rmSync(marker);
    const after = await eventually('marker back', async () => (existsSync(marker) ? content() : undefined));
    expect(after).not.toBe(before);
    await eventually('reinstall logged', async () => (/"msg":"installing role \(its check fails\)","role":"marker-role"/.test(agent.output()) ? true : undefined));
    await eventually('still online', nodeWhen(server.url, id, online));
  });
});

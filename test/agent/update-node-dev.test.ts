/**
 * `update_node` on an agent that runs from Node.js (`node dist/src/agent/main.js`, no single
 * executable to replace): it is never acknowledged silently. The node object says why it failed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/process.js';
import { enrolledAgent, eventually, nodeWhen, stop, type AgentProcess } from './agent-process.js';
import { recordingServer, type RecordingServer } from './recording-server.js';

describe('update_node on an agent run from Node.js', () => {
  let server: RecordingServer;
  let agent: AgentProcess;
  let id: string;

  beforeAll(async () => {
    server = await recordingServer((doc) => (doc.server.heartbeat_interval_s = 1));
    ({ id, agent } = await enrolledAgent(server.url, 'dev-node'));
    await eventually('online', nodeWhen(server.url, id, (n) => n.state === 'online'));
  });

  afterAll(async () => {
    if (agent) await stop(agent.child);
    if (server) await server.close();
  });

  it('when update_node is set, then the node object shows agent_update failed with the reason, and the flag is acknowledged with it', async () => {
    expect((await call(server.url, 'GET', `/nodes/${id}`)).body.agent_update).toBeNull();
    expect((await call(server.url, 'POST', `/nodes/${id}/update-node`)).status).toBe(202);
    const n = await eventually('update reported', nodeWhen(server.url, id, (x) => x.agent_update?.state === 'failed' && !x.flags.update_node));
    expect(n.agent_update.message).toMatch(/self-update needs the single-executable agent/);
    // The failure travelled in the heartbeat that acknowledged the flag, or before it.
    await server.until(() => server.beats.some((b) => b.ack_flags?.includes('update_node')));
    const ackAt = server.beats.findIndex((b) => b.ack_flags?.includes('update_node'));
    const failAt = server.beats.findIndex((b) => b.agent_update?.state === 'failed');
    expect(failAt).toBeGreaterThanOrEqual(0);
    expect(failAt).toBeLessThanOrEqual(ackAt);
  });
});

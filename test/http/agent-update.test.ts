/**
 * `agent_update` (docs/api.md#agent-self-update) on the server: what the agent reports in its heartbeat reaches the
 * node object and nodes.yaml, stays until the agent reports another, and costs nodes that never
 * updated nothing on disk.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/persist/memory-store.js';
import { harness } from '../support/harness.js';

const failed = { state: 'failed', target_version: '0.2.0', message: 'checksum mismatch: the manifest says …', at: '2025-01-01T00:00:00.000Z' };

describe('agent_update on the node object', () => {
  it('when a heartbeat carries agent_update, then the node object shows it until another one replaces it, and it survives a restart', async () => {
    const h = await harness();
    const n = await h.addNode();
    expect((await h.json('GET', `/nodes/${n.id}`)).body.agent_update).toBeNull();
    expect((await h.heartbeat(n.token, { agent_version: '0.1.0', agent_update: failed })).status).toBe(200);
    expect((await h.json('GET', `/nodes/${n.id}`)).body.agent_update).toEqual(failed);
    await h.heartbeat(n.token, { agent_version: '0.1.0' }); // absent: unchanged
    expect((await h.json('GET', `/nodes/${n.id}`)).body.agent_update).toEqual(failed);
    const swapped = { ...failed, state: 'swapped', message: 'updated from 0.1.0 to 0.2.0; running', at: '2025-01-01T00:01:00.000Z' };
    await h.heartbeat(n.token, { agent_version: '0.2.0', agent_update: swapped });
    expect((await h.json('GET', `/nodes/${n.id}`)).body).toMatchObject({ agent_version: '0.2.0', agent_update: swapped });

    await h.core.store.close();
    h.core.fleet.stop();
    const h2 = await harness({ home: h.home, clock: h.clock });
    expect((await h2.json('GET', `/nodes/${n.id}`)).body.agent_update).toEqual(swapped);
  });

  it('when agent_update is malformed, then the heartbeat is refused naming the field', async () => {
    const h = await harness();
    const n = await h.addNode();
    const r = await h.heartbeat(n.token, { agent_update: { ...failed, state: 'exploded' } });
    expect([r.status, r.body.message]).toEqual([400, expect.stringContaining('agent_update.state')]);
  });

  it('when a node never reported an update, then its nodes.yaml record has no agent_update key', async () => {
    const store = new MemoryStore();
    const h = await harness({ store });
    const n = await h.addNode();
    await h.heartbeat(n.token, { agent_version: '0.1.0' });
    await store.commit();
    const record = store.durable.get(n.id);
    expect(record).toHaveProperty('reported');
    expect(record).not.toHaveProperty('reported.agent_update');
  });
});

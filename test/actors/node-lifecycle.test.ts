/**
 * Every transition of the node statechart (docs/api.md#node-lifecycle), driven through the real API with a fake
 * clock: the sweeper runs on clock timers, so advancing the clock is all it takes.
 */
import { describe, expect, it } from 'vitest';
import { harness, testConfig } from '../support/harness.js';

const OFFLINE_AFTER_S = 90;

async function state(h: Awaited<ReturnType<typeof harness>>, id: string): Promise<string> {
  return (await h.json('GET', `/nodes/${id}`)).body.state;
}

describe('node lifecycle', () => {
  it('when an enrollment is issued, then the node is enrolling; when it registers, then provisioning', async () => {
    const h = await harness();
    const e = await h.enroll();
    expect(await state(h, e.node_id)).toBe('enrolling');
    await h.register(e.enrollment_token);
    expect(await state(h, e.node_id)).toBe('provisioning');
  });

  it('when nobody redeems an enrollment within enrollment_ttl_s, then the node expires and stays listed', async () => {
    const h = await harness();
    const e = await h.enroll();
    h.clock.advance(86_400 * 1000 - 2000);
    expect(await state(h, e.node_id)).toBe('enrolling');
    h.clock.advance(3000);
    expect(await state(h, e.node_id)).toBe('expired');
    const r = await h.json('POST', '/register', { token: e.enrollment_token, body: {} });
    expect(r.status).toBe(401);
    const list = await h.json('GET', '/nodes');
    expect(list.body.map((n: { id: string }) => n.id)).toContain(e.node_id);
    expect((await h.json('GET', '/health', { token: null })).body.nodes.expired).toBe(1);
  });

  it('when a node with no roles sends its first heartbeat, then it goes straight online', async () => {
    const h = await harness();
    const n = await h.addNode();
    expect(await state(h, n.id)).toBe('provisioning');
    expect((await h.heartbeat(n.token)).body.state).toBe('online');
  });

  it('when roles are assigned, then the node provisions until the agent reports them applied', async () => {
    const h = await harness();
    const n = await h.addNode();
    await h.heartbeat(n.token);
    const set = await h.json('POST', `/nodes/${n.id}/roles`, { body: { roles: ['plain-role'] } });
    expect(set.status).toBe(200);
    expect(set.body.state).toBe('provisioning');
    expect((await h.heartbeat(n.token, { roles_applied: [] })).body.state).toBe('provisioning');
    expect((await h.heartbeat(n.token, { roles_applied: ['plain-role'] })).body.state).toBe('online');
  });

  it('when a role has a provider, then the node is online once the role is reported applied, whatever provider_status says', async () => {
    const h = await harness();
    const n = await h.addNode();
    await h.json('POST', `/nodes/${n.id}/roles`, { body: { roles: ['render-node'] } });
    expect((await h.heartbeat(n.token, { roles_applied: [], provider_status: 'installing' })).body.state).toBe('provisioning');
    expect((await h.heartbeat(n.token, { roles_applied: ['render-node'], provider_status: 'starting' })).body.state).toBe('online');
  });

  it('when a node misses heartbeats for offline_after_s, then it goes offline, and a heartbeat brings it back', async () => {
    const h = await harness();
    const n = await h.addNode();
    await h.heartbeat(n.token);
    h.clock.advance((OFFLINE_AFTER_S - 2) * 1000);
    expect(await state(h, n.id)).toBe('online');
    await h.heartbeat(n.token);
    h.clock.advance((OFFLINE_AFTER_S - 2) * 1000);
    expect(await state(h, n.id)).toBe('online');
    h.clock.advance(3000);
    expect(await state(h, n.id)).toBe('offline');
    expect((await h.heartbeat(n.token)).body.state).toBe('online');
  });

  it('when a provisioning node goes silent, then it goes offline, and comes back to provisioning', async () => {
    const h = await harness();
    const n = await h.addNode();
    await h.json('POST', `/nodes/${n.id}/roles`, { body: { roles: ['plain-role'] } });
    await h.heartbeat(n.token);
    h.clock.advance((OFFLINE_AFTER_S + 1) * 1000);
    expect(await state(h, n.id)).toBe('offline');
    expect((await h.heartbeat(n.token)).body.state).toBe('provisioning');
  });

  it('when a reprovision is requested, then the node provisions until the agent acks and reports every role again', async () => {
    const h = await harness();
    const n = await h.addNode();
    await h.json('POST', `/nodes/${n.id}/roles`, { body: { roles: ['plain-role'] } });
    await h.heartbeat(n.token, { roles_applied: ['plain-role'] });
    const r = await h.json('POST', `/nodes/${n.id}/reprovision`);
    expect(r.status).toBe(202);
    expect(r.body.state).toBe('provisioning');
    // Still reporting the role without acking: the flag is delivered again, the node waits.
    const hb1 = await h.heartbeat(n.token, { roles_applied: ['plain-role'] });
    expect(hb1.body.flags.reprovision).toBe(true);
    expect(hb1.body.state).toBe('provisioning');
    const hb2 = await h.heartbeat(n.token, { roles_applied: ['plain-role'], ack_flags: ['reprovision'] });
    expect(hb2.body.flags.reprovision).toBe(false);
    expect(hb2.body.state).toBe('online');
  });

  it('when an offline node has its roles changed, then it stays offline until it heartbeats', async () => {
    const h = await harness();
    const n = await h.addNode();
    await h.heartbeat(n.token);
    h.clock.advance((OFFLINE_AFTER_S + 1) * 1000);
    const r = await h.json('POST', `/nodes/${n.id}/roles`, { body: { roles: ['plain-role'] } });
    expect(r.body.state).toBe('offline');
    expect((await h.heartbeat(n.token)).body.state).toBe('provisioning');
  });

  it('when roles are removed from a provisioning node whose other roles are applied, then it goes online', async () => {
    const h = await harness();
    const n = await h.addNode();
    await h.json('POST', `/nodes/${n.id}/roles`, { body: { roles: ['plain-role', 'hydraguard-air'] } });
    await h.heartbeat(n.token, { roles_applied: ['plain-role'] });
    const r = await h.json('POST', `/nodes/${n.id}/roles`, { body: { roles: ['plain-role'] } });
    expect(r.body.state).toBe('online');
  });

  it('when a flag is set, then every reply carries it until acked, and carries it again when set again', async () => {
    const h = await harness();
    const n = await h.addNode();
    expect((await h.json('POST', `/nodes/${n.id}/update-node`)).status).toBe(202);
    expect((await h.heartbeat(n.token)).body.flags.update_node).toBe(true);
    expect((await h.heartbeat(n.token)).body.flags.update_node).toBe(true);
    expect((await h.heartbeat(n.token, { ack_flags: ['update_node'] })).body.flags.update_node).toBe(false);
    expect((await h.heartbeat(n.token)).body.flags.update_node).toBe(false);
    await h.json('POST', `/nodes/${n.id}/update-node`);
    expect((await h.heartbeat(n.token)).body.flags.update_node).toBe(true);
    await h.json('POST', `/nodes/${n.id}/update-services`);
    expect((await h.heartbeat(n.token)).body.flags).toEqual({ update_node: true, update_services: true, reprovision: false });
  });

  it('when the server restarts, then a node keeps its state and is not marked offline before offline_after_s since boot (boot grace)', async () => {
    const h = await harness();
    const n = await h.addNode();
    await h.heartbeat(n.token);
    await h.core.store.close();
    h.core.fleet.stop();
    // The server was down for an hour: its persisted last_seen is far older than offline_after_s.
    h.clock.advance(3600 * 1000);
    const h2 = await harness({ home: h.home, clock: h.clock, config: testConfig() });
    expect(await state(h2, n.id)).toBe('online');
    h2.clock.advance((OFFLINE_AFTER_S - 1) * 1000);
    expect(await state(h2, n.id)).toBe('online');
    h2.clock.advance(2000);
    expect(await state(h2, n.id)).toBe('offline');
  });

  it('when nodes are in different states, then health counts every state', async () => {
    const h = await harness();
    await h.enroll();
    const a = await h.addNode();
    await h.heartbeat(a.token);
    await h.addNode();
    const health = await h.json('GET', '/health', { token: null });
    expect(health.status).toBe(200);
    expect(health.body.nodes).toEqual({ total: 3, enrolling: 1, provisioning: 1, online: 1, offline: 0, expired: 0 });
  });

  it('when a thousand nodes go silent together, then all go offline over a few event-loop turns with one summary log line', async () => {
    const h = await harness();
    const COUNT = 1200;
    const tokens: string[] = [];
    // Concurrent enrollments share nodes.yaml writes (group commit).
    for (let i = 0; i < COUNT; i += 200) {
      const batch = await Promise.all(Array.from({ length: 200 }, (_, j) => h.addNode({ name: `s${i + j}` })));
      tokens.push(...batch.map((n) => n.token));
    }
    await Promise.all(tokens.map((t) => h.heartbeat(t)));
    h.log.lines.length = 0;
    h.clock.advance((OFFLINE_AFTER_S + 1) * 1000);
    const counts = () => h.core.fleet.stateCounts();
    // The sweeper tells nodes in slices: not all of them in the same turn.
    expect(counts().offline).toBeGreaterThan(0);
    expect(counts().offline).toBeLessThan(COUNT);
    for (let i = 0; i < 10 && counts().offline < COUNT; i++) await new Promise((r) => setImmediate(r));
    expect(counts()).toMatchObject({ offline: COUNT, online: 0 });
    const summaries = h.log.lines.filter((l) => l.msg === 'node offline: many at once');
    expect(summaries.length).toBeGreaterThanOrEqual(1);
    expect(summaries[0]!.count).toBe(COUNT);
    expect(h.log.lines.filter((l) => l.msg === 'node offline')).toHaveLength(0);
  });
});

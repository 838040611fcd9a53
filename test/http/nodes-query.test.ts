/**
 * Issue 23, item 3 and 8, server side: `GET /nodes` filters by name, state, kind, role, district
 * and venue on the server, refuses a bad or unknown parameter with a 400 naming it, and a node
 * restored at a restart is `carried_over` until it reports.
 */
import { describe, expect, it } from 'vitest';
import { harness, testConfig, type Harness } from '../support/harness.js';

const ids = async (h: Harness, query: string): Promise<string[]> => {
  const r = await h.json('GET', `/nodes${query}`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.map((n: { id: string }) => n.id).sort();
};

describe('GET /nodes filters', () => {
  it('when the query names state, role, district, venue, kind or name, then only the nodes matching all of them come back', async () => {
    const h = await harness();
    const a = await h.addNode({ name: 'render-a' });
    const b = await h.addNode({ name: 'render-b' });
    const c = await h.addNode({ name: 'kiosk', kind: 'flatscreen' });
    for (const n of [a, b, c]) await h.heartbeat(n.token);
    await h.json('POST', `/nodes/${a.id}/roles`, { body: { roles: ['plain-role'] } });
    await h.heartbeat(a.token, { roles_applied: ['plain-role'] });
    await h.json('PATCH', `/nodes/${a.id}`, { body: { district: 'bxl1', venue: 'hall-1' } });
    await h.json('PATCH', `/nodes/${b.id}`, { body: { district: 'bxl1', venue: 'hall-2' } });
    const pending = await h.enroll({ name: 'render-a' }); // same name, still enrolling

    expect(await ids(h, '?state=online&role=plain-role')).toEqual([a.id]);
    expect(await ids(h, '?district=bxl1')).toEqual([a.id, b.id].sort());
    expect(await ids(h, '?district=bxl1&venue=hall-2')).toEqual([b.id]);
    expect(await ids(h, '?kind=head')).toEqual([c.id]);
    expect(await ids(h, '?name=render-a')).toEqual([a.id, pending.node_id].sort());
    expect(await ids(h, '?name=render-a&state=enrolling')).toEqual([pending.node_id]);
    expect(await ids(h, '?name=nobody')).toEqual([]);
  });

  it('when a parameter has a bad value or is not one the endpoint knows, then 400 names it', async () => {
    const h = await harness();
    const bad = await h.json('GET', '/nodes?state=sleeping');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^query parameter `state`/);
    const unknown = await h.json('GET', '/nodes?stat=online');
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toContain('stat');
  });
});

describe('carried_over after a restart', () => {
  it('when the server restarts, then a registered node is carried_over until its first heartbeat; a new node never is', async () => {
    const h = await harness();
    const n = await h.addNode();
    await h.heartbeat(n.token);
    expect((await h.json('GET', `/nodes/${n.id}`)).body.carried_over).toBe(false);
    const waiting = await h.enroll({ name: 'not-yet' });
    await h.core.store.close();
    h.core.fleet.stop();
    const h2 = await harness({ home: h.home, clock: h.clock, config: testConfig() });
    const before = (await h2.json('GET', `/nodes/${n.id}`)).body;
    expect([before.state, before.carried_over]).toEqual(['online', true]);
    expect((await h2.json('GET', `/nodes/${waiting.node_id}`)).body.carried_over).toBe(false);
    await h2.heartbeat(n.token);
    expect((await h2.json('GET', `/nodes/${n.id}`)).body.carried_over).toBe(false);
  });
});

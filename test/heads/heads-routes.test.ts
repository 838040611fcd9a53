/**
 * Head routes in-process (docs/api.md#heads-and-eligibility, docs/api.md#conventions): the iPad's self-registration, who may read and report a
 * head, the head object's fields, assignments and allowed experiences, and the debug listing.
 */
import { describe, expect, it } from 'vitest';
import { ADMIN, FLEET, harness, testConfig } from '../support/harness.js';

const ipad = { name: 'ipad-lobby', district: 'bxl1', venue: 'cloud-seven' };

describe('heads', () => {
  it('when an iPad registers with the fleet token, then it is an online ipad head at once, with a head actor', async () => {
    const h = await harness();
    const r = await h.json('POST', '/heads', { token: FLEET, body: ipad });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({ head_id: expect.stringMatching(/^node-/), token: expect.any(String), server_url: h.core.config.server.public_url });
    const list = await h.json('GET', '/heads');
    expect(list.body).toHaveLength(1);
    expect(list.body[0]).toMatchObject({ id: r.body.head_id, kind: 'ipad', node_status: 'online', status: 'idle', district: 'bxl1', venue: 'cloud-seven', body_id: null, allowed_experiences: [] });
    expect(list.body[0]).not.toHaveProperty('diagnostics');
    expect(list.body[0].last_seen).toEqual(new Date(h.clock.now()).toISOString());
    const actors = await h.json('GET', '/debug/actors?kind=head');
    expect(actors.body).toEqual([expect.objectContaining({ id: `${r.body.head_id}/head`, kind: 'head', state: 'idle' })]);
    const node = await h.json('GET', `/nodes/${r.body.head_id}`);
    expect(node.body).toMatchObject({ kind: 'ipad', state: 'online' });
  });

  it('when the fleet token is used anywhere but POST /heads, then it is refused with 403', async () => {
    const h = await harness();
    const { body } = await h.json('POST', '/heads', { token: FLEET, body: ipad });
    for (const [m, p] of [['GET', '/heads'], ['GET', `/heads/${body.head_id}`], ['GET', '/enroll-qr'], ['GET', '/nodes'], ['GET', '/bodies/eligible'], ['POST', `/nodes/${body.head_id}/head-assignment`]] as const) {
      expect((await h.json(m, p, { token: FLEET, body: m === 'POST' ? { body_id: null } : undefined })).status, `${m} ${p}`).toBe(403);
    }
    expect((await h.json('POST', '/heads', { token: ADMIN, body: ipad })).status).toBe(403);
    expect((await h.json('POST', '/heads', { token: null, body: ipad })).status).toBe(401);
  });

  it('when a head reads or reports, then only its own token or the admin may, and its own PUT (not one by the admin) is its heartbeat', async () => {
    const h = await harness();
    const a = (await h.json('POST', '/heads', { token: FLEET, body: ipad })).body;
    const b = (await h.json('POST', '/heads', { token: FLEET, body: { ...ipad, name: 'ipad-2' } })).body;
    expect((await h.json('GET', `/heads/${a.head_id}`, { token: a.token })).status).toBe(200);
    expect((await h.json('GET', `/heads/${a.head_id}`, { token: b.token })).status).toBe(403);
    expect((await h.json('GET', '/heads', { token: a.token })).status).toBe(403);
    h.clock.advance(100_000);
    h.core.fleet.sweep();
    await new Promise((r) => setImmediate(r));
    expect((await h.json('GET', `/heads/${a.head_id}`)).body.node_status).toBe('offline');
    const put = await h.json('PUT', `/heads/${a.head_id}`, { token: a.token, body: { status: 'streaming', diagnostics: { app: 'moonlight', latency_ms: 12 } } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ status: 'streaming', node_status: 'online', diagnostics: { app: 'moonlight', latency_ms: 12 } });
    expect(put.body.last_seen).toEqual(new Date(h.clock.now()).toISOString());
    h.clock.advance(100_000);
    h.core.fleet.sweep();
    await new Promise((r) => setImmediate(r));
    const byAdmin = await h.json('PUT', `/heads/${a.head_id}`, { body: { status: 'error' } });
    expect(byAdmin.body).toMatchObject({ status: 'error', node_status: 'offline' }); // an admin's PUT is no heartbeat
    const bad = await h.json('PUT', `/heads/${a.head_id}`, { token: a.token, body: { status: 'dancing' } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('status');
  });

  it('when a body id is used as a head or a head as a body, then 409 wrong_kind; an unknown id is 404', async () => {
    const h = await harness();
    const head = (await h.json('POST', '/heads', { token: FLEET, body: ipad })).body.head_id;
    const other = (await h.json('POST', '/heads', { token: FLEET, body: { ...ipad, name: 'other' } })).body.head_id;
    const body = (await h.addNode({ name: 'render-1' })).id;
    const assign = (id: string, body_id: string | null) => h.json('POST', `/nodes/${id}/head-assignment`, { body: { body_id, app_id: 'Desktop' } });
    expect((await assign(body, body)).body.error).toBe('wrong_kind');
    expect((await assign(head, other)).body.error).toBe('wrong_kind');
    expect((await assign(head, 'node-01ARZ3NDEKTSV4RRFFQ69G5FAV')).status).toBe(404);
    expect((await h.json('GET', `/heads/${body}`)).status).toBe(409);
    expect((await h.json('GET', '/heads/node-01ARZ3NDEKTSV4RRFFQ69G5FAV')).status).toBe(404);
    expect((await h.json('POST', `/nodes/${body}/allowed-experiences`, { body: { experiences: ['a'] } })).status).toBe(409);
  });

  it('when an admin assigns a body, then the head shows its name and stream URLs from its last heartbeat; null clears', async () => {
    const h = await harness();
    const head = (await h.json('POST', '/heads', { token: FLEET, body: ipad })).body.head_id;
    const body = await h.addNode({ name: 'render-1' });
    await h.heartbeat(body.token, { lan_ip: '10.0.0.5', wg_ip: '10.8.0.5' });
    const r = await h.json('POST', `/nodes/${head}/head-assignment`, { body: { body_id: body.id, app_id: 'Desktop' } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ body_id: body.id, assigned_body_name: 'render-1', app_id: 'Desktop', stream_url: 'https://10.8.0.5:47990', stream_url_lan: 'https://10.0.0.5:47990' });
    const cleared = await h.json('POST', `/nodes/${head}/head-assignment`, { body: { body_id: null } });
    expect(cleared.body).toMatchObject({ body_id: null, assigned_body_name: null, app_id: null, stream_url: null, stream_url_lan: null });
    const allowed = await h.json('POST', `/nodes/${head}/allowed-experiences`, { body: { experiences: ['mercator-talks', 'atomium'] } });
    expect(allowed.body.allowed_experiences).toEqual(['mercator-talks', 'atomium']);
    const missing = await h.json('POST', `/nodes/${head}/head-assignment`, { body: { app_id: 'x' } });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toContain('body_id');
  });

  it('when the admin asks for the enrollment QR, then it gets the public URL and the fleet token', async () => {
    const h = await harness({ config: testConfig((d) => (d.server.public_url = 'https://hc.example.test')) });
    expect((await h.json('GET', '/enroll-qr')).body).toEqual({ server_url: 'https://hc.example.test', enrollment_token: FLEET });
    expect((await h.json('GET', '/enroll-qr', { token: null })).status).toBe(401);
  });

  it('when nodes.yaml cannot be written, then no head is registered and nothing is left behind', async () => {
    const { MemoryStore } = await import('../../src/persist/memory-store.js');
    const store = new MemoryStore();
    const h = await harness({ store });
    store.failWrites(new Error('ENOSPC'));
    const r = await h.json('POST', '/heads', { token: FLEET, body: ipad });
    expect(r.status).toBe(503);
    expect(h.core.heads.size).toBe(0);
    expect(h.core.fleet.size).toBe(0);
  });
});

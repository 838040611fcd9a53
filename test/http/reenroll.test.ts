/**
 * Re-enrollment (docs/api.md#re-enrollment, issue 19 acceptance 6): `POST /nodes/{id}/enrollment` issues a
 * single-use token for an existing node; redeeming it with `POST /register` keeps the node's id,
 * roles, place, drain and head pins and replaces its token.
 */
import { describe, expect, it } from 'vitest';
import { hashToken } from '../../src/ids.js';
import { FLEET, harness, testConfig, type Harness } from '../support/harness.js';

/** A registered, heartbeating body with roles, place and drain set through the admin API. */
async function placedBody(h: Harness) {
  const n = await h.addNode({ name: 'render-07', owner: 'ops' });
  await h.json('POST', `/nodes/${n.id}/roles`, { body: { roles: ['plain-role'] } });
  await h.json('PATCH', `/nodes/${n.id}`, { body: { district: 'bxl1', venue: 'atomium' } });
  await h.json('POST', `/nodes/${n.id}/drain`, { body: { drain: true, reason: 'disk swap' } });
  expect((await h.heartbeat(n.token, { roles_applied: ['plain-role'] })).status).toBe(200);
  return n;
}

const kept = (n: any) => ({ id: n.id, name: n.name, roles: n.roles, district: n.district, venue: n.venue, drain: n.drain, drain_reason: n.drain_reason });

describe('re-enrollment', () => {
  it('when a re-enrollment is redeemed, then the node keeps its id, roles, place and drain, the old token gets 401 and a second redeem fails', async () => {
    const h = await harness();
    const n = await placedBody(h);
    const before = (await h.json('GET', `/nodes/${n.id}`)).body;

    const re = await h.json('POST', `/nodes/${n.id}/enrollment`);
    expect(re.status).toBe(201);
    expect(re.body.node_id).toBe(n.id);
    expect(re.body.enrollment_token).toMatch(/^hce_/);
    expect(re.body.install.bash).toContain(re.body.enrollment_token);
    expect(re.body.install.powershell).toContain(re.body.enrollment_token);
    expect(Date.parse(re.body.expires_at)).toBe(h.clock.now() + testConfig().server.enrollment_ttl_s * 1000);
    // Until it is redeemed the node still answers to its token (a machine that is only slow).
    expect((await h.heartbeat(n.token)).status).toBe(200);
    const debug = JSON.stringify((await h.json('GET', `/debug/actors/${n.id}`)).body);
    expect(debug).toContain(re.body.enrollment_id);
    expect(debug).not.toContain(hashToken(re.body.enrollment_token));
    expect((await h.json('GET', `/nodes/${n.id}`)).body.enrollment_expires_at).toBe(re.body.expires_at);

    const reg = await h.json('POST', '/register', { token: re.body.enrollment_token, body: { hostname: 'new-disk', agent_version: '9.9.9' } });
    expect(reg.status).toBe(200);
    expect(reg.body.node_id).toBe(n.id);
    expect(reg.body.token).not.toBe(n.token);

    expect((await h.heartbeat(n.token)).status).toBe(401);
    expect((await h.json('POST', '/register', { token: re.body.enrollment_token })).status).toBe(401);
    const hb = await h.heartbeat(reg.body.token);
    expect(hb.status).toBe(200);
    expect(hb.body.node_id).toBe(n.id);

    const after = (await h.json('GET', `/nodes/${n.id}`)).body;
    expect(kept(after)).toEqual(kept(before));
    expect(after).toMatchObject({ hostname: 'new-disk', agent_version: '9.9.9', enrollment_id: re.body.enrollment_id, enrollment_expires_at: null });
    // The new machine has not applied the roles yet: it provisions again.
    expect(after.state).toBe('provisioning');
    expect(after.roles_applied).toEqual([]);
    expect((await h.heartbeat(reg.body.token, { roles_applied: ['plain-role'] })).body.state).toBe('online');
    expect(h.core.fleet.size).toBe(1);
  });

  it('when a head is re-enrolled, then its body assignment (head pin) stays, and the body it is pinned to keeps it too', async () => {
    const h = await harness();
    const body = await placedBody(h);
    const head = await h.addNode({ name: 'flat-1', kind: 'flatscreen' });
    expect((await h.json('POST', `/nodes/${head.id}/head-assignment`, { body: { body_id: body.id, app_id: 'Desktop' } })).status).toBe(200);
    for (const id of [head.id, body.id]) {
      const re = await h.json('POST', `/nodes/${id}/enrollment`);
      expect((await h.json('POST', '/register', { token: re.body.enrollment_token })).status).toBe(200);
    }
    const view = (await h.json('GET', `/heads/${head.id}`)).body;
    expect([view.body_id, view.app_id]).toEqual([body.id, 'Desktop']);
  });

  it('when a re-enrollment expires, then its token is refused and the node is unchanged, still answering to its token', async () => {
    const h = await harness();
    const n = await placedBody(h);
    const re = await h.json('POST', `/nodes/${n.id}/enrollment`, { body: { ttl_s: 60 } });
    expect(re.status).toBe(201);
    h.clock.advance(61_000);
    h.core.fleet.sweep();
    expect((await h.json('POST', '/register', { token: re.body.enrollment_token })).status).toBe(401);
    const v = (await h.json('GET', `/nodes/${n.id}`)).body;
    expect(v.enrollment_expires_at).toBeNull();
    expect((await h.heartbeat(n.token)).status).toBe(200);
  });

  it('when a re-enrollment is issued, then it survives a server restart and is redeemed there', async () => {
    const h = await harness();
    const n = await placedBody(h);
    const re = await h.json('POST', `/nodes/${n.id}/enrollment`);
    await h.core.store.close();
    h.core.fleet.stop();
    const h2 = await harness({ home: h.home, clock: h.clock });
    const reg = await h2.json('POST', '/register', { token: re.body.enrollment_token });
    expect([reg.status, reg.body.node_id]).toEqual([200, n.id]);
    expect((await h2.heartbeat(n.token)).status).toBe(401);
  });

  it('when an enrollment was never redeemed (expired), then a re-enrollment opens it again under the same id and roles', async () => {
    const h = await harness();
    const e = await h.enroll({ name: 'late' });
    await h.json('POST', `/nodes/${e.node_id}/roles`, { body: { roles: ['plain-role'] } });
    h.clock.advance(testConfig().server.enrollment_ttl_s * 1000 + 1000);
    h.core.fleet.sweep();
    expect((await h.json('GET', `/nodes/${e.node_id}`)).body.state).toBe('expired');
    const re = await h.json('POST', `/nodes/${e.node_id}/enrollment`);
    expect((await h.json('GET', `/nodes/${e.node_id}`)).body.state).toBe('enrolling');
    expect((await h.json('POST', '/register', { token: e.enrollment_token })).status).toBe(401);
    const reg = await h.json('POST', '/register', { token: re.body.enrollment_token });
    expect([reg.status, reg.body.node_id]).toEqual([200, e.node_id]);
    expect((await h.json('GET', `/nodes/${e.node_id}`)).body.roles).toEqual(['plain-role']);
  });

  it('when it is asked without the admin token, for an iPad, for an unknown node or with a ttl over the limit, then it is refused; an issued one is audited', async () => {
    const h = await harness();
    const n = await h.addNode();
    expect((await h.json('POST', `/nodes/${n.id}/enrollment`, { token: n.token })).status).toBe(403);
    expect((await h.json('POST', '/nodes/node-00000000000000000000000000/enrollment')).status).toBe(404);
    const big = await h.json('POST', `/nodes/${n.id}/enrollment`, { body: { ttl_s: testConfig().server.enrollment_ttl_s + 1 } });
    expect([big.status, big.body.message]).toEqual([400, expect.stringContaining('ttl_s')]);
    const ipad = (await h.json('POST', '/heads', { token: FLEET, body: { name: 'ipad' } })).body.head_id;
    expect((await h.json('POST', `/nodes/${ipad}/enrollment`)).status).toBe(409);
    expect((await h.json('POST', `/nodes/${n.id}/enrollment`)).status).toBe(201);
    const audit = (await h.json('GET', `/audit?node=${n.id}`)).body;
    expect(audit[0]).toMatchObject({ action: 'node.reenroll', status: 201 });
    expect(JSON.stringify(audit[0])).not.toContain('hce_');
  });
});

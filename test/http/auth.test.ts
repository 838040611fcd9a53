/**
 * The auth matrix of docs/api.md#conventions: 401 without a token, 403 with a token outside its rights, node A
 * never acting as node B, single-use and expiring enrollment tokens, rate-limited failures (only
 * failures count, and a valid token always passes).
 */
import { describe, expect, it } from 'vitest';
import { FLEET, harness, testConfig } from '../support/harness.js';

const NODE = 'node-01J00000000000000000000000';
const ADMIN_ENDPOINTS: Array<[string, string, unknown?]> = [
  ['GET', '/nodes'],
  ['GET', `/nodes/${NODE}`],
  ['PATCH', `/nodes/${NODE}`, { name: 'x' }],
  ['DELETE', `/nodes/${NODE}`],
  ['POST', `/nodes/${NODE}/roles`, { roles: [] }],
  ['GET', '/roles'],
  ['POST', `/nodes/${NODE}/update-node`],
  ['POST', `/nodes/${NODE}/update-services`],
  ['POST', `/nodes/${NODE}/reprovision`],
  ['POST', `/nodes/${NODE}/drain`, { drain: true }],
  ['GET', '/debug/actors'],
  ['GET', `/debug/actors/${NODE}`],
  ['GET', '/debug/requests'],
];
const AGENT_ENDPOINTS: Array<[string, string, unknown?]> = [
  ['POST', '/body/heartbeat', {}],
  ['GET', '/body/provision'],
];

describe('auth', () => {
  it('every admin endpoint answers 401 without a token, 401 with an unknown one, 403 with a node, fleet or enrollment token', async () => {
    const h = await harness();
    const node = await h.addNode();
    const enr = await h.enroll();
    for (const [method, path, body] of ADMIN_ENDPOINTS) {
      expect((await h.req(method, path, { token: null, body })).status, `${method} ${path} no token`).toBe(401);
      expect((await h.req(method, path, { token: 'hcn_nope', body })).status, `${method} ${path} unknown`).toBe(401);
      expect((await h.req(method, path, { token: node.token, body })).status, `${method} ${path} node token`).toBe(403);
      expect((await h.req(method, path, { token: FLEET, body })).status, `${method} ${path} fleet token`).toBe(403);
      // An enrollment token is a credential only for POST /register.
      expect((await h.req(method, path, { token: enr.enrollment_token, body })).status, `${method} ${path} enrollment`).toBe(401);
    }
  });

  it('agent endpoints answer 401 without a token and 403 with the admin or fleet token', async () => {
    const h = await harness();
    for (const [method, path, body] of AGENT_ENDPOINTS) {
      expect((await h.req(method, path, { token: null, body })).status).toBe(401);
      const admin = await h.json(method, path, { body });
      expect(admin.status).toBe(403);
      expect(admin.body.error).toBe('forbidden');
      expect((await h.req(method, path, { token: FLEET, body })).status).toBe(403);
    }
  });

  it("node A's token acts only as node A: its heartbeat changes A, never B", async () => {
    const h = await harness();
    const a = await h.addNode({ name: 'a' });
    const b = await h.addNode({ name: 'b' });
    const hb = await h.heartbeat(a.token, { hostname: 'host-a' });
    expect(hb.body.node_id).toBe(a.id);
    expect((await h.json('GET', `/nodes/${a.id}`)).body.hostname).toBe('host-a');
    expect((await h.json('GET', `/nodes/${b.id}`)).body.hostname).toBe(null);
    expect((await h.req('GET', `/nodes/${b.id}`, { token: a.token })).status).toBe(403);
  });

  it('an enrollment token is single-use: a second register is 401', async () => {
    const h = await harness();
    const e = await h.enroll();
    await h.register(e.enrollment_token);
    const again = await h.json('POST', '/register', { token: e.enrollment_token, body: {} });
    expect(again.status).toBe(401);
  });

  it('an expired enrollment token is refused with 401', async () => {
    const h = await harness();
    const e = await h.enroll();
    h.clock.advance(86_401 * 1000);
    expect((await h.req('POST', '/register', { token: e.enrollment_token, body: {} })).status).toBe(401);
  });

  it('register answers 403 to the admin token and 401 to none', async () => {
    const h = await harness();
    expect((await h.req('POST', '/register', { body: {} })).status).toBe(403);
    expect((await h.req('POST', '/register', { token: null, body: {} })).status).toBe(401);
  });

  it('a deleted node token stops working at once', async () => {
    const h = await harness();
    const n = await h.addNode();
    expect((await h.heartbeat(n.token)).status).toBe(200);
    expect((await h.req('DELETE', `/nodes/${n.id}`)).status).toBe(204);
    expect((await h.heartbeat(n.token)).status).toBe(401);
    expect((await h.req('GET', `/nodes/${n.id}`)).status).toBe(404);
  });

  it('tokens never appear in node objects, debug snapshots or logs', async () => {
    const h = await harness();
    const n = await h.addNode();
    await h.heartbeat(n.token);
    const seen = JSON.stringify([
      (await h.json('GET', `/nodes/${n.id}`)).body,
      (await h.json('GET', `/debug/actors/${n.id}`)).body,
      (await h.json('GET', '/debug/actors')).body,
      h.log.lines,
    ]);
    expect(seen).not.toContain(n.token);
    expect(seen).not.toMatch(/[0-9a-f]{64}/);
  });

  it('when an address has used up its failed authentications, then its bad requests get 429 with Retry-After while valid tokens still pass, and the window ends after a minute', async () => {
    const h = await harness({ config: testConfig((d) => (d.server.rate_limit_per_min = 5)) });
    for (let i = 0; i < 5; i++) expect((await h.req('GET', '/nodes', { token: 'wrong' })).status).toBe(401);
    const limited = await h.json('GET', '/nodes', { token: 'wrong' });
    expect(limited.status).toBe(429);
    expect(limited.body.error).toBe('rate_limited');
    expect((await h.req('GET', '/nodes', { token: null })).headers.get('retry-after')).toBe('60');
    expect((await h.req('GET', '/nodes')).status).toBe(200);
    h.clock.advance(30_000);
    expect((await h.req('GET', '/nodes', { token: 'wrong' })).headers.get('retry-after')).toBe('30');
    h.clock.advance(30_000);
    expect((await h.req('GET', '/nodes', { token: 'wrong' })).status).toBe(401);
  });

  it('when 200 requests with bad or missing tokens come from one address, then the ones past the limit get 429, and a valid admin request, heartbeat and exec submit from that address all succeed', async () => {
    const LIMIT = 10;
    const h = await harness({ config: testConfig((d) => (d.server.rate_limit_per_min = LIMIT)) });
    const node = await h.addNode();
    const used = await h.enroll();
    await h.register(used.enrollment_token);
    const bad: Array<[string, string, string | null, unknown?]> = [
      ['GET', '/nodes', 'hca_wrong-admin-token-0123456789abcdef'],
      ['GET', '/nodes', null],
      ['POST', '/body/heartbeat', 'hcn_not-a-node-token', {}],
      ['POST', '/body/heartbeat', null, {}],
      ['GET', '/body/exec', null],
      ['POST', `/nodes/${node.id}/exec`, 'wrong', { command: 'true' }],
      ['POST', '/register', null, {}],
      ['POST', '/register', 'hce_never-issued', {}],
    ];
    const statuses: number[] = [];
    for (let i = 0; i < 200; i++) {
      const [method, path, token, body] = bad[i % bad.length]!;
      const res = await h.req(method, path, { token, body });
      statuses.push(res.status);
      if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(statuses.slice(0, LIMIT)).toEqual(Array(LIMIT).fill(401));
    expect(statuses.slice(LIMIT)).toEqual(Array(200 - LIMIT).fill(429));

    expect((await h.req('GET', '/nodes')).status).toBe(200);
    expect((await h.heartbeat(node.token)).status).toBe(200);
    const submitted = await h.json('POST', `/nodes/${node.id}/exec`, { body: { command: 'echo hi' } });
    expect(submitted.status).toBe(202);
    expect(submitted.body.id).toMatch(/^exec-/);
    // Still limited for the bad ones.
    expect((await h.req('GET', '/nodes', { token: null })).status).toBe(429);
  });

  it('when a valid token is used outside its rights, then it is a 403 that never counts as a failed authentication', async () => {
    const h = await harness({ config: testConfig((d) => (d.server.rate_limit_per_min = 2)) });
    const node = await h.addNode();
    for (let i = 0; i < 20; i++) expect((await h.req('GET', '/nodes', { token: node.token })).status).toBe(403);
    for (let i = 0; i < 20; i++) expect((await h.req('POST', '/body/heartbeat', { body: {} })).status).toBe(403);
    expect((await h.req('GET', '/nodes', { token: 'wrong' })).status).toBe(401);
    expect((await h.req('GET', '/nodes', { token: 'wrong' })).status).toBe(401);
    expect((await h.req('GET', '/nodes', { token: 'wrong' })).status).toBe(429);
  });

  it('when requests need no token (health, anonymous enrollment), then they never count as failed authentications', async () => {
    const h = await harness({ config: testConfig((d) => (d.server.rate_limit_per_min = 2)) });
    for (let i = 0; i < 10; i++) expect((await h.req('GET', '/health', { token: null })).status).toBe(200);
    expect((await h.req('POST', '/enrollments', { token: null, body: { name: 'a' } })).status).toBe(201);
    expect((await h.req('GET', '/nodes', { token: null })).status).toBe(401);
    expect((await h.req('GET', '/nodes', { token: null })).status).toBe(401);
    expect((await h.req('GET', '/nodes', { token: null })).status).toBe(429);
  });

  it('anonymous enrollments are rate-limited per address; admin ones are not', async () => {
    const h = await harness({ config: testConfig((d) => (d.server.rate_limit_per_min = 3)) });
    for (let i = 0; i < 3; i++) expect((await h.req('POST', '/enrollments', { token: null, body: { name: `n${i}` } })).status).toBe(201);
    expect((await h.req('POST', '/enrollments', { token: null, body: { name: 'n4' } })).status).toBe(429);
    expect((await h.req('POST', '/enrollments', { body: { name: 'n5' } })).status).toBe(201);
  });

  it('anonymous enrollments stop at max_pending_enrollments waiting ones; redeeming or deleting makes room; admin ones always pass', async () => {
    const h = await harness({ config: testConfig((d) => (d.server.max_pending_enrollments = 2)) });
    const first = await h.json('POST', '/enrollments', { token: null, body: { name: 'a' } });
    expect(first.status).toBe(201);
    expect((await h.req('POST', '/enrollments', { token: null, body: { name: 'b' } })).status).toBe(201);
    const refused = await h.json('POST', '/enrollments', { token: null, body: { name: 'c' } });
    expect(refused.status).toBe(429);
    expect(refused.body.message).toMatch(/max_pending_enrollments/);
    const admin = await h.json('POST', '/enrollments', { body: { name: 'admin' } });
    expect(admin.status).toBe(201);
    await h.register(first.body.enrollment_token);
    // b and the admin one still wait: at the cap.
    expect((await h.req('POST', '/enrollments', { token: null, body: { name: 'd' } })).status).toBe(429);
    expect((await h.req('DELETE', `/nodes/${admin.body.node_id}`)).status).toBe(204);
    expect((await h.req('POST', '/enrollments', { token: null, body: { name: 'e' } })).status).toBe(201);
  });
});

/**
 * Bad input on every endpoint of the core: malformed JSON, wrong types, missing fields, unknown
 * enum values, over-long strings and oversize bodies get a 4xx whose message names the field.
 */
import { describe, expect, it } from 'vitest';
import { harness, testConfig, type Harness } from '../support/harness.js';

type Case = [label: string, method: string, path: (ids: Ids) => string, body: string, field: string | RegExp];
interface Ids { node: string; token: string; enrollment: string }

const CASES: Case[] = [
  ['enrollments: malformed JSON', 'POST', () => '/enrollments', '{"name":', /not valid JSON/],
  ['enrollments: missing name', 'POST', () => '/enrollments', '{}', 'name'],
  ['enrollments: name wrong type', 'POST', () => '/enrollments', '{"name":5}', 'name'],
  ['enrollments: empty name', 'POST', () => '/enrollments', '{"name":"  "}', 'name'],
  ['enrollments: unknown os', 'POST', () => '/enrollments', '{"name":"a","os":"beos"}', 'os'],
  ['enrollments: unknown kind', 'POST', () => '/enrollments', '{"name":"a","kind":"toaster"}', 'kind'],
  ['enrollments: over-long name', 'POST', () => '/enrollments', JSON.stringify({ name: 'x'.repeat(129) }), 'name'],
  ['enrollments: array body', 'POST', () => '/enrollments', '[1,2]', /body/],
  ['register: malformed JSON', 'POST', () => '/register', '{{', /not valid JSON/],
  ['register: hostname wrong type', 'POST', () => '/register', '{"hostname":[1]}', 'hostname'],
  ['heartbeat: malformed JSON', 'POST', () => '/body/heartbeat', 'nope', /not valid JSON/],
  ['heartbeat: roles_applied not a list', 'POST', () => '/body/heartbeat', '{"roles_applied":"a"}', 'roles_applied'],
  ['heartbeat: roles_applied item wrong type', 'POST', () => '/body/heartbeat', '{"roles_applied":["a",3]}', 'roles_applied[1]'],
  ['heartbeat: unknown ack flag', 'POST', () => '/body/heartbeat', '{"ack_flags":["reboot"]}', 'ack_flags[0]'],
  ['heartbeat: diagnostics not a map', 'POST', () => '/body/heartbeat', '{"diagnostics":"x"}', 'diagnostics'],
  ['heartbeat: too many diagnostics', 'POST', () => '/body/heartbeat', JSON.stringify({ diagnostics: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i])) }), 'diagnostics'],
  ['heartbeat: hostname too long', 'POST', () => '/body/heartbeat', JSON.stringify({ hostname: 'h'.repeat(256) }), 'hostname'],
  ['patch: malformed JSON', 'PATCH', (i) => `/nodes/${i.node}`, '{"name"', /not valid JSON/],
  ['patch: empty', 'PATCH', (i) => `/nodes/${i.node}`, '{}', /at least one/],
  ['patch: unknown field', 'PATCH', (i) => `/nodes/${i.node}`, '{"state":"online"}', 'state'],
  ['patch: kind unknown', 'PATCH', (i) => `/nodes/${i.node}`, '{"kind":"toaster"}', 'kind'],
  ['patch: owner wrong type', 'PATCH', (i) => `/nodes/${i.node}`, '{"owner":false}', 'owner'],
  ['roles: missing roles', 'POST', (i) => `/nodes/${i.node}/roles`, '{}', 'roles'],
  ['roles: not a list', 'POST', (i) => `/nodes/${i.node}/roles`, '{"roles":"render-node"}', 'roles'],
  ['roles: unknown role', 'POST', (i) => `/nodes/${i.node}/roles`, '{"roles":["render-node","nope"]}', /"nope"/],
  ['roles: malformed JSON', 'POST', (i) => `/nodes/${i.node}/roles`, '{"roles":[', /not valid JSON/],
  ['drain: missing drain', 'POST', (i) => `/nodes/${i.node}/drain`, '{}', 'drain'],
  ['drain: wrong type', 'POST', (i) => `/nodes/${i.node}/drain`, '{"drain":"yes"}', 'drain'],
  ['nodes: unknown state filter', 'GET', () => '/nodes?state=sleeping', '', 'state'],
  ['nodes: unknown kind filter', 'GET', () => '/nodes?kind=toaster', '', 'kind'],
  ['debug actors: bad limit', 'GET', () => '/debug/actors?limit=-4', '', 'limit'],
];

async function setup(): Promise<{ h: Harness; ids: Ids }> {
  const h = await harness({ config: testConfig((d) => (d.server.max_body_bytes = 4096)) });
  const n = await h.addNode();
  const e = await h.enroll();
  return { h, ids: { node: n.id, token: n.token, enrollment: e.enrollment_token } };
}

function tokenFor(path: string, ids: Ids): string | undefined {
  if (path.startsWith('/body/')) return ids.token;
  if (path === '/register') return ids.enrollment;
  return undefined;
}

describe('bad input', () => {
  it.each(CASES)('%s → 400 naming the field', async (_label, method, path, raw, field) => {
    const { h, ids } = await setup();
    const p = path(ids);
    const res = await h.req(method, p, { raw: raw || undefined, token: tokenFor(p, ids) });
    const body = await res.json();
    expect(res.status).toBe(400);
    expect(Object.keys(body).sort()).toEqual(['error', 'message']);
    if (typeof field === 'string') expect(body.message).toContain(`\`${field}\``);
    else expect(body.message).toMatch(field);
  });

  it('an oversize body is 413 on every body-taking endpoint, and nothing changes', async () => {
    const { h, ids } = await setup();
    const big = JSON.stringify({ name: 'x', pad: 'p'.repeat(5000) });
    for (const [method, path] of [
      ['POST', '/enrollments'],
      ['POST', '/register'],
      ['POST', '/body/heartbeat'],
      ['PATCH', `/nodes/${ids.node}`],
      ['POST', `/nodes/${ids.node}/roles`],
      ['POST', `/nodes/${ids.node}/drain`],
    ] as const) {
      const res = await h.req(method, path, { raw: big, token: tokenFor(path, ids) });
      expect(res.status, `${method} ${path}`).toBe(413);
      expect((await res.json()).error).toBe('payload_too_large');
    }
    expect((await h.json('GET', '/nodes')).body).toHaveLength(2);
  });

  it('an unknown node id is 404 on every node endpoint; a head for drain is 409 wrong_kind', async () => {
    const { h } = await setup();
    const missing = 'node-01J99999999999999999999999';
    for (const [method, path, body] of [
      ['GET', `/nodes/${missing}`],
      ['PATCH', `/nodes/${missing}`, { name: 'a' }],
      ['DELETE', `/nodes/${missing}`],
      ['POST', `/nodes/${missing}/roles`, { roles: [] }],
      ['POST', `/nodes/${missing}/update-node`],
      ['POST', `/nodes/${missing}/reprovision`],
      ['POST', `/nodes/${missing}/drain`, { drain: true }],
      ['GET', `/nodes/../../etc/passwd`],
    ] as const) {
      expect((await h.req(method, path, { body })).status, `${method} ${path}`).toBe(404);
    }
    const head = await h.enroll({ name: 'kiosk', kind: 'flatscreen' });
    const r = await h.json('POST', `/nodes/${head.node_id}/drain`, { body: { drain: true } });
    expect(r.status).toBe(409);
    expect(r.body.error).toBe('wrong_kind');
  });

  it('no bad input in this file produced a 500 or an error log', async () => {
    const { h, ids } = await setup();
    for (const [, method, path, raw] of CASES) {
      const p = path(ids);
      const res = await h.req(method, p, { raw: raw || undefined, token: tokenFor(p, ids) });
      expect(res.status).toBeLessThan(500);
    }
    expect(h.log.lines.filter((l) => l.level === 'error')).toEqual([]);
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ADMIN, FLEET, harness, testConfig } from '../support/harness.js';

const ALICE = 'hco_alice-token-0123456789abcdef';
const BOB = 'hco_bob-token-0123456789abcdefgh';
const opsConfig = () => testConfig((d) => (d.operators = { alice: ALICE, bob: BOB }));

/** Every secret the test used, and the hex SHA-256 digests of the node tokens. */
function grepAuditFiles(home: string, secrets: string[]): string[] {
  const hits: string[] = [];
  for (const f of readdirSync(home).filter((n) => n.startsWith('audit.log'))) {
    const text = readFileSync(join(home, f), 'utf8');
    for (const s of secrets) if (text.includes(s)) hits.push(`${f}: ${s.slice(0, 6)}…`);
  }
  return hits;
}

describe('audit log', () => {
  it('when two operators act, then each change is listed newest first with its operator, command text, address and status, and reads are absent', async () => {
    const h = await harness({ config: opsConfig() });
    const node = await h.addNode({ name: 'render-01' });
    expect((await h.json('POST', `/nodes/${node.id}/drain`, { token: ALICE, body: { drain: true, reason: 'maintenance' } })).status).toBe(200);
    const ex = await h.json('POST', `/nodes/${node.id}/exec`, { token: BOB, body: { command: 'systemctl restart larkxr' } });
    expect(ex.status).toBe(202);
    await h.json('GET', `/nodes/${node.id}`, { token: ALICE });
    await h.json('GET', '/nodes', { token: BOB });
    await h.heartbeat(node.token);

    const r = await h.json('GET', '/audit');
    expect(r.status).toBe(200);
    expect(r.body.map((e: any) => e.action)).toEqual(['exec.submit', 'node.drain', 'node.register', 'enrollment.create']);
    expect(r.body[0]).toMatchObject({
      operator: 'bob', target: node.id, status: 202, address: expect.any(String),
      detail: { command: 'systemctl restart larkxr', exec_id: ex.body.id },
    });
    expect(r.body[1]).toMatchObject({ operator: 'alice', target: node.id, status: 200, detail: { drain: true, reason: 'maintenance' } });
    expect(r.body[3]).toMatchObject({ operator: 'admin', target: node.id, status: 201 });
    expect(r.body[2]).toMatchObject({ operator: null, target: node.id, status: 200 });
    expect(Date.parse(r.body[0].time)).toBeGreaterThanOrEqual(Date.parse(r.body[3].time));
  });

  it('when a change is refused, then it is recorded with its 4xx status; an unknown token is recorded with no operator', async () => {
    const h = await harness({ config: opsConfig() });
    const node = await h.addNode();
    expect((await h.json('POST', `/nodes/${node.id}/exec`, { token: ALICE, body: { command: '' } })).status).toBe(400);
    expect((await h.json('DELETE', `/nodes/${node.id}`, { token: 'hco_not-a-real-token-0123456789' })).status).toBe(401);
    const r = await h.json('GET', `/audit?node=${node.id}&limit=2`);
    expect(r.body).toMatchObject([
      { action: 'node.delete', operator: null, status: 401 },
      { action: 'exec.submit', operator: 'alice', status: 400 },
    ]);
  });

  it('when anonymous attempts are throttled (429), then they are not recorded; the 401s before the throttle are', async () => {
    const h = await harness({ config: testConfig((d) => (d.server.rate_limit_per_min = 3)) });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await h.json('DELETE', '/nodes/node-x', { token: 'hco_not-a-real-token-0123456789' })).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
    expect((await h.json('GET', '/audit')).body.map((e: any) => e.status)).toEqual([401, 401, 401]);
  });

  it('when the audit is filtered by node, operator, since and limit, then only matching lines come back', async () => {
    const h = await harness({ config: opsConfig() });
    const a = await h.addNode({ name: 'a' });
    const b = await h.addNode({ name: 'b' });
    await h.json('POST', `/nodes/${a.id}/exec`, { token: ALICE, body: { command: 'echo a' } });
    h.clock.advance(2 * 3600_000);
    await h.json('POST', `/nodes/${b.id}/exec`, { token: BOB, body: { command: 'echo b1' } });
    await h.json('POST', `/nodes/${b.id}/exec`, { token: ALICE, body: { command: 'echo b2' } });

    const byNode = (await h.json('GET', `/audit?node=${b.id}`)).body.map((e: any) => e.detail.command ?? e.action);
    expect(byNode).toEqual(['echo b2', 'echo b1', 'node.register', 'enrollment.create']);
    const byOp = (await h.json('GET', '/audit?operator=alice')).body.map((e: any) => e.detail.command);
    expect(byOp).toEqual(['echo b2', 'echo a']);
    const recent = (await h.json('GET', '/audit?since=1h')).body.map((e: any) => e.detail.command);
    expect(recent).toEqual(['echo b2', 'echo b1']);
    expect((await h.json('GET', '/audit?limit=1')).body).toHaveLength(1);
    const bad = await h.json('GET', '/audit?since=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/since/);
  });

  it('when changes carry tokens, then no token or token hash appears in any audit file', async () => {
    const h = await harness({ config: opsConfig() });
    const e = await h.enroll({ name: 'n' });
    const reg = await h.register(e.enrollment_token);
    await h.json('PATCH', `/nodes/${reg.node_id}`, { token: ALICE, body: { owner: 'ops' } });
    await h.json('POST', `/nodes/${reg.node_id}/exec`, { token: BOB, body: { command: 'echo hi' } });
    const { hashToken } = await import('../../src/ids.js');
    const secrets = [ADMIN, FLEET, ALICE, BOB, e.enrollment_token, reg.token, hashToken(reg.token), hashToken(e.enrollment_token)];
    expect((await h.json('GET', '/audit')).body.length).toBeGreaterThanOrEqual(4);
    expect(grepAuditFiles(h.home, secrets)).toEqual([]);
  });

  it('when the audit is read without an admin token, then 401; a node token gets 403', async () => {
    const h = await harness({ config: opsConfig() });
    const node = await h.addNode();
    expect((await h.json('GET', '/audit', { token: null })).status).toBe(401);
    expect((await h.json('GET', '/audit', { token: node.token })).status).toBe(403);
  });
});

/**
 * Fleet exec (docs/api.md#fleet-exec): a batch over the nodes a target selects, each member an ordinary exec in
 * its node's queue, gathered by a batch actor and read with a long-poll.
 */
import { describe, expect, it } from 'vitest';
import { FLEET, type Harness } from '../support/harness.js';
import { execFixture, poll, report, result, settlesAtOnce } from './exec-helpers.js';

interface Fleet8 {
  h: Harness;
  nodes: Record<string, { id: string; token: string }>;
}

/** 8 nodes: bxl1-a..c (plain-role, online), bxl1-d (plain-role, never heartbeats), bxl1-e (no role), ams1-a..c (plain-role). */
async function fleet8(): Promise<Fleet8> {
  const { h } = await execFixture();
  const nodes: Fleet8['nodes'] = {};
  const add = async (name: string, district: string, role: boolean, online: boolean) => {
    const e = await h.enroll({ name });
    const r = await h.register(e.enrollment_token, { os: 'linux' });
    nodes[name] = { id: r.node_id, token: r.token };
    expect((await h.json('PATCH', `/nodes/${r.node_id}`, { body: { district, venue: `${district}-venue` } })).status).toBe(200);
    if (role) expect((await h.json('POST', `/nodes/${r.node_id}/roles`, { body: { roles: ['plain-role'] } })).status).toBe(200);
    if (online) expect((await h.heartbeat(r.token, { roles_applied: role ? ['plain-role'] : [] })).body.state).toBe('online');
  };
  for (const n of ['bxl1-a', 'bxl1-b', 'bxl1-c']) await add(n, 'bxl1', true, true);
  await add('bxl1-d', 'bxl1', true, false);
  await add('bxl1-e', 'bxl1', false, true);
  for (const n of ['ams1-a', 'ams1-b', 'ams1-c']) await add(n, 'ams1', true, true);
  return { h, nodes };
}

const submitBatch = (h: Harness, target: unknown, extra: Record<string, unknown> = {}, token?: string) =>
  h.json('POST', '/exec', { body: { command: 'systemctl is-active larkxr', target, ...extra }, token });

describe('fleet exec', () => {
  it('when the target names a role and a district, then exactly the matching online nodes get an exec and the others in it are skipped', async () => {
    const { h, nodes } = await fleet8();
    const r = await submitBatch(h, { role: 'plain-role', district: 'bxl1' });
    expect(r.status).toBe(202);
    expect(r.body.batch_id).toMatch(/^batch-[0-9A-Z]{26}$/);
    expect(r.body.execs.map((e: any) => e.node_id).sort()).toEqual([nodes['bxl1-a']!.id, nodes['bxl1-b']!.id, nodes['bxl1-c']!.id].sort());
    expect(r.body.skipped).toEqual([expect.objectContaining({ node_id: nodes['bxl1-d']!.id, reason: 'not_online' })]);
    // Each member is an ordinary exec, in its own node's queue, visible to that agent only.
    expect((await poll(h, nodes['ams1-a']!.token)).status).toBe(204);
    expect((await poll(h, nodes['bxl1-e']!.token)).status).toBe(204);
    const actors = (await h.json('GET', '/debug/actors')).body;
    expect(JSON.stringify(actors)).toContain(r.body.batch_id);
  });

  it('when one member never polls, then it stays pending, then expires, and the batch still finishes with every member readable through the single-exec API', async () => {
    const { h, nodes } = await fleet8();
    const r = await submitBatch(h, { district: 'bxl1', role: 'plain-role' }, { timeout_s: 30 });
    const id = r.body.batch_id;
    const execOf = (name: string) => r.body.execs.find((e: any) => e.node_id === nodes[name]!.id).id;
    const waiting = h.json('GET', `/exec/batches/${id}?wait=60`);
    for (const [name, code] of [['bxl1-a', 0], ['bxl1-b', 3]] as const) {
      const d = await poll(h, nodes[name]!.token);
      expect(d.body.id).toBe(execOf(name));
      await report(h, nodes[name]!.token, { id: d.body.id, exit_code: code, stdout: `${name} says hi\n` });
    }
    expect(await settlesAtOnce(waiting)).toBe(false);
    const now = await h.json('GET', `/exec/batches/${id}`);
    expect(now.body).toMatchObject({ state: 'running', total: 3, finished: 2, counts: { ok: 1, failed: 1, pending: 1 } });
    expect(now.body.results.find((m: any) => m.name === 'bxl1-c')).toMatchObject({ status: 'pending', exit_code: null });
    // The wait runs out first: then the batch as it stands.
    h.clock.advance(60_000);
    expect((await waiting).body).toMatchObject({ state: 'running', finished: 2 });
    const second = h.json('GET', `/exec/batches/${id}?wait=60`);
    h.clock.advance(30_000 + 90_000 - 60_000); // timeout_s + offline_after_s after it was queued
    expect(await settlesAtOnce(second)).toBe(true);
    const done = (await second).body;
    expect(done).toMatchObject({ state: 'finished', total: 3, finished: 3, counts: { ok: 1, failed: 1, expired: 1, pending: 0 } });
    expect(done.results.find((m: any) => m.name === 'bxl1-a')).toMatchObject({ status: 'done', exit_code: 0, stdout: 'bxl1-a says hi\n' });
    for (const m of done.results) {
      const single = await result(h, m.node_id, m.id);
      expect(single.status).toBe(200);
      expect(single.body).toMatchObject({ id: m.id, status: m.status, exit_code: m.exit_code, stdout: m.stdout });
    }
  });

  it('when a reader follows with since, then each answer holds only the members that finished after its cursor', async () => {
    const { h, nodes } = await fleet8();
    const r = await submitBatch(h, { district: 'ams1' });
    const id = r.body.batch_id;
    const first = h.json('GET', `/exec/batches/${id}?wait=30&since=0`);
    expect(await settlesAtOnce(first)).toBe(false);
    const d = await poll(h, nodes['ams1-b']!.token);
    await report(h, nodes['ams1-b']!.token, { id: d.body.id, exit_code: 0, stdout: 'ok\n' });
    expect(await settlesAtOnce(first)).toBe(true);
    const a = (await first).body;
    expect(a).toMatchObject({ cursor: 1, state: 'running' });
    expect(a.results.map((m: any) => m.name)).toEqual(['ams1-b']);
    for (const name of ['ams1-a', 'ams1-c']) {
      const x = await poll(h, nodes[name]!.token);
      await report(h, nodes[name]!.token, { id: x.body.id, exit_code: 0 });
    }
    const b = (await h.json('GET', `/exec/batches/${id}?wait=30&since=${a.cursor}`)).body;
    expect(b).toMatchObject({ cursor: 3, state: 'finished' });
    expect(b.results.map((m: any) => m.name).sort()).toEqual(['ams1-a', 'ams1-c']);
  });

  it('when an exec queue is full, then that node is skipped with queue_full and the batch goes on', async () => {
    const { h, nodes } = await fleet8();
    for (let i = 0; i < 100; i++) await h.json('POST', `/nodes/${nodes['ams1-a']!.id}/exec`, { body: { command: 'true' } });
    const r = await submitBatch(h, { district: 'ams1' });
    expect(r.status).toBe(202);
    expect(r.body.execs).toHaveLength(2);
    expect(r.body.skipped).toEqual([expect.objectContaining({ node_id: nodes['ams1-a']!.id, reason: 'queue_full' })]);
  });

  it('when the target is all, ids or matches nothing, then all online nodes, the named ones, or 200 with no execs', async () => {
    const { h, nodes } = await fleet8();
    expect((await submitBatch(h, { all: true })).body.execs).toHaveLength(7);
    const ids = await submitBatch(h, { ids: [nodes['bxl1-a']!.id, nodes['bxl1-d']!.id, 'node-01HZZZZZZZZZZZZZZZZZZZZZZZ'] });
    expect(ids.body.execs.map((e: any) => e.node_id)).toEqual([nodes['bxl1-a']!.id]);
    expect(ids.body.skipped.map((s: any) => s.reason).sort()).toEqual(['not_found', 'not_online']);
    const mixed = await submitBatch(h, { ids: [nodes['bxl1-a']!.id, nodes['ams1-a']!.id], district: 'ams1' });
    expect(mixed.body.execs.map((e: any) => e.node_id)).toEqual([nodes['ams1-a']!.id]);
    expect(mixed.body.skipped).toEqual([expect.objectContaining({ node_id: nodes['bxl1-a']!.id, reason: 'filter_mismatch' })]);
    const none = await submitBatch(h, { district: 'nowhere' });
    expect(none.status).toBe(200);
    expect(none.body.execs).toEqual([]);
    expect((await h.json('GET', `/exec/batches/${none.body.batch_id}`)).body).toMatchObject({ state: 'finished', total: 0 });
  });

  it('when the target is empty, missing or unknown, or a node token asks, then 400 naming the field, or 403', async () => {
    const { h, nodes } = await fleet8();
    for (const target of [{}, undefined, { colour: 'red' }, { state: 'online' }]) {
      const r = await submitBatch(h, target);
      expect(r.status).toBe(400);
      expect(r.body.message).toContain('target');
    }
    expect((await submitBatch(h, { all: true }, {}, nodes['bxl1-a']!.token)).status).toBe(403);
    const ok = await submitBatch(h, { all: true });
    expect((await h.json('GET', `/exec/batches/${ok.body.batch_id}`, { token: nodes['bxl1-a']!.token })).status).toBe(403);
    expect((await h.json('GET', `/exec/batches/batch-01HZZZZZZZZZZZZZZZZZZZZZZZ`)).status).toBe(404);
  });

  it('when a finished batch is older than result_ttl_s, then it is gone (404) and leaves the actor list', async () => {
    const { h, nodes } = await fleet8();
    const r = await submitBatch(h, { ids: [nodes['ams1-c']!.id] });
    const d = await poll(h, nodes['ams1-c']!.token);
    await report(h, nodes['ams1-c']!.token, { id: d.body.id, exit_code: 0 });
    expect((await h.json('GET', `/exec/batches/${r.body.batch_id}?wait=5`)).body.state).toBe('finished');
    h.clock.advance(3600 * 1000 - 1);
    expect((await h.json('GET', `/exec/batches/${r.body.batch_id}`)).status).toBe(200);
    h.clock.advance(1);
    expect((await h.json('GET', `/exec/batches/${r.body.batch_id}`)).status).toBe(404);
    expect(JSON.stringify((await h.json('GET', '/debug/actors')).body)).not.toContain(r.body.batch_id);
  });

  it('when a member node is deleted, then its member ends cancelled and the batch finishes', async () => {
    const { h, nodes } = await fleet8();
    const r = await submitBatch(h, { ids: [nodes['ams1-c']!.id] });
    const waiting = h.json('GET', `/exec/batches/${r.body.batch_id}?wait=30`);
    expect((await h.req('DELETE', `/nodes/${nodes['ams1-c']!.id}`)).status).toBe(204);
    expect(await settlesAtOnce(waiting)).toBe(true);
    expect((await waiting).body).toMatchObject({ state: 'finished', counts: { cancelled: 1 } });
  });

  it('when the target says kind head, then every online head with an exec channel gets an exec whatever its kind, no body, and an iPad is skipped (no_exec_channel)', async () => {
    const { h, nodes } = await fleet8();
    const ipad = (await h.json('POST', '/heads', { token: FLEET, body: { name: 'pad-1' } })).body.head_id;
    const e = await h.enroll({ name: 'wall-1', kind: 'windows' });
    const wall = await h.register(e.enrollment_token, { os: 'windows' });
    expect((await h.heartbeat(wall.token)).body.state).toBe('online');
    await h.enroll({ name: 'kiosk-1', kind: 'flatscreen' }); // never registered: not online
    const r = await submitBatch(h, { kind: 'head' });
    expect(r.status).toBe(202);
    const heads = (await h.json('GET', '/nodes?kind=head&state=online')).body.map((n: any) => n.id);
    expect(r.body.execs.map((x: any) => x.node_id)).toEqual([wall.node_id]);
    expect(heads.sort()).toEqual([ipad, wall.node_id].sort());
    expect(r.body.execs.map((x: any) => x.node_id)).not.toContain(nodes['bxl1-a']!.id);
    expect(r.body.skipped.map((x: any) => [x.name, x.reason]).sort()).toEqual([['kiosk-1', 'not_online'], ['pad-1', 'no_exec_channel']]);
    expect((await submitBatch(h, { kind: 'toaster' })).status).toBe(400);
  });
});

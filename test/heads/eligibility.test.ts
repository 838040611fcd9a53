/**
 * Body eligibility (docs/api.md#heads-and-eligibility): each rule excludes a body on its own, the order is pinned, venue,
 * owner, active heads, name; the index follows what the body actors publish (a drain, a district
 * change, a delete) without asking any actor; and the same through GET /bodies/eligible.
 */
import { describe, expect, it } from 'vitest';
import { BodyIndex, type HeadPlace } from '../../src/actors/head/eligibility.js';
import { nodeRecordSchema, type NodeRecord } from '../../src/actors/node/record.js';
import { FLEET, harness, type Harness } from '../support/harness.js';

let seq = 0;
function body(over: Partial<NodeRecord> & { provider?: string | null } = {}): NodeRecord {
  const { provider = 'running', ...rest } = over;
  const n = String(++seq).padStart(26, '0');
  const r = nodeRecordSchema.parse({
    id: `node-${n}`,
    name: `render-${n.slice(-4)}`,
    kind: 'body',
    state: 'online',
    district: 'bxl1',
    venue: 'v1',
    owner: 'o1',
    roles: ['render-node'],
    created_at: '2026-01-01T00:00:00.000Z',
    reported: { provider_status: provider, lan_ip: '10.0.0.9', wg_ip: '10.8.0.9' },
  });
  return { ...r, ...rest };
}

const place: HeadPlace = { district: 'bxl1', venue: 'v1', owner: 'o1', pinnedBodyId: null };
const ids = (index: BodyIndex, p: HeadPlace = place, active: (id: string) => number = () => 0) => index.rank(p, active).map((b) => b.body_id);

function indexOf(...records: NodeRecord[]): BodyIndex {
  const index = new BodyIndex();
  for (const r of records) index.changed(r.id, null, r);
  return index;
}

describe('eligibility rules', () => {
  it('when a body breaks exactly one rule (role, online, provider, drain, district, kind), then it alone is left out', () => {
    const good = body();
    const cases: Record<string, NodeRecord> = {
      role: body({ roles: ['plain-role'] }),
      online: body({ state: 'offline' }),
      provisioning: body({ state: 'provisioning' }),
      provider: body({ provider: 'stopped' }),
      'no provider report': body({ provider: null }),
      drain: body({ drain: true }),
      district: body({ district: 'ams1' }),
      kind: body({ kind: 'flatscreen' }),
    };
    for (const [rule, bad] of Object.entries(cases)) {
      expect(ids(indexOf(good, bad)), rule).toEqual([good.id]);
    }
  });

  it('when bodies differ in venue, owner, active heads and name, then they come in that order of precedence', () => {
    const a = body({ name: 'a', venue: 'v2', owner: 'o2' });
    const b = body({ name: 'b', venue: 'v1', owner: 'o2' });
    const c = body({ name: 'c', venue: 'v2', owner: 'o1' });
    const d = body({ name: 'd', venue: 'v1', owner: 'o1' });
    const e = body({ name: 'e', venue: 'v1', owner: 'o1' });
    const f = body({ name: 'f', venue: 'v1', owner: 'o1' });
    const active = (id: string) => (id === d.id ? 2 : id === e.id ? 1 : 0);
    // venue first (d,e,f,b before c,a); then owner (d,e,f before b); then fewest active (f,e,d); then name.
    expect(ids(indexOf(a, b, c, d, e, f), place, active)).toEqual([f.id, e.id, d.id, b.id, c.id, a.id]);
  });

  it('when the head has an eligible assigned body, then it comes first and pinned; an ineligible one is not listed', () => {
    const best = body({ name: 'a' });
    const assigned = body({ name: 'z', venue: 'elsewhere', owner: 'other' });
    const index = indexOf(best, assigned);
    const list = index.rank({ ...place, pinnedBodyId: assigned.id }, () => 0);
    expect(list.map((b) => [b.body_id, b.pinned])).toEqual([[assigned.id, true], [best.id, false]]);
    index.changed(assigned.id, assigned, { ...assigned, drain: true });
    expect(ids(index, { ...place, pinnedBodyId: assigned.id })).toEqual([best.id]);
  });

  it('when a body is drained, moves district or is deleted, then the index follows the published change', () => {
    const a = body();
    const index = indexOf(a);
    const drained = { ...a, drain: true };
    index.changed(a.id, a, drained);
    expect(ids(index)).toEqual([]);
    index.changed(a.id, drained, a);
    expect(ids(index)).toEqual([a.id]);
    const moved = { ...a, district: 'ams1' };
    index.changed(a.id, a, moved);
    expect(ids(index)).toEqual([]);
    expect(ids(index, { ...place, district: 'ams1' })).toEqual([a.id]);
    index.changed(a.id, moved, null);
    expect(index.size).toBe(0);
  });

  it('when a venue or owner is empty, then it matches nothing', () => {
    const a = body({ name: 'a', venue: '', owner: '' });
    const b = body({ name: 'b', venue: 'v9', owner: 'o9' });
    expect(ids(indexOf(a, b), { ...place, venue: '', owner: '' })).toEqual([a.id, b.id]);
  });
});

/** A render node through the real API: roles, place, and a heartbeat that makes it eligible. */
async function renderNode(h: Harness, name: string, place: Record<string, string>, beat: Record<string, unknown> = {}) {
  const n = await h.addNode({ name, owner: place.owner ?? '' });
  await h.json('POST', `/nodes/${n.id}/roles`, { body: { roles: ['render-node'] } });
  await h.json('PATCH', `/nodes/${n.id}`, { body: { district: place.district, venue: place.venue } });
  await h.heartbeat(n.token, { roles_applied: ['render-node'], provider_status: 'running', lan_ip: '10.0.0.1', wg_ip: '10.8.0.1', ...beat });
  return n;
}

describe('GET /bodies/eligible', () => {
  it('when a head asks, then it gets its district’s bodies best first; a drained one never; a streaming head counts', async () => {
    const h = await harness();
    const head = (await h.json('POST', '/heads', { token: FLEET, body: { name: 'kiosk', district: 'bxl1', venue: 'cloud-seven' } })).body;
    const far = await renderNode(h, 'a-far', { district: 'bxl1', venue: 'other' });
    const near1 = await renderNode(h, 'b-near', { district: 'bxl1', venue: 'cloud-seven' });
    const near2 = await renderNode(h, 'c-near', { district: 'bxl1', venue: 'cloud-seven' });
    await renderNode(h, 'ams', { district: 'ams1', venue: 'cloud-seven' });
    const drained = await renderNode(h, 'a-drained', { district: 'bxl1', venue: 'cloud-seven' });
    await h.json('POST', `/nodes/${drained.id}/drain`, { body: { drain: true } });
    const r = await h.json('GET', '/bodies/eligible', { token: head.token });
    expect(r.status).toBe(200);
    expect(r.body.map((b: { name: string }) => b.name)).toEqual(['b-near', 'c-near', 'a-far']);
    expect(r.body[0]).toEqual({
      body_id: near1.id, name: 'b-near', district: 'bxl1', venue: 'cloud-seven', owner: '',
      stream_url: 'https://10.8.0.1:47990', stream_url_lan: 'https://10.0.0.1:47990', active_heads: 0, pinned: false,
    });
    // Another head streams from b-near: c-near now has fewer active heads.
    const other = (await h.json('POST', '/heads', { token: FLEET, body: { name: 'k2', district: 'bxl1' } })).body;
    await h.json('PUT', `/heads/${other.head_id}`, { token: other.token, body: { status: 'streaming', streaming_body_id: near1.id } });
    const after = await h.json('GET', '/bodies/eligible', { token: head.token });
    expect(after.body.map((b: { name: string; active_heads: number }) => [b.name, b.active_heads])).toEqual([['c-near', 0], ['b-near', 1], ['a-far', 0]]);
    // The admin pins a-far: first, pinned.
    await h.json('POST', `/nodes/${head.head_id}/head-assignment`, { body: { body_id: far.id, app_id: 'Desktop' } });
    const pinned = await h.json('GET', `/bodies/eligible?head_id=${head.head_id}`);
    expect(pinned.body.map((b: { name: string; pinned: boolean }) => [b.name, b.pinned])).toEqual([['a-far', true], ['c-near', false], ['b-near', false]]);
    expect(near2.id).toBe(pinned.body[1].body_id);
  });

  it('when a provisioned body’s provider stops, then it stays online and is not eligible; running again, it is eligible again', async () => {
    const h = await harness();
    const head = (await h.json('POST', '/heads', { token: FLEET, body: { name: 'kiosk', district: 'bxl1' } })).body;
    const n = await renderNode(h, 'render', { district: 'bxl1' });
    const eligible = async () => (await h.json('GET', '/bodies/eligible', { token: head.token })).body.map((b: { body_id: string }) => b.body_id);
    expect(await eligible()).toEqual([n.id]);
    const stopped = await h.heartbeat(n.token, { roles_applied: ['render-node'], provider_status: 'stopped' });
    expect(stopped.body.state).toBe('online');
    expect((await h.json('GET', `/nodes/${n.id}`)).body).toMatchObject({ state: 'online', provider_status: 'stopped' });
    expect(await eligible()).toEqual([]);
    expect((await h.heartbeat(n.token, { roles_applied: ['render-node'], provider_status: 'running' })).body.state).toBe('online');
    expect(await eligible()).toEqual([n.id]);
  });

  it('when a render node is reprovisioned, then it stays provisioning (not eligible) until the agent acks and the provider runs again', async () => {
    const h = await harness();
    const head = (await h.json('POST', '/heads', { token: FLEET, body: { name: 'kiosk', district: 'bxl1' } })).body;
    const n = await renderNode(h, 'render', { district: 'bxl1' });
    const eligible = async () => (await h.json('GET', '/bodies/eligible', { token: head.token })).body.length;
    expect((await h.json('POST', `/nodes/${n.id}/reprovision`)).body.state).toBe('provisioning');
    expect((await h.heartbeat(n.token, { roles_applied: [], provider_status: 'installing' })).body.flags.reprovision).toBe(true);
    const acked = await h.heartbeat(n.token, { roles_applied: ['render-node'], provider_status: 'stopped', ack_flags: ['reprovision'] });
    expect(acked.body).toMatchObject({ state: 'provisioning', flags: { reprovision: false } });
    expect((await h.heartbeat(n.token, { roles_applied: ['render-node'], provider_status: 'starting' })).body.state).toBe('provisioning');
    expect(await eligible()).toBe(0);
    expect((await h.heartbeat(n.token, { roles_applied: ['render-node'], provider_status: 'running' })).body.state).toBe('online');
    expect(await eligible()).toBe(1);
  });

  it('when the admin asks without head_id, or a body’s token asks, then 400 naming head_id, and 403', async () => {
    const h = await harness();
    const r = await h.json('GET', '/bodies/eligible');
    expect(r.status).toBe(400);
    expect(r.body.message).toContain('head_id');
    const b = await h.addNode({ name: 'render' });
    expect((await h.json('GET', '/bodies/eligible', { token: b.token })).status).toBe(403);
    expect((await h.json('GET', `/bodies/eligible?head_id=${b.id}`)).status).toBe(409);
  });
});

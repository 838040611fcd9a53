/**
 * A full disk (docs/api.md#node-lifecycle, issue [robust] 3): every durable change answers 503 `persist_failed`,
 * leaves no trace in memory, and nothing acknowledged before is lost once the disk frees up.
 * The store's port injects ENOSPC (MemoryStore: its `durable` map is the disk).
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/persist/memory-store.js';
import { harness } from '../support/harness.js';

const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

async function fullDiskFixture() {
  const store = new MemoryStore();
  const h = await harness({ store });
  const body = await h.addNode({ name: 'body-1' });
  await h.heartbeat(body.token, {});
  const head = await h.addNode({ name: 'head-1', kind: 'flatscreen' });
  const pendingEnrollment = await h.enroll({ name: 'later' });
  const before = await h.json('GET', `/nodes/${body.id}`);
  store.failWrites(enospc());
  return { h, store, body, head, pendingEnrollment, before: before.body };
}

describe('on a full disk', () => {
  it('when nodes.yaml cannot be written, then every durable endpoint answers 503 persist_failed', async () => {
    const { h, body, pendingEnrollment } = await fullDiskFixture();
    const id = body.id;
    const attempts: Array<[string, string, unknown, string | undefined]> = [
      ['POST', '/enrollments', { name: 'new' }, undefined],
      ['POST', '/register', {}, pendingEnrollment.enrollment_token],
      ['PATCH', `/nodes/${id}`, { name: 'renamed' }, undefined],
      ['POST', `/nodes/${id}/roles`, { roles: ['plain-role'] }, undefined],
      ['POST', `/nodes/${id}/update-node`, undefined, undefined],
      ['POST', `/nodes/${id}/update-services`, undefined, undefined],
      ['POST', `/nodes/${id}/reprovision`, undefined, undefined],
      ['POST', `/nodes/${id}/drain`, { drain: true, reason: 'disk' }, undefined],
      ['DELETE', `/nodes/${id}`, undefined, undefined],
    ];
    for (const [method, path, reqBody, token] of attempts) {
      const r = await h.json(method, path, { body: reqBody, token });
      expect({ method, path, status: r.status, error: r.body?.error }).toEqual({ method, path, status: 503, error: 'persist_failed' });
    }
  });

  it('when a change was refused, then nothing of it exists in memory, and after the disk frees up nothing refused appears', async () => {
    const { h, store, body, pendingEnrollment, before } = await fullDiskFixture();
    const countBefore = (await h.json('GET', '/nodes')).body.length;
    await h.json('POST', '/enrollments', { body: { name: 'orphan' } });
    await h.json('POST', '/register', { token: pendingEnrollment.enrollment_token, body: {} });
    await h.json('PATCH', `/nodes/${body.id}`, { body: { name: 'renamed' } });
    await h.json('POST', `/nodes/${body.id}/reprovision`);
    await h.json('POST', `/nodes/${body.id}/drain`, { body: { drain: true } });
    await h.json('DELETE', `/nodes/${body.id}`);

    const list = (await h.json('GET', '/nodes')).body;
    expect(list.length).toBe(countBefore);
    expect(list.find((n: any) => n.name === 'orphan')).toBeUndefined();
    const now = (await h.json('GET', `/nodes/${body.id}`)).body;
    expect({ ...now, last_seen: before.last_seen }).toEqual(before);
    expect((await h.json('GET', `/nodes/${pendingEnrollment.node_id}`)).body.state).toBe('enrolling');

    store.failWrites(null);
    await store.commit();
    const onDisk = [...store.durable.values()] as any[];
    expect(onDisk.length).toBe(countBefore);
    expect(onDisk.find((r) => r.name === 'orphan' || r.name === 'renamed')).toBeUndefined();
    expect(onDisk.find((r) => r.id === body.id)).toMatchObject({ drain: false, reprovision_pending: false });
    // The refused registration left the enrollment open: its token still registers.
    expect((await h.json('POST', '/register', { token: pendingEnrollment.enrollment_token, body: {} })).status).toBe(200);
  });

  it('when the disk fills after changes were acknowledged, then those changes are still there once it frees up', async () => {
    const store = new MemoryStore();
    const h = await harness({ store });
    const n = await h.addNode({ name: 'kept' });
    expect((await h.json('PATCH', `/nodes/${n.id}`, { body: { district: 'bxl1' } })).status).toBe(200);
    store.failWrites(enospc());
    expect((await h.json('PATCH', `/nodes/${n.id}`, { body: { district: 'ams1' } })).status).toBe(503);
    store.failWrites(null);
    await store.commit();
    expect(store.durable.get(n.id)).toMatchObject({ name: 'kept', district: 'bxl1' });
  });

  it('when a heartbeat acknowledges a flag on a full disk, then 503 and the flag stays set for the next reply', async () => {
    const store = new MemoryStore();
    const h = await harness({ store });
    const n = await h.addNode();
    await h.heartbeat(n.token, {});
    await h.json('POST', `/nodes/${n.id}/update-node`);
    expect((await h.heartbeat(n.token, {})).body.flags.update_node).toBe(true);
    store.failWrites(enospc());
    const r = await h.heartbeat(n.token, { ack_flags: ['update_node'] });
    expect(r.status).toBe(503);
    store.failWrites(null);
    expect((await h.heartbeat(n.token, {})).body.flags.update_node).toBe(true);
  });
});

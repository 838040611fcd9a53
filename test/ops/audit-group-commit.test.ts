/**
 * The audit line of a change is written in the same fsync round as its nodes.yaml write (docs/api.md#accountability,
 * issue [ops]): the line's append starts while the nodes.yaml write is still under way, and the
 * answer waits for both. A slow disk is MemoryStore.hold(); the audit sink is watched by wrapping
 * its append.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/persist/memory-store.js';
import type { AuditEntry } from '../../src/wire/audit.js';
import { harness } from '../support/harness.js';

const turn = () => new Promise<void>((r) => setImmediate(r));

async function fixture() {
  const store = new MemoryStore();
  const h = await harness({ store });
  const body = await h.addNode({ name: 'body-1' });
  await h.heartbeat(body.token);
  const head = await h.addNode({ name: 'head-1', kind: 'flatscreen' });
  const appended: AuditEntry[] = [];
  const sink = h.core.audit;
  const append = sink.append.bind(sink);
  sink.append = (e: AuditEntry) => {
    appended.push(e);
    return append(e);
  };
  return { h, store, body, head, appended };
}

describe('audit line and nodes.yaml in one fsync round', () => {
  it('when a durable change is made on a slow disk, then its audit line is being written before nodes.yaml holds the change, and the answer waits for both', async () => {
    const { h, store, body, head, appended } = await fixture();
    const changes: Array<[string, string, unknown, string]> = [
      ['POST', `/nodes/${body.id}/drain`, { drain: true, reason: 'slow disk' }, 'node.drain'],
      ['PATCH', `/nodes/${body.id}`, { name: 'renamed' }, 'node.update'],
      ['POST', '/enrollments', { name: 'new-one' }, 'enrollment.create'],
      ['POST', `/nodes/${head.id}/head-assignment`, { body_id: body.id, app_id: 'Desktop' }, 'head.assign'],
      ['DELETE', `/nodes/${body.id}`, undefined, 'node.delete'],
    ];
    for (const [method, path, reqBody, action] of changes) {
      appended.length = 0;
      const writesBefore = store.stats().writes;
      const release = store.hold();
      let answered = false;
      const res = h.json(method, path, { body: reqBody }).then((r) => ((answered = true), r));
      // Some changes read a file first (an enrollment reads the release manifest for its install
      // commands): wait for the line by the clock, not a count of turns. nodes.yaml stays held.
      for (let i = 0; i < 5000 && appended.length === 0; i++) await new Promise((r) => setTimeout(r, 1));
      // The line is on its way while nodes.yaml is held: the two writes overlap.
      expect({ action, appended: appended.map((e) => e.action), nodesWritten: store.stats().writes - writesBefore }).toEqual({ action, appended: [action], nodesWritten: 0 });
      await turn();
      expect(answered).toBe(false); // not before nodes.yaml holds it
      release();
      const r = await res;
      expect(r.status, `${method} ${path}`).toBeLessThan(300);
      expect(store.stats().writes).toBeGreaterThan(writesBefore);
    }
    expect((await h.json('GET', `/nodes/${body.id}`)).status).toBe(404);
    expect((await h.json('GET', '/audit?limit=5')).body.map((e: any) => e.action)).toEqual(['node.delete', 'head.assign', 'enrollment.create', 'node.update', 'node.drain']);
  });

  it('when nodes.yaml then fails, then the answer is 503 persist_failed, the change is undone, and a second line records the failure', async () => {
    const { h, store, body, head } = await fixture();
    store.failWrites(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
    const r = await h.json('POST', `/nodes/${body.id}/drain`, { body: { drain: true, reason: 'full disk' } });
    expect(r).toMatchObject({ status: 503, body: { error: 'persist_failed' } });
    const a = await h.json('POST', `/nodes/${head.id}/head-assignment`, { body: { body_id: body.id, app_id: 'Desktop' } });
    expect(a).toMatchObject({ status: 503, body: { error: 'persist_failed' } });
    expect((await h.json('GET', `/nodes/${body.id}`)).body.drain).toBe(false);
    expect((await h.json('GET', `/heads/${head.id}`)).body.assignment ?? null).toBeNull();

    const lines = (await h.json('GET', '/audit?limit=4')).body;
    expect(lines.map((e: any) => [e.action, e.status])).toEqual([['head.assign', 503], ['head.assign', 200], ['node.drain', 503], ['node.drain', 200]]);
    expect(lines[2].detail).toMatchObject({ drain: true, reason: 'full disk', not_durable: expect.stringContaining('persist_failed: nodes.yaml could not be written') });
    expect(lines[3].detail.not_durable).toBeUndefined();
  });

  it('when a change is refused before anything is written, then one line with its 4xx, as before', async () => {
    const { h, head } = await fixture();
    const r = await h.json('POST', `/nodes/${head.id}/drain`, { body: { drain: true } });
    expect(r.status).toBe(409);
    expect((await h.json('GET', '/audit?limit=2')).body.map((e: any) => [e.action, e.status])).toEqual([['node.drain', 409], ['node.register', 200]]);
  });
});

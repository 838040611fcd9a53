/**
 * `hydracluster_persist_failures_total` (docs/operations.md "Metrics and alerts"): every failed
 * nodes.yaml write counts, so an alert can fire on a full disk before operators meet the 503s.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/persist/memory-store.js';
import { ADMIN, harness } from '../support/harness.js';

async function persistFailures(h: Awaited<ReturnType<typeof harness>>): Promise<number> {
  const res = await h.handle.app.request('/metrics', { headers: { authorization: `Bearer ${ADMIN}` } });
  const line = (await res.text()).split('\n').find((l) => l.startsWith('hydracluster_persist_failures_total '));
  return Number(line?.split(' ')[1]);
}

describe('persist failures metric', () => {
  it('when nodes.yaml writes fail, then the counter counts each failure and keeps it once the disk frees up', async () => {
    const store = new MemoryStore();
    const h = await harness({ store });
    expect(await persistFailures(h)).toBe(0);
    store.failWrites(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }));
    expect((await h.json('POST', '/enrollments', { body: { name: 'a' } })).status).toBe(503);
    expect((await h.json('POST', '/enrollments', { body: { name: 'b' } })).status).toBe(503);
    expect(await persistFailures(h)).toBe(2);
    store.failWrites(null);
    expect((await h.json('POST', '/enrollments', { body: { name: 'c' } })).status).toBe(201);
    expect(await persistFailures(h)).toBe(2);
  });
});

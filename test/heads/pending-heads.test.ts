/**
 * The bound on heads registered with the fleet token (POST /heads) that never reported back
 * (`server.max_pending_heads`): a leaked fleet token cannot add heads without end, and a head that
 * reported back, or was deleted, no longer counts, across a restart too.
 */
import { describe, expect, it } from 'vitest';
import { FLEET, harness, testConfig } from '../support/harness.js';

const MAX = 3;
const config = () => testConfig((d) => (d.server.max_pending_heads = MAX));
const ipad = (name: string) => ({ name, district: 'bxl1', venue: 'cloud-seven' });

describe('pending heads (server.max_pending_heads)', () => {
  it('when max_pending_heads heads never reported back, then POST /heads answers 429 too_many_pending_heads saying what to do', async () => {
    const h = await harness({ config: config() });
    for (let i = 0; i < MAX; i++) expect((await h.json('POST', '/heads', { token: FLEET, body: ipad(`ipad-${i}`) })).status).toBe(201);
    const refused = await h.json('POST', '/heads', { token: FLEET, body: ipad('one-too-many') });
    expect(refused.status).toBe(429);
    expect(refused.body.error).toBe('too_many_pending_heads');
    expect(refused.body.message).toMatch(/3 heads .* never reported back \(server\.max_pending_heads 3\)/);
    expect(refused.body.message).toMatch(/delete .*fleet_enrollment_token/);
    expect((await h.json('GET', '/heads')).body).toHaveLength(MAX);
  });

  it('when a pending head reports back with its own token, then it no longer counts; an admin PUT does not count as reporting', async () => {
    const h = await harness({ config: config() });
    const heads = [];
    for (let i = 0; i < MAX; i++) heads.push((await h.json('POST', '/heads', { token: FLEET, body: ipad(`ipad-${i}`) })).body);
    await h.json('PUT', `/heads/${heads[0].head_id}`, { body: { status: 'idle' } }); // the admin
    expect((await h.json('POST', '/heads', { token: FLEET, body: ipad('x') })).status).toBe(429);
    expect((await h.json('PUT', `/heads/${heads[0].head_id}`, { token: heads[0].token, body: { status: 'idle' } })).status).toBe(200);
    expect(h.core.heads.pendingCount).toBe(MAX - 1);
    expect((await h.json('POST', '/heads', { token: FLEET, body: ipad('room') })).status).toBe(201);
    expect((await h.json('POST', '/heads', { token: FLEET, body: ipad('full-again') })).status).toBe(429);
    // A heartbeat with the head's token counts as reporting back too; a deleted head frees its place.
    expect((await h.heartbeat(heads[1].token)).status).toBe(200);
    expect((await h.json('DELETE', `/nodes/${heads[2].head_id}`)).status).toBe(204);
    expect(h.core.heads.pendingCount).toBe(MAX - 2);
    // Reporting again changes nothing.
    await h.json('PUT', `/heads/${heads[0].head_id}`, { token: heads[0].token, body: { status: 'streaming' } });
    expect(h.core.heads.pendingCount).toBe(MAX - 2);
  });

  it('when the server restarts, then heads that never reported back still count and those that did still do not', async () => {
    const base = await harness({ config: config() });
    const heads = [];
    for (let i = 0; i < MAX; i++) heads.push((await base.json('POST', '/heads', { token: FLEET, body: ipad(`ipad-${i}`) })).body);
    await base.json('PUT', `/heads/${heads[0].head_id}`, { token: heads[0].token, body: { status: 'idle' } });
    await base.core.store.close();
    base.core.fleet.stop();
    const h = await harness({ home: base.home, clock: base.clock, config: config() });
    expect(h.core.heads.pendingCount).toBe(MAX - 1);
    expect((await h.json('POST', '/heads', { token: FLEET, body: ipad('room') })).status).toBe(201);
    expect((await h.json('POST', '/heads', { token: FLEET, body: ipad('full') })).status).toBe(429);
  });

  it('when heads are enrolled by an admin, then they never count as pending', async () => {
    const h = await harness({ config: config() });
    for (let i = 0; i < MAX + 1; i++) await h.addNode({ name: `flat-${i}`, kind: 'flatscreen' });
    expect(h.core.heads.pendingCount).toBe(0);
    expect((await h.json('POST', '/heads', { token: FLEET, body: ipad('ipad') })).status).toBe(201);
  });
});

/**
 * Domain rules decided by the node machine's guards, seen through the API: kind changes stay
 * within body or head kinds; debug snapshots show the live last_seen.
 */
import { describe, expect, it } from 'vitest';
import { harness } from '../support/harness.js';

describe('node kind changes', () => {
  it('when a body is patched to a head kind, then 409 wrong_kind and it stays a body', async () => {
    const h = await harness();
    const b = await h.addNode({ name: 'b1' });
    const r = await h.json('PATCH', `/nodes/${b.id}`, { body: { kind: 'ipad' } });
    expect(r.status).toBe(409);
    expect(r.body.error).toBe('wrong_kind');
    expect((await h.json('GET', `/nodes/${b.id}`)).body.kind).toBe('body');
  });

  it('when a head is patched to a body, then 409; to another head kind, then 200', async () => {
    const h = await harness();
    const e = await h.enroll({ name: 'kiosk', kind: 'flatscreen' });
    expect((await h.json('PATCH', `/nodes/${e.node_id}`, { body: { kind: 'body' } })).status).toBe(409);
    const ok = await h.json('PATCH', `/nodes/${e.node_id}`, { body: { kind: 'windows', name: 'kiosk-2' } });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ kind: 'windows', name: 'kiosk-2' });
  });
});

describe('debug snapshots', () => {
  it('when a node heartbeats, then its debug snapshot shows that last_seen at once, not the one on disk', async () => {
    const h = await harness();
    const n = await h.addNode();
    await h.heartbeat(n.token, {});
    h.clock.advance(30_000);
    await h.heartbeat(n.token, {});
    const snap = (await h.json('GET', `/debug/actors/${n.id}`)).body;
    expect(snap.context.record.last_seen).toBe(new Date(h.clock.now()).toISOString());
    expect(JSON.stringify(snap)).not.toMatch(/token_hash"\s*:\s*"/);
  });
});

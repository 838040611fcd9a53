/**
 * What an operator reads: request log lines at arrival and completion, the actor listing and one
 * actor's snapshot (docs/api.md#health-and-debugging, docs/operations.md#logs).
 */
import { describe, expect, it } from 'vitest';
import { harness } from '../support/harness.js';

describe('observability', () => {
  it('every request is logged at arrival and at completion with its path, status and duration', async () => {
    const h = await harness();
    await h.json('GET', '/nodes/node-01J00000000000000000000000');
    const lines = h.log.lines.filter((l) => l.path === '/api/v1/nodes/node-01J00000000000000000000000');
    expect(lines.map((l) => l.msg)).toEqual(['request', 'response']);
    expect(lines[0]).toMatchObject({ method: 'GET', req_id: lines[1]!.req_id });
    expect(lines[1]).toMatchObject({ status: 404 });
    expect(typeof lines[1]!.duration_ms).toBe('number');
  });

  it('GET /debug/actors lists each node actor with state and mailbox; GET /debug/actors/{id} has its context without secrets', async () => {
    const h = await harness();
    const n = await h.addNode({ name: 'dbg' });
    await h.heartbeat(n.token);
    const list = await h.req('GET', '/debug/actors');
    expect(list.headers.get('x-total-count')).toBe('1');
    const actors = await list.json();
    expect(actors).toEqual([
      expect.objectContaining({ id: n.id, kind: 'node', state: 'online', mailbox: 0, oldest_message_age_ms: null, last_event: 'heartbeat' }),
    ]);
    const one = (await h.json('GET', `/debug/actors/${n.id}`)).body;
    expect(one.context.record.name).toBe('dbg');
    expect(one.context.record.has_token).toBe(true);
    expect(JSON.stringify(one)).not.toMatch(/token_hash"\s*:\s*"|[0-9a-f]{64}/);
    expect((await h.json('GET', '/debug/actors/node-nope')).status).toBe(404);
  });
});

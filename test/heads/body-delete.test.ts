/**
 * Issue 23, item 6: deleting a body clears the assignments of the heads the admin had pinned to
 * it (named in the delete's audit line), so they fall back to eligibility; other heads keep theirs.
 */
import { describe, expect, it } from 'vitest';
import { harness } from '../support/harness.js';

describe('deleting a body', () => {
  it('when a body with pinned heads is deleted, then their assignments are cleared and audited, and other pins stay', async () => {
    const h = await harness();
    const body = await h.addNode({ name: 'render-1' });
    const other = await h.addNode({ name: 'render-2' });
    const head1 = await h.addNode({ name: 'tv-1', kind: 'flatscreen' });
    const head2 = await h.addNode({ name: 'tv-2', kind: 'flatscreen' });
    const head3 = await h.addNode({ name: 'tv-3', kind: 'flatscreen' });
    for (const [head, to] of [[head1, body], [head2, body], [head3, other]] as const) {
      expect((await h.json('POST', `/nodes/${head.id}/head-assignment`, { body: { body_id: to.id } })).status).toBe(200);
    }
    expect((await h.req('DELETE', `/nodes/${body.id}`)).status).toBe(204);
    const heads = Object.fromEntries((await h.json('GET', '/heads')).body.map((x: { id: string; body_id: string | null }) => [x.id, x.body_id]));
    expect(heads).toEqual({ [head1.id]: null, [head2.id]: null, [head3.id]: other.id });
    // One audit line, the delete's, names the heads it unpinned; each head's audit finds it.
    const del = (await h.json('GET', `/audit?node=${body.id}&limit=1`)).body[0];
    expect(del).toMatchObject({ action: 'node.delete', operator: 'admin', target: body.id, status: 204 });
    expect([...del.detail.cleared_heads].sort()).toEqual([head1.id, head2.id].sort());
    for (const head of [head1, head2]) expect((await h.json('GET', `/audit?node=${head.id}&limit=1`)).body[0]).toEqual(del);
    expect((await h.json('GET', `/audit?node=${head3.id}&limit=1`)).body[0].action).toBe('head.assign');
    // The pin is gone from nodes.yaml too (restored as cleared).
    expect(h.core.fleet.get(head1.id)!.published.assignment).toBeUndefined();
  });
});

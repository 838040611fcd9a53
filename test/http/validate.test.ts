/**
 * 400 messages stay short whatever the input: unknown keys are named only in part, and names taken
 * from the input (keys, record keys) are cut.
 */
import { describe, expect, it } from 'vitest';
import { MAX_MESSAGE_CHARS } from '../../src/issues.js';
import { harness } from '../support/harness.js';

describe('bounded validation messages', () => {
  it('when a PATCH carries 50,000 unknown keys, then the 400 names the first five and says how many more', async () => {
    const h = await harness();
    const node = await h.addNode();
    const body: Record<string, number> = {};
    for (let i = 0; i < 50_000; i++) body[`k${i}`] = i;
    const r = await h.json('PATCH', `/nodes/${node.id}`, { body });
    expect(r.status).toBe(400);
    expect(r.body.message).toBe('the body: unknown fields `k0`, `k1`, `k2`, `k3`, `k4` and 49995 more');
  });

  it('when an unknown key or a record key is huge, then the message shows only its start', async () => {
    const h = await harness();
    const node = await h.addNode();
    const huge = 'K'.repeat(100_000);
    const patch = await h.json('PATCH', `/nodes/${node.id}`, { body: { [huge]: 1 } });
    expect(patch.status).toBe(400);
    expect(patch.body.message.length).toBeLessThan(200);
    expect(patch.body.message).toContain(`\`${'K'.repeat(64)}…\``);

    const hb = await h.json('POST', '/body/heartbeat', { token: node.token, body: { diagnostics: { [huge]: 1 } } });
    expect(hb.status).toBe(400);
    expect(hb.body.message.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS + 1);
    expect(hb.body.message).toMatch(/^field `diagnostics\.K{64}…`/);
  });

  it('when a field is merely wrong, then the message is unchanged: it names the field', async () => {
    const h = await harness();
    const node = await h.addNode();
    const r = await h.json('POST', `/nodes/${node.id}/roles`, { body: { roles: ['a', 5] } });
    expect(r.body.message).toBe('field `roles[1]`: expected string, received number');
    const one = await h.json('PATCH', `/nodes/${node.id}`, { body: { state: 'online' } });
    expect(one.body.message).toBe('the body: unknown field `state`');
  });
});

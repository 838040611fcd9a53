import { describe, expect, it } from 'vitest';
import { harness } from './support/harness.js';

describe('smoke', () => {
  it('a node enrolls, registers and goes online at its first heartbeat', async () => {
    const h = await harness();
    const { id, token } = await h.addNode();
    const hb = await h.heartbeat(token, { hostname: 'box' });
    expect(hb.status).toBe(200);
    expect(hb.body.state).toBe('online');
    const got = await h.json('GET', `/nodes/${id}`);
    expect(got.body.hostname).toBe('box');
    expect(JSON.stringify(got.body)).not.toMatch(/hash|hcn_/);
  });
});

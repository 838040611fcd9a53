/**
 * An enrollment's own lifetime (docs/api.md#enrollment-and-registration `ttl_s`): 1 … enrollment_ttl_s, e.g. an install command or
 * a QR valid for 15 minutes.
 */
import { describe, expect, it } from 'vitest';
import { harness, testConfig } from '../support/harness.js';

describe('enrollment ttl_s', () => {
  it('when an enrollment has ttl_s 2, then after 3 s it is expired and its token registers nothing (401)', async () => {
    const h = await harness();
    const e = await h.enroll({ ttl_s: 2 });
    expect(Date.parse(e.expires_at) - h.clock.now()).toBe(2000);
    h.clock.advance(3000);
    const r = await h.json('POST', '/register', { token: e.enrollment_token, body: {} });
    expect(r.status).toBe(401);
    expect((await h.json('GET', `/nodes/${e.node_id}`)).body.state).toBe('expired');
  });

  it('when ttl_s is within the limit, then the token works until then', async () => {
    const h = await harness();
    const e = await h.enroll({ ttl_s: 900 });
    h.clock.advance(899_000);
    expect((await h.json('POST', '/register', { token: e.enrollment_token, body: {} })).status).toBe(200);
  });

  it('when ttl_s is above enrollment_ttl_s, then 400 naming ttl_s', async () => {
    const h = await harness({ config: testConfig((d) => (d.server.enrollment_ttl_s = 600)) });
    const r = await h.json('POST', '/enrollments', { body: { name: 'x', ttl_s: 601 } });
    expect(r.status).toBe(400);
    expect(r.body.message).toContain('ttl_s');
  });

  it('when ttl_s is 0 or not an integer, then 400 naming ttl_s', async () => {
    const h = await harness();
    for (const ttl of [0, 1.5, '60']) {
      const r = await h.json('POST', '/enrollments', { body: { name: 'x', ttl_s: ttl } });
      expect(r.status).toBe(400);
      expect(r.body.message).toContain('ttl_s');
    }
  });
});

/**
 * The web pages over the in-process app: sessions, redirects, CSRF, the login rate limit, filters,
 * and that no token ever appears in a page.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, FLEET, harness, testConfig, type Harness } from '../support/harness.js';
import { SESSION_TTL_S } from '../../src/http/session.js';
import { webClient } from './web-client.js';

const ADMIN_PAGES = ['/', '/heads', '/debug', '/enroll?tab=ipad'];
let h: Harness;
afterEach(() => h?.core.fleet.stop());

async function loggedIn(opts: Parameters<typeof harness>[0] = {}) {
  h = await harness(opts);
  const w = webClient(h);
  const res = await w.login(ADMIN);
  expect(res.status).toBe(303);
  return w;
}

describe('web pages: sessions and CSRF', () => {
  it('when there is no session, then every admin page redirects 303 to /login and admin API calls with only cookies are refused', async () => {
    h = await harness();
    const { id } = await h.addNode();
    const w = webClient(h);
    for (const path of [...ADMIN_PAGES, `/nodes/${id}`]) {
      const res = await w.req('GET', path);
      expect(res.status, path).toBe(303);
      expect(res.headers.get('location'), path).toBe(`/login?next=${encodeURIComponent(path)}`);
    }
    w.cookies.set('hc_session', 'forged-session-id');
    const actions: Array<[string, string, unknown]> = [
      ['POST', 'reprovision', {}], ['POST', 'update-node', {}], ['POST', 'update-services', {}], ['POST', 'drain', { drain: true }],
      ['POST', 'roles', { roles: [] }], ['PATCH', '', { owner: 'x' }], ['POST', 'exec', { command: 'true' }],
    ];
    for (const [method, action, json] of actions) {
      const res = await w.req(method, `/api/v1/nodes/${id}${action ? `/${action}` : ''}`, { json, headers: { 'x-csrf-token': 'x' } });
      expect(res.status, action).toBe(401);
    }
    expect((await h.json('GET', `/nodes/${id}`)).body).toMatchObject({ drain: false, owner: '', exec_depth: 0, flags: { reprovision: false } });
    expect((await w.req('GET', '/api/v1/nodes')).status).toBe(401);
    expect((await w.req('POST', '/logout', { form: { _csrf: 'x' } })).status).toBe(303);
  });

  it('when the admin logs in, then the session cookie is HttpOnly, SameSite=Strict and expiring, and the operator is shown', async () => {
    h = await harness();
    const w = webClient(h);
    const page = await (await w.req('GET', '/login')).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)![1]!;
    const res = await w.req('POST', '/login', { form: { token: ADMIN, _csrf: csrf, next: '/debug' } });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/debug');
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('hc_session='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(new RegExp(`Max-Age=${SESSION_TTL_S}`));
    const home = await w.req('GET', '/');
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('id="operator">admin<');
  });

  it('when a login redirect names another site, then it goes to / instead', async () => {
    h = await harness();
    const w = webClient(h);
    const page = await (await w.req('GET', '/login')).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)![1]!;
    const res = await w.req('POST', '/login', { form: { token: ADMIN, _csrf: csrf, next: '//evil.example/x' } });
    expect(res.headers.get('location')).toBe('/');
  });

  it('when a session posts to the API without its CSRF token, then 403 and nothing changes; with it, the action goes through', async () => {
    const w = await loggedIn();
    const { id } = await h.addNode();
    const cross = await w.req('POST', `/api/v1/nodes/${id}/reprovision`, { headers: { origin: 'https://evil.example' } });
    expect(cross.status).toBe(403);
    const wrong = await w.req('POST', `/api/v1/nodes/${id}/reprovision`, { headers: { 'x-csrf-token': 'not-the-token' } });
    expect(wrong.status).toBe(403);
    expect((await h.json('GET', `/nodes/${id}`)).body.flags.reprovision).toBe(false);
    const good = await w.req('POST', `/api/v1/nodes/${id}/reprovision`, { headers: { 'x-csrf-token': await w.csrf() } });
    expect(good.status).toBe(202);
    expect((await h.json('GET', `/nodes/${id}`)).body.flags.reprovision).toBe(true);
    // Reads need no CSRF token.
    expect((await w.req('GET', `/api/v1/nodes/${id}`)).status).toBe(200);
    const missing = await w.req('GET', '/nodes/node-nope');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/text\/html/);
  });

  it('when a login or logout form comes without its CSRF token, then it is refused with 403', async () => {
    const w = await loggedIn();
    expect((await w.req('POST', '/logout', { form: {} })).status).toBe(403);
    expect((await w.req('GET', '/')).status).toBe(200);
    const other = webClient(h);
    expect((await other.req('POST', '/login', { form: { token: ADMIN } })).status).toBe(403);
    expect(other.cookies.has('hc_session')).toBe(false);
  });

  it('when the admin logs out, then the session is gone for pages and for the API', async () => {
    const w = await loggedIn();
    const old = w.cookies.get('hc_session')!;
    const page = await (await w.req('GET', '/')).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)![1]!;
    expect((await w.req('POST', '/logout', { form: { _csrf: csrf } })).status).toBe(303);
    expect(w.cookies.has('hc_session')).toBe(false);
    w.cookies.set('hc_session', old);
    expect((await w.req('GET', '/')).status).toBe(303);
    expect((await w.req('GET', '/api/v1/nodes')).status).toBe(401);
  });

  it('when the session is older than its lifetime, then pages redirect to /login again', async () => {
    const w = await loggedIn();
    expect((await w.req('GET', '/')).status).toBe(200);
    h.clock.advance(SESSION_TTL_S * 1000);
    expect((await w.req('GET', '/')).status).toBe(303);
  });

  it('when wrong tokens are posted to /login past rate_limit_per_min, then 429 with Retry-After, and a right one still logs in', async () => {
    h = await harness({ config: testConfig((doc) => void (doc.server.rate_limit_per_min = 3)) });
    const w = webClient(h);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await w.login(`wrong-${i}`)).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    expect((await w.login(ADMIN)).status).toBe(303);
  });
});

describe('web pages: content', () => {
  it('when /enroll is opened without a session, then the form and the recovery steps are there', async () => {
    h = await harness();
    const res = await webClient(h).req('GET', '/enroll');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('data-api="/api/v1/enrollments"');
    for (const step of ['schtasks /query /tn HydraNode', 'schtasks /run /tn HydraNode', 'hydranode.exe install']) expect(html).toContain(step);
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
  });

  it('when the dashboard is filtered by district, state or kind, then only matching nodes are listed, and the live fragment is the table alone', async () => {
    const w = await loggedIn();
    const a = await h.addNode({ name: 'alpha' });
    await h.addNode({ name: 'beta' });
    await h.json('PATCH', `/nodes/${a.id}`, { body: { district: 'north' } });
    const north = await (await w.req('GET', '/?district=north&state=&kind=')).text();
    expect(north).toContain('>alpha<');
    expect(north).not.toContain('>beta<');
    const heads = await (await w.req('GET', '/?kind=head')).text();
    expect(heads).not.toContain('>alpha<');
    const frag = await (await w.req('GET', '/', { headers: { 'x-fragment': 'live' } })).text();
    expect(frag).toContain('id="nodes"');
    expect(frag).not.toContain('<html');
  });

  it('when any page is rendered, then no admin, fleet or node token appears in its HTML (the fleet token only inside the iPad QR)', async () => {
    const w = await loggedIn();
    const { id, token } = await h.addNode({ name: 'secret-check' });
    await h.heartbeat(token, { provider_status: 'running' });
    const pages = ['/enroll', '/', `/nodes/${id}`, '/heads', '/debug', '/enroll?tab=ipad'];
    for (const path of pages) {
      const res = await w.req('GET', path);
      expect(res.status, path).toBe(200);
      const html = await res.text();
      expect(html, path).not.toContain(ADMIN);
      expect(html, path).not.toContain(token);
      if (!path.includes('ipad')) expect(html, path).not.toContain(FLEET);
    }
    const anon = webClient(h);
    for (const path of ['/enroll', '/login', '/enroll?tab=ipad']) expect(await (await anon.req('GET', path)).text()).not.toContain(FLEET);
  });
});

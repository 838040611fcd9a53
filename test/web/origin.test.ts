/**
 * Session-cookie requests that change something or open a session come only from public_url's
 * origin (issue 18 item 1, docs/architecture.md#web-pages), over the in-process app: the JSON refusal, the login and
 * logout forms, the enroll form's cookie, origins compared normalized, bearer clients unaffected.
 * The real sockets and the agent's view of the shell: test/shell/shell-origin.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, harness, testConfig, type Harness } from '../support/harness.js';
import { originOf } from '../../src/http/origin.js';
import { webClient, type WebClient } from './web-client.js';

let h: Harness;
afterEach(() => h?.core.fleet.stop());

async function loggedIn(publicUrl?: string): Promise<WebClient> {
  h = await harness(publicUrl ? { config: testConfig((d) => (d.server.public_url = publicUrl)) } : {});
  const w = webClient(h);
  expect((await w.login(ADMIN)).status).toBe(303);
  return w;
}

const loginField = async (w: WebClient) => /name="_csrf" value="([^"]+)"/.exec(await (await w.req('GET', '/login')).text())![1]!;

describe('origins', () => {
  it('when origins are compared, then scheme, host case, default port and any path or trailing slash are normalized', () => {
    expect(originOf('http://127.0.0.1:80/')).toBe('http://127.0.0.1');
    expect(originOf('HTTPS://Hydra.Example.COM:443/dash/')).toBe('https://hydra.example.com');
    expect(originOf('http://[::1]:8080')).toBe('http://[::1]:8080');
    expect(originOf('null')).toBeNull();
    expect(originOf('not a url')).toBeNull();
  });

  it('when a session with its CSRF token changes something or upgrades from another origin or without Origin, then 403 cross_origin naming public_url, and nothing changes', async () => {
    const w = await loggedIn('http://127.0.0.1:8080');
    const { id } = await h.addNode();
    const csrf = await w.csrf();
    for (const origin of ['http://evil.example', 'http://127.0.0.1:8081', 'https://127.0.0.1:8080', '']) {
      const res = await w.req('POST', `/api/v1/nodes/${id}/reprovision`, { headers: { 'x-csrf-token': csrf, origin } });
      expect(res.status, origin).toBe(403);
      const body = await res.json();
      expect(body.error).toBe('cross_origin');
      expect(body.message).toContain('http://127.0.0.1:8080');
      const ws = await w.req('GET', `/api/v1/nodes/${id}/shell?cols=80&rows=24`, { headers: { upgrade: 'websocket', 'x-csrf-token': csrf, ...(origin ? { origin } : {}) } });
      expect(ws.status, origin).toBe(403);
      expect((await ws.json()).error).toBe('cross_origin');
    }
    const sameSite = await w.req('PATCH', `/api/v1/nodes/${id}`, { json: { owner: 'x' }, headers: { 'x-csrf-token': csrf, 'sec-fetch-site': 'same-site' } });
    expect(sameSite.status).toBe(403);
    expect((await h.json('GET', `/nodes/${id}`)).body).toMatchObject({ owner: '', flags: { reprovision: false } });
    // Reads stay open to the session; the dashboard's own origin (and Sec-Fetch-Site same-origin) changes things.
    expect((await w.req('GET', `/api/v1/nodes/${id}`, { headers: { origin: 'http://evil.example' } })).status).toBe(200);
    const ok = await w.req('POST', `/api/v1/nodes/${id}/reprovision`, { headers: { 'x-csrf-token': csrf, origin: 'http://127.0.0.1:8080', 'sec-fetch-site': 'same-origin' } });
    expect(ok.status).toBe(202);
  });

  it('when public_url carries its default port and a trailing slash, then the dashboard Origin without them is its origin, and another port is not', async () => {
    const w = await loggedIn('http://hydra.example.test:80/');
    const { id } = await h.addNode();
    const csrf = await w.csrf();
    const post = (origin: string) => w.req('POST', `/api/v1/nodes/${id}/reprovision`, { headers: { 'x-csrf-token': csrf, origin } });
    expect((await post('http://hydra.example.test:8080')).status).toBe(403);
    expect((await post('http://hydra.example.test')).status).toBe(202);
  });

  it('when a bearer client sends any Origin or none, then only its token counts', async () => {
    h = await harness();
    const { id } = await h.addNode();
    expect((await h.req('POST', `/nodes/${id}/reprovision`, { headers: { origin: 'http://evil.example' } })).status).toBe(202);
    expect((await h.req('POST', `/nodes/${id}/update-node`)).status).toBe(202);
  });

  it('when the login form is posted from another origin or without Origin, with its valid CSRF field and the admin token, then 403 and no session', async () => {
    h = await harness();
    for (const origin of ['http://evil.example', 'http://127.0.0.1:9999', '']) {
      const w = webClient(h);
      const res = await w.req('POST', '/login', { form: { token: ADMIN, _csrf: await loginField(w), next: '/' }, headers: { origin } });
      expect(res.status, origin).toBe(403);
      expect(await res.text()).toContain('server.public_url');
      expect(w.cookies.has('hc_session')).toBe(false);
    }
  });

  it('when the logout form is posted from another origin with the session CSRF field, then 403 and the session lives on', async () => {
    const w = await loggedIn();
    const page = await (await w.req('GET', '/')).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)![1]!;
    expect((await w.req('POST', '/logout', { form: { _csrf: csrf }, headers: { origin: 'http://127.0.0.1:8081' } })).status).toBe(403);
    expect((await w.req('GET', '/')).status).toBe(200);
    expect((await w.req('POST', '/logout', { form: { _csrf: csrf } })).status).toBe(303);
    expect((await w.req('GET', '/')).status).toBe(303);
  });

  it('when the enroll form sends the session from another origin, then the enrollment is an anonymous one, not the operator\'s', async () => {
    const w = await loggedIn();
    const csrf = await w.csrf();
    const foreign = await w.req('POST', '/api/v1/enrollments', { json: { name: 'from-elsewhere' }, headers: { 'x-csrf-token': csrf, origin: 'http://evil.example' } });
    expect(foreign.status).toBe(201);
    const own = await w.req('POST', '/api/v1/enrollments', { json: { name: 'from-the-dashboard' }, headers: { 'x-csrf-token': csrf } });
    expect(own.status).toBe(201);
    const lines = (await h.json('GET', '/audit?limit=10')).body as Array<{ operator: string | null }>;
    const by = (name: string) => lines.find((l) => JSON.stringify(l).includes(name))?.operator;
    expect(by((await foreign.json()).node_id)).toBeNull();
    expect(by((await own.json()).node_id)).toBe('admin');
  });
});

/**
 * The redirect after a login (issue 18 items 3 and 5): `next` is followed only when it is a local
 * path as the browser reads it (tabs and newlines dropped, backslashes read as slashes), by GET for
 * a logged-in user and through the POST /login form; CR/LF in it never reaches a header.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, harness, type Harness } from '../support/harness.js';
import { safeNext } from '../../src/web/login.routes.js';
import { webClient } from './web-client.js';

let h: Harness;
afterEach(() => h?.core.fleet.stop());

/** The values as they appear in a URL's query, and as the form field carries them decoded. */
const HOSTILE_QUERY = ['/%09/evil.example', '/%0a/evil', '/%0d/evil', '/\\evil', '/%5Cevil', '//evil', 'https://evil', '/%09%5C/evil', '%2F%2Fevil', '/.//evil'];
const HOSTILE_FIELD = ['/\t/evil.example', '/\n/evil', '/\r/evil', '/\\evil', '//evil', 'https://evil', '\t//evil', '/\\\t/evil', '/.//evil', 'javascript:alert(1)'];

/** Where a browser on the dashboard goes with this Location: the same origin, or not. */
const staysLocal = (location: string) => new URL(location, 'http://127.0.0.1:8080').origin === 'http://127.0.0.1:8080';

describe('login redirect target', () => {
  it('when next is not a local path once tabs and newlines are dropped and backslashes read as slashes, then it is /', () => {
    for (const v of HOSTILE_FIELD) expect(safeNext(v), JSON.stringify(v)).toBe('/');
    expect(safeNext(undefined)).toBe('/');
    expect(safeNext('')).toBe('/');
  });

  it('when next is a local path, then it is kept, serialized as a URL path (ASCII, no control characters)', () => {
    expect(safeNext('/')).toBe('/');
    expect(safeNext('/nodes/node-1?tab=exec#out')).toBe('/nodes/node-1?tab=exec#out');
    expect(safeNext('/heads?q=a b')).toBe('/heads?q=a%20b');
    expect(safeNext('/nodes/é')).toBe('/nodes/%C3%A9');
    expect(safeNext('/a/../b')).toBe('/b');
  });

  it('when a logged-in user opens /login?next=<hostile>, then the Location is a local path', async () => {
    h = await harness();
    const w = webClient(h);
    expect((await w.login(ADMIN)).status).toBe(303);
    for (const q of HOSTILE_QUERY) {
      const res = await w.req('GET', `/login?next=${q}`);
      expect(res.status, q).toBe(303);
      const location = res.headers.get('location')!;
      expect(location, q).toBe('/');
      expect(staysLocal(location)).toBe(true);
    }
    const kept = await w.req('GET', `/login?next=${encodeURIComponent('/nodes/node-1')}`);
    expect(kept.headers.get('location')).toBe('/nodes/node-1');
  });

  it('when next carries CR/LF for a logged-in user, then no 500 and no injected header', async () => {
    h = await harness();
    const w = webClient(h);
    expect((await w.login(ADMIN)).status).toBe(303);
    for (const q of ['/%0d%0aSet-Cookie:%20x=y', '/x%0d%0aLocation:%20//evil', '%0d%0a', '/ok%0a']) {
      const res = await w.req('GET', `/login?next=${q}`);
      expect(res.status, q).toBe(303);
      expect(res.headers.get('location'), q).toBe('/');
      expect(res.headers.getSetCookie().join(';'), q).not.toContain('x=y');
    }
  });

  it('when the login form carries a hostile next (GET shows it, POST follows it), then the form holds / and the redirect after the token is /', async () => {
    h = await harness();
    for (const q of HOSTILE_QUERY) {
      const page = await (await webClient(h).req('GET', `/login?next=${q}`)).text();
      expect(/name="next" value="([^"]*)"/.exec(page)![1], q).toBe('/');
    }
    for (const next of HOSTILE_FIELD) {
      const w = webClient(h);
      const csrf = /name="_csrf" value="([^"]+)"/.exec(await (await w.req('GET', '/login')).text())![1]!;
      const res = await w.req('POST', '/login', { form: { token: ADMIN, _csrf: csrf, next } });
      expect(res.status, JSON.stringify(next)).toBe(303);
      expect(res.headers.get('location'), JSON.stringify(next)).toBe('/');
    }
  });
});

/**
 * Malformed form bodies (issue 18 item 5): every form route of the web pages (every non-GET route
 * outside /api, found from the app's own route table, so a new one is covered too) answers 400 to
 * a body that is not a well-formed form, logged in or not, and never 500.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, harness, type Harness } from '../support/harness.js';
import { parseUrlencoded } from '../../src/web/form.js';
import { webClient } from './web-client.js';

let h: Harness;
afterEach(() => h?.core.fleet.stop());

/** [content-type, body] pairs that are not a well-formed form. */
const MALFORMED: Array<[string, string | Uint8Array<ArrayBuffer>]> = [
  ['multipart/form-data; boundary=x', '{}'],
  ['multipart/form-data', 'token=x'],
  ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="token"\r\n\r\nunterminated'],
  ['application/x-www-form-urlencoded', 'token=%zz'],
  ['application/x-www-form-urlencoded', '_csrf=abc&next=%'],
  ['application/x-www-form-urlencoded', 'token=%ff%fe'],
  ['application/x-www-form-urlencoded', new Uint8Array([0x74, 0x3d, 0xff, 0xfe])],
  ['application/json', '{}'],
  ['text/plain', 'token=x'],
];

/** The web app's form routes: non-GET routes outside /api and /metrics. */
function formRoutes(hh: Harness): Array<{ method: string; path: string }> {
  const seen = new Set<string>();
  for (const r of hh.handle.app.routes) {
    if (r.method === 'GET' || r.method === 'ALL' || r.path.startsWith('/api/') || r.path === '/metrics') continue;
    seen.add(`${r.method} ${r.path}`);
  }
  return [...seen].map((s) => ({ method: s.split(' ')[0]!, path: s.split(' ')[1]! }));
}

describe('web form bodies', () => {
  it('when any form route gets a malformed multipart or urlencoded body, with a session or without, then 400 invalid_request and the session lives on', async () => {
    h = await harness();
    const routes = formRoutes(h);
    expect(routes.map((r) => `${r.method} ${r.path}`).sort()).toEqual(expect.arrayContaining(['POST /login', 'POST /logout']));
    const anon = webClient(h);
    const admin = webClient(h);
    expect((await admin.login(ADMIN)).status).toBe(303);
    for (const w of [anon, admin]) {
      for (const { method, path } of routes) {
        for (const [type, body] of MALFORMED) {
          const headers: Record<string, string> = { 'content-type': type, origin: 'http://127.0.0.1:8080' };
          const cookie = [...w.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
          if (cookie) headers.cookie = cookie;
          const res = await h.handle.app.request(path, { method, headers, body, redirect: 'manual' });
          const what = `${method} ${path} ${type} ${JSON.stringify(typeof body === 'string' ? body : [...body])}`;
          expect(res.status, what).toBe(400);
          expect(await res.text(), what).toContain('Bad request');
        }
      }
    }
    expect((await admin.req('GET', '/')).status).toBe(200);
    expect(h.log.lines.filter((l) => l.msg === 'unhandled error')).toEqual([]);
  });

  it('when a urlencoded body is well formed, then it decodes as browsers encode it', () => {
    const bytes = (s: string) => new TextEncoder().encode(s).buffer as ArrayBuffer;
    expect({ ...parseUrlencoded(bytes('token=a+b%2Bc&next=%2Fnodes%2F%C3%A9&flag&=empty&&_csrf=')) }).toEqual({ token: 'a b+c', next: '/nodes/é', flag: '', '': 'empty', _csrf: '' });
    expect({ ...parseUrlencoded(bytes('__proto__=x')) }).toEqual({ ['__proto__']: 'x' });
  });
});

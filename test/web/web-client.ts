/**
 * A tiny cookie-keeping client for the web pages over the in-process app (harness): log in through
 * the real /login form, then request pages and API routes with the session cookie (and, on a
 * change, the Origin of public_url, as a browser on the dashboard sends it).
 */
import type { Harness } from '../support/harness.js';

export interface WebClient {
  cookies: Map<string, string>;
  req(method: string, path: string, init?: { form?: Record<string, string>; json?: unknown; raw?: string; headers?: Record<string, string> }): Promise<Response>;
  /** Logs in with `token` through GET + POST /login; returns the POST's response. */
  login(token: string): Promise<Response>;
  /** The CSRF token of the session (from a page's meta tag). */
  csrf(): Promise<string>;
}

export function webClient(h: Harness): WebClient {
  const cookies = new Map<string, string>();
  const keep = (res: Response) => {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i);
      const value = pair!.slice(i + 1);
      if (value === '' || /max-age=0/i.test(line)) cookies.delete(name);
      else cookies.set(name, value);
    }
    return res;
  };
  const client: WebClient = {
    cookies,
    async req(method, path, init = {}) {
      // Like a browser on the dashboard at public_url: Origin on every change, unless the test names one ('' = none).
      const headers: Record<string, string> = { ...(method === 'GET' ? {} : { origin: new URL(h.core.config.server.public_url).origin }), ...(init.headers ?? {}) };
      if (headers.origin === '') delete headers.origin;
      if (cookies.size) headers.cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
      let body: string | undefined;
      if (init.form) {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        body = new URLSearchParams(init.form).toString();
      } else if (init.raw !== undefined) {
        body = init.raw;
      } else if (init.json !== undefined) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(init.json);
      }
      return keep(await h.handle.app.request(path, { method, headers, body, redirect: 'manual' }));
    },
    async login(token) {
      const page = await (await client.req('GET', '/login')).text();
      const csrf = /name="_csrf" value="([^"]+)"/.exec(page)![1]!;
      return client.req('POST', '/login', { form: { token, _csrf: csrf, next: '/' } });
    },
    async csrf() {
      const page = await (await client.req('GET', '/heads')).text();
      return /<meta name="csrf" content="([^"]+)"/.exec(page)![1]!;
    },
  };
  return client;
}

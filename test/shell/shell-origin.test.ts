/**
 * Cross-site WebSocket hijacking of the shell (issue 18 item 1, docs/architecture.md#web-pages): a logged-in admin's
 * browser on another origin (another site, or another port of the server's own host, which
 * SameSite=Strict lets the cookie through to) must not open a shell, even with the session's CSRF
 * token; the dashboard at public_url may, and the CLI's bearer upgrade (no Origin) still does.
 * The real server in-process on 127.0.0.1:0, with public_url the address it serves.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { openShell } from '../../src/cli/shell.js';
import { ADMIN } from '../support/harness.js';
import { call } from '../support/process.js';
import { connect, shellActors, shellServer, type ShellServer } from './shell-helpers.js';

let srv: ShellServer | null = null;
afterEach(async () => {
  await srv?.stop();
  srv = null;
});

/** Logs in through the real /login form as the dashboard does; the session cookie and its CSRF token. */
async function browserSession(url: string): Promise<{ cookie: string; csrf: string }> {
  const form = await fetch(`${url}/login`);
  const login = /hc_login=([^;]+)/.exec(form.headers.getSetCookie().join('\n'))![1]!;
  const field = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
  const res = await fetch(`${url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { origin: url, cookie: `hc_login=${login}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: ADMIN, _csrf: field, next: '/' }).toString(),
  });
  expect(res.status).toBe(303);
  const cookie = `hc_session=${/hc_session=([^;]+)/.exec(res.headers.getSetCookie().join('\n'))![1]!}`;
  const page = await (await fetch(`${url}/`, { headers: { cookie } })).text();
  return { cookie, csrf: /<meta name="csrf" content="([^"]+)"/.exec(page)![1]! };
}

/** A WebSocket upgrade with these headers only (no bearer): 101, or the refusal's status (the node adapter sends no body with it). */
function upgrade(url: string, path: string, headers: Record<string, string>): Promise<{ status: number; ws?: WebSocket }> {
  const ws = new WebSocket(url.replace(/^http/, 'ws') + '/api/v1' + path, { headers });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ status: 101, ws }));
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
    });
    ws.once('error', reject);
  });
}

/** What the node's agent is offered right now (its check, its heartbeat, the actor listing). */
async function offered(url: string, token: string) {
  const check = await call(url, 'GET', '/body/shell/check?wait=0', undefined, token);
  const hb = await call(url, 'POST', '/body/heartbeat', {}, token);
  return { sessions: check.body.sessions.length, pending: hb.body.shell_pending, actors: (await shellActors(url)).length };
}

describe('shell upgrades and changes with the session cookie come only from public_url', () => {
  it('when a page from another site, another port of the same host, a same-site frame or no Origin upgrades with a valid cookie and CSRF token, then 403 cross_origin and the agent is offered nothing', async () => {
    srv = await shellServer((d) => delete d.server.public_url);
    const node = await srv.addNode();
    const { cookie, csrf } = await browserSession(srv.url);
    const port = Number(new URL(srv.url).port);
    const attempts: Array<Record<string, string>> = [
      { origin: 'http://evil.example' },
      { origin: `http://127.0.0.1:${port + 1}` },
      { origin: `http://localhost:${port}` },
      { origin: 'null' },
      { origin: srv.url, 'sec-fetch-site': 'same-site' },
      {},
    ];
    for (const extra of attempts) {
      const r = await upgrade(srv.url, `/nodes/${node.id}/shell?cols=80&rows=24`, { cookie, 'x-csrf-token': csrf, ...extra });
      expect(r.status, JSON.stringify(extra)).toBe(403);
      const post = await fetch(`${srv.url}/api/v1/nodes/${node.id}/reprovision`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrf, ...extra } });
      expect(post.status, JSON.stringify(extra)).toBe(403);
      expect((await post.json()).error).toBe('cross_origin');
    }
    expect(await offered(srv.url, node.token)).toEqual({ sessions: 0, pending: 0, actors: 0 });
    expect((await call(srv.url, 'GET', `/nodes/${node.id}`)).body.flags.reprovision).toBe(false);
  });

  it('when the dashboard at public_url upgrades and posts with its cookie (its CSRF token on the POST), then the shell opens for the agent and the change goes through', async () => {
    srv = await shellServer((d) => delete d.server.public_url);
    const node = await srv.addNode();
    const { cookie, csrf } = await browserSession(srv.url);
    const r = await upgrade(srv.url, `/nodes/${node.id}/shell?cols=80&rows=24`, { cookie, origin: srv.url, 'sec-fetch-site': 'same-origin' });
    expect(r.status).toBe(101);
    expect(await offered(srv.url, node.token)).toEqual({ sessions: 1, pending: 1, actors: 1 });
    r.ws!.close();
    const post = await fetch(`${srv.url}/api/v1/nodes/${node.id}/reprovision`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrf, origin: srv.url } });
    expect(post.status).toBe(202);
    expect((await call(srv.url, 'GET', `/nodes/${node.id}`)).body.flags.reprovision).toBe(true);
  });

  it("when the CLI opens a shell with its bearer token and no Origin, then it opens and the agent is offered the session", async () => {
    srv = await shellServer((d) => delete d.server.public_url);
    const node = await srv.addNode();
    const ws = await openShell({ server: srv.url, token: ADMIN }, { nodeId: node.id, cols: 80, rows: 24, command: null });
    expect(await offered(srv.url, node.token)).toMatchObject({ sessions: 1, actors: 1 });
    ws.close();
    // A bearer client is judged by its token alone: an Origin it sends changes nothing.
    const other = connect(srv.url, `/nodes/${node.id}/shell?cols=80&rows=24`, ADMIN, { origin: 'http://evil.example' });
    expect(await other.opened).toBe(101);
    other.ws.close();
  });
});

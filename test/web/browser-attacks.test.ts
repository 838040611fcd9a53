/**
 * Issue 18 items 1 and 3 in headless Chromium, as the attacks were made: a page served from
 * another port of the server's host (the same site, so the SameSite=Strict cookie goes along),
 * opened in a logged-in admin's browser, tries to open the shell; and `/login?next=/%09/evil.example`
 * by GET and through the form. The server runs in-process on 127.0.0.1:0 with public_url the
 * address it serves; the dashboard, used there, still opens the shell.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { memoryLogger } from '../../src/log.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { ADMIN } from '../support/harness.js';
import { call, makeHome } from '../support/process.js';
import { hasChromium, launch, logIn } from './browser.js';

const WAIT_MS = 15_000;

/** In the page: opens the node's shell WebSocket; resolves `open` or `refused`. */
const OPEN_SHELL = `(url) => new Promise((resolve) => {
  const ws = new WebSocket(url);
  ws.onopen = () => { resolve('open'); ws.close(); };
  ws.onerror = () => resolve('refused');
})`;

describe.skipIf(!hasChromium)('attacks through the admin\'s browser', () => {
  let running: RunningServer;
  let attacker: Server;
  let attackerUrl = '';
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;
  let node = { id: '', token: '' };

  beforeAll(async () => {
    [running, browser] = await Promise.all([startServer({ home: makeHome((d) => delete d.server.public_url), listen: '127.0.0.1:0', log: memoryLogger() }), launch()]);
    attacker = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>cat pictures</title>'));
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
    const e = await call(running.url, 'POST', '/enrollments', { name: 'victim', os: 'linux' });
    const r = await call(running.url, 'POST', '/register', {}, e.body.enrollment_token);
    node = { id: r.body.node_id, token: r.body.token };
    ctx = await browser.newContext();
    page = await ctx.newPage();
    page.setDefaultTimeout(WAIT_MS);
    await logIn(page, running.url, ADMIN);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    attacker?.close();
    await running?.stop();
  });

  const offered = async () => (await call(running.url, 'GET', '/body/shell/check?wait=0', undefined, node.token)).body.sessions.length;
  const shellUrl = () => `${running.url.replace(/^http/, 'ws')}/api/v1/nodes/${node.id}/shell?cols=80&rows=24`;

  it('when a page on another port of the same host opens the shell in the logged-in admin\'s browser, then it is refused and the agent is offered nothing', async () => {
    const evil = await ctx.newPage();
    await evil.goto(attackerUrl);
    expect(await evil.evaluate(`(${OPEN_SHELL})(${JSON.stringify(shellUrl())})`)).toBe('refused');
    expect(await offered()).toBe(0);
    await evil.close();
  });

  it('when the dashboard at public_url opens the shell, then it opens and the agent is offered the session', async () => {
    await page.goto(`${running.url}/`);
    expect(await page.evaluate(`(${OPEN_SHELL})(${JSON.stringify(shellUrl())})`)).toBe('open');
    expect(await offered()).toBe(1);
  });

  it('when a logged-in admin follows /login?next=/%09/evil.example, then the browser stays on the server', async () => {
    await page.goto(`${running.url}/login?next=/%09/evil.example`);
    expect(page.url()).toBe(`${running.url}/`);
  });

  it('when the admin logs in through the form of /login?next=/%09/evil.example, then the browser lands on the dashboard', async () => {
    const fresh = await browser.newContext();
    const p = await fresh.newPage();
    p.setDefaultTimeout(WAIT_MS);
    await p.goto(`${running.url}/login?next=/%09/evil.example`);
    await p.fill('#token', ADMIN);
    await Promise.all([p.waitForURL(`${running.url}/`), p.click('button[type=submit]')]);
    expect(p.url()).toBe(`${running.url}/`);
    await fresh.close();
  });
});

/**
 * The web pages in headless Chromium against the real server process and the real agent: enroll
 * through the form and install with the command it shows, log in, watch the node come online,
 * Reprovision, assign a role, run an exec, decode the iPad QR, and screenshots of every page at
 * phone and desktop widths, none wider than its viewport.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import jsqr from 'jsqr';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ADMIN, FLEET } from '../support/harness.js';
import { call, makeHome, startServerProcess, type ServerProcess } from '../support/process.js';
import { eventually, installAgent, nodeWhen, startAgent, stop, tempDir, type AgentProcess } from '../agent/agent-process.js';
import { hasChromium, launch, logIn, shoot } from './browser.js';

// jsqr is CommonJS typed as ESM: the default import is module.exports, whose `default` is the decoder.
const jsQR = jsqr.default;

const WAIT_MS = 20_000;

describe.skipIf(!hasChromium)('web pages in a real browser', () => {
  let server: ServerProcess;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;
  let agent: AgentProcess | undefined;
  let nodeId = '';

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServerProcess(makeHome((doc) => {
      doc.server.heartbeat_interval_s = 1;
      delete doc.server.public_url; // advertise the address actually served
    })), launch()]);
    ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    page = await ctx.newPage();
    page.setDefaultTimeout(WAIT_MS);
  }, 60_000);

  afterAll(async () => {
    if (agent) await stop(agent.child);
    await browser?.close();
    if (server) await stop(server.child);
  });

  it('when a machine is enrolled through the /enroll form, then the install commands and expiry are shown, and the real agent installs with them', async () => {
    await page.goto(`${server.url}/enroll`);
    await page.fill('#name', 'web-node');
    await page.fill('#owner', 'ops-team');
    await page.selectOption('#os', 'linux');
    await page.click('form[data-api] button[type=submit]');
    await page.locator('#cmd-bash').filter({ hasText: 'hydranode install' }).waitFor();
    const bash = await page.textContent('#cmd-bash');
    const ps = await page.textContent('#cmd-powershell');
    expect(ps).toContain("Get-FileHash -Algorithm SHA256");
    expect(ps).toContain("hydranode.exe' install --server");
    expect(await page.textContent('#expires')).toMatch(/\d{4}-\d\d-\d\dT/);
    expect(bash).toContain(`--server '${server.url}'`);
    const token = /--enroll-token '([^']+)'/.exec(bash!)![1]!;
    nodeId = (await page.textContent('#node-id'))!;
    await page.click('button[data-copy="cmd-bash"]');
    await page.locator('button[data-copy="cmd-bash"]', { hasText: 'Copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(bash);
    const home = tempDir('hn-web-');
    const installed = await installAgent(server.url, token, home);
    expect(installed.code, installed.stderr).toBe(0);
    agent = startAgent(home);
  });

  it('when the admin logs in, then the dashboard shows the operator and the node the real agent registered, online', async () => {
    await logIn(page, server.url, ADMIN);
    expect(await page.textContent('#operator')).toBe('admin');
    const row = page.locator(`tr[data-node="${nodeId}"]`);
    await row.locator('td.state-online').waitFor();
    expect(await row.textContent()).toContain('web-node');
    // A change made elsewhere shows up without a reload: the table refreshes itself.
    expect((await call(server.url, 'PATCH', `/nodes/${nodeId}`, { district: 'harbour', venue: 'hall-2' })).status).toBe(200);
    await row.locator('td', { hasText: 'harbour / hall-2' }).waitFor();
  });

  it('when Reprovision is clicked on the node page, then it asks first: dismissed, nothing is sent; accepted, the flag reaches the agent in its next heartbeat', async () => {
    await page.goto(`${server.url}/nodes/${nodeId}`);
    let asked = '';
    page.once('dialog', (d) => {
      asked = d.message();
      void d.dismiss();
    });
    await page.click('#actions button:text("Reprovision")');
    await page.locator('#actions [data-out]', { hasText: 'Not sent' }).first().waitFor();
    expect(asked).toMatch(/^Reprovision web-node \(node-\w+\)\? Its roles are reinstalled from scratch/);
    expect((await call(server.url, 'GET', `/nodes/${nodeId}`)).body.flags.reprovision).toBe(false);
    page.once('dialog', (d) => void d.accept());
    await page.click('#actions button:text("Reprovision")');
    await page.locator('#actions [data-out].ok').first().waitFor();
    await eventually('agent got reprovision', async () => (/flags requested by the server.*reprovision/.test(agent!.output()) ? true : undefined), WAIT_MS);
  });

  it('when a role is ticked and saved, then the node has it and the agent applies it', async () => {
    await page.check('#roles input[value="plain-role"]');
    await page.click('#roles button[type=submit]');
    await page.locator('#roles [data-out].ok').waitFor();
    await eventually('role applied', nodeWhen(server.url, nodeId, (n) => n.roles.includes('plain-role') && n.roles_applied.includes('plain-role')), WAIT_MS);
    await page.locator('[data-field="roles applied"]', { hasText: 'plain-role' }).waitFor();
  });

  it('when a command is run from the exec box, then its output is shown', async () => {
    await page.fill('#command', 'echo hello-from-the-web-page');
    await page.selectOption('#interpreter', 'bash');
    await page.click('#exec button[type=submit]');
    await page.locator('#exec-result', { hasText: 'hello-from-the-web-page' }).waitFor();
    expect(await page.textContent('#exec-result')).toContain('exit code: 0');
  });

  it('when Re-enroll is clicked on the node page, then its install commands show, and an agent installed with them takes over the same node', async () => {
    await page.click('#reenroll button[type=submit]');
    await page.locator('#cmd-bash').filter({ hasText: 'hydranode install' }).waitFor();
    expect(await page.textContent('#node-id')).toBe(nodeId);
    const token = /--enroll-token '([^']+)'/.exec((await page.textContent('#cmd-bash'))!)![1]!;
    const home = tempDir('hn-web-re-');
    const installed = await installAgent(server.url, token, home);
    expect(installed.stdout).toContain(`registered as ${nodeId}`);
    // The old agent's token stops working; the new agent heartbeats as the same node, roles kept.
    const old = agent!;
    await eventually('old token refused', async () => (/refuses this node's token/.test(old.output()) ? true : undefined), WAIT_MS);
    await stop(old.child);
    agent = startAgent(home);
    await eventually('same node online again', nodeWhen(server.url, nodeId, (n) => n.state === 'online' && n.roles.includes('plain-role') && n.agent_update === null), WAIT_MS);
    expect((await call(server.url, 'GET', '/nodes?kind=body')).body).toHaveLength(1);
  });

  it('when an iPad registers with the fleet token, then /heads lists it with its status', async () => {
    const qr = (await call(server.url, 'GET', '/enroll-qr')).body;
    const reg = await call(server.url, 'POST', '/heads', { name: 'lobby-ipad', district: 'harbour', venue: 'hall-2' }, qr.enrollment_token);
    expect(reg.status).toBe(201);
    expect((await call(server.url, 'PUT', `/heads/${reg.body.head_id}`, { status: 'streaming', diagnostics: { fps: 60 } }, reg.body.token)).status).toBe(200);
    await page.goto(`${server.url}/heads`);
    const row = page.locator(`tr[data-head="${reg.body.head_id}"]`);
    expect(await row.textContent()).toContain('lobby-ipad');
    expect(await row.textContent()).toContain('streaming');
    expect(await row.locator('td.state-online').count()).toBe(1);
  });

  it('when the iPad tab is opened with a session, then its inline QR decodes to exactly the enroll-qr JSON', async () => {
    await page.goto(`${server.url}/enroll?tab=ipad`);
    const png = PNG.sync.read(await page.locator('#enroll-qr svg').screenshot());
    const code = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
    expect(code?.data).toBe(JSON.stringify({ server_url: server.url, enrollment_token: FLEET }));
    expect(JSON.parse(code!.data)).toEqual((await call(server.url, 'GET', '/enroll-qr')).body);
  });

  it('when every page is shot at 375 px and 1440 px, then none is wider than its viewport', async () => {
    const anon = await browser.newContext();
    const anonPage = await anon.newPage();
    const shots: Array<[Page, string, string]> = [
      [anonPage, 'enroll', '/enroll'],
      [anonPage, 'login', '/login'],
      [page, 'enroll-ipad', '/enroll?tab=ipad'],
      [page, 'dashboard', '/'],
      [page, 'node', `/nodes/${nodeId}`],
      [page, 'heads', '/heads'],
      [page, 'debug', '/debug'],
    ];
    const overflow: Record<string, number> = {};
    for (const width of [375, 1440]) {
      for (const [p, name, path] of shots) {
        await p.setViewportSize({ width, height: 800 });
        await p.goto(`${server.url}${path}`);
        overflow[`${name}@${width}`] = await shoot(p, name);
      }
    }
    await anon.close();
    expect(overflow).toEqual(Object.fromEntries(Object.keys(overflow).map((k) => [k, 0])));
  });

  it('when Delete is clicked on a body\'s page, then it asks first; accepted, the body is gone and the head pinned to it is unpinned (audited)', async () => {
    const e = await call(server.url, 'POST', '/enrollments', { name: 'doomed-body' });
    const reg = await call(server.url, 'POST', '/register', {}, e.body.enrollment_token);
    const body = reg.body.node_id;
    const head = (await call(server.url, 'POST', '/heads', { name: 'pinned-ipad', district: 'harbour' }, FLEET)).body.head_id;
    expect((await call(server.url, 'POST', `/nodes/${head}/head-assignment`, { body_id: body })).status).toBe(200);
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`${server.url}/nodes/${body}`);
    page.once('dialog', (d) => void d.dismiss());
    await page.click('#actions button:text("Delete node")');
    await page.locator('#actions [data-out]', { hasText: 'Not sent' }).first().waitFor();
    expect((await call(server.url, 'GET', `/nodes/${body}`)).status).toBe(200);
    let asked = '';
    page.once('dialog', (d) => {
      asked = d.message();
      void d.accept();
    });
    await Promise.all([page.waitForURL(`${server.url}/`), page.click('#actions button:text("Delete node")')]);
    expect(asked).toBe(`Delete doomed-body (${body})? Its token stops working at once and heads pinned to it lose the pin.`);
    expect((await call(server.url, 'GET', `/nodes/${body}`)).status).toBe(404);
    expect((await call(server.url, 'GET', `/heads/${head}`)).body.body_id).toBeNull();
    const [line] = (await call(server.url, 'GET', `/audit?node=${head}&limit=1`)).body;
    expect(line).toMatchObject({ action: 'node.delete', operator: 'admin', target: body, detail: { cleared_heads: [head] } });
  });

  it('when an iPad\'s page is opened, then it shows no exec-based action', async () => {
    const head = (await call(server.url, 'GET', '/nodes?kind=ipad&name=pinned-ipad')).body[0].id;
    await page.goto(`${server.url}/nodes/${head}`);
    expect(await page.locator('#exec').count()).toBe(0);
    expect(await page.locator('#actions button', { hasText: /Reprovision|Update|Drain/ }).count()).toBe(0);
    expect(await page.locator('#actions button', { hasText: 'Delete node' }).count()).toBe(1);
  });
});

it.skipIf(hasChromium)('web browser tests: skipped because /usr/bin/chromium is absent', () => {});

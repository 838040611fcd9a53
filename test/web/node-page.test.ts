/**
 * Issue 23, items 5–8 on the pages (in-process app): the node page's header says at a glance what
 * qualifies the state (drained, stalled, carried over, provisioning errors), the facts come before
 * the actions, the exec queue has a Cancel per exec, destructive actions carry a confirmation, an
 * iPad's page offers nothing exec-based; the dashboard's summary line; /enroll warns about a
 * loopback public_url.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FLEET, harness, testConfig, type Harness } from '../support/harness.js';
import { webClient } from './web-client.js';

let h: Harness;
afterEach(() => h?.core.fleet.stop());

async function page(path: string, opts: Parameters<typeof harness>[0] = {}, hh?: Harness): Promise<string> {
  h = hh ?? (await harness(opts));
  const w = webClient(h);
  expect((await w.login((h.core.config.server.admin_token))).status).toBe(303);
  return (await w.req('GET', path)).text();
}

const S = 1000;

describe('the node page', () => {
  it('when a body is drained and stalled, then the header says so beside its state, the queue offers Cancel, and Reprovision, Drain and Delete ask first', async () => {
    h = await harness();
    const n = await h.addNode({ name: 'render-1' });
    await h.heartbeat(n.token);
    await h.json('POST', `/nodes/${n.id}/drain`, { body: { drain: true, reason: 'disk swap' } });
    const exec = (await h.json('POST', `/nodes/${n.id}/exec`, { body: { command: 'hostname' } })).body.id;
    h.clock.advance(61 * S);
    await h.heartbeat(n.token);
    const html = await page(`/nodes/${n.id}`, {}, h);
    const glance = /<div id="glance"[^]*?<\/div>/.exec(html)![0];
    expect(glance).toContain('class="badge state-online qualified"');
    expect(glance).toContain('drained: disk swap');
    expect(glance).toContain('exec stalled');
    expect(html).toMatch(new RegExp(`<tr data-exec="${exec}">[^]*?data-api="/api/v1/nodes/${n.id}/exec/${exec}" data-method="DELETE"`));
    expect(html.indexOf('id="live"')).toBeLessThan(html.indexOf('id="actions"'));
    expect(html).toMatch(/data-api="\/api\/v1\/nodes\/[^"]+\/reprovision" data-method="POST" data-done="[^"]*" data-confirm="Reprovision render-1/);
    expect(html).toMatch(/<button type="submit" name="drain" value="true" data-json="true" class="danger" data-confirm="Drain render-1/);
    expect(html).toMatch(/data-method="DELETE" data-after="deleted" data-done="Deleted" data-confirm="Delete render-1/);
    expect(html).toMatch(/data-api="\/api\/v1\/nodes\/[^"]+\/exec" data-method="POST"/); // Run a command
  });

  it('when the node is an iPad, then its page offers no exec-based action, no drain and no roles; only place and Delete', async () => {
    h = await harness();
    const id = (await h.json('POST', '/heads', { token: FLEET, body: { name: 'lobby-ipad' } })).body.head_id;
    const html = await page(`/nodes/${id}`, {}, h);
    for (const gone of ['/exec"', '/reprovision"', '/update-node"', '/update-services"', '/drain"', '/roles"', '/enrollment"']) {
      expect(html, gone).not.toContain(`data-api="/api/v1/nodes/${id}${gone}`);
    }
    expect(html).not.toContain('id="exec"');
    expect(html).toContain('An iPad has no exec channel');
    expect(html).toContain(`data-api="/api/v1/nodes/${id}" data-method="PATCH"`);
    expect(html).toContain(`data-api="/api/v1/nodes/${id}" data-method="DELETE"`);
  });
});

describe('the dashboard summary', () => {
  it('when nodes are in several states, drained, stalled, on another agent version and carried over a restart, then one line counts each', async () => {
    h = await harness();
    const a = await h.addNode({ name: 'a' });
    const b = await h.addNode({ name: 'b' });
    await h.heartbeat(a.token, { agent_version: '0.0.1-old' });
    await h.heartbeat(b.token);
    await h.enroll({ name: 'c' });
    await h.json('POST', `/nodes/${b.id}/drain`, { body: { drain: true } });
    await h.json('POST', `/nodes/${a.id}/exec`, { body: { command: 'hostname' } });
    h.clock.advance(61 * S);
    await h.heartbeat(a.token);
    const summary = /<p id="summary"[^>]*>([^<]*)<\/p>/.exec(await page('/', {}, h))![1]!;
    expect(summary).toMatch(/^3 nodes: 1 enrolling, 2 online · 1 exec stalled · 1 drained · (1 agent not on release \S+|no agent release to compare with)$/);
    await h.core.store.close();
    h.core.fleet.stop();
    const after = /<p id="summary"[^>]*>([^<]*)<\/p>/.exec(await page('/', {}, await harness({ home: h.home, clock: h.clock, config: testConfig() })))![1]!;
    expect(after).toContain('· 2 carried over from before the restart');
  });
});

describe('/enroll and a loopback public_url', () => {
  it('when public_url is loopback, then /enroll warns; when it is a real address, then it does not', async () => {
    h = await harness();
    expect(await (await webClient(h).req('GET', '/enroll')).text()).toContain('id="loopback-warning"');
    const ipad = await page('/enroll?tab=ipad', {}, h);
    expect(ipad).toContain('id="loopback-warning"');
    h = await harness({ config: testConfig((d) => (d.server.public_url = 'https://hc.example.org')) });
    expect(await (await webClient(h).req('GET', '/enroll')).text()).not.toContain('loopback-warning');
  });
});

/**
 * docs/api.md#accountability in the web pages: an operator logs in under their name, the session's changes and the
 * login itself are audited under it, the dashboard marks stalled nodes, the node page lists its
 * audit lines.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { submitOk } from '../http/exec-helpers.js';
import { harness, testConfig, type Harness } from '../support/harness.js';
import { webClient } from '../web/web-client.js';

const ALICE = 'hco_alice-token-0123456789abcdef';
let h: Harness;
afterEach(() => h?.core.fleet.stop());

describe('web pages with operators', () => {
  it('when an operator logs in and acts through the pages, then the session shows the name and the audit records login and change under it', async () => {
    h = await harness({ config: testConfig((d) => (d.operators = { alice: ALICE })) });
    const { id } = await h.addNode();
    const w = webClient(h);
    expect((await w.login(ALICE)).status).toBe(303);
    expect(await (await w.req('GET', '/')).text()).toContain('id="operator">alice<');
    const res = await w.req('POST', `/api/v1/nodes/${id}/drain`, { json: { drain: true, reason: 'web' }, headers: { 'x-csrf-token': await w.csrf() } });
    expect(res.status).toBe(200);

    const enrolled = await w.req('POST', '/api/v1/enrollments', { json: { name: 'from-the-form' }, headers: { 'x-csrf-token': await w.csrf() } });
    expect(enrolled.status).toBe(201);

    const audit = (await h.json('GET', '/audit?limit=3')).body;
    expect(audit.map((e: any) => [e.action, e.operator, e.status])).toEqual([['enrollment.create', 'alice', 201], ['node.drain', 'alice', 200], ['login', 'alice', 303]]);
    expect(JSON.stringify(audit)).not.toContain(ALICE);

    const node = await (await w.req('GET', `/nodes/${id}`)).text();
    expect(node).toMatch(/<td>alice<\/td><td>[^<]*<\/td><td>node\.drain<\/td><td>200<\/td>/);
  });

  it('when a node is exec_stalled, then the dashboard marks it', async () => {
    h = await harness();
    const node = await h.addNode({ name: 'render-07' });
    await h.heartbeat(node.token);
    await submitOk(h, node.id, 'echo hi');
    const w = webClient(h);
    await w.login((await import('../support/harness.js')).ADMIN);
    expect(await (await w.req('GET', '/')).text()).not.toContain('<span class="mark">exec stalled</span>');
    h.clock.advance(30_000);
    await h.heartbeat(node.token);
    h.clock.advance(30_000);
    await h.heartbeat(node.token);
    expect(await (await w.req('GET', '/')).text()).toContain('<span class="mark">exec stalled</span>');
  });
});

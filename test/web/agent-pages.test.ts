/**
 * The agent's version, its self-update and the re-enrollment on the web pages (docs/api.md#agent-self-update, docs/api.md#re-enrollment):
 * the dashboard marks agents not on the server's release and failed updates; the node page shows
 * both and offers Re-enroll (not for iPads); the recovery box points at re-enrollment.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, FLEET, harness, type Harness } from '../support/harness.js';
import { webClient } from './web-client.js';

let h: Harness;
afterEach(() => h?.core.fleet.stop());

const failed = { state: 'failed', target_version: '9.0.0', message: 'checksum mismatch: the manifest says sha256 ff', at: '2026-01-01T00:00:00.000Z' };

/** A logged-in client, a server whose <home>/releases/ holds release 9.0.0, and nodes on 9.0.0 and 0.1.0 (one update failed). */
async function fleet() {
  h = await harness();
  mkdirSync(join(h.home, 'releases'));
  writeFileSync(join(h.home, 'releases', 'manifest.json'), JSON.stringify({ version: '9.0.0', files: [] }));
  const current = await h.addNode({ name: 'on-release' });
  const behind = await h.addNode({ name: 'behind' });
  await h.heartbeat(current.token, { agent_version: '9.0.0' });
  await h.heartbeat(behind.token, { agent_version: '0.1.0', agent_update: failed });
  const w = webClient(h);
  expect((await w.login(ADMIN)).status).toBe(303);
  return { w, current, behind };
}

const row = (html: string, id: string) => new RegExp(`<tr data-node="${id}">(.*?)</tr>`, 's').exec(html)?.[1] ?? '';

describe('agent version and self-update on the pages', () => {
  it('when the dashboard is shown, then each node\u2019s agent version is listed, those not on the release are marked, and a failed update is marked', async () => {
    const { w, current, behind } = await fleet();
    const html = await (await w.req('GET', '/')).text();
    expect(html).toContain('<th>Agent</th>');
    expect(row(html, current.id)).toContain('<td>9.0.0</td>');
    expect(row(html, current.id)).not.toContain('class="mark"');
    expect(row(html, behind.id)).toMatch(/0\.1\.0 <span class="mark"[^>]*>not 9\.0\.0<\/span>/);
    expect(row(html, behind.id)).toMatch(/<span class="mark" title="checksum mismatch: the manifest says sha256 ff">agent update failed<\/span>/);
  });

  it('when a node page is shown, then it gives the agent version against the release, the last update report and a Re-enroll button', async () => {
    const { w, behind } = await fleet();
    const html = await (await w.req('GET', `/nodes/${behind.id}`)).text();
    expect(html).toContain(`<dd data-field="agent_version">0.1.0 (not the server&#39;s release 9.0.0: Update agent)</dd>`);
    expect(html).toContain(`<dd data-field="agent_update">failed (9.0.0) at 2026-01-01T00:00:00.000Z: checksum mismatch: the manifest says sha256 ff</dd>`);
    expect(html).toContain(`data-api="/api/v1/nodes/${behind.id}/enrollment"`);
    expect(html).toContain('data-after="enrollment"');
    // The button's call works with the page's session and CSRF token.
    const r = await w.req('POST', `/api/v1/nodes/${behind.id}/enrollment`, { headers: { 'x-csrf-token': await w.csrf() } });
    expect(r.status).toBe(201);
  });

  it('when the node is an iPad, then its page has no Re-enroll button (iPads enroll with the fleet QR)', async () => {
    const { w } = await fleet();
    const ipad = (await h.json('POST', '/heads', { token: FLEET, body: { name: 'lobby' } })).body.head_id;
    const html = await (await w.req('GET', `/nodes/${ipad}`)).text();
    expect(html).not.toContain('/enrollment"');
  });

  it('when /enroll is opened, then the recovery box says to re-enroll the node when its program or config is gone', async () => {
    h = await harness();
    const html = await (await webClient(h).req('GET', '/enroll')).text();
    expect(html.match(/hydracluster nodes reenroll ID/g)).toHaveLength(2);
    expect(html).not.toMatch(/create an enrollment above/);
  });
});

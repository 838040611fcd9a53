/**
 * The server's side of providers (docs/api.md#providers) over the in-process app: the provision poll hands
 * the agent each package with its url made absolute against public_url; `provision_errors` from a
 * heartbeat reach the node object, nodes.yaml (across a restart) and the pages, escaped; `{}`
 * clears them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { absolutePackageUrl } from '../../src/http/provision-plan.js';
import { harness, testConfig, type Harness } from '../support/harness.js';
import { webClient } from '../web/web-client.js';
import { ADMIN } from '../support/harness.js';

const SHA = 'c0'.repeat(32);
const pkgRole = (url: string) => ({
  description: 'render node',
  provider: 'larkxr',
  package: { url, sha256: SHA, version: '4.1.0' },
  install_dir: '/opt/larkxr/standalone',
  start: 'bash start.sh',
  stop: { processes: ['LarkXRLauncher'] },
  health: { ports: [8181, 8282, 13306] },
});

const ERR = {
  step: 'verify',
  message: 'SHA-256 mismatch: <script>alert(1)</script> & more',
  output_tail: 'line 1\n<b>line 2</b>',
  at: '2026-01-01T00:00:00.000Z',
  retry_at: '2026-01-01T00:00:30.000Z',
};

let h: Harness;
afterEach(() => h?.core.fleet.stop());

describe('provision poll: provider packages', () => {
  it('when a role names a /-relative package url, then the poll gives it absolute against public_url; an absolute url and a role without package stay as they are', async () => {
    h = await harness({
      config: testConfig((doc) => {
        doc.server.public_url = 'https://hc.example.test/base/';
        doc.roles['render-node'] = pkgRole('/downloads/larkxr-4.1.0.zip');
        doc.roles['render-b'] = pkgRole('https://releases.example.test/larkxr.zip');
      }),
    });
    const n = await h.addNode();
    await h.json('POST', `/nodes/${n.id}/roles`, { body: { roles: ['render-node', 'render-b', 'hydraguard-air'] } });
    const plan = (await h.json('GET', '/body/provision', { token: n.token })).body;
    expect(plan.packages['render-node']).toEqual({
      provider: 'larkxr',
      package: { url: 'https://hc.example.test/base/downloads/larkxr-4.1.0.zip', sha256: SHA, version: '4.1.0' },
      install_dir: '/opt/larkxr/standalone',
      start: 'bash start.sh',
      stop: { processes: ['LarkXRLauncher'] },
      health: { ports: [8181, 8282, 13306], processes: [] },
    });
    expect(plan.packages['render-b'].package.url).toBe('https://releases.example.test/larkxr.zip');
    expect(plan.packages['hydraguard-air']).toBeUndefined();
    expect(plan.recipes['hydraguard-air']).toEqual({});
    expect(plan.providers).toEqual({ 'render-node': 'larkxr', 'render-b': 'larkxr' });
    expect(absolutePackageUrl('/downloads/x.zip', 'http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080/downloads/x.zip');
  });
});

describe('provision_errors on the node', () => {
  it('when a heartbeat reports provision_errors, then the node object carries them, nodes.yaml keeps them across a restart, and {} clears them', async () => {
    h = await harness();
    const n = await h.addNode();
    expect((await h.json('GET', `/nodes/${n.id}`)).body.provision_errors).toEqual({});
    expect((await h.heartbeat(n.token, { provider_status: 'failed', provision_errors: { 'render-node': ERR } })).status).toBe(200);
    expect((await h.json('GET', `/nodes/${n.id}`)).body).toMatchObject({ provider_status: 'failed', provision_errors: { 'render-node': ERR } });

    await h.core.store.close();
    h.core.fleet.stop();
    h = await harness({ home: h.home, clock: h.clock, config: testConfig() });
    expect((await h.json('GET', `/nodes/${n.id}`)).body.provision_errors).toEqual({ 'render-node': ERR });

    await h.heartbeat(n.token, { provider_status: 'running', provision_errors: {} });
    expect((await h.json('GET', `/nodes/${n.id}`)).body.provision_errors).toEqual({});
  });

  it('when provision_errors are malformed, then the heartbeat is refused with 400 naming the field', async () => {
    h = await harness();
    const n = await h.addNode();
    const r = await h.heartbeat(n.token, { provision_errors: { 'render-node': { ...ERR, message: 'x'.repeat(2000) } } });
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/provision_errors\.render-node\.message/);
  });

  it('when a node has provision errors, then the node page and the dashboard show them with every string escaped', async () => {
    h = await harness();
    const n = await h.addNode({ name: 'render-7' });
    await h.heartbeat(n.token, { provision_errors: { 'render-node': ERR } });
    const w = webClient(h);
    expect((await w.login(ADMIN)).status).toBe(303);
    const page = await (await w.req('GET', `/nodes/${n.id}`)).text();
    expect(page).toContain('data-role="render-node"');
    expect(page).toContain('SHA-256 mismatch: &lt;script&gt;alert(1)&lt;/script&gt; &amp; more');
    expect(page).toContain('&lt;b&gt;line 2&lt;/b&gt;');
    expect(page).toContain('next try at 2026-01-01T00:00:30.000Z');
    expect(page).not.toContain('<script>alert(1)');
    const dash = await (await w.req('GET', '/')).text();
    expect(dash).toMatch(/<span class="mark" title="render-node: SHA-256 mismatch: &lt;script&gt;[^"]*">provision error<\/span>/);
  });
});

/**
 * Providers end to end (docs/api.md#providers), real server and agents over loopback, Linux: a zip the test
 * builds (start.sh runs a small node program that listens on the configured ports under its own
 * process name) is served by the server from `<home>/releases/` at a `/`-relative url. The node
 * goes provisioning → online with provider_status running; a killed provider is reported stopped
 * (node online) and restarted; a reprovision removes the installation and the cached download,
 * downloads again and acknowledges once running; a wrong SHA-256 shows in the node object, `nodes
 * show` and the node page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CLI, call, makeHome, startServerProcess, type ServerProcess } from '../support/process.js';
import { ADMIN } from '../support/harness.js';
import { enroll, eventually, freePort, installAgent, nodeWhen, pidsWith, runNode, startAgent, stop, tempDir, type AgentProcess } from './agent-process.js';
import { adminPage } from './admin-page.js';
import { makeZip, sha256 } from './provider/zip.js';

const ROLE = 'render-node';
const BAD_ROLE = 'render-badsum';
const VERSION = '4.1.0';
const PKG = `larkxr-standalone-${VERSION}.zip`;

/** The test's provider: start.sh (start.bat for Windows) runs listener.js, which names itself and listens. */
function providerFiles(title: string, ports: number[]) {
  const listener = `process.title = ${JSON.stringify(title)};\nconst net = require('net');\nfor (const p of ${JSON.stringify(ports)}) net.createServer((s) => s.end()).listen(p, '127.0.0.1');\n`;
  return [
    { name: 'larkxr-standalone/' },
    { name: 'larkxr-standalone/start.sh', content: `#!/bin/bash\nexec '${process.execPath}' listener.js\n`, mode: 0o100755 },
    { name: 'larkxr-standalone/start.bat', content: '@echo off\r\nstart "" /b node listener.js\r\n' },
    { name: 'larkxr-standalone/listener.js', content: listener },
  ];
}

async function startNode(url: string, name: string): Promise<{ id: string; home: string; agent: AgentProcess }> {
  const e = await enroll(url, name);
  const home = tempDir('hn-prov-home-');
  const r = await installAgent(url, e.enrollment_token, home);
  if (r.code !== 0) throw new Error(`install exited ${r.code}: ${r.stderr}`);
  // Short provider timings (docs/api.md#providers timings are agent config.yaml keys).
  appendFileSync(join(home, 'config.yaml'), 'provider_start_timeout_s: 20\nprovider_restart_s: 3\nprovider_restart_max_s: 3\n');
  return { id: e.node_id, home, agent: startAgent(home) };
}

describe('providers: packages downloaded, installed, started and health-checked by the agent', { timeout: 60_000 }, () => {
  const title = `hcp-${randomBytes(3).toString('hex')}`;
  const dir = tempDir('hn-prov-');
  const installDir = join(dir, 'LarkXR', 'larkxr-standalone');
  let server: ServerProcess;
  let node: { id: string; home: string; agent: AgentProcess };
  let bad: { id: string; home: string; agent: AgentProcess } | undefined;
  let sum: string;
  const downloads = () => (server.output().match(new RegExp(`"msg":"request"[^\\n]*"path":"/downloads/${PKG.replace(/\./g, '\\.')}"`, 'g')) ?? []).length;

  beforeAll(async () => {
    const ports = [await freePort(), await freePort()];
    const zip = await makeZip(providerFiles(title, ports));
    sum = sha256(zip);
    const role = (sha: string, dirName: string) => ({
      description: 'LarkXR Standalone render node (test package)',
      provider: 'larkxr',
      package: { url: `/downloads/${PKG}`, sha256: sha, version: VERSION },
      install_dir: join(dir, 'LarkXR', dirName),
      start: 'bash start.sh',
      stop: { processes: [title] },
      health: { ports, processes: [title] },
    });
    const home = makeHome((doc) => {
      doc.server.heartbeat_interval_s = 1;
      delete doc.server.public_url; // follows the address served: the /-relative package url resolves there
      doc.roles[ROLE] = role(sum, 'larkxr-standalone');
      doc.roles[BAD_ROLE] = role('0'.repeat(64), 'larkxr-badsum');
    });
    mkdirSync(join(home, 'releases'));
    writeFileSync(join(home, 'releases', PKG), zip);
    server = await startServerProcess(home);
    node = await startNode(server.url, 'render-1');
    await eventually('node online without roles', nodeWhen(server.url, node.id, (n) => n.state === 'online'));
  });

  afterAll(async () => {
    for (const a of [node?.agent, bad?.agent]) if (a) await stop(a.child);
    if (server) await stop(server.child);
    for (const pid of pidsWith(title)) process.kill(pid, 'SIGKILL');
  });

  it('when the role is assigned, then the node goes provisioning → online with provider_status running and the packaged version', async () => {
    const assigned = await call(server.url, 'POST', `/nodes/${node.id}/roles`, { roles: [ROLE] });
    expect(assigned.body.state).toBe('provisioning');
    const n = await eventually('provider running', nodeWhen(server.url, node.id, (x) => x.state === 'online' && x.provider_status === 'running'), 30_000);
    expect(n).toMatchObject({ roles_applied: [ROLE], provider_version: VERSION, provision_errors: {} });
    expect(readdirSync(installDir).sort()).toEqual(['.hydranode-package.json', 'listener.js', 'start.bat', 'start.sh']);
    expect(readFileSync(join(node.home, 'provider_version.txt'), 'utf8').trim()).toBe(VERSION);
    expect(readdirSync(join(node.home, 'downloads'))).toEqual([`${ROLE}-${PKG}`]);
    expect(readFileSync(join(node.home, 'config_cache.yaml'), 'utf8')).toContain(`${server.url}/downloads/${PKG}`);
    expect(pidsWith(title)).toHaveLength(1);
    expect(downloads()).toBe(1);
  });

  it('when the provider\u2019s process is killed, then provider_status is stopped while the node stays online, and running again once restarted', async () => {
    const [before] = pidsWith(title);
    process.kill(before!, 'SIGKILL');
    const stopped = await eventually('provider stopped', nodeWhen(server.url, node.id, (x) => x.provider_status === 'stopped'), 15_000, 50);
    expect(stopped.state).toBe('online');
    expect(stopped.provision_errors[ROLE]).toMatchObject({ step: 'health' });
    expect(stopped.provision_errors[ROLE].message).toMatch(/not listening|not running/);
    const back = await eventually('provider running again', nodeWhen(server.url, node.id, (x) => x.provider_status === 'running'), 20_000);
    expect(back).toMatchObject({ state: 'online', provision_errors: {} });
    expect(pidsWith(title)).toHaveLength(1);
    expect(pidsWith(title)[0]).not.toBe(before);
  });

  it('when a reprovision is requested, then the installation and the cached download are removed, the package fetched again, and the ack comes once running', async () => {
    writeFileSync(join(installDir, 'leftover.txt'), 'from the old installation');
    const [before] = pidsWith(title);
    const r = await call(server.url, 'POST', `/nodes/${node.id}/reprovision`);
    expect(r.status).toBe(202);
    expect(r.body.state).toBe('provisioning');
    const done = await eventually('reprovision acknowledged', nodeWhen(server.url, node.id, (x) => !x.flags.reprovision), 30_000, 50);
    // The ack travels in the heartbeat that reports the reinstalled provider running.
    expect(done).toMatchObject({ state: 'online', provider_status: 'running', provider_version: VERSION });
    expect(existsSync(join(installDir, 'leftover.txt'))).toBe(false);
    expect(existsSync(join(installDir, 'start.sh'))).toBe(true);
    await eventually('second download seen by the server', async () => (downloads() === 2 ? true : undefined));
    expect(pidsWith(title)[0]).not.toBe(before);
    // The agent logs the ack once the server's reply to it is in: after the server cleared the flag.
    const ackLine = '"msg":"flags acknowledged","flags":["reprovision"]';
    await eventually('ack logged', async () => (node.agent.output().includes(ackLine) ? true : undefined));
    const out = node.agent.output();
    const order = ['reprovision: stopping the provider', '"msg":"provider package downloaded"', '"msg":"provider running"', ackLine];
    const at = order.map((m) => out.lastIndexOf(m));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });

  it('when the package\u2019s SHA-256 is wrong, then provider_status is failed and provision_errors names the checksum in the node object, `nodes show` and the node page', async () => {
    bad = await startNode(server.url, 'render-bad');
    // hydraguard-air is one of the first config's roles: nothing configured, nothing run.
    await call(server.url, 'POST', `/nodes/${bad.id}/roles`, { roles: [BAD_ROLE, 'hydraguard-air'] });
    const n = await eventually('checksum failure', nodeWhen(server.url, bad.id, (x) => x.provider_status === 'failed' && x.provision_errors[BAD_ROLE]), 30_000);
    expect(n.provision_errors['hydraguard-air']).toMatchObject({ step: 'configure', retry_at: null });
    expect(n.provision_errors['hydraguard-air'].message).toMatch(/^not configured: set roles\.hydraguard-air\.package/);
    expect(n.state).toBe('provisioning');
    const e = n.provision_errors[BAD_ROLE];
    expect(e, JSON.stringify(e)).toMatchObject({ step: 'verify' });
    expect(e.message).toContain('SHA-256 mismatch');
    expect(e.message).toContain(sum);
    expect(e.message).toContain('0'.repeat(64));
    expect(Date.parse(e.retry_at)).toBeGreaterThan(Date.parse(e.at));
    expect(existsSync(join(dir, 'LarkXR', 'larkxr-badsum'))).toBe(false);

    const shown = await runNode([CLI, 'nodes', 'show', bad.id, '--server', server.url, '--admin-token', ADMIN]);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout).provision_errors[BAD_ROLE]).toMatchObject({ step: 'verify', message: e.message });

    const page = await adminPage(server.url, `/nodes/${bad.id}`);
    expect(page).toContain(`data-role="${BAD_ROLE}"`);
    expect(page).toContain(sum);
    // The healthy node's page says there is none.
    expect(await adminPage(server.url, `/nodes/${node.id}`)).toContain('No provisioning error.');
  });
});

/**
 * The server as an operator runs it: `npm start` with no config on 127.0.0.1:8080, a config.yaml
 * written 0600 without the token in the log, and a SIGTERM that drains and flushes nodes.yaml.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { call, makeHome, startServerProcess, assertBuilt } from '../support/process.js';

const ROOT = resolve(import.meta.dirname, '../..');

async function waitForHealth(url: string, ms: number): Promise<any> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const r = await fetch(`${url}/api/v1/health`);
      if (r.ok) return r.json();
    } catch {
      if (Date.now() > deadline) throw new Error(`no health answer from ${url}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('serve', () => {
  it('npm start with no config serves /api/v1/health on 127.0.0.1:8080 and writes config.yaml 0600', async () => {
    assertBuilt();
    const fakeHome = mkdtempSync(join(tmpdir(), 'hc-home-'));
    const env = { ...process.env, HOME: fakeHome };
    delete env.HYDRACLUSTER_HOME;
    const child = spawn('npm', ['start', '--silent'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code))); // all stdio closed: the server too
    try {
      const health = await waitForHealth('http://127.0.0.1:8080', 20_000);
      expect(health.status).toBe('ok');
      expect(health.nodes.total).toBe(0);
      const cfgPath = join(fakeHome, '.hydracluster', 'config.yaml');
      expect(statSync(cfgPath).mode & 0o777).toBe(0o600);
      const cfg = parse(readFileSync(cfgPath, 'utf8'));
      expect(cfg.server.admin_token).toMatch(/^hca_.{40,}/);
      expect(out).toContain(cfgPath);
      expect(out).not.toContain(cfg.server.admin_token);
      expect(out).not.toContain(cfg.server.fleet_enrollment_token);
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
    }
    await exited;
    // npm itself may report the signal; the server's own clean stop is what counts.
    expect(out).toMatch(/"msg":"stopped; nodes.yaml is current"/);
    expect(statSync(join(fakeHome, '.hydracluster', 'nodes.yaml')).isFile()).toBe(true);
  });

  it('SIGTERM makes nodes.yaml current (heartbeat telemetry too) and exits 0', async () => {
    const home = makeHome();
    const srv = await startServerProcess(home);
    const e = await call(srv.url, 'POST', '/enrollments', { name: 'term' });
    const r = await call(srv.url, 'POST', '/register', {}, e.body.enrollment_token);
    await call(srv.url, 'POST', `/nodes/${r.body.node_id}/roles`, { roles: ['plain-role'] });
    await call(srv.url, 'POST', `/nodes/${r.body.node_id}/update-services`);
    // Telemetry is written lazily; the clean stop must not lose it.
    const hb = await call(srv.url, 'POST', '/body/heartbeat', { roles_applied: ['plain-role'], lan_ip: '10.1.2.3' }, r.body.token);
    expect(hb.body.state).toBe('online');
    srv.child.kill('SIGTERM');
    const { code } = await srv.exited;
    expect(code).toBe(0);
    expect(srv.output()).toMatch(/"msg":"stopped; nodes.yaml is current"/);
    const doc = parse(readFileSync(join(home, 'nodes.yaml'), 'utf8'));
    const saved = doc.nodes.find((n: { id: string }) => n.id === r.body.node_id);
    expect(saved.state).toBe('online');
    expect(saved.reported.roles_applied).toEqual(['plain-role']);
    expect(saved.reported.lan_ip).toBe('10.1.2.3');
    expect(JSON.stringify(doc)).not.toContain(r.body.token);

    const again = await startServerProcess(home);
    const node = (await call(again.url, 'GET', `/nodes/${r.body.node_id}`)).body;
    expect(node.state).toBe('online');
    expect(node.roles).toEqual(['plain-role']);
    const hb2 = await call(again.url, 'POST', '/body/heartbeat', {}, r.body.token);
    expect(hb2.status).toBe(200); // the token hash survived
    expect(hb2.body.flags).toEqual({ update_node: false, update_services: true, reprovision: false });
    again.child.kill('SIGINT');
    expect((await again.exited).code).toBe(0);
  });

  it('a config.yaml with a bad value stops the start with the key named and exit 78', async () => {
    const home = makeHome((d) => (d.server.offline_after_s = 'soon'));
    await expect(startServerProcess(home)).rejects.toThrow(/server\.offline_after_s/);
  });
});

describe('clean stop', () => {
  it('when a stop begins, then an in-flight request still completes, new connections are refused, and stop resolves after it', async () => {
    const { startServer } = await import('../../src/server.js');
    const { NodesFile } = await import('../../src/persist/nodes-file.js');
    const { memoryLogger } = await import('../../src/log.js');
    const { systemClock } = await import('../../src/clock.js');
    const home = makeHome();
    const log = memoryLogger();
    const real = new NodesFile({ path: join(home, 'nodes.yaml'), clock: systemClock, log });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let hold = false;
    const store = { ...real, put: real.put.bind(real), remove: real.remove.bind(real),
      close: real.close.bind(real), stats: real.stats.bind(real),
      commit: () => (hold ? gate.then(() => real.commit()) : real.commit()) };
    const srv = await startServer({ home, listen: '127.0.0.1:0', log, store });
    const e = await call(srv.url, 'POST', '/enrollments', { name: 'slow' });
    hold = true;
    const inflight = call(srv.url, 'PATCH', `/nodes/${e.body.node_id}`, { venue: 'kept' });
    while (srv.core.requests.size === 0) await new Promise((r) => setTimeout(r, 5));
    const stopped = srv.stop();
    let stopDone = false;
    void stopped.then(() => (stopDone = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(stopDone).toBe(false);
    release();
    const res = await inflight;
    expect(res.status).toBe(200);
    await stopped;
    const doc = parse(readFileSync(join(home, 'nodes.yaml'), 'utf8'));
    expect(doc.nodes[0].venue).toBe('kept');
    await expect(fetch(`${srv.url}/api/v1/health`)).rejects.toThrow();
  });
});

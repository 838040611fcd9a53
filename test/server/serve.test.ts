/**
 * The server as an operator runs it: `npm start` on a fresh home writes a config.yaml (0600) that
 * holds the address actually served, without the token in the log; a SIGTERM drains and flushes
 * nodes.yaml. No test binds a fixed port: the servers listen on 127.0.0.1:0 and tell their address
 * in the "hydracluster listening" log line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config.js';
import { ADMIN } from '../support/harness.js';
import { call, makeHome, startServerProcess, assertBuilt } from '../support/process.js';
import { tempDir } from '../support/temp.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** Resolves with the first JSON log line whose msg is `msg`; rejects if the process ends first. */
function logLine(child: ChildProcess, msg: string, seen: string[]): Promise<Record<string, any>> {
  return new Promise((resolveLine, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      seen.push(line);
      try {
        const rec = JSON.parse(line);
        if (rec.msg === msg) resolveLine(rec);
      } catch {
        // npm's own lines, or the pretty format
      }
    });
    child.once('close', (code) => reject(new Error(`exited with ${code} before "${msg}":\n${seen.join('\n')}`)));
  });
}

describe('serve', () => {
  it('when npm start runs with --listen 127.0.0.1:0 on a fresh home, then it serves health at the address it logs and writes config.yaml 0600 holding that address', async () => {
    assertBuilt();
    const fakeHome = tempDir('hc-home-');
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: fakeHome };
    delete env.HYDRACLUSTER_HOME;
    const child = spawn('npm', ['start', '--silent', '--', '--listen', '127.0.0.1:0'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const out: string[] = [];
    child.stderr!.on('data', (d) => out.push(String(d)));
    const exited = new Promise<void>((r) => child.once('close', () => r())); // all stdio closed: the server too
    const listening = logLine(child, 'hydracluster listening', out);
    const stopped = logLine(child, 'stopped; nodes.yaml is current', out);
    try {
      const { url } = await listening;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(url).not.toMatch(/:0$/);
      const health = await (await fetch(`${url}/api/v1/health`)).json();
      expect(health.status).toBe('ok');
      expect(health.nodes.total).toBe(0);

      const cfgPath = join(fakeHome, '.hydracluster', 'config.yaml');
      expect(statSync(cfgPath).mode & 0o777).toBe(0o600);
      const cfg = parse(readFileSync(cfgPath, 'utf8'));
      expect(cfg.server.admin_token).toMatch(/^hca_.{40,}/);
      expect(`http://${cfg.server.listen}`).toBe(url);
      expect(cfg.server.public_url).toBe(url);
      // Install commands point where the server listens.
      const enr = await call(url, 'POST', '/enrollments', { name: 'first' }, null);
      expect(enr.status).toBe(201);
      expect(enr.body.install.bash).toContain(`--server '${url}'`);

      const log = out.join('\n');
      expect(log).toContain(cfgPath);
      expect(log).not.toContain(cfg.server.admin_token);
      expect(log).not.toContain(cfg.server.fleet_enrollment_token);
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
    }
    // npm itself may report the signal; the server's own clean stop is what counts.
    await stopped;
    await exited;
    expect(statSync(join(fakeHome, '.hydracluster', 'nodes.yaml')).isFile()).toBe(true);
  });

  it('when there is no config and no --listen, then the embedded default is 127.0.0.1:8080 (checked without binding it)', () => {
    const home = tempDir('hc-home-');
    const loaded = loadConfig(home);
    expect(loaded.created).toBe(true);
    expect(loaded.config.server.listen).toBe('127.0.0.1:8080');
    expect(loaded.config.server.public_url).toBe('http://127.0.0.1:8080');
    expect(existsSync(join(home, 'config.yaml'))).toBe(false); // written only once listening
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

describe('config.yaml', () => {
  it('when config.yaml names no public_url, then install commands point at the address actually served', async () => {
    const { startServer } = await import('../../src/server.js');
    const { memoryLogger } = await import('../../src/log.js');
    const srv = await startServer({ home: makeHome((d) => delete d.server.public_url), listen: '127.0.0.1:0', log: memoryLogger() });
    try {
      const enr = await call(srv.url, 'POST', '/enrollments', { name: 'n' });
      expect(enr.body.install.bash).toContain(`--server '${srv.url}'`);
      const reg = await call(srv.url, 'POST', '/register', {}, enr.body.enrollment_token);
      expect(reg.body.server_url).toBe(srv.url);
    } finally {
      await srv.stop();
    }
  });

  it('when config.yaml is readable by other users, then the start logs a warning naming the file and its mode, not the token', async () => {
    const { startServer } = await import('../../src/server.js');
    const { memoryLogger } = await import('../../src/log.js');
    const home = makeHome();
    chmodSync(join(home, 'config.yaml'), 0o644);
    const log = memoryLogger();
    const srv = await startServer({ home, listen: '127.0.0.1:0', log });
    await srv.stop();
    const warn = log.lines.find((l) => l.level === 'warn' && /config\.yaml/.test(l.msg));
    expect(warn).toMatchObject({ path: join(home, 'config.yaml'), mode: '0644' });
    expect(JSON.stringify(log.lines)).not.toContain(ADMIN);

    chmodSync(join(home, 'config.yaml'), 0o600);
    const quiet = memoryLogger();
    await (await startServer({ home, listen: '127.0.0.1:0', log: quiet })).stop();
    expect(quiet.lines.filter((l) => l.level === 'warn' && /config\.yaml/.test(l.msg))).toEqual([]);
  });

  it('when public_url is a loopback address, then the start warns that install commands and the QR only work on this machine; a real address: no warning', async () => {
    const { startServer } = await import('../../src/server.js');
    const { memoryLogger } = await import('../../src/log.js');
    const loud = memoryLogger();
    await (await startServer({ home: makeHome((d) => (d.server.public_url = 'http://localhost:8080')), listen: '127.0.0.1:0', log: loud })).stop();
    expect(loud.lines.find((l) => l.level === 'warn' && /public_url is a loopback address/.test(l.msg))).toMatchObject({ public_url: 'http://localhost:8080' });
    const quiet = memoryLogger();
    await (await startServer({ home: makeHome((d) => (d.server.public_url = 'https://hc.example.org')), listen: '127.0.0.1:0', log: quiet })).stop();
    expect(quiet.lines.filter((l) => /loopback/.test(l.msg))).toEqual([]);
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
    let held!: () => void;
    const commitHeld = new Promise<void>((r) => (held = r));
    let hold = false;
    const store = { ...real, put: real.put.bind(real), remove: real.remove.bind(real),
      close: real.close.bind(real), stats: real.stats.bind(real), backup: real.backup.bind(real),
      commit: () => {
        if (!hold) return real.commit();
        held();
        return gate.then(() => real.commit());
      } };
    const srv = await startServer({ home, listen: '127.0.0.1:0', log, store });
    const e = await call(srv.url, 'POST', '/enrollments', { name: 'slow' });
    hold = true;
    const inflight = call(srv.url, 'PATCH', `/nodes/${e.body.node_id}`, { venue: 'kept' });
    await commitHeld; // the PATCH is in flight, waiting on its write
    const order: string[] = [];
    const stopped = srv.stop().then(() => void order.push('stopped'));
    // While the request is held, the server takes no new connection and has not stopped.
    await expect(fetch(`${srv.url}/api/v1/health`)).rejects.toThrow();
    expect(order).toEqual([]);
    release();
    const res = await inflight;
    order.push('request done');
    expect(res.status).toBe(200);
    await stopped;
    expect(order).toEqual(['request done', 'stopped']);
    const doc = parse(readFileSync(join(home, 'nodes.yaml'), 'utf8'));
    expect(doc.nodes[0].venue).toBe('kept');
  });
});

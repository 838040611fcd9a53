/**
 * Config reload without a restart (SIGHUP, `POST /api/v1/config/reload`, `hydracluster reload`):
 * the whole config is swapped at once, an invalid file is refused with the key named and the
 * running config kept, nodes holding a role whose recipe changed are asked to apply it afresh,
 * and nothing else (exec queues, sessions) is touched.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { defaultConfigDocument, loadConfig } from '../../src/config.js';
import { changedKeys, LiveConfig } from '../../src/live-config.js';
import { ADMIN, FLEET, harness } from '../support/harness.js';
import { CLI, makeHome, startServerProcess, type ServerProcess } from '../support/process.js';
import { tempDir } from '../support/temp.js';

const run = promisify(execFile);

/** A home whose config.yaml the test edits, and a harness whose config can be reloaded from it. */
async function reloadable() {
  const home = tempDir('hc-reload-');
  const doc: any = defaultConfigDocument();
  doc.server.admin_token = ADMIN;
  doc.server.fleet_enrollment_token = FLEET;
  doc.server.rate_limit_per_min = 1000;
  doc.roles['plain-role'] = { description: 'plain', recipe: { bash: 'true', check_bash: 'true' } };
  doc.roles['other-role'] = { description: 'other', recipe: { bash: 'true', check_bash: 'true' } };
  const path = join(home, 'config.yaml');
  writeFileSync(path, stringify(doc), { mode: 0o600 });
  const live = new LiveConfig(loadConfig(home).config, { home });
  const h = await harness({ live, home });
  const edit = (fn: (d: any) => void) => {
    const d = parse(readFileSync(path, 'utf8'));
    fn(d);
    writeFileSync(path, stringify(d));
  };
  return { h, edit, path };
}

describe('config reload', () => {
  it('when config.yaml changed, then POST /config/reload swaps it in whole and lists applied and restart-required keys', async () => {
    const { h, edit } = await reloadable();
    edit((d) => {
      d.server.exec.max_queue = 2;
      d.server.listen = '127.0.0.1:9999';
      d.roles['new-role'] = { description: 'new', recipe: { bash: 'true' } };
      d.operators = { alice: 'alice-token-0123456789abcdef' };
    });
    const r = await h.json('POST', '/config/reload');
    expect(r.status).toBe(200);
    expect(r.body.applied).toEqual(expect.arrayContaining(['server.exec.max_queue', 'roles.new-role', 'operators.alice']));
    expect(r.body.restart_required).toEqual(['server.listen']);
    expect(JSON.stringify(r.body)).not.toContain('alice-token');
    // Roles and operators apply at once.
    expect((await h.json('GET', '/roles')).body['new-role']).toBeDefined();
    expect((await h.json('GET', '/nodes', { token: 'alice-token-0123456789abcdef' })).status).toBe(200);
    // Limits too: the exec queue of a node now holds 2.
    const n = await h.addNode();
    for (const cmd of ['a', 'b']) expect((await h.json('POST', `/nodes/${n.id}/exec`, { body: { command: cmd } })).status).toBe(202);
    expect((await h.json('POST', `/nodes/${n.id}/exec`, { body: { command: 'c' } })).body.error).toBe('queue_full');
    // Audited, with the keys and never a secret.
    const audit = (await h.json('GET', '/audit?limit=50')).body;
    const line = JSON.stringify(audit);
    expect(line).toContain('config.reload');
    expect(line).toContain('server.exec.max_queue');
    expect(line).not.toContain('alice-token');
  });

  it('when config.yaml is invalid, then the reload answers 400 naming the key and the running config stays', async () => {
    const { h, edit, path } = await reloadable();
    const n = await h.addNode();
    expect((await h.json('POST', `/nodes/${n.id}/exec`, { body: { command: 'queued before' } })).status).toBe(202);
    edit((d) => {
      d.server.exec.max_queue = -1;
      d.roles['new-role'] = { description: 'new' };
    });
    const r = await h.json('POST', '/config/reload');
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_config');
    expect(r.body.message).toContain('server.exec.max_queue');
    expect((await h.json('GET', '/roles')).body['new-role']).toBeUndefined();
    // The queued exec is untouched and the admin token still works.
    expect((await h.json('GET', `/nodes/${n.id}/exec`)).body.depth).toBe(1);
    // Not YAML at all: also a 400, also nothing changed.
    writeFileSync(path, 'server: [unclosed');
    expect((await h.json('POST', '/config/reload')).status).toBe(400);
  });

  it('when a role\'s recipe changed, then the nodes holding it get update_services and the others do not, and queued execs stay', async () => {
    const { h, edit } = await reloadable();
    const a = await h.addNode({ name: 'a' });
    const b = await h.addNode({ name: 'b' });
    expect((await h.json('POST', `/nodes/${a.id}/roles`, { body: { roles: ['plain-role'] } })).status).toBe(200);
    expect((await h.json('POST', `/nodes/${b.id}/roles`, { body: { roles: ['other-role'] } })).status).toBe(200);
    expect((await h.json('POST', `/nodes/${b.id}/exec`, { body: { command: 'keep me' } })).status).toBe(202);
    edit((d) => void (d.roles['plain-role'].recipe.bash = 'echo fixed'));
    const r = await h.json('POST', '/config/reload');
    expect(r.body.applied).toEqual(['roles.plain-role']);
    await new Promise((res) => setImmediate(res));
    const flagsOf = async (id: string) => (await h.json('GET', `/nodes/${id}`)).body.flags;
    await expect.poll(async () => (await flagsOf(a.id)).update_services).toBe(true);
    expect((await flagsOf(b.id)).update_services).toBe(false);
    expect((await h.json('GET', `/nodes/${b.id}/exec`)).body.depth).toBe(1);
    // The agent learns the new recipe from its next provision poll.
    const poll = await h.json('GET', '/body/provision', { token: a.token });
    expect(poll.body.recipes['plain-role'].bash).toBe('echo fixed');
  });

  it('when the admin token changes, then the old one is refused and the new one works', async () => {
    const { h, edit } = await reloadable();
    const next = 'hca_rotated-admin-token-0123456789';
    edit((d) => void (d.server.admin_token = next));
    expect((await h.json('POST', '/config/reload')).body.applied).toEqual(['server.admin_token']);
    expect((await h.json('GET', '/nodes')).status).toBe(401);
    expect((await h.json('GET', '/nodes', { token: next })).status).toBe(200);
  });

  it('changedKeys compares leaves, and each role and operator as one key', () => {
    const a = { server: { exec: { max_queue: 1, x: 2 } }, roles: { r: { recipe: { bash: 'a' } } }, operators: {} };
    const b = { server: { exec: { max_queue: 1, x: 3 } }, roles: { r: { recipe: { bash: 'b' } }, s: {} }, operators: { o: 't' } };
    expect(changedKeys(a, b)).toEqual(['operators.o', 'roles.r', 'roles.s', 'server.exec.x']);
    expect(changedKeys(a, a)).toEqual([]);
  });
});

describe('config reload in the real server', () => {
  let server: ServerProcess | undefined;
  afterEach(async () => {
    server?.child.kill('SIGKILL');
    await server?.exited;
    server = undefined;
  });

  it('when SIGHUP arrives or `hydracluster reload` runs, then the server re-reads config.yaml without a restart', async () => {
    const home = makeHome();
    server = await startServerProcess(home);
    const path = join(home, 'config.yaml');
    const edit = (fn: (d: any) => void) => {
      const d = parse(readFileSync(path, 'utf8'));
      fn(d);
      writeFileSync(path, stringify(d));
    };
    const roles = async () => (await (await fetch(`${server!.url}/api/v1/roles`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as Record<string, unknown>;
    const pid = server.child.pid;

    edit((d) => (d.roles['hup-role'] = { description: 'from SIGHUP' }));
    server.child.kill('SIGHUP');
    await expect.poll(async () => Object.keys(await roles()), { timeout: 10_000 }).toContain('hup-role');
    await expect.poll(() => server!.output()).toContain('SIGHUP: config.yaml reloaded');

    edit((d) => (d.roles['cli-role'] = { description: 'from the CLI' }));
    const env = { ...process.env, HC_SERVER: server.url, HC_TOKEN: ADMIN };
    const ok = await run(process.execPath, [CLI, 'reload'], { env });
    expect(ok.stdout).toContain('applied: roles.cli-role');
    expect(Object.keys(await roles())).toContain('cli-role');

    edit((d) => (d.server.heartbeat_interval_s = 'often'));
    const bad = await run(process.execPath, [CLI, 'reload'], { env }).catch((e: { code: number; stderr: string }) => e);
    expect('code' in bad && bad.code).not.toBe(0);
    expect(bad.stderr).toContain('server.heartbeat_interval_s');
    server.child.kill('SIGHUP'); // an invalid file by signal: logged, and the server keeps serving
    await expect.poll(() => server!.output(), { timeout: 10_000 }).toContain('SIGHUP: config.yaml refused');
    expect(Object.keys(await roles())).toContain('cli-role');
    expect(server.child.pid).toBe(pid);
    expect(server.child.exitCode).toBeNull();
  });
});

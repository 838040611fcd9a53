/**
 * `hydracluster backup` (docs/architecture.md#nodesyaml-and-its-journal) and what a restore and a refused start look like: a backup
 * file, placed as nodes.yaml in a home holding only config.yaml, starts a server holding every node
 * with its token hash (the agent's token still works), roles and flags; a nodes.yaml edited after a
 * crash while a journal remains stops the start, naming both files.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryLogger } from '../../src/log.js';
import { startServer } from '../../src/server.js';
import { runCli } from '../cli/e2e-helpers.js';
import { ADMIN } from '../support/harness.js';
import { call, makeHome, startServerProcess } from '../support/process.js';
import { tempDir } from '../support/temp.js';

/** Two registered nodes: one with a role and a raised flag, one drained. */
async function fleet(url: string) {
  const nodes: Array<{ id: string; token: string }> = [];
  for (const name of ['alpha', 'beta']) {
    const e = await call(url, 'POST', '/enrollments', { name });
    const r = await call(url, 'POST', '/register', {}, e.body.enrollment_token);
    nodes.push({ id: r.body.node_id, token: r.body.token });
  }
  expect((await call(url, 'POST', `/nodes/${nodes[0]!.id}/roles`, { roles: ['plain-role'] })).status).toBe(200);
  expect((await call(url, 'POST', `/nodes/${nodes[0]!.id}/update-node`)).status).toBe(202);
  expect((await call(url, 'POST', `/nodes/${nodes[1]!.id}/drain`, { drain: true, reason: 'disk' })).status).toBe(200);
  return nodes;
}

describe('hydracluster backup', () => {
  it('when an admin asks for a backup, then the server writes one 0600 file, answers path, size and sha256 only, and audits it; the CLI prints them', async () => {
    const home = makeHome();
    const srv = await startServer({ home, listen: '127.0.0.1:0', log: memoryLogger() });
    try {
      await fleet(srv.url);
      const r = await call(srv.url, 'POST', '/backups', {});
      expect(r.status).toBe(201);
      expect(Object.keys(r.body).sort()).toEqual(['path', 'sha256', 'size']);
      expect(r.body.path).toMatch(new RegExp(`^${join(home, 'backups')}/nodes-\\d{8}T\\d{6}Z\\.yaml$`));
      const bytes = readFileSync(r.body.path);
      expect({ size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') }).toEqual({ size: r.body.size, sha256: r.body.sha256 });
      expect(statSync(r.body.path).mode & 0o777).toBe(0o600);
      expect(JSON.stringify(r.body)).not.toMatch(/token/);

      const out = join(tempDir('hc-backup-out-'), 'fleet.yaml');
      const cli = await runCli(['backup', '--out', out, '--server', srv.url, '--admin-token', ADMIN]);
      expect(cli).toMatchObject({ code: 0, stderr: '' });
      const written = readFileSync(out);
      expect(cli.stdout).toBe(`backup written on the server: ${out}\nsize: ${written.length} bytes\nsha256: ${createHash('sha256').update(written).digest('hex')}\n`);
      expect((await runCli(['backup', '--out', out, '--server', srv.url, '--admin-token', ADMIN])).code).toBe(0); // an earlier backup may be replaced

      expect((await runCli(['backup', '--out', 'relative.yaml', '--server', srv.url, '--admin-token', ADMIN])).code).toBe(64);
      const refused = [
        await call(srv.url, 'POST', '/backups', { out: 'relative.yaml' }),
        await call(srv.url, 'POST', '/backups', { out: join(home, 'nodes.yaml') }),
        await call(srv.url, 'POST', '/backups', { out: join(home, 'config.yaml') }), // exists, not a nodes file
        await call(srv.url, 'POST', '/backups', { out: join(home, 'no-such-folder', 'b.yaml') }),
      ];
      for (const x of refused) expect(x).toMatchObject({ status: 400, body: { error: 'invalid_request', message: expect.stringContaining('`out`') } });
      expect((await call(srv.url, 'POST', '/backups', {}, null)).status).toBe(401);
      const audit = (await call(srv.url, 'GET', '/audit?limit=10')).body as Array<{ action: string; status: number; detail: unknown }>;
      expect(audit.filter((a) => a.action === 'backup.create' && a.status === 201)).toHaveLength(3);
    } finally {
      await srv.stop();
    }
  });

  it('when a backup is placed as nodes.yaml in a home holding only config.yaml, then the server starts with every node, its roles and flags, and the agents\' tokens work', async () => {
    const home = makeHome();
    const srv = await startServer({ home, listen: '127.0.0.1:0', log: memoryLogger() });
    let nodes: Awaited<ReturnType<typeof fleet>>;
    let before: unknown;
    let path: string;
    try {
      nodes = await fleet(srv.url);
      before = (await call(srv.url, 'GET', '/nodes')).body;
      path = (await call(srv.url, 'POST', '/backups', {})).body.path;
    } finally {
      await srv.stop();
    }
    const restored = tempDir('hc-restored-');
    copyFileSync(join(home, 'config.yaml'), join(restored, 'config.yaml'));
    copyFileSync(path, join(restored, 'nodes.yaml'));
    const again = await startServer({ home: restored, listen: '127.0.0.1:0', log: memoryLogger() });
    try {
      const listed = (await call(again.url, 'GET', '/nodes')).body as Array<Record<string, unknown>>;
      const strip = (l: unknown) => (l as Array<Record<string, unknown>>).map(({ id, roles, flags, drain, drain_reason, state }) => ({ id, roles, flags, drain, drain_reason, state }));
      expect(strip(listed)).toEqual(strip(before));
      const hb = await call(again.url, 'POST', '/body/heartbeat', {}, nodes[0]!.token);
      expect(hb).toMatchObject({ status: 200, body: { node_id: nodes[0]!.id, roles: ['plain-role'], flags: { update_node: true } } });
      expect((await call(again.url, 'POST', '/body/heartbeat', {}, nodes[1]!.token)).status).toBe(200);
    } finally {
      await again.stop();
    }
  });

  it('when nodes.yaml was edited after a crash while nodes.journal holds changes, then the start is refused naming both files, and nothing is replayed or dropped', async () => {
    const home = makeHome();
    const first = await startServerProcess(home);
    await call(first.url, 'POST', '/enrollments', { name: 'before' });
    first.child.kill('SIGTERM');
    expect((await first.exited).code).toBe(0); // a clean stop: nodes.yaml alone
    expect(existsSync(join(home, 'nodes.journal'))).toBe(false);
    const second = await startServerProcess(home);
    const e = await call(second.url, 'POST', '/enrollments', { name: 'acknowledged' });
    expect(e.status).toBe(201);
    second.child.kill('SIGKILL');
    await second.exited;
    const journal = readFileSync(join(home, 'nodes.journal'), 'utf8');
    expect(journal).toContain(e.body.node_id);
    const yaml = join(home, 'nodes.yaml');
    writeFileSync(yaml, readFileSync(yaml, 'utf8').replace('"before"', '"edited by hand"'));
    const refused = await startServerProcess(home).then(
      () => null,
      (err: Error) => err.message,
    );
    expect(refused).toContain(`${yaml} does not match ${join(home, 'nodes.journal')}`);
    expect(readFileSync(join(home, 'nodes.journal'), 'utf8')).toBe(journal); // left as it was
  });
});

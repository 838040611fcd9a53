/**
 * Acceptance 3 (docs/api.md#agents-heartbeat-flags-and-the-provision-poll, docs/operations.md#agent-distribution): the bash install command from POST /enrollments, run as given on
 * a machine without the repository: a mount namespace puts empty tmpfs over /usr/local/bin,
 * /etc/systemd/system, /run (with /run/systemd/system, so systemd "runs") and the repository, and
 * /dev/null over Node; a stub systemctl records its arguments. The command installs the binary
 * and the unit, enables the service and registers; the node goes online once that binary runs.
 * Needs root and unshare (skipped otherwise).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stop, tempDir } from '../agent/agent-process.js';
import { call, makeHome, startServerProcess, type ServerProcess } from '../support/process.js';
import { packageVersion } from '../../src/package-root.js';
import { BUILD_TIMEOUT_MS, ensureRelease, ROOT } from '../support/release.js';

const canUnshare = process.getuid?.() === 0 && spawnSync('unshare', ['-m', 'true']).status === 0;
const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(!canUnshare)('the bash install command on a bare Linux machine', () => {
  let server: ServerProcess;
  let machine: ChildProcess | undefined;
  const out = tempDir('hn-bare-linux-');

  beforeAll(async () => {
    await ensureRelease();
    // No public_url in config.yaml: it follows the address served (port 0 here), as on a first start.
    server = await startServerProcess(makeHome((doc) => delete doc.server.public_url));
  }, BUILD_TIMEOUT_MS);
  afterAll(async () => {
    if (machine) await stop(machine);
    if (server) await stop(server.child);
  });

  it('when run as given, then it installs the binary and the unit, enables the service and registers; hydranode run brings the node online', async () => {
    const enr = await call(server.url, 'POST', '/enrollments', { name: 'bare-linux', os: 'linux' }, null);
    expect(enr.status).toBe(201);
    const home = join(out, 'root');
    mkdirSync(join(out, 'cwd'), { recursive: true });
    const script = [
      'set -u',
      'mount -t tmpfs tmpfs /usr/local/bin',
      'mount -t tmpfs tmpfs /etc/systemd/system',
      'mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/system',
      `mount -t tmpfs tmpfs ${shq(ROOT)}`,
      'mount --bind /dev/null "$(command -v node)"',
      `printf '#!/bin/sh\\necho "$*" >> %s\\n' ${shq(join(out, 'systemctl.log'))} > /usr/local/bin/systemctl && chmod 755 /usr/local/bin/systemctl`,
      `export PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=${shq(home)}`,
      `cd ${shq(join(out, 'cwd'))}`,
      enr.body.install.bash,
      `echo "exit=$?" > ${shq(join(out, 'install.status'))}`,
      `{ node --version || echo "no node"; ls ${shq(ROOT)}; } > ${shq(join(out, 'bare.txt'))} 2>&1`,
      `cp /etc/systemd/system/hydranode.service ${shq(out)}/ 2>/dev/null`,
      `exec /usr/local/bin/hydranode run --home "$HOME/.hydranode" > ${shq(join(out, 'run.log'))} 2>&1`,
    ].join('\n');
    writeFileSync(join(out, 'machine.sh'), script);
    machine = spawn('unshare', ['-m', '--propagation', 'private', 'bash', join(out, 'machine.sh')], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH } });
    let log = '';
    machine.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    machine.stderr!.on('data', (d: Buffer) => (log += d.toString()));

    const status = await until('the install command', () => (existsSync(join(out, 'install.status')) ? readFileSync(join(out, 'install.status'), 'utf8') : undefined), 60_000);
    expect(status.trim(), log).toBe('exit=0');
    expect(log).toContain(`registered as ${enr.body.node_id}`);
    // Inside the machine: no Node to run and an empty repository folder.
    expect(readFileSync(join(out, 'bare.txt'), 'utf8').trim().split('\n').at(-1)).toBe('no node');
    expect(readFileSync(join(out, 'hydranode.service'), 'utf8')).toContain(`ExecStart=/usr/local/bin/hydranode run --home ${home}/.hydranode\nRestart=always\n`);
    expect(readFileSync(join(out, 'systemctl.log'), 'utf8')).toBe('daemon-reload\nenable hydranode\nrestart hydranode\n');
    const online = await until('the node online', async () => {
      const r = await call(server.url, 'GET', `/nodes/${enr.body.node_id}`);
      return r.body?.state === 'online' ? r.body : undefined;
    });
    expect(online).toMatchObject({ state: 'online', agent_version: packageVersion(), os: 'linux' });
  });
});

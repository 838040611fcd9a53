/**
 * Listen addresses through the real built CLI: a bad `--listen` is a usage error (64) naming the
 * flag, a bad `server.listen` a config error (78) naming the key, an address that cannot be bound
 * exits 69 naming it; none of them leaves a config.yaml behind on a first start.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, assertBuilt, makeHome } from '../support/process.js';
import { tempDir } from '../support/temp.js';

function serve(args: string[]): Promise<{ code: number | null; stderr: string }> {
  assertBuilt();
  const child = spawn(process.execPath, [CLI, 'serve', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((r) => child.once('close', (code) => r({ code, stderr })));
}

const freshHome = () => tempDir('hc-listen-');

describe('listen addresses', () => {
  it('when --listen is not HOST:PORT, then serve exits 64 naming --listen, with no Node internals and no config written', async () => {
    const home = freshHome();
    const r = await serve(['--home', home, '--listen', 'foo']);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/^hydracluster: --listen "foo": must be HOST:PORT/);
    expect(r.stderr).not.toMatch(/ERR_|at .*\.js/);
    expect(existsSync(join(home, 'config.yaml'))).toBe(false);
  });

  it('when the --listen port is out of range, then serve exits 64 naming --listen and the port', async () => {
    const r = await serve(['--home', freshHome(), '--listen', '127.0.0.1:99999']);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/--listen "127\.0\.0\.1:99999": port 99999 is out of range \(0–65535\)/);
  });

  it('when config.yaml has listen: 999.1.1.1:99999, then serve exits 78 naming server.listen', async () => {
    const home = makeHome((d) => (d.server.listen = '999.1.1.1:99999'));
    const r = await serve(['--home', home]);
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/config\.yaml: server\.listen: host 999\.1\.1\.1 is not an IPv4 address/);
  });

  it('when offline_after_s is below 2 × heartbeat_interval_s, then serve exits 78 naming the key', async () => {
    const home = makeHome((d) => Object.assign(d.server, { heartbeat_interval_s: 30, offline_after_s: 45 }));
    const r = await serve(['--home', home, '--listen', '127.0.0.1:0']);
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/server\.offline_after_s: must be at least 2 × heartbeat_interval_s \(60\)/);
  });

  it('when the address is taken, then a first start exits 69 naming the address and writes no config', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const { port } = taken.address() as { port: number };
    const home = freshHome();
    try {
      const r = await serve(['--home', home, '--listen', `127.0.0.1:${port}`]);
      expect(r.code).toBe(69);
      expect(r.stderr).toContain(`cannot listen on 127.0.0.1:${port} (--listen)`);
      expect(r.stderr).toMatch(/EADDRINUSE/);
      expect(existsSync(join(home, 'config.yaml'))).toBe(false);
    } finally {
      taken.close();
    }
  });
});

/**
 * One role's provider in process, with short timings: a start that never becomes healthy is a
 * failure carrying the start log's tail; an agent restarted beside a running provider adopts it
 * (no download, no second start) and, should it stop, still counts the role applied while it
 * restarts it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { memoryLogger } from '../../../src/log.js';
import { ProviderRole, type ProviderDeps } from '../../../src/agent/provider/provider-role.js';
import { portListens } from '../../../src/agent/provider/processes.js';
import type { ProviderPlan } from '../../../src/wire/provider.js';
import { eventually, freePort, pidsWith, tempDir } from '../agent-process.js';
import { startPackageServer, type PackageServer } from './package-server.js';
import { makeZip, sha256 } from './zip.js';

function deps(home: string): ProviderDeps {
  return {
    log: memoryLogger(),
    home,
    platform: 'linux',
    env: process.env,
    bash: '/bin/bash',
    systemdRun: null,
    startTimeoutMs: 3000,
    restart: { initialMs: 60_000, maxMs: 60_000 },
    installRetry: { initialMs: 60_000, maxMs: 60_000 },
    healthPollMs: 50,
    stopGraceMs: 2000,
    onChange: () => {},
  };
}

describe('a provider role on its own', () => {
  let srv: PackageServer;
  const title = `hcr-${randomBytes(3).toString('hex')}`;
  afterAll(async () => {
    for (const pid of pidsWith(title)) process.kill(pid, 'SIGKILL');
    await srv?.close();
  });
  beforeAll(async () => {
    srv = await startPackageServer();
  });

  async function plan(path: string, files: Parameters<typeof makeZip>[0], ports: number[]): Promise<ProviderPlan> {
    const zip = await makeZip(files);
    srv.put(path, zip);
    const dir = tempDir('hn-role-');
    return {
      provider: 'test',
      package: { url: `${srv.url}${path}`, sha256: sha256(zip), version: '1.0.0' },
      install_dir: join(dir, 'opt', 'provider'),
      start: 'bash start.sh',
      stop: { processes: [title] },
      health: { ports, processes: [] },
    };
  }

  it('when the started provider never listens, then the start fails with the tail of its output and a next try', async () => {
    const p = await plan('/broken.zip', [{ name: 'start.sh', content: 'echo starting; echo boom >&2; exit 1\n' }], [await freePort()]);
    const role = new ProviderRole('r1', deps(tempDir('hn-home-')));
    await role.apply(p, null);
    expect(role.status).toBe('failed');
    expect(role.applied(p)).toBe(false);
    expect(role.error).toMatchObject({ step: 'start', output_tail: 'starting\nboom' });
    expect(role.error!.message).toMatch(/^provider not running after `bash start.sh`: port \d+ not listening after 3 s$/);
    expect(role.error!.retry_at).not.toBeNull();
  });

  it('when the agent restarts beside a running provider, then it is adopted without a download or a start, and a stop keeps the role applied', async () => {
    const port = await freePort();
    const listener = `process.title = ${JSON.stringify(title)}; require('net').createServer((s) => s.end()).listen(${port}, '127.0.0.1');`;
    const p = await plan('/ok.zip', [{ name: 'start.sh', content: `exec '${process.execPath}' listener.js\n` }, { name: 'listener.js', content: listener }], [port]);
    const home = tempDir('hn-home-');
    const first = new ProviderRole('r2', deps(home));
    await first.apply(p, null);
    expect(first.status).toBe('running');
    const [pid] = pidsWith(title);
    const requests = srv.requests('/ok.zip').length;

    const second = new ProviderRole('r2', deps(home)); // a new agent process
    await second.apply(p, null);
    expect(second.status).toBe('running');
    expect(srv.requests('/ok.zip').length).toBe(requests);
    expect(pidsWith(title)).toEqual([pid]);

    process.kill(pid!, 'SIGKILL');
    // Its files (the listening socket) close a moment after its command line is gone.
    await eventually('port closed', async () => (!(await portListens(port)) ? true : undefined));
    await second.apply(p, null);
    expect(second.status).toBe('stopped');
    expect(second.applied(p)).toBe(true);
    expect(second.error).toMatchObject({ step: 'health', message: `provider stopped: port ${port} not listening` });
    await second.apply(p, null); // the restart waits for its pause (60 s here)
    expect(pidsWith(title)).toEqual([]);
    second.fresh(); // e.g. the role's package changed: no wait
    await second.apply(p, null);
    expect(second.status).toBe('running');
    expect(second.error).toBeNull();
  });
});

/**
 * Acceptance 4 (docs/operations.md#agent-distribution): under Wine, the Windows executable downloaded from the server
 * registers with `install --no-service`, `run` brings the node online as os windows, and an exec
 * with interpreter cmd returns its stdout and exit code. (Wine's PowerShell is a stub and its
 * schtasks cannot create tasks: the task's definition is tested as text in test/agent/service.test.ts.)
 */
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageVersion } from '../../src/package-root.js';
import { stop, tempDir } from '../agent/agent-process.js';
import { call, makeHome, startServerProcess, type ServerProcess } from '../support/process.js';
import { BUILD_TIMEOUT_MS, ensureRelease } from '../support/release.js';
import { hasWine, WinePrefix, winPath, type WineRun } from '../support/wine.js';

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, detail: () => string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}:\n${detail()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe.skipIf(!hasWine)('the Windows agent under Wine', () => {
  const wine = new WinePrefix();
  let server: ServerProcess;
  let agent: WineRun | undefined;
  const dir = tempDir('hn-wine-node-');

  beforeAll(async () => {
    await Promise.all([ensureRelease(), wine.init()]);
    server = await startServerProcess(makeHome((doc) => delete doc.server.public_url));
  }, BUILD_TIMEOUT_MS);
  afterAll(async () => {
    agent?.child.kill('SIGKILL');
    await wine.dispose();
    if (server) await stop(server.child);
    rmSync(dir, { recursive: true, force: true });
  });

  it('when the downloaded exe installs with --no-service and runs, then the node is online as windows and a cmd exec round-trips', async () => {
    const manifest = (await (await fetch(`${server.url}/downloads/manifest.json`)).json()) as { files: Array<{ platform: string; name: string; sha256: string }> };
    const file = manifest.files.find((f) => f.platform === 'windows-amd64')!;
    const bytes = Buffer.from(await (await fetch(`${server.url}/downloads/${file.name}`)).arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(file.sha256);
    const exe = join(dir, 'hydra node', 'hydranode.exe'); // a path with a space
    mkdirSync(join(dir, 'hydra node'), { recursive: true });
    writeFileSync(exe, bytes);

    const enr = await call(server.url, 'POST', '/enrollments', { name: 'wine-node', os: 'windows' });
    const home = winPath(join(dir, 'agent home'));
    const installed = await wine.run(exe, ['install', '--no-service', '--server', server.url, '--enroll-token', enr.body.enrollment_token, '--home', home], 120_000, dir);
    expect(installed.code, installed.output).toBe(0);
    expect(installed.output).toContain(`registered as ${enr.body.node_id}`);

    agent = wine.spawn(exe, ['run', '--home', home], dir);
    const node = await until('the node online', async () => {
      const r = await call(server.url, 'GET', `/nodes/${enr.body.node_id}`);
      return r.body?.state === 'online' ? r.body : undefined;
    }, 90_000, () => agent!.output());
    expect(node).toMatchObject({ os: 'windows', agent_version: packageVersion() });

    const sub = await call(server.url, 'POST', `/nodes/${enr.body.node_id}/exec`, { command: 'echo hi & exit /b 3', interpreter: 'cmd', timeout_s: 60 });
    expect(sub.status).toBe(202);
    const result = await until('the exec result', async () => {
      const r = await call(server.url, 'GET', `/nodes/${enr.body.node_id}/exec/${sub.body.id}/result?wait=20`);
      return r.status === 200 ? r.body : undefined;
    }, 90_000, () => agent!.output());
    expect(result, agent.output()).toMatchObject({ status: 'done', exit_code: 3 });
    // cmd's echo keeps the space before `&` and ends the line with CRLF: the output is returned as produced.
    expect(result.stdout).toBe('hi \r\n');
  }, 300_000);
});

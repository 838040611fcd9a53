import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScriptedAgent, type ScriptedAgent } from '../support/agent-script.js';
import { E2E_ADMIN, e2eHome, requireBuild, runCli, startServerProcess, type ServerProcess } from './e2e-helpers.js';
import { tempDir } from '../support/temp.js';

const EXEC_ID = /exec-[0-9A-Z]{26}/;

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

describe('hydracluster exec against a real server and a scripted agent', () => {
  let server: ServerProcess;
  let agent: ScriptedAgent;
  const cli = (...args: string[]) => runCli([...args, '--server', server.url, '--admin-token', E2E_ADMIN]);

  beforeAll(async () => {
    requireBuild();
    server = await startServerProcess(e2eHome());
    agent = await startScriptedAgent({ server: server.url, adminToken: E2E_ADMIN });
  });

  afterAll(async () => {
    await agent?.stop();
    await server?.stop();
  });

  it('when the remote command prints hi, then the CLI prints hi and exits 0', async () => {
    const r = await cli('exec', agent.nodeId, 'echo hi');
    expect(r).toEqual({ code: 0, stdout: 'hi\n', stderr: '' });
  });

  it('when the remote command exits 3, then the CLI exits 3', async () => {
    expect((await cli('exec', agent.nodeId, 'exit 3')).code).toBe(3);
  });

  it('when the remote command writes to stderr, then it arrives on stderr, not stdout', async () => {
    const r = await cli('exec', agent.nodeId, 'warn');
    expect(r).toEqual({ code: 0, stdout: '', stderr: 'warning: the disk is almost full\n' });
  });

  it('when --json is given, then the CLI prints the result object and exits 0', async () => {
    const r = await cli('exec', agent.nodeId, 'exit 5', '--json');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ status: 'done', exit_code: 5, stdout: '', stderr: '', stdout_truncated: false });
    expect(result.id).toMatch(EXEC_ID);
  });

  it("when --file is given, then the file's content is what the node runs", async () => {
    const file = join(tempDir('hc-e2e-'), 'setup.ps1');
    writeFileSync(file, 'Get-Service\nGet-Process | Select-Object -First 5\n');
    const r = await cli('exec', agent.nodeId, '--file', file);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('ran: Get-Service\nGet-Process | Select-Object -First 5\n');
  });

  it('when the agent never answers within --timeout 2s, then the CLI exits 124 and prints the exec id', async () => {
    const r = await cli('exec', agent.nodeId, 'hang', '--timeout', '2s');
    expect(r.code).toBe(124);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(EXEC_ID);
    const id = EXEC_ID.exec(r.stderr)![0];
    const res = await fetch(`${server.url}/api/v1/nodes/${agent.nodeId}/exec/${id}/result`, { headers: { authorization: `Bearer ${E2E_ADMIN}` } });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ status: 'pending', state: 'delivered', position: null });
  });

  it('when --async is given, then the CLI prints an exec id at once and exits 0', async () => {
    const r = await cli('exec', agent.nodeId, 'hang', '--async');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^${EXEC_ID.source}\\n$`));
  });

  it('when the queue is shown and cleared, then the CLI lists the open execs and cancels them', async () => {
    await cli('exec', agent.nodeId, 'hang', '--async');
    const shown = await cli('queue', agent.nodeId, 'show', '--json');
    expect(JSON.parse(shown.stdout).depth).toBeGreaterThan(0);
    const cleared = await cli('queue', agent.nodeId, 'clear');
    expect(cleared.code).toBe(0);
    expect(cleared.stdout).toMatch(/^cancelled \d+ execs?( \(\d+ running: the node was told to stop (it|them)\))?\n$/);
    expect(JSON.parse((await cli('queue', agent.nodeId, '--json')).stdout).depth).toBe(0);
  });

  it('when the node is unknown, then the CLI exits 66 with one line on stderr', async () => {
    const r = await cli('exec', 'node-00000000000000000000000000', 'echo hi');
    expect(r.code).toBe(66);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('when the admin token is refused, then the CLI exits 77', async () => {
    const r = await runCli(['exec', agent.nodeId, 'echo hi', '--server', server.url, '--admin-token', 'hca_wrong-token']);
    expect(r.code).toBe(77);
    expect(r.stderr).toMatch(/refused/);
  });

  it('when the server is unreachable, then the CLI exits 69', async () => {
    const r = await runCli(['exec', agent.nodeId, 'echo hi', '--server', `http://127.0.0.1:${await closedPort()}`, '--admin-token', E2E_ADMIN]);
    expect(r.code).toBe(69);
    expect(r.stderr).toMatch(/cannot reach/);
  });

  it('when nodes and debug are asked, then they answer from the live server', async () => {
    const list = await cli('nodes', 'list');
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(agent.nodeId);
    const actors = JSON.parse((await cli('debug', 'actors')).stdout);
    expect(actors.map((a: { id: string }) => a.id)).toContain(`${agent.nodeId}/exec`);
    const queueActor = JSON.parse((await cli('debug', 'actor', `${agent.nodeId}/exec`)).stdout);
    expect(queueActor.kind).toBe('exec-queue');
  });
});

/**
 * `hydracluster exec --where` end to end: the real server, the real agent on two nodes (child
 * processes on loopback) and the real CLI: prefixed lines, the summary line, exit codes, --json.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrolledAgent, eventually, nodeWhen, runNode, stop, type AgentProcess } from '../agent/agent-process.js';
import { ADMIN } from '../support/harness.js';
import { CLI, call, makeHome, startServerProcess, type ServerProcess } from '../support/process.js';
import { tempDir } from '../support/temp.js';

const NAMES = ['fx-a', 'fx-b'] as const;

describe('hydracluster exec --where against a real server and two real agents', () => {
  let server: ServerProcess;
  const agents: AgentProcess[] = [];
  const cli = (...args: string[]) => runNode([CLI, 'exec', ...args, '--server', server.url, '--admin-token', ADMIN], 30_000);

  beforeAll(async () => {
    server = await startServerProcess(makeHome((doc) => void (doc.server.heartbeat_interval_s = 1)));
    for (const name of NAMES) {
      const { id, agent } = await enrolledAgent(server.url, name);
      agents.push(agent);
      expect((await call(server.url, 'PATCH', `/nodes/${id}`, { district: 'fx1' })).status).toBe(200);
      await eventually(`${name} online`, nodeWhen(server.url, id, (n) => n.state === 'online'));
    }
  }, 60_000);

  afterAll(async () => {
    for (const a of agents) await stop(a.child);
    if (server) await stop(server.child);
  });

  it('when every node succeeds, then each line is prefixed with its node, stderr lines go to stderr, and the summary says 2 ok; exit 0', async () => {
    const r = await cli('--where', 'district=fx1', 'echo hello; echo world; echo oops >&2', '--timeout', '20s');
    const out = r.stdout.trimEnd().split('\n');
    expect(out.slice(0, -1).sort()).toEqual(['fx-a: hello', 'fx-a: world', 'fx-b: hello', 'fx-b: world']);
    expect(out.indexOf('fx-a: world')).toBe(out.indexOf('fx-a: hello') + 1);
    expect(out.at(-1)).toBe('2 ok, 0 failed, 0 timed out, 0 skipped');
    const [announce, ...rest] = r.stderr.trimEnd().split('\n');
    expect(announce).toMatch(/^hydracluster: batch batch-[0-9A-Z]{26} sent to 2 node\(s\): fx-a, fx-b$/);
    expect(rest.sort()).toEqual(['fx-a: oops', 'fx-b: oops']);
    expect(r.code).toBe(0);
  });

  it('when one node fails, then the summary counts it and the exit code is 1', async () => {
    const lock = join(tempDir('hc-fx-'), 'first');
    // mkdir is atomic: exactly one of the two nodes creates the folder and exits 0.
    const r = await cli('--where', 'district=fx1,kind=body', `mkdir ${lock} 2>/dev/null && echo first || exit 3`, '--timeout', '20s');
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('1 ok, 1 failed, 0 timed out, 0 skipped');
    expect(r.stderr).toMatch(/^fx-[ab]: \(exit 3\)$/m);
    expect(r.code).toBe(1);
  });

  it('when the command outlives --timeout on every node, then they count as timed out and the exit code is 124', async () => {
    const r = await cli('--where', 'district=fx1', 'sleep 30', '--timeout', '1s');
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('0 ok, 0 failed, 2 timed out, 0 skipped');
    expect(r.code).toBe(124);
  });

  it('when --json is given, then the batch object is printed with one result per node', async () => {
    const r = await cli('--where', 'district=fx1', 'echo hi', '--json', '--timeout', '20s');
    expect(r.code).toBe(0);
    const batch = JSON.parse(r.stdout);
    expect(batch).toMatchObject({ batch_id: expect.stringMatching(/^batch-/), state: 'finished', total: 2, finished: 2, counts: { ok: 2 } });
    expect(batch.results.map((m: any) => [m.name, m.stdout])).toEqual([['fx-a', 'hi\n'], ['fx-b', 'hi\n']]);
  });

  it('when --where names an unknown key or nothing, then a usage error (64) and nothing runs', async () => {
    const r = await cli('--where', 'colour=red', 'echo hi');
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('unknown key "colour"');
    expect((await cli('--where', 'state=online', 'echo hi')).code).toBe(64);
  });
});

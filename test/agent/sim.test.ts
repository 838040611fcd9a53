/**
 * `hydranode sim` against a real server: simulated nodes are really enrolled and registered, go
 * online by heartbeating, answer execs, and the run ends with a one-line JSON summary.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN } from '../support/harness.js';
import { call, makeHome, startServerProcess, type ServerProcess } from '../support/process.js';
import { AGENT, assertAgentBuilt, eventually, execViaApi, runNode, stop } from './agent-process.js';

const COUNT = 20;
const RUN_S = 4;

describe('hydranode sim', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    assertAgentBuilt();
    server = await startServerProcess(makeHome((doc) => void (doc.server.heartbeat_interval_s = 1)));
  });

  afterAll(async () => {
    if (server) await stop(server.child);
  });

  it('when N simulated agents run, then N nodes are enrolled and online, an exec is answered with exit 0, and a JSON summary ends the run', async () => {
    const args = [AGENT, 'sim', '--server', server.url, '--admin-token', ADMIN, '--count', String(COUNT), '--interval', '1', '--duration', String(RUN_S), '--exec-latency-ms', '50', '--concurrency', '5'];
    const run = runNode(args, 30_000);
    const health = await eventually('all simulated nodes online', async () => {
      const r = await call(server.url, 'GET', '/health', undefined, null);
      return r.body.nodes.online === COUNT ? r.body : undefined;
    });
    expect(health.nodes.total).toBe(COUNT);
    const nodes = await call(server.url, 'GET', '/nodes');
    const simNode = nodes.body.find((n: any) => n.name === 'sim-00');
    expect(simNode).toMatchObject({ state: 'online', os: 'linux', hostname: 'sim-00' });
    expect(await execViaApi(server.url, simNode.id, 'true', 10)).toMatchObject({ status: 'done', exit_code: 0 });

    const done = await run;
    expect(done.code).toBe(0);
    const lines = done.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ type: 'enrolled', nodes: COUNT, failed: 0 });
    const summary = lines.at(-1);
    expect(summary).toMatchObject({ type: 'summary', nodes: COUNT, setup_failed: 0, errors: 0, execs_answered: 1 });
    // One beat per node per second (±20 %) for the run.
    expect(summary.heartbeats_ok).toBeGreaterThanOrEqual(COUNT * (RUN_S - 1));
    expect(summary.p99_ms).toBeGreaterThan(0);
  });
});

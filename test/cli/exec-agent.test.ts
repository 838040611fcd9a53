/**
 * `hydracluster exec` against the real server and the real `hydranode` agent, all child processes
 * on loopback: what the operator sees when the node itself times a command out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrolledAgent, runNode, stop, type AgentProcess } from '../agent/agent-process.js';
import { ADMIN } from '../support/harness.js';
import { CLI, makeHome, startServerProcess, type ServerProcess } from '../support/process.js';

describe('hydracluster exec with the real agent', () => {
  let server: ServerProcess;
  let agent: AgentProcess;
  let id: string;
  const cli = (...args: string[]) => runNode([CLI, 'exec', id, ...args, '--server', server.url, '--admin-token', ADMIN]);

  beforeAll(async () => {
    server = await startServerProcess(makeHome());
    ({ id, agent } = await enrolledAgent(server.url, 'cli-e2e-node'));
    // Returns once the agent has fetched and run it: the node is up and long-polling.
    const first = await cli('true', '--timeout', '20s');
    if (first.code !== 0) throw new Error(`first exec exited ${first.code}: ${first.stderr}`);
  });

  afterAll(async () => {
    if (agent) await stop(agent.child);
    if (server) await stop(server.child);
  });

  it('when a command ignores SIGTERM past --timeout, then the CLI waits for the node\'s own timed_out report and prints its partial output, exit 124', async () => {
    // The agent sends SIGTERM at 1 s, SIGKILL 2 s later, then reports: after the old "timeout + 1 s".
    const r = await cli(`trap '' TERM; echo partial; sleep 30`, '--timeout', '1s');
    expect(r.stdout).toBe('partial\n');
    expect(r.stderr).toMatch(/^hydracluster: exec exec-\w+ timed out on the node\n$/);
    expect(r.code).toBe(124);
  });

  it('when the remote command exits 3 after printing, then the CLI prints it and exits 3', async () => {
    const r = await cli('echo hi; exit 3');
    expect(r).toEqual({ code: 3, stdout: 'hi\n', stderr: '' });
  });
});

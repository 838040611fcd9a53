/**
 * docs/api.md#exec with the real server, the real `hydranode` agent and the real CLI, all child processes
 * on loopback: an exec the CLI gave up on never runs later, and a cancel kills a running command's
 * process group within seconds, keeps its output so far and frees the node for the next exec.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrolledAgent, eventually, pidsWith, runNode, startAgent, stop, tempDir, type AgentProcess } from '../agent/agent-process.js';
import { ADMIN } from '../support/harness.js';
import { call, CLI, makeHome, startServerProcess, type ServerProcess } from '../support/process.js';

/** The running command's own timeout: every cancel below must end it well before. */
const SLEEP_TIMEOUT_S = 60;
/** Each test: a few CLI runs and agent round trips (a real agent restart in the last one). */
const TEST_TIMEOUT_MS = 60_000;

describe('exec control with the real agent', () => {
  let server: ServerProcess;
  let agent: AgentProcess;
  let home: string;
  let id: string;
  const cli = (...args: string[]) => runNode([CLI, ...args, '--server', server.url, '--admin-token', ADMIN], 30_000);
  const execView = async (execId: string) => (await call(server.url, 'GET', `/execs/${execId}`)).body;

  /** Starts `sleep` (unique marker) as an exec, with a background child in its process group; resolves once both run. */
  async function startSleep(marker: string): Promise<string> {
    const r = await cli('exec', id, `echo started; sleep ${marker} & sleep ${marker}`, '--timeout', `${SLEEP_TIMEOUT_S}s`, '--async');
    expect(r.code).toBe(0);
    await eventually('both sleeps running', async () => (pidsWith(marker).length >= 2 ? true : undefined), 20_000);
    return r.stdout.trim();
  }

  /** The exec's process group is gone, and its result (kill reported) keeps the output so far. */
  async function expectKilled(marker: string, execId: string): Promise<void> {
    await eventually('the process group ended', async () => (pidsWith(marker).length === 0 ? true : undefined), 20_000);
    const res = await cli('result', execId, '--wait');
    expect(res.stdout).toBe('started\n');
    expect(res.stderr).toMatch(/the exec was cancelled; the command was killed[\s\S]*was cancelled/);
    expect(res.code).toBe(70);
    expect(await execView(execId)).toMatchObject({ status: 'cancelled', kill: 'reported', result: { status: 'cancelled', stdout: 'started\n' } });
  }

  beforeAll(async () => {
    server = await startServerProcess(makeHome());
    ({ id, home, agent } = await enrolledAgent(server.url, 'cancel-e2e-node'));
    const first = await cli('exec', id, 'true', '--timeout', '20s');
    if (first.code !== 0) throw new Error(`first exec exited ${first.code}: ${first.stderr}`);
  });

  afterAll(async () => {
    if (agent) await stop(agent.child);
    if (server) await stop(server.child);
  });

  it('when `hydracluster cancel` hits a running exec, then its process group ends before its timeout, its output so far is kept, and the next exec runs at once', async () => {
    const marker = `60.${process.pid}1`;
    const execId = await startSleep(marker);
    const next = (await cli('exec', id, 'echo next', '--async')).stdout.trim();
    const r = await cli('cancel', execId);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/the node was told to stop it/);
    await expectKilled(marker, execId);
    const after = await cli('result', next, '--wait', '--json');
    const nextView = JSON.parse(after.stdout);
    expect(nextView.result).toMatchObject({ status: 'done', stdout: 'next\n' });
    // It ran when the cancel freed the node, not when the sleep's own timeout would have.
    const sleepStarted = Date.parse((await execView(execId)).delivered_at);
    expect(Date.parse(nextView.delivered_at)).toBeLessThan(sleepStarted + SLEEP_TIMEOUT_S * 1000);
  }, TEST_TIMEOUT_MS);

  it('when `hydracluster queue clear` hits a running exec, then its process group ends the same way', async () => {
    const marker = `60.${process.pid}2`;
    const execId = await startSleep(marker);
    const r = await cli('queue', id, 'clear');
    expect(r.stdout).toBe('cancelled 1 exec (1 running: the node was told to stop it)\n');
    await expectKilled(marker, execId);
  }, TEST_TIMEOUT_MS);

  it('when the agent is stopped, then `exec --timeout 3s` exits 124 saying the node is not fetching, the exec ends cancelled, and a restarted agent runs nothing', async () => {
    const marker = join(tempDir('hc-cancel-marker-'), 'ran');
    await stop(agent.child);
    const r = await cli('exec', id, `touch '${marker}'`, '--timeout', '3s');
    expect(r.code).toBe(124);
    expect(r.stderr).toMatch(/before it reached the node: the node is not fetching execs \(its agent last asked for work at \d{4}-/);
    const execId = /exec (exec-\w+)/.exec(r.stderr)![1]!;
    expect(await execView(execId)).toMatchObject({ status: 'cancelled', delivered_at: null });

    agent = startAgent(home);
    // Once the restarted agent has run a later exec, it has fetched everything there was to fetch.
    const again = await cli('exec', id, 'echo back', '--timeout', '20s');
    expect(again).toMatchObject({ code: 0, stdout: 'back\n' });
    expect(existsSync(marker)).toBe(false);
  }, TEST_TIMEOUT_MS);
});

/**
 * Large exec output through the real server (in-process) and the real agent process: each stream
 * comes back whole up to the server's max_output_bytes, is cut there exactly and flagged beyond
 * it, and never carries marker text (docs/api.md#exec).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/process.js';
import { enrolledAgent, stop, type AgentProcess } from './agent-process.js';
import { recordingServer, type RecordingServer } from './recording-server.js';

/** The server's default exec.max_output_bytes. */
const MAX = 1024 * 1024;
const RESULT_WAIT_S = 60;
const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/** Submits `command` to node `id` and long-polls its result until it is final. */
async function execResult(url: string, id: string, command: string): Promise<any> {
  const sub = await call(url, 'POST', `/nodes/${id}/exec`, { command, timeout_s: 60 });
  if (sub.status !== 202) throw new Error(`exec submit: ${sub.status} ${JSON.stringify(sub.body)}`);
  for (;;) {
    const r = await call(url, 'GET', `/nodes/${id}/exec/${sub.body.id}/result?wait=${RESULT_WAIT_S}`);
    if (r.status === 200) return r.body;
    if (r.status !== 202) throw new Error(`exec result: ${r.status} ${JSON.stringify(r.body)}`);
  }
}

/** `n` bytes of the letter `c` on stdout (or stderr). */
const write = (n: number, c: string, toStderr = false): string => `head -c ${n} /dev/zero | tr '\\0' ${c}${toStderr ? ' >&2' : ''}`;

describe('exec output at the default max_output_bytes (1 MiB)', () => {
  let server: RecordingServer;
  let agent: AgentProcess;
  let id: string;

  beforeAll(async () => {
    server = await recordingServer((doc) => void (doc.server.heartbeat_interval_s = 1));
    ({ id, agent } = await enrolledAgent(server.url, 'output-node'));
  });

  afterAll(async () => {
    if (agent) await stop(agent.child);
    if (server) await server.close();
  });

  const lastPosted = () => server.posted.at(-1)!;

  it('when a command writes 1,000,000 bytes to stdout, then they come back whole and not flagged truncated', async () => {
    const result = await execResult(server.url, id, write(1_000_000, 'b'));
    expect(result).toMatchObject({ status: 'done', exit_code: 0, stdout_truncated: false, stderr_truncated: false });
    expect(result.stdout).toBe('b'.repeat(1_000_000));
    expect(lastPosted().body).toMatchObject({ stdout_truncated: false, stderr_truncated: false });
  });

  it('when a command writes 3,000,000 bytes to stdout, then the result holds exactly max_output_bytes of them, flagged by the agent, with no marker text', async () => {
    const result = await execResult(server.url, id, write(3_000_000, 'b'));
    expect(result).toMatchObject({ status: 'done', exit_code: 0, stderr: '' });
    expect(bytes(result.stdout)).toBe(MAX);
    expect(result.stdout).toBe('b'.repeat(MAX));
    const posted = lastPosted();
    expect(posted.status).toBe(200);
    expect(posted.body).toMatchObject({ stdout_truncated: true, stderr_truncated: false, stderr: '' });
    expect(posted.body.stdout).toBe('b'.repeat(MAX));
  });

  it('when a command writes 3,000,000 bytes to stderr, then the result holds exactly max_output_bytes of them, flagged by the agent, with no marker text', async () => {
    const result = await execResult(server.url, id, `echo out; ${write(3_000_000, 'e', true)}`);
    expect(result).toMatchObject({ status: 'done', exit_code: 0, stdout: 'out\n', stdout_truncated: false });
    expect(result.stderr).toBe('e'.repeat(MAX));
    const posted = lastPosted();
    expect(posted.body).toMatchObject({ stdout: 'out\n', stdout_truncated: false, stderr_truncated: true });
    expect(posted.body.stderr).toBe('e'.repeat(MAX));
  });

  // The server keeps the agent's own *_truncated flags (src/actors/exec/book.ts `report`).
  it('when the agent flags a stream it cut at max_output_bytes, then the operator sees stdout_truncated: true', async () => {
    const result = await execResult(server.url, id, write(MAX + 1, 'b'));
    expect(lastPosted().body.stdout_truncated).toBe(true);
    expect(result.stdout_truncated).toBe(true);
  });
});

describe('exec output at a max_output_bytes the server tells the agent', () => {
  const LIMIT = 4096;
  let server: RecordingServer;
  let agent: AgentProcess;
  let id: string;

  beforeAll(async () => {
    server = await recordingServer((doc) => {
      doc.server.heartbeat_interval_s = 1;
      doc.server.exec.max_output_bytes = LIMIT;
    });
    ({ id, agent } = await enrolledAgent(server.url, 'limit-node'));
    // The agent reads `limits` from each provision poll before it polls again.
    await server.until(() => server.provisionPolls >= 2);
  });

  afterAll(async () => {
    if (agent) await stop(agent.child);
    if (server) await server.close();
  });

  it('when the provision poll says max_output_bytes is 4096, then the agent itself posts each stream cut at 4096 bytes and flagged', async () => {
    const result = await execResult(server.url, id, `${write(10_000, 'o')}; ${write(5_000, 'e', true)}`);
    expect(server.posted.at(-1)!.body).toMatchObject({ stdout: 'o'.repeat(LIMIT), stderr: 'e'.repeat(LIMIT), stdout_truncated: true, stderr_truncated: true });
    expect(result).toMatchObject({ status: 'done', stdout: 'o'.repeat(LIMIT), stderr: 'e'.repeat(LIMIT) });
    expect(agent.output()).toMatch(/"msg":"server limits","max_output_bytes":4096/);
  });
});

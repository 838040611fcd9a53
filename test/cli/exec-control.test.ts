/**
 * The CLI's side of exec control (docs/api.md#exec) against a scripted API: what `exec` does when it gives
 * up, and `cancel` / `result`, with their arguments.
 */
import { describe, expect, it } from 'vitest';
import { parseClientArgs, UsageError } from '../../src/cli/args.js';
import type { Api, CallOptions, Reply } from '../../src/cli/client.js';
import { runExec, type ExecIo } from '../../src/cli/exec.js';
import { runCancel, runResult } from '../../src/cli/exec-control.js';
import { FAKE_EXEC_ID as ID, resultView } from './fake-api.js';

const QUEUED: Reply = { status: 202, body: { status: 'pending', state: 'queued', position: 0 } };
const cancelled = (extra: Record<string, unknown>): Reply => ({ status: 200, body: { ...resultView({ status: 'cancelled', exit_code: null, delivered_at: null }), ...extra } });

/** Answers each request by `METHOD path-without-query` from `routes` (a list: one answer per call, the last repeats). */
function scripted(routes: Record<string, Reply[]>) {
  const calls: Array<{ method: string; path: string; opts?: CallOptions }> = [];
  const seen: Record<string, number> = {};
  const api: Api = {
    async call(method, path, _body, opts) {
      calls.push({ method, path, opts });
      const key = `${method} ${path.split('?')[0]}`;
      const list = routes[key];
      if (!list) throw new Error(`unexpected ${key}`);
      const i = (seen[key] = (seen[key] ?? -1) + 1);
      const reply = list[Math.min(i, list.length - 1)]!;
      if (reply.status >= 300 && !opts?.allow?.includes(reply.status)) throw new Error(`${reply.status} thrown`);
      return reply;
    },
    close() {},
  };
  const out = { stdout: '', stderr: '' };
  let t = 0;
  const io: ExecIo = {
    stdout: { write: (s: string) => (out.stdout += s) },
    stderr: { write: (s: string) => (out.stderr += s) },
    now: () => t,
    sleep: async (ms) => void (t += ms),
  };
  // A pending reply takes the whole wait asked (a long-poll that ran out).
  const held = api.call;
  api.call = async (method, path, body, opts) => {
    const r = await held(method, path, body, opts);
    if (r.status === 202) t += Number(new URL(path, 'http://x').searchParams.get('wait')) * 1000;
    return r;
  };
  return { api, io, out, calls };
}

const RESULT = `GET /nodes/node-1/exec/${ID}/result`;
const CANCEL = `DELETE /nodes/node-1/exec/${ID}`;
const exec = { cmd: 'exec', nodeId: 'node-1', source: { kind: 'text', text: 'touch x' }, timeoutS: 3, json: false, async: false } as const;

describe('hydracluster exec giving up', () => {
  it('when the exec was never delivered, then it is cancelled, the reason is said, and the exit is 124', async () => {
    const since = '2026-01-01T00:00:00.000Z';
    const s = scripted({ [`POST /nodes/node-1/exec`]: [{ status: 202, body: { id: ID } }], [RESULT]: [QUEUED], [CANCEL]: [cancelled({ was: 'queued', not_delivered: { reason: 'agent_not_fetching', since } })] });
    expect(await runExec(exec, s.api, s.io)).toBe(124);
    expect(s.calls.map((c) => c.method)).toContain('DELETE');
    expect(s.out.stderr).toBe(`hydracluster: no result within the timeout: cancelled exec ${ID} before it reached the node: the node is not fetching execs (its agent last asked for work at ${since}); it will not run\n`);
  });

  it('when the node is offline or busy, then that is the reason given', async () => {
    for (const [nd, text] of [
      [{ reason: 'node_offline', since: 'T1' }, 'the node is offline (last heartbeat T1)'],
      [{ reason: 'busy', since: 'T2', running: 'exec-OTHER' }, 'the node is busy with exec exec-OTHER (running since T2)'],
    ] as const) {
      const s = scripted({ [`POST /nodes/node-1/exec`]: [{ status: 202, body: { id: ID } }], [RESULT]: [QUEUED], [CANCEL]: [cancelled({ was: 'queued', not_delivered: nd })] });
      expect(await runExec(exec, s.api, s.io)).toBe(124);
      expect(s.out.stderr).toContain(text);
    }
  });

  it('when the exec finished between the last wait and the cancel (409), then its result is printed after all', async () => {
    const s = scripted({
      [`POST /nodes/node-1/exec`]: [{ status: 202, body: { id: ID } }],
      [RESULT]: [QUEUED, { status: 200, body: resultView({ stdout: 'late\n', exit_code: 5 }) }],
      [CANCEL]: [{ status: 409, body: { error: 'already_finished', message: 'done' } }],
    });
    expect(await runExec(exec, s.api, s.io)).toBe(5);
    expect(s.out.stdout).toBe('late\n');
  });

  it('when the exec is running on the node, then it is left running and the CLI says how to follow or cancel it', async () => {
    const s = scripted({ [`POST /nodes/node-1/exec`]: [{ status: 202, body: { id: ID } }], [RESULT]: [{ status: 202, body: { status: 'pending', state: 'delivered', position: null } }] });
    expect(await runExec(exec, s.api, s.io)).toBe(124);
    expect(s.calls.map((c) => c.method)).not.toContain('DELETE');
    expect(s.out.stderr).toContain(`still running on the node: follow it with \`hydracluster result ${ID} --wait\`, stop it with \`hydracluster cancel ${ID}\``);
  });
});

describe('hydracluster cancel and result', () => {
  const view = (over: Record<string, unknown>) => ({ status: 200, body: { id: ID, node_id: 'node-1', status: 'delivered', position: null, delivered_at: 'T0', kill: null, result: null, ...over } });

  it('when a running exec is cancelled, then the CLI says whether its agent was told to stop it', async () => {
    const told = scripted({ [`DELETE /execs/${ID}`]: [cancelled({ was: 'delivered', agent_listening: true })] });
    expect(await runCancel({ cmd: 'cancel', execId: ID, json: false }, told.api, told.io)).toBe(0);
    expect(told.out.stdout).toMatch(/the node was told to stop it .*hydracluster result .* --wait/);
    const deaf = scripted({ [`DELETE /execs/${ID}`]: [cancelled({ was: 'delivered', agent_listening: false })] });
    await runCancel({ cmd: 'cancel', execId: ID, json: false }, deaf.api, deaf.io);
    expect(deaf.out.stdout).toMatch(/does not listen for cancels .* until its timeout/);
  });

  it('when result is asked without --wait for an exec still running, then it says where it is and exits 124', async () => {
    const s = scripted({ [`GET /execs/${ID}`]: [view({})] });
    expect(await runResult({ cmd: 'result', execId: ID, wait: false, json: false }, s.api, s.io)).toBe(124);
    expect(s.out.stderr).toBe(`hydracluster: exec ${ID} is running on node-1 since T0; wait for it with --wait\n`);
    expect(s.calls[0]!.path).toBe(`/execs/${ID}?wait=0`);
  });

  it('when result --wait meets a cancelled exec whose kill report is awaited, then it waits on until the report and prints the output so far', async () => {
    const final = resultView({ status: 'cancelled', exit_code: 143, stdout: 'so far\n' });
    const s = scripted({ [`GET /execs/${ID}`]: [view({}), view({ status: 'cancelled', kill: 'awaited', result: resultView({ status: 'cancelled', exit_code: null }) }), view({ status: 'cancelled', kill: 'reported', result: final })] });
    expect(await runResult({ cmd: 'result', execId: ID, wait: true, json: false }, s.api, s.io)).toBe(70);
    expect(s.calls).toHaveLength(3);
    expect(s.calls.every((c) => c.path === `/execs/${ID}?wait=60` && c.opts?.timeoutMs === 70_000)).toBe(true);
    expect(s.out.stdout).toBe('so far\n');
    expect(s.out.stderr).toContain('was cancelled');
  });

  it('when result finds a finished exec, then its output and exit code are the remote ones', async () => {
    const s = scripted({ [`GET /execs/${ID}`]: [view({ status: 'done', result: resultView({ stdout: 'hi\n', exit_code: 3 }) })] });
    expect(await runResult({ cmd: 'result', execId: ID, wait: false, json: false }, s.api, s.io)).toBe(3);
    expect(s.out.stdout).toBe('hi\n');
  });

  it('when cancel and result are parsed, then they take one exec id and their flags', () => {
    expect(parseClientArgs('cancel', [ID]).command).toEqual({ cmd: 'cancel', execId: ID, json: false });
    expect(parseClientArgs('result', [ID, '--wait', '--json']).command).toEqual({ cmd: 'result', execId: ID, wait: true, json: true });
    expect(() => parseClientArgs('cancel', [])).toThrow(UsageError);
    expect(() => parseClientArgs('result', [ID, 'extra'])).toThrow(UsageError);
  });
});

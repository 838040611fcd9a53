/**
 * `hydracluster exec --where` without a server: the --where parser (usage errors are 64) and the
 * follow loop against a fake API (lines as they arrive, the summary, the exit codes, --json).
 */
import { describe, expect, it } from 'vitest';
import { parseClientArgs, UsageError } from '../../src/cli/args.js';
import type { Api, Reply } from '../../src/cli/client.js';
import { runFleetExec } from '../../src/cli/fleet-exec.js';
import { runClient } from '../../src/cli/run.js';
import { parseWhere, type FleetExecCommand } from '../../src/cli/where.js';

const member = (name: string, status: string, exit: number | null, stdout = '', stderr = '') => ({
  node_id: `node-${name}`, name, id: `exec-${name}`, status, exit_code: exit, stdout, stderr, duration_ms: 5,
});

function view(results: unknown[], o: { cursor: number; finished: number; total: number; state: 'running' | 'finished' }) {
  return { batch_id: 'batch-1', command: 'c', created_at: '', finished_at: null, counts: { ok: 0, failed: 0, timed_out: 0, cancelled: 0, expired: 0, pending: 0 }, results, skipped: [], ...o };
}

/** A fake API: the submit reply, then each GET answered from `answers` in turn; records paths. */
function fakeApi(answers: unknown[], skipped: unknown[] = []) {
  const calls: string[] = [];
  const api: Api = {
    async call(method, path, body): Promise<Reply> {
      calls.push(`${method} ${path}${body === undefined ? '' : ' ' + JSON.stringify(body)}`);
      if (method === 'POST') return { status: 202, body: { batch_id: 'batch-1', execs: [], skipped } };
      return { status: 200, body: answers.shift() };
    },
  };
  return { api, calls };
}

async function run(c: Partial<FleetExecCommand>, answers: unknown[], skipped: unknown[] = [], now = () => 0) {
  const { api, calls } = fakeApi(answers, skipped);
  let stdout = '';
  let stderr = '';
  const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, now, sleep: async () => {} };
  const cmd: FleetExecCommand = { cmd: 'fleet-exec', target: { role: 'render-node' }, command: 'check', json: false, ...c };
  const code = await runFleetExec(cmd, api, io);
  return { code, stdout, stderr, calls };
}

describe('hydracluster exec --where: parsing', () => {
  it('when --where names several filters, then every one is in the target', () => {
    const { command } = parseClientArgs('exec', ['--where', 'role=render-node,district=bxl1', 'hostname', '--timeout', '30s']);
    expect(command).toEqual({ cmd: 'fleet-exec', target: { role: 'render-node', district: 'bxl1' }, command: 'hostname', timeoutS: 30, interpreter: undefined, json: false });
    expect(parseWhere('id=node-a,id=node-b,state=offline')).toEqual({ ids: ['node-a', 'node-b'], state: 'offline' });
    expect(parseWhere('all')).toEqual({ all: true });
    expect(parseWhere('kind=body')).toEqual({ kind: 'body' });
  });

  it('when --where has an unknown key, a bad value, a repeat, nothing narrowing, or comes with --file, then a usage error', () => {
    for (const where of ['colour=red', 'role=', 'kind=toaster', 'state=gone', 'role=a,role=b', 'state=online', 'role=a,,venue=b']) {
      expect(() => parseWhere(where), where).toThrow(UsageError);
    }
    expect(() => parseClientArgs('exec', ['--where', 'role=a', '--file', 'x.sh'])).toThrow(UsageError);
    expect(() => parseClientArgs('exec', ['--where', 'role=a'])).toThrow(/missing command/);
    expect(() => parseClientArgs('exec', ['--where', 'role=a', 'one', 'two'])).toThrow(/unexpected argument/);
  });

  it('when --where has an unknown key, then the CLI exits 64 without calling any server', async () => {
    let stderr = '';
    const io = { env: {}, stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) }, now: () => 0, sleep: async () => {} };
    expect(await runClient('exec', ['--where', 'colour=red', 'true', '--server', 'http://127.0.0.1:9', '--admin-token', 't'], io)).toBe(64);
    expect(stderr).toContain('unknown key "colour"');
  });
});

describe('hydracluster exec --where: following the batch', () => {
  it('when members finish over two answers, then each is printed as it arrives with its name on every line, and the cursor moves on', async () => {
    const r = await run({}, [
      view([member('b1', 'done', 0, 'up\nsince 3d\n', 'note\n')], { cursor: 1, finished: 1, total: 2, state: 'running' }),
      view([member('b2', 'done', 0, 'up')], { cursor: 2, finished: 2, total: 2, state: 'finished' }),
    ]);
    expect(r.stdout).toBe('b1: up\nb1: since 3d\nb2: up\n2 ok, 0 failed, 0 timed out, 0 skipped\n');
    expect(r.stderr).toBe('b1: note\n');
    expect(r.code).toBe(0);
    expect(r.calls.slice(1)).toEqual(['GET /exec/batches/batch-1?wait=8&since=0', 'GET /exec/batches/batch-1?wait=8&since=1']);
    expect(r.calls[0]).toBe('POST /exec {"command":"check","target":{"role":"render-node"}}');
  });

  it('when one member failed and one timed out, then 1; when only timeouts, then 124; skipped nodes are counted, not failed', async () => {
    const failed = await run({}, [view([member('a', 'done', 2), member('b', 'timed_out', null)], { cursor: 2, finished: 2, total: 2, state: 'finished' })], [
      { node_id: 'node-c', name: 'c', reason: 'not_online' },
    ]);
    expect(failed.stdout.trimEnd().split('\n').at(-1)).toBe('0 ok, 1 failed, 1 timed out, 1 skipped');
    expect(failed.stderr).toContain('c: skipped (not_online)');
    expect(failed.stderr).toContain('a: (exit 2)');
    expect(failed.code).toBe(1);
    const slow = await run({}, [view([member('a', 'done', 0), member('b', 'expired', null)], { cursor: 2, finished: 2, total: 2, state: 'finished' })]);
    expect(slow.stdout.trimEnd().split('\n').at(-1)).toBe('1 ok, 0 failed, 1 timed out, 0 skipped');
    expect(slow.code).toBe(124);
  });

  it('when the CLI deadline passes with members pending, then they count as timed out, the batch id is printed, and the exit code is 124', async () => {
    let t = 0;
    const now = () => t;
    const answers = [view([], { cursor: 0, finished: 0, total: 1, state: 'running' }), view([], { cursor: 0, finished: 0, total: 1, state: 'running' })];
    const { api } = fakeApi(answers);
    let stdout = '';
    let stderr = '';
    const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, now, sleep: async () => {} };
    const wrapped: Api = { call: async (m, p, b) => ((t += 8000), api.call(m, p, b)) };
    const code = await runFleetExec({ cmd: 'fleet-exec', target: { all: true }, command: 'x', json: false, timeoutS: 5 }, wrapped, io);
    expect(code).toBe(124);
    expect(stdout).toBe('0 ok, 0 failed, 1 timed out, 0 skipped\n');
    expect(stderr).toContain('batch-1');
  });

  it('when --json is given, then the whole batch is read without since and printed once', async () => {
    const finished = view([member('a', 'done', 1, 'x')], { cursor: 1, finished: 1, total: 1, state: 'finished' });
    const r = await run({ json: true }, [finished]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ batch_id: 'batch-1', results: [{ name: 'a', exit_code: 1 }] });
    expect(r.calls[1]).toBe('GET /exec/batches/batch-1?wait=8');
  });
});

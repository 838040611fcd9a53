/**
 * `hydracluster exec --where` without a server: the --where parser (usage errors are 64) and the
 * follow loop against a fake API (lines as they arrive, the summary, the exit codes, --json).
 */
import { describe, expect, it } from 'vitest';
import { parseClientArgs, UsageError } from '../../src/cli/args.js';
import type { Api, Reply } from '../../src/cli/client.js';
import { runFleetExec } from '../../src/cli/fleet-exec.js';
import { runClient } from '../../src/cli/run.js';
import { KINDS, parseWhere, STATES, type FleetExecCommand } from '../../src/cli/where.js';
import { CliError } from '../../src/cli/errors.js';
import { NODE_KINDS, NODE_STATES } from '../../src/wire/common.js';
import { batchView } from '../../src/wire/batch.js';

const member = (name: string, status: string, exit: number | null, stdout = '', stderr = '') => ({
  node_id: `node-${name}`, name, id: `exec-${name}`, status, exit_code: exit, stdout, stderr, duration_ms: 5,
});

function view(results: unknown[], o: { cursor: number; finished: number; total: number; state: 'running' | 'finished'; more?: boolean; next_offset?: number | null }) {
  return { batch_id: 'batch-1', command: 'c', created_at: '', finished_at: null, counts: { ok: 0, failed: 0, timed_out: 0, cancelled: 0, expired: 0, pending: 0 }, results, skipped: [], ...o };
}

const sent = (...names: string[]) => names.map((n) => ({ node_id: `node-${n}`, name: n, id: `exec-${n}` }));

/** A fake API: the submit reply, then each GET answered from `answers` in turn (an Error is thrown); records paths. */
function fakeApi(answers: unknown[], skipped: unknown[] = [], execs: unknown[] = []) {
  const calls: string[] = [];
  const api: Api = {
    async call(method, path, body): Promise<Reply> {
      calls.push(`${method} ${path}${body === undefined ? '' : ' ' + JSON.stringify(body)}`);
      if (method === 'POST') return { status: 202, body: { batch_id: 'batch-1', execs, skipped } };
      const a = answers.shift();
      if (a instanceof Error) throw a;
      return { status: 200, body: a };
    },
    close() {},
  };
  return { api, calls };
}

/** Members every answer names (the submit sent the command to them), unless `execs` says otherwise. */
const sentTo = (answers: unknown[]) => sent(...new Set(answers.flatMap((a) => ((a as { results?: Array<{ name: string }> }).results ?? []).map((m) => m.name))));

async function run(c: Partial<FleetExecCommand>, answers: unknown[], skipped: unknown[] = [], now = () => 0, execs: unknown[] = sentTo(answers)) {
  const { api, calls } = fakeApi(answers, skipped, execs);
  let stdout = '';
  let stderr = '';
  const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, now, sleep: async () => {} };
  const cmd: FleetExecCommand = { cmd: 'fleet-exec', target: { role: 'render-node' }, command: 'check', json: false, ...c };
  const code = await runFleetExec(cmd, api, io);
  return { code, stdout, stderr, calls };
}

describe('hydracluster exec --where: parsing', () => {
  it('the kinds and states --where accepts are the wire\'s (listed without loading zod)', () => {
    expect(KINDS).toEqual([...NODE_KINDS, 'head']);
    expect(STATES).toEqual(NODE_STATES);
  });

  it('when --where names several filters, then every one is in the target', () => {
    const { command } = parseClientArgs('exec', ['--where', 'role=render-node,district=bxl1', 'hostname', '--timeout', '30s']);
    expect(command).toEqual({ cmd: 'fleet-exec', target: { role: 'render-node', district: 'bxl1' }, command: 'hostname', timeoutS: 30, interpreter: undefined, json: false });
    expect(parseWhere('id=node-a,id=node-b,state=offline')).toEqual({ ids: ['node-a', 'node-b'], state: 'offline' });
    expect(parseWhere('all')).toEqual({ all: true });
    expect(parseWhere('kind=body')).toEqual({ kind: 'body' });
    expect(parseWhere('kind=head')).toEqual({ kind: 'head' });
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
    ], [], () => 0, sent('b1', 'b2'));
    expect(r.stdout).toBe('b1: up\nb1: since 3d\nb2: up\n2 ok, 0 failed, 0 timed out, 0 skipped\n');
    expect(r.stderr).toBe('hydracluster: batch batch-1 sent to 2 node(s): b1, b2\nb1: note\n');
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
    // Each request takes 8 s of fake time: the deadline (timeout + REPORT_GRACE_MS) passes within three.
    const answers = Array.from({ length: 3 }, () => view([], { cursor: 0, finished: 0, total: 1, state: 'running' }));
    const { api } = fakeApi(answers, [], sent('slow-1'));
    let stdout = '';
    let stderr = '';
    const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, now, sleep: async () => {} };
    const wrapped: Api = { call: async (m, p, b) => ((t += 8000), api.call(m, p, b)), close: () => api.close() };
    const code = await runFleetExec({ cmd: 'fleet-exec', target: { all: true }, command: 'x', json: false, timeoutS: 5 }, wrapped, io);
    expect(code).toBe(124);
    expect(stdout).toBe('0 ok, 0 failed, 1 timed out, 0 skipped\n');
    expect(stderr).toContain('1 still pending at the timeout: slow-1; batch batch-1');
  });

  it('when --json is given, then the whole batch is read without since and printed once', async () => {
    const finished = view([member('a', 'done', 1, 'x')], { cursor: 1, finished: 1, total: 1, state: 'finished' });
    const r = await run({ json: true }, [finished]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ batch_id: 'batch-1', results: [{ name: 'a', exit_code: 1 }] });
    expect(r.calls[1]).toBe('GET /exec/batches/batch-1?wait=8');
  });

  it('when an answer stops short (more), then the next page is asked at once from its cursor and every member is printed', async () => {
    const r = await run({}, [
      view([member('a', 'done', 0, 'A')], { cursor: 1, finished: 2, total: 2, state: 'finished', more: true }),
      view([member('b', 'done', 0, 'B')], { cursor: 2, finished: 2, total: 2, state: 'finished' }),
    ]);
    expect(r.stdout).toBe('a: A\nb: B\n2 ok, 0 failed, 0 timed out, 0 skipped\n');
    expect(r.calls.slice(1)).toEqual(['GET /exec/batches/batch-1?wait=8&since=0', 'GET /exec/batches/batch-1?wait=8&since=1']);
  });

  it('when the CLI deadline has passed but a page stopped short, then the finished rest is still read and printed', async () => {
    let t = 0;
    const answers = [
      view([member('a', 'done', 0, 'A')], { cursor: 1, finished: 2, total: 3, state: 'running', more: true }),
      view([member('b', 'done', 0, 'B')], { cursor: 2, finished: 2, total: 3, state: 'running' }),
    ];
    const r = await run({ timeoutS: 1 }, answers, [], () => (t += 60_000), sent('a', 'b', 'c'));
    expect(r.stdout).toBe('a: A\nb: B\n2 ok, 0 failed, 1 timed out, 0 skipped\n');
    expect(r.stderr).toContain('1 still pending at the timeout: c;');
    expect(r.code).toBe(124);
  });

  it('when the submit is answered, then the batch id and the nodes are on stderr before the first wait', async () => {
    const order: string[] = [];
    const { api } = fakeApi([view([], { cursor: 0, finished: 0, total: 1, state: 'finished' })], [], sent('r1'));
    const io = {
      stdout: { write: () => true },
      stderr: { write: (s: string) => order.push(`stderr ${s}`) },
      now: () => 0,
      sleep: async () => {},
    };
    const wrapped: Api = { call: async (m, p, b) => (order.push(`${m} ${p}`), api.call(m, p, b)), close() {} };
    await runFleetExec({ cmd: 'fleet-exec', target: { all: true }, command: 'x', json: false }, wrapped, io);
    expect(order.slice(0, 3)).toEqual(['POST /exec', 'stderr hydracluster: batch batch-1 sent to 1 node(s): r1\n', 'GET /exec/batches/batch-1?wait=8&since=0']);
  });

  it('when the server goes away while the CLI waits, then the failure names the batch, says it may have run and how to look it up (same exit code)', async () => {
    const reset = new CliError(69, 'cannot reach http://127.0.0.1:1: ECONNRESET');
    for (const json of [false, true]) {
      const { api } = fakeApi([reset], [], sent('r1', 'r2'));
      let stderr = '';
      const io = { stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) }, now: () => 0, sleep: async () => {} };
      const failed = await runFleetExec({ cmd: 'fleet-exec', target: { all: true }, command: 'x', json }, api, io).catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(CliError);
      expect((failed as CliError).exitCode).toBe(69);
      expect((failed as CliError).message).toMatch(/ECONNRESET; batch batch-1 had been sent to 2 node\(s\) \(listed above\) and may have run there: GET \/api\/v1\/exec\/batches\/batch-1/);
      expect(stderr).toContain('hydracluster: batch batch-1 sent to 2 node(s): r1, r2\n');
    }
  });

  it('when --json meets a batch over several pages, then it follows next_offset and prints the whole object as JSON.stringify would', async () => {
    const a = member('a', 'done', 0, 'x'.repeat(10), 'e');
    const b = member('b', 'done', 0, 'y');
    const c = member('c', 'timed_out', null);
    const first = view([a], { cursor: 3, finished: 3, total: 3, state: 'finished', more: true, next_offset: 1 });
    const r = await run({ json: true }, [
      first,
      view([b], { cursor: 3, finished: 3, total: 3, state: 'finished', more: true, next_offset: 2 }),
      view([c], { cursor: 3, finished: 3, total: 3, state: 'finished', more: false, next_offset: null }),
    ]);
    expect(r.calls.slice(1)).toEqual(['GET /exec/batches/batch-1?wait=8', 'GET /exec/batches/batch-1?offset=1', 'GET /exec/batches/batch-1?offset=2']);
    const whole = batchView.parse({ ...first, results: [a, b, c], more: false, next_offset: null });
    expect(r.stdout).toBe(`${JSON.stringify(whole, null, 2)}\n`);
  });

  it('when no node matches the target at all, then the CLI says so and exits 66 without waiting on the batch', async () => {
    const r = await run({ target: { district: 'nowhere' } }, [], [], () => 0, []);
    expect(r.code).toBe(66);
    expect(r.stderr).toBe('hydracluster: no node matches the target {"district":"nowhere"}: the command ran nowhere (hydracluster nodes list shows the fleet)\n');
    expect(r.stdout).toBe('');
    expect(r.calls).toHaveLength(1);
    const json = await run({ json: true, target: { district: 'nowhere' } }, [], [], () => 0, []);
    expect([json.code, JSON.parse(json.stdout)]).toEqual([66, { batch_id: 'batch-1', execs: [], skipped: [] }]);
  });

  it('when nodes matched but every one was skipped, then each reason is printed and the exit code is 1', async () => {
    const skipped = [
      { node_id: 'node-p', name: 'lobby-ipad', reason: 'no_exec_channel', message: 'an iPad has no exec channel' },
      { node_id: 'node-o', name: 'r2', reason: 'not_online' },
    ];
    const r = await run({ target: { all: true } }, [], skipped, () => 0, []);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('lobby-ipad: skipped (no_exec_channel: an iPad has no exec channel)\nr2: skipped (not_online)\nhydracluster: 2 node(s) matched, every one skipped: the command ran nowhere\n');
    expect(r.calls).toHaveLength(1);
  });
});

/**
 * `hydracluster exec --where` over a batch too large for one answer (issue 18 item 2): the real
 * server and the real CLI as child processes; 300 nodes simulated by this test over HTTP, each
 * answering its exec with 1 MiB of stdout and 1 MiB of stderr (~600 MiB in all). The CLI follows
 * the batch page by page and prints every member's whole output; `--json` prints the whole batch
 * object, page by page. The simulated nodes answer only once the CLI has said which batch it sent,
 * so the batch id is shown to be on stderr before the CLI waits.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stop } from '../agent/agent-process.js';
import { ADMIN } from '../support/harness.js';
import { CLI, call, makeHome, startServerProcess, type ServerProcess } from '../support/process.js';

const MIB = 1024 * 1024;
const MEMBERS = 300;
const out = (name: string) => `stdout of ${name}:`.padEnd(MIB, 'o');
const err = (name: string) => `stderr of ${name}:`.padEnd(MIB, 'e');
const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');

/** A line as seen: its start (64 characters), its length in bytes and its hash; short lines whole. */
interface Line {
  head: string;
  bytes: number;
  sha1: string;
  text: string | null;
}

/** Splits a stream into lines without holding more than one line's pieces; `onLine` per line. */
function lines(stream: NodeJS.ReadableStream, onLine: (l: Line) => void): void {
  let hash = createHash('sha1');
  let parts: Buffer[] = [];
  let bytes = 0;
  const end = () => {
    const whole = bytes <= 64 * 1024 ? Buffer.concat(parts).toString('utf8') : null;
    const head = Buffer.concat(parts.slice(0, 4)).subarray(0, 64).toString('utf8');
    onLine({ head, bytes, sha1: hash.digest('hex'), text: whole });
    hash = createHash('sha1');
    parts = [];
    bytes = 0;
  };
  stream.on('data', (chunk: Buffer) => {
    let from = 0;
    for (let nl = chunk.indexOf(10, from); nl >= 0; nl = chunk.indexOf(10, from)) {
      const piece = chunk.subarray(from, nl);
      hash.update(piece);
      if (bytes <= 64 * 1024 || parts.length < 4) parts.push(piece);
      bytes += piece.length;
      end();
      from = nl + 1;
    }
    const rest = chunk.subarray(from);
    if (rest.length === 0) return;
    hash.update(rest);
    if (bytes <= 64 * 1024 || parts.length < 4) parts.push(Buffer.from(rest));
    bytes += rest.length;
  });
}

interface Node {
  name: string;
  id: string;
  token: string;
}

/** Runs `f` over `items`, `width` at a time. */
async function inParallel<T>(items: T[], width: number, f: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await f(items[next++]!);
  }));
}

/** The CLI as a child: its lines as they come (or its raw stdout), the announced batch id, its exit code. */
function startCli(url: string, where: string, extra: string[], onStdout: ((l: Line) => void) | Buffer[]) {
  const child = spawn(process.execPath, [CLI, 'exec', '--where', where, 'big-output', '--timeout', '60s', '--server', url, '--admin-token', ADMIN, ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: Line[] = [];
  let announced: (id: string) => void = () => {};
  const batchId = new Promise<string>((r) => (announced = r));
  if (Array.isArray(onStdout)) child.stdout!.on('data', (d: Buffer) => onStdout.push(d));
  else lines(child.stdout!, onStdout);
  lines(child.stderr!, (l) => {
    stderr.push(l);
    const m = /^hydracluster: batch (batch-\S+) sent to /.exec(l.text ?? '');
    if (m) announced(m[1]!);
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, stderr, batchId, exited };
}

describe('hydracluster exec --where: 300 members with 1 MiB of stdout and 1 MiB of stderr each', () => {
  let server: ServerProcess;
  const nodes: Node[] = [];

  beforeAll(async () => {
    server = await startServerProcess(makeHome());
    const names = Array.from({ length: MEMBERS }, (_, i) => `big-${String(i).padStart(3, '0')}`);
    await inParallel(names, 10, async (name) => {
      const e = await call(server.url, 'POST', '/enrollments', { name });
      const r = await call(server.url, 'POST', '/register', { os: 'linux' }, e.body.enrollment_token);
      expect((await call(server.url, 'POST', '/body/heartbeat', { roles_applied: [] }, r.body.token)).body.state).toBe('online');
      nodes.push({ name, id: r.body.node_id, token: r.body.token });
    });
  }, 60_000);

  afterAll(async () => {
    if (server) await stop(server.child);
  });

  /** Each of `members` takes its exec of `batchId` and reports its 1 MiB + 1 MiB. */
  async function answer(batchId: string, members: Node[]): Promise<void> {
    const sub = await call(server.url, 'GET', `/exec/batches/${batchId}`);
    expect(sub.body.total).toBe(members.length);
    await inParallel(members, 8, async (n) => {
      const d = await call(server.url, 'GET', '/body/exec?wait=0', undefined, n.token);
      expect(d.status).toBe(200);
      const r = await call(server.url, 'POST', '/body/exec/result', { id: d.body.id, exit_code: 0, stdout: out(n.name), stderr: err(n.name) }, n.token);
      expect(r.status).toBe(200);
    });
  }

  it('when every member answers, then the CLI prints each one\'s whole stdout and stderr, line-prefixed, then the summary, exit 0; the batch id and nodes come first on stderr', async () => {
    const stdout: Line[] = [];
    const cli = startCli(server.url, 'kind=body', [], (l) => stdout.push(l));
    const id = await cli.batchId;
    const announce = cli.stderr[0]!.text!;
    expect(announce.startsWith(`hydracluster: batch ${id} sent to ${MEMBERS} node(s): big-000, big-001,`)).toBe(true);
    await answer(id, nodes);
    expect(await cli.exited).toBe(0);

    expect(stdout.at(-1)!.text).toBe(`${MEMBERS} ok, 0 failed, 0 timed out, 0 skipped`);
    const printed = (ls: Line[]) =>
      new Map(ls.filter((l) => l.bytes > 64 * 1024).map((l) => [l.head.slice(0, l.head.indexOf(':')), l]));
    const outs = printed(stdout);
    const errs = printed(cli.stderr);
    expect(outs.size).toBe(MEMBERS);
    expect(errs.size).toBe(MEMBERS);
    for (const n of nodes) {
      expect(outs.get(n.name)?.sha1, `${n.name} stdout`).toBe(sha1(`${n.name}: ${out(n.name)}`));
      expect(errs.get(n.name)?.sha1, `${n.name} stderr`).toBe(sha1(`${n.name}: ${err(n.name)}`));
    }
    expect(stdout).toHaveLength(MEMBERS + 1);
    expect(cli.stderr).toHaveLength(MEMBERS + 1);
  }, 90_000);

  it('when --json is given over 20 of them (40 MiB, three pages), then one JSON object with every member\'s whole output, in node order', async () => {
    const some = [...nodes].sort((a, b) => (a.name < b.name ? -1 : 1)).slice(0, 20);
    const chunks: Buffer[] = [];
    const cli = startCli(server.url, some.map((n) => `id=${n.id}`).join(','), ['--json'], chunks);
    const id = await cli.batchId;
    await answer(id, some);
    expect(await cli.exited).toBe(0);
    const batch = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    expect(batch).toMatchObject({ batch_id: id, state: 'finished', total: 20, finished: 20, counts: { ok: 20 }, more: false, next_offset: null });
    expect(batch.results.map((m: any) => m.name)).toEqual(some.map((n) => n.name));
    for (const m of batch.results) {
      expect(m.stdout === out(m.name), `${m.name} stdout whole`).toBe(true);
      expect(m.stderr === err(m.name), `${m.name} stderr whole`).toBe(true);
    }
  }, 60_000);
});

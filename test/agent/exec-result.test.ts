/**
 * Delivery of exec results against a local HTTP server that refuses, fails, forgets or accepts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { memoryLogger } from '../../src/log.js';
import { ApiClient } from '../../src/agent/api-client.js';
import { deliverResult } from '../../src/agent/exec-result.js';
import type { ExecResultBody } from '../../src/wire/exec.js';
import { freePort } from './agent-process.js';

const FAST = { initialMs: 20, maxMs: 100 };
const result = (over: Partial<ExecResultBody> = {}): ExecResultBody => ({
  id: 'exec-01TEST',
  exit_code: 0,
  stdout: 'hello\n',
  stderr: '',
  started_at: new Date().toISOString(),
  finished_at: new Date().toISOString(),
  timed_out: false,
  stdout_truncated: false,
  stderr_truncated: false,
  ...over,
});

/** A memory logger, and a promise of the first line with `msg` whose fields satisfy `ok`. */
function loggerAwaiting(msg: string, ok: (fields: Record<string, unknown>) => boolean) {
  const log = memoryLogger();
  let seen!: () => void;
  const logged = new Promise<void>((r) => (seen = r));
  const warn = log.warn;
  log.warn = (m, fields = {}) => {
    warn(m, fields);
    if (m === msg && ok(fields)) seen();
  };
  return { log, logged };
}

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((r) => {
    let s = '';
    req.on('data', (d: Buffer) => (s += d.toString()));
    req.on('end', () => r(s));
  });

/** A server answering each request with the next status of `statuses` (the last one repeats). */
function statusServer(port: number, statuses: number[], maxBody = Infinity): Promise<{ server: Server; bodies: string[] }> {
  const bodies: string[] = [];
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    bodies.push(body);
    const status = Buffer.byteLength(body) > maxBody ? 413 : statuses[Math.min(bodies.length - 1, statuses.length - 1)]!;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(status < 300 ? '{"ok":true}' : JSON.stringify({ error: `e${status}`, message: 'test' }));
  });
  return new Promise((r) => server.listen(port, '127.0.0.1', () => r({ server, bodies })));
}

describe('exec result delivery', () => {
  const servers: Server[] = [];
  afterEach(() => servers.splice(0).forEach((s) => s.close()));

  it('when the server is unreachable and then answers 503, then the post is retried with backoff until it is accepted', async () => {
    const port = await freePort();
    const { log, logged } = loggerAwaiting('exec result not delivered; retrying', (f) => f.status === null);
    const client = new ApiClient(`http://127.0.0.1:${port}`, 'hcn_test');
    const delivery = deliverResult(result(), { client, log, backoff: FAST });
    // Nothing listens yet: the first attempt is a refused connection.
    await logged;
    const { server, bodies } = await statusServer(port, [503, 503, 200]);
    servers.push(server);
    expect(await delivery).toBe('delivered');
    expect(bodies).toHaveLength(3);
    expect(JSON.parse(bodies[2]!)).toMatchObject({ id: 'exec-01TEST', exit_code: 0, stdout: 'hello\n' });
    const retries = log.lines.filter((l) => l.msg === 'exec result not delivered; retrying');
    expect(retries.some((l) => l.status === null)).toBe(true);
    expect(retries.some((l) => l.status === 503)).toBe(true);
    expect(log.lines.some((l) => l.msg === 'exec result delivered after retries')).toBe(true);
  });

  it('when the server answers 404 (it forgot the exec), then the result is logged and dropped', async () => {
    const port = await freePort();
    const { server, bodies } = await statusServer(port, [404]);
    servers.push(server);
    const log = memoryLogger();
    const r = await deliverResult(result(), { client: new ApiClient(`http://127.0.0.1:${port}`, 'hcn_test'), log, backoff: FAST });
    expect(r).toBe('dropped');
    expect(bodies).toHaveLength(1);
    expect(log.lines.find((l) => l.msg.startsWith('exec result dropped'))).toMatchObject({ level: 'warn', exec_id: 'exec-01TEST' });
  });

  it('when the server refuses the result as too large (413), then it is logged and posted again without output, flagged truncated, so the exit code arrives', async () => {
    const port = await freePort();
    const { server, bodies } = await statusServer(port, [200], 200_000);
    servers.push(server);
    const log = memoryLogger();
    const big = result({ exit_code: 3, stdout: 'x'.repeat(500_000), stderr: 'err\n' });
    const r = await deliverResult(big, { client: new ApiClient(`http://127.0.0.1:${port}`, 'hcn_test'), log, backoff: FAST });
    expect(r).toBe('delivered');
    expect(bodies).toHaveLength(2);
    expect(JSON.parse(bodies[1]!)).toEqual({ ...big, stdout: '', stderr: '', stdout_truncated: true, stderr_truncated: true });
    expect(log.lines.find((l) => l.level === 'error')).toMatchObject({ msg: expect.stringMatching(/too large for the server \(413\)/), exec_id: big.id, stdout_bytes: 500_000 });
  });

  it('when a 413 result had one empty stream, then only the stream that had output is flagged truncated', async () => {
    const port = await freePort();
    const { server, bodies } = await statusServer(port, [200], 200_000);
    servers.push(server);
    await deliverResult(result({ stdout: 'x'.repeat(500_000) }), { client: new ApiClient(`http://127.0.0.1:${port}`, 'hcn_test'), log: memoryLogger(), backoff: FAST });
    expect(JSON.parse(bodies.at(-1)!)).toMatchObject({ stdout: '', stderr: '', stdout_truncated: true, stderr_truncated: false });
  });

  it('when even the result without output is refused with 413, then it is dropped after the second post', async () => {
    const port = await freePort();
    const { server, bodies } = await statusServer(port, [413]);
    servers.push(server);
    const r = await deliverResult(result(), { client: new ApiClient(`http://127.0.0.1:${port}`, 'hcn_test'), log: memoryLogger(), backoff: FAST });
    expect(r).toBe('dropped');
    expect(bodies).toHaveLength(2);
  });

  it('when the agent stops while the server is away, then delivery is abandoned instead of retried forever', async () => {
    const port = await freePort();
    const stop = new AbortController();
    const { log, logged } = loggerAwaiting('exec result not delivered; retrying', () => true);
    const delivery = deliverResult(result(), { client: new ApiClient(`http://127.0.0.1:${port}`, 'hcn_test'), log, backoff: FAST, signal: stop.signal });
    await logged;
    stop.abort();
    expect(await delivery).toBe('abandoned');
  });
});

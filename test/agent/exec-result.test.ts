/**
 * Delivery of exec results against a local HTTP server that refuses, fails, forgets or accepts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { memoryLogger } from '../../src/log.js';
import { ApiClient } from '../../src/agent/api-client.js';
import { deliverResult, fitResult } from '../../src/agent/exec-result.js';
import type { ExecResultPost } from '../../src/agent/wire.js';
import { freePort } from './agent-process.js';

const FAST = { initialMs: 20, maxMs: 100 };
const result = (over: Partial<ExecResultPost> = {}): ExecResultPost => ({
  id: 'exec-01TEST',
  exit_code: 0,
  stdout: 'hello\n',
  stderr: '',
  started_at: new Date().toISOString(),
  finished_at: new Date().toISOString(),
  timed_out: false,
  ...over,
});

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
    const log = memoryLogger();
    const client = new ApiClient(`http://127.0.0.1:${port}`, 'hcn_test');
    const delivery = deliverResult(result(), { client, log, backoff: FAST });
    // Nothing listens yet: the first attempts are refused connections.
    await new Promise((r) => setTimeout(r, 150));
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

  it('when the server refuses the body as too large (413), then the output is cut and posted again', async () => {
    const port = await freePort();
    const { server, bodies } = await statusServer(port, [200], 200_000);
    servers.push(server);
    const big = result({ stdout: 'x'.repeat(500_000) });
    const r = await deliverResult(big, { client: new ApiClient(`http://127.0.0.1:${port}`, 'hcn_test'), log: memoryLogger(), backoff: FAST });
    expect(r).toBe('delivered');
    const last = JSON.parse(bodies.at(-1)!) as ExecResultPost;
    expect(Buffer.byteLength(bodies.at(-1)!)).toBeLessThanOrEqual(200_000);
    expect(last.stdout).toMatch(/\[hydranode: output cut to fit the result post\]\n$/);
  });

  it('when the agent stops while the server is away, then delivery is abandoned instead of retried forever', async () => {
    const port = await freePort();
    const stop = new AbortController();
    const log = memoryLogger();
    const delivery = deliverResult(result(), { client: new ApiClient(`http://127.0.0.1:${port}`, 'hcn_test'), log, backoff: FAST, signal: stop.signal });
    setTimeout(() => stop.abort(), 100);
    expect(await delivery).toBe('abandoned');
  });

  it('when a result is larger than the budget, then fitResult keeps both streams under it, cut on a character boundary', () => {
    const fitted = fitResult(result({ stdout: 'é'.repeat(100_000), stderr: 'w'.repeat(10_000) }), 50_000);
    expect(Buffer.byteLength(JSON.stringify(fitted))).toBeLessThanOrEqual(50_000);
    expect(fitted.stdout).not.toContain('\uFFFD');
    expect(fitted.stderr).toBe('w'.repeat(10_000));
  });
});

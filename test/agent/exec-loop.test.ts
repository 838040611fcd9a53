/**
 * The exec loop against a local fake of the agent endpoints: an exec is run and reported, and at
 * shutdown a running exec gets its grace, then is killed and still reported.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { memoryLogger } from '../../src/log.js';
import { ApiClient } from '../../src/agent/api-client.js';
import { ExecLoop, resultBody } from '../../src/agent/exec-loop.js';
import { findInterpreters, notStarted } from '../../src/agent/exec-runner.js';
import { DEFAULT_MAX_OUTPUT_BYTES, ServerLimits } from '../../src/agent/limits.js';
import type { ExecResultBody } from '../../src/wire/exec.js';
import { eventually, freePort, pidsWith } from './agent-process.js';

/**
 * Hands out `commands` one per poll (204 after that) and records the results posted. The cancel
 * channel answers 404 (a server without it) unless `cancel` takes its requests.
 */
async function fakeAgentApi(
  commands: string[],
  cancel?: (url: string, res: ServerResponse) => void,
): Promise<{ url: string; server: Server; results: ExecResultBody[] }> {
  const results: ExecResultBody[] = [];
  let next = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      if (req.method === 'GET' && req.url?.includes('/cancel?')) {
        if (cancel) cancel(req.url, res);
        else res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found","message":"no route"}');
      } else if (req.method === 'GET' && req.url?.startsWith('/api/v1/body/exec')) {
        if (next >= commands.length) return void setTimeout(() => res.writeHead(204).end(), 50);
        const id = `exec-${next}`;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id, command: commands[next++], interpreter: 'bash', timeout_s: 60 }));
      } else if (req.method === 'POST' && req.url === '/api/v1/body/exec/result') {
        results.push(JSON.parse(body) as ExecResultBody);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      } else res.writeHead(404).end();
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${port}`, server, results };
}

describe('exec loop', () => {
  const servers: Server[] = [];
  afterEach(() => servers.splice(0).forEach((s) => s.close()));

  function loop(url: string, limits: { maxOutputBytes: number } = new ServerLimits()) {
    const l = new ExecLoop({ client: new ApiClient(url, 'hcn_test'), log: memoryLogger(), interpreters: findInterpreters(process.env), env: process.env, limits, waitS: 0, backoff: { initialMs: 20, maxMs: 50 } });
    l.start();
    return l;
  }

  it('when execs are delivered, then each runs in order and its result is posted', async () => {
    const api = await fakeAgentApi(['echo one', 'echo two >&2; exit 4']);
    servers.push(api.server);
    const l = loop(api.url);
    await eventually('two results', async () => (api.results.length === 2 ? true : undefined));
    await l.stop(1000);
    expect(api.results.map((r) => [r.id, r.exit_code, r.stdout, r.stderr])).toEqual([
      ['exec-0', 0, 'one\n', ''],
      ['exec-1', 4, '', 'two\n'],
    ]);
  });

  it('when the server says max_output_bytes is 1000, then each posted stream holds its first 1000 bytes and the result says both were cut', async () => {
    const api = await fakeAgentApi(['head -c 5000 /dev/zero | tr "\\0" o; head -c 3000 /dev/zero | tr "\\0" e >&2']);
    servers.push(api.server);
    const l = loop(api.url, { maxOutputBytes: 1000 });
    await eventually('one result', async () => (api.results.length === 1 ? true : undefined));
    await l.stop(1000);
    expect(api.results[0]).toMatchObject({ stdout: 'o'.repeat(1000), stderr: 'e'.repeat(1000), stdout_truncated: true, stderr_truncated: true });
  });

  it('when the agent stops while an exec runs, then the exec may finish within the grace and is reported', async () => {
    const api = await fakeAgentApi(['sleep 0.3; echo finished']);
    servers.push(api.server);
    const l = loop(api.url);
    await eventually('exec running', async () => (l.runningExec ? true : undefined));
    await l.stop(3000);
    expect(api.results).toMatchObject([{ id: 'exec-0', exit_code: 0, stdout: 'finished\n', timed_out: false }]);
  });

  it('when an exec outlasts the stop grace, then it is killed and still reported', async () => {
    const api = await fakeAgentApi(['echo begun; sleep 30']);
    servers.push(api.server);
    const l = loop(api.url);
    await eventually('exec running', async () => (l.runningExec ? true : undefined));
    const t0 = Date.now();
    await l.stop(200);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(api.results).toHaveLength(1);
    expect(api.results[0]!.stdout).toBe('begun\n');
    expect(api.results[0]!.stderr).toMatch(/the agent was stopping; the command was killed/);
  });

  it('when the server cancels the running exec, then its whole process group is killed and the output so far is reported as cancelled', async () => {
    const marker = `33.${process.pid}${Date.now() % 100000}`;
    let answer: ((body: string) => void) | null = null;
    const asked: string[] = [];
    const api = await fakeAgentApi([`echo begun; sleep ${marker} & sleep ${marker}; echo never`], (url, res) => {
      asked.push(url);
      answer = (body) => res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
    servers.push(api.server);
    const l = loop(api.url);
    await eventually('both sleeps running and the channel held', async () => (pidsWith(marker).length >= 2 && answer ? true : undefined));
    expect(asked[0]).toBe('/api/v1/body/exec/exec-0/cancel?wait=25');
    answer!('{"cancelled":true}');
    await eventually('the cancelled result', async () => (api.results.length === 1 ? true : undefined));
    expect(pidsWith(marker)).toEqual([]);
    expect(api.results[0]).toMatchObject({ id: 'exec-0', stdout: 'begun\n', cancelled: true, timed_out: false });
    expect(api.results[0]!.stderr).toMatch(/the exec was cancelled; the command was killed/);
    await l.stop(1000);
  });

  it('when the channel says the exec ended otherwise, then the agent stops listening and the exec runs to its end', async () => {
    let asks = 0;
    const api = await fakeAgentApi(['sleep 0.5; echo finished'], (_url, res) => {
      asks++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"cancelled":false}');
    });
    servers.push(api.server);
    const l = loop(api.url);
    await eventually('the result', async () => (api.results.length === 1 ? true : undefined));
    await l.stop(1000);
    expect(asks).toBe(1);
    expect(api.results[0]).toMatchObject({ exit_code: 0, stdout: 'finished\n' });
    expect(api.results[0]).not.toHaveProperty('cancelled');
  });
});

describe('exec result and server limits', () => {
  it('when a command killed at agent stop already filled stderr, then the stop note is left out and stderr is flagged cut', () => {
    const full = { ...notStarted(''), exitCode: 143, stderr: 'e'.repeat(100), aborted: true };
    expect(resultBody('exec-1', full, 100)).toMatchObject({ stderr: 'e'.repeat(100), stderr_truncated: true });
    expect(resultBody('exec-1', { ...full, stderr: 'e' }, 100).stderr).toMatch(/^e\n\[hydranode: the agent was stopping/);
  });

  it('when no reply has told a limit, then 1 MiB is used; when a reply tells one, then it is used from the next exec on', () => {
    const limits = new ServerLimits();
    expect(limits.maxOutputBytes).toBe(DEFAULT_MAX_OUTPUT_BYTES);
    limits.learn(undefined, 'heartbeat');
    expect(limits.maxOutputBytes).toBe(1024 * 1024);
    limits.learn({ max_output_bytes: 4096 }, 'provision');
    expect(limits.maxOutputBytes).toBe(4096);
  });
});

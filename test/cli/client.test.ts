import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/args.js';
import { CliError, createApi } from '../../src/cli/client.js';
import { DEFAULT_SERVER, resolveConnection } from '../../src/cli/connection.js';
import { resolveHome as cliHome } from '../../src/home.js';
import { httpTransport, type HttpResponse, type Transport } from '../../src/cli/http.js';
import { resolveHome as serverHome } from '../../src/config.js';
import { tempDir } from '../support/temp.js';

const emptyHome = () => tempDir('hc-cli-');
function homeWith(config: string): string {
  const home = emptyHome();
  writeFileSync(join(home, 'config.yaml'), config);
  return home;
}
const homeWithConfig = () => homeWith('server:\n  public_url: http://from-config:9000\n  admin_token: from-config-token\n');

describe('CLI connection settings', () => {
  it('when flags, env and config.yaml all say something, then flags win, then env, then the file', async () => {
    const home = homeWithConfig();
    const env = { HC_SERVER: 'http://from-env:1', HC_TOKEN: 'env-token', HYDRACLUSTER_HOME: home };
    expect(await resolveConnection({ server: 'http://flag:2/', adminToken: 'flag-token' }, env)).toEqual({ server: 'http://flag:2', token: 'flag-token' });
    expect(await resolveConnection({}, env)).toEqual({ server: 'http://from-env:1', token: 'env-token' });
    expect(await resolveConnection({}, { HYDRACLUSTER_HOME: home })).toEqual({ server: 'http://from-config:9000', token: 'from-config-token' });
    expect(await resolveConnection({ home }, {})).toEqual({ server: 'http://from-config:9000', token: 'from-config-token' });
    expect(await resolveConnection({ home }, { HC_TOKEN: 'env-token' })).toEqual({ server: 'http://from-config:9000', token: 'env-token' });
  });

  it('when flags or env give both server and token, then config.yaml is not read at all', async () => {
    const home = homeWith('server: [this is: not valid yaml');
    expect(await resolveConnection({ home, server: 'http://flag:2', adminToken: 't' }, {})).toEqual({ server: 'http://flag:2', token: 't' });
    expect(await resolveConnection({}, { HYDRACLUSTER_HOME: home, HC_SERVER: 'http://e:1', HC_TOKEN: 't' })).toEqual({ server: 'http://e:1', token: 't' });
    await expect(resolveConnection({ home, adminToken: 't' }, {})).rejects.toMatchObject({ exitCode: 70, message: expect.stringContaining('cannot read') });
  });

  it('when config.yaml has a non-string token, then it is an error that names both fields', async () => {
    await expect(resolveConnection({ home: homeWith('server:\n  admin_token: [1, 2]\n') }, {})).rejects.toMatchObject({
      exitCode: 70,
      message: expect.stringContaining('server.admin_token'),
    });
  });

  it('when there is no config.yaml, then the default server is used, none is created, and a missing token is a usage error', async () => {
    const home = emptyHome();
    expect((await resolveConnection({ adminToken: 't' }, { HYDRACLUSTER_HOME: home })).server).toBe(DEFAULT_SERVER);
    await expect(resolveConnection({}, { HYDRACLUSTER_HOME: home })).rejects.toBeInstanceOf(UsageError);
    await expect(resolveConnection({ server: 'ftp://x', adminToken: 't' }, { HYDRACLUSTER_HOME: home })).rejects.toBeInstanceOf(UsageError);
    expect(existsSync(join(home, 'config.yaml'))).toBe(false);
  });

  it("the CLI's home folder rule is the server's (src/config.ts)", () => {
    const cases: Array<[string | undefined, Record<string, string>]> = [['/a/b', {}], [undefined, { HYDRACLUSTER_HOME: '/x/y' }], ['rel', { HYDRACLUSTER_HOME: '/x' }], [undefined, {}]];
    for (const [flag, env] of cases) expect(cliHome(flag, env)).toBe(serverHome(flag, env));
  });
});

/** A transport answering every request with `reply` (or failing with it). */
const fixed = (reply: HttpResponse | Error): Transport => ({
  send: async () => {
    if (reply instanceof Error) throw reply;
    return reply;
  },
  close() {},
});
const json = (status: number, body: unknown): HttpResponse => ({ status, text: JSON.stringify(body) });
const api = (t: Transport) => createApi({ server: 'http://s', token: 't' }, t);
async function exitCodeOf(p: Promise<unknown>): Promise<number> {
  try {
    await p;
  } catch (e) {
    if (e instanceof CliError) return e.exitCode;
    throw e;
  }
  return 0;
}

describe('CLI API client', () => {
  it('when the server answers an error, then 401/403 are 77, 404 is 66, anything else 70, with the error body\'s message', async () => {
    const err = { error: 'x', message: 'the message' };
    expect(await exitCodeOf(api(fixed(json(401, err))).call('GET', '/nodes'))).toBe(77);
    expect(await exitCodeOf(api(fixed(json(403, err))).call('GET', '/nodes'))).toBe(77);
    expect(await exitCodeOf(api(fixed(json(404, err))).call('GET', '/nodes'))).toBe(66);
    expect(await exitCodeOf(api(fixed(json(429, err))).call('GET', '/nodes'))).toBe(70);
    expect(await exitCodeOf(api(fixed({ status: 500, text: 'oops' })).call('GET', '/nodes'))).toBe(70);
    await expect(api(fixed(json(404, err))).call('GET', '/nodes')).rejects.toThrow('the message (404 x)');
    expect(await api(fixed(json(202, { id: 'exec-1' }))).call('POST', '/x', {})).toEqual({ status: 202, body: { id: 'exec-1' } });
  });

  it('when the server cannot be reached or does not answer in time, then it is 69', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const timeout = Object.assign(new Error('no answer'), { name: 'TimeoutError' });
    expect(await exitCodeOf(api(fixed(refused)).call('GET', '/nodes'))).toBe(69);
    expect(await exitCodeOf(api(fixed(timeout)).call('GET', '/nodes'))).toBe(69);
  });
});

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

describe('CLI HTTP transport (node:http, keep-alive)', () => {
  it('when two requests are made, then both go over one connection with their method, headers and body', async () => {
    const seen: string[] = [];
    const sockets = new Set<unknown>();
    const server = createServer((req, res) => {
      sockets.add(req.socket);
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        seen.push(`${req.method} ${req.url} ${req.headers.authorization} ${req.headers['content-type'] ?? '-'} ${body}`);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    const url = await listen(server);
    const t = httpTransport(url);
    try {
      const a = createApi({ server: url, token: 'tok' }, t);
      expect(await a.call('POST', '/nodes/n/exec', { command: 'x' })).toEqual({ status: 200, body: { ok: true } });
      expect(await a.call('GET', '/nodes/n/exec/e/result?wait=3')).toEqual({ status: 200, body: { ok: true } });
      expect(seen).toEqual(['POST /api/v1/nodes/n/exec Bearer tok application/json {"command":"x"}', 'GET /api/v1/nodes/n/exec/e/result?wait=3 Bearer tok - ']);
      expect(sockets.size).toBe(1);
    } finally {
      t.close();
      server.closeAllConnections();
      server.close();
    }
  });

  it('when the server holds a request past its timeout, then the request fails as a timeout (69, "no answer")', async () => {
    const server = createServer(() => {}); // never answers
    const url = await listen(server);
    const t = httpTransport(url);
    try {
      const a = createApi({ server: url, token: 'tok' }, t);
      await expect(a.call('GET', '/nodes', undefined, { timeoutMs: 50 })).rejects.toMatchObject({ exitCode: 69, message: expect.stringContaining('no answer') });
    } finally {
      t.close();
      server.closeAllConnections();
      server.close();
    }
  });

  it('when nothing listens, then the request fails as unreachable with the socket error code (69)', async () => {
    const server = createServer();
    const url = await listen(server);
    await new Promise((r) => server.close(r));
    const t = httpTransport(url);
    await expect(createApi({ server: url, token: 'tok' }, t).call('GET', '/nodes')).rejects.toMatchObject({ exitCode: 69, message: expect.stringContaining('ECONNREFUSED') });
    t.close();
  });
});

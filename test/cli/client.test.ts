import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/args.js';
import { CliError, createApi, DEFAULT_SERVER, resolveConnection } from '../../src/cli/client.js';

const emptyHome = () => mkdtempSync(join(tmpdir(), 'hc-cli-'));
function homeWithConfig(): string {
  const home = emptyHome();
  writeFileSync(join(home, 'config.yaml'), 'server:\n  public_url: http://from-config:9000\n  admin_token: from-config-token\n');
  return home;
}

describe('CLI connection settings', () => {
  it('when flags, env and config.yaml all say something, then flags win, then env, then the file', () => {
    const home = homeWithConfig();
    const env = { HC_SERVER: 'http://from-env:1', HC_TOKEN: 'env-token', HYDRACLUSTER_HOME: home };
    expect(resolveConnection({ server: 'http://flag:2/', adminToken: 'flag-token' }, env)).toEqual({ server: 'http://flag:2', token: 'flag-token' });
    expect(resolveConnection({}, env)).toEqual({ server: 'http://from-env:1', token: 'env-token' });
    expect(resolveConnection({}, { HYDRACLUSTER_HOME: home })).toEqual({ server: 'http://from-config:9000', token: 'from-config-token' });
    expect(resolveConnection({ home }, {})).toEqual({ server: 'http://from-config:9000', token: 'from-config-token' });
  });

  it('when there is no config.yaml, then the default server is used, none is created, and a missing token is a usage error', () => {
    const home = emptyHome();
    expect(resolveConnection({ adminToken: 't' }, { HYDRACLUSTER_HOME: home }).server).toBe(DEFAULT_SERVER);
    expect(() => resolveConnection({}, { HYDRACLUSTER_HOME: home })).toThrow(UsageError);
    expect(() => resolveConnection({ server: 'ftp://x', adminToken: 't' }, { HYDRACLUSTER_HOME: home })).toThrow(UsageError);
    expect(existsSync(join(home, 'config.yaml'))).toBe(false);
  });
});

const reply = (status: number, body: unknown) => async () => new Response(JSON.stringify(body), { status });
const failing = (err: Error) => async (): Promise<Response> => {
  throw err;
};
const api = (fetchFn: () => Promise<Response>) => createApi({ server: 'http://s', token: 't' }, fetchFn);
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
  it('when the server answers an error, then 401/403 are 77, 404 is 66, anything else 70', async () => {
    const err = { error: 'x', message: 'm' };
    expect(await exitCodeOf(api(reply(401, err)).call('GET', '/nodes'))).toBe(77);
    expect(await exitCodeOf(api(reply(403, err)).call('GET', '/nodes'))).toBe(77);
    expect(await exitCodeOf(api(reply(404, err)).call('GET', '/nodes'))).toBe(66);
    expect(await exitCodeOf(api(reply(429, err)).call('GET', '/nodes'))).toBe(70);
    expect(await exitCodeOf(api(reply(500, 'oops')).call('GET', '/nodes'))).toBe(70);
    expect(await api(reply(202, { id: 'exec-1' })).call('POST', '/x', {})).toEqual({ status: 202, body: { id: 'exec-1' } });
  });

  it('when the server cannot be reached or does not answer in time, then it is 69', async () => {
    const refused = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    expect(await exitCodeOf(api(failing(refused)).call('GET', '/nodes'))).toBe(69);
    expect(await exitCodeOf(api(failing(timeout)).call('GET', '/nodes'))).toBe(69);
  });
});

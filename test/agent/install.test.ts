/**
 * `hydranode install` and the start of `hydranode run` as child processes: the config it writes,
 * and the one-line failures with their sysexits codes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { makeHome, startServerProcess, type ServerProcess } from '../support/process.js';
import { AGENT, assertAgentBuilt, enroll, freePort, installAgent, runNode, stop, tempDir } from './agent-process.js';

describe('hydranode install', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    assertAgentBuilt();
    server = await startServerProcess(makeHome());
  });

  afterAll(async () => {
    if (server) await stop(server.child);
  });

  it('when given a valid enrollment token, then it registers and writes server_url, node_id and token to config.yaml with mode 0600', async () => {
    const e = await enroll(server.url, 'install-node');
    const home = join(tempDir('hn-install-'), 'nested', 'home');
    const r = await installAgent(server.url, e.enrollment_token, home);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`registered as ${e.node_id}`);
    expect(r.stdout + r.stderr).not.toContain(e.enrollment_token);
    const path = join(home, 'config.yaml');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const doc = parse(readFileSync(path, 'utf8'));
    expect(doc).toMatchObject({ server_url: server.url, node_id: e.node_id, token: expect.stringMatching(/^hcn_/) });
  });

  it('when --home is not given, then HYDRANODE_HOME decides where config.yaml goes', async () => {
    const e = await enroll(server.url, 'env-home-node');
    const home = tempDir('hn-envhome-');
    const r = await runNode([AGENT, 'install', '--server', server.url, '--enroll-token', e.enrollment_token, '--no-service'], 20_000, { HYDRANODE_HOME: home });
    expect(r.code).toBe(0);
    expect(parse(readFileSync(join(home, 'config.yaml'), 'utf8')).node_id).toBe(e.node_id);
  });

  it('when the enrollment token was already used, then it prints one clear line on stderr and exits 77', async () => {
    const e = await enroll(server.url, 'used-node');
    expect((await installAgent(server.url, e.enrollment_token, tempDir('hn-a-'))).code).toBe(0);
    const again = await installAgent(server.url, e.enrollment_token, tempDir('hn-b-'));
    expect(again.code).toBe(77);
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
    expect(again.stderr).toMatch(/refused the enrollment token/);
    expect(again.stderr).not.toContain(e.enrollment_token);
  });

  it('when the server is unreachable, then it exits 69 naming the server', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const r = await installAgent(url, 'hce_whatever', tempDir('hn-c-'));
    expect(r.code).toBe(69);
    expect(r.stderr).toMatch(new RegExp(`cannot reach the server at ${url}`));
  });

  it('when a required option is missing, then it exits 64 with the usage', async () => {
    const r = await runNode([AGENT, 'install', '--server', server.url]);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/--server and --enroll-token go together/);
  });

  it('when run finds no config.yaml, then it exits 78 and says to install first', async () => {
    const r = await runNode([AGENT, 'run', '--home', tempDir('hn-empty-')]);
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/run `hydranode install/);
  });
});

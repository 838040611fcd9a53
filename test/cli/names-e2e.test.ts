/**
 * Issue 18, item 4, against the real server and the real CLI as child processes: a name with ESC,
 * C1 or U+202E that reached the server before the rule (a nodes.yaml record, loaded as it is) or
 * past it (a heartbeat's hostname, never refused) is printed escaped by `nodes list`, `heads list`
 * and `nodes show`; the JSON of `nodes show` still reads back as the server's exact strings.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runNode, stop } from '../agent/agent-process.js';
import { ADMIN } from '../support/harness.js';
import { CLI, call, makeHome, startServerProcess, type ServerProcess } from '../support/process.js';

/** Anything a terminal would act on or hide; LF is the CLI's own line end. */
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/u;

const OLD_BODY = { id: `node-${'0'.repeat(25)}1`, name: 'old\x1b[2K\rfake-row\x9b31m\u202eevil', owner: 'own\u2066er\x07' };
const OLD_HEAD = { id: `node-${'0'.repeat(25)}2`, name: 'tv\x1b]0;pwned\x07\u202e1', district: 'dis\x85trict', venue: 've\x1b[8mnue' };
const HOSTNAME = 'host\x1b[2J\x9d\u202e';

/** nodes.yaml as the server writes it, with every non-ASCII character as a JSON escape. */
function writeNodesYaml(home: string): void {
  const base = { state: 'online', created_at: '2026-01-01T00:00:00.000Z' };
  const records = [{ ...OLD_BODY, kind: 'body', ...base }, { ...OLD_HEAD, kind: 'flatscreen', ...base }];
  const ascii = (r: object) => JSON.stringify(r).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const lines = ['format: hydracluster-nodes/1', 'written_at: "2026-01-01T00:00:00.000Z"', `count: ${records.length}`, 'nodes:', ...records.map((r) => `  - ${ascii(r)}`)];
  writeFileSync(join(home, 'nodes.yaml'), `${lines.join('\n')}\n`, { mode: 0o600 });
}

describe('hydracluster prints names from the server escaped', () => {
  let server: ServerProcess;
  let agentNode = '';
  const cli = (...args: string[]) => runNode([CLI, ...args, '--server', server.url, '--admin-token', ADMIN]);

  beforeAll(async () => {
    const home = makeHome();
    writeNodesYaml(home);
    server = await startServerProcess(home);
    const e = await call(server.url, 'POST', '/enrollments', { name: 'agent-node' });
    const reg = await call(server.url, 'POST', '/register', {}, e.body.enrollment_token);
    agentNode = reg.body.node_id;
    expect((await call(server.url, 'POST', '/body/heartbeat', { hostname: HOSTNAME }, reg.body.token)).status).toBe(200);
  });
  afterAll(async () => {
    if (server) await stop(server.child);
  });

  it('when nodes.yaml holds names from before the rule, then they load as they are', async () => {
    const n = await call(server.url, 'GET', `/nodes/${OLD_BODY.id}`);
    expect([n.body.name, n.body.owner]).toEqual([OLD_BODY.name, OLD_BODY.owner]);
  });

  it('when nodes list shows such a name, then every control and bidi character is an escape on one row', async () => {
    const r = await cli('nodes', 'list');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(RAW);
    expect(r.stdout).toContain('old\\x1b[2K\\x0dfake-row\\x9b31m\\u202eevil');
    expect(r.stdout.split('\n').filter((l) => l.startsWith(OLD_BODY.id))).toHaveLength(1);
  });

  it('when heads list shows a head with such a name, district and venue, then they are escaped', async () => {
    const r = await cli('heads', 'list');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(RAW);
    expect(r.stdout).toContain('tv\\x1b]0;pwned\\x07\\u202e1');
    expect(r.stdout).toContain('dis\\x85trict/ve\\x1b[8mnue');
  });

  it('when nodes show prints the JSON of a node with such a name or hostname, then C1 and bidi characters are \\u escapes and it parses back to the same strings', async () => {
    const old = await cli('nodes', 'show', OLD_BODY.id);
    expect(old.code).toBe(0);
    expect(old.stdout).not.toMatch(RAW);
    expect(old.stdout).toContain('"old\\u001b[2K\\rfake-row\\u009b31m\\u202eevil"');
    expect(JSON.parse(old.stdout)).toMatchObject({ name: OLD_BODY.name, owner: OLD_BODY.owner });
    const agent = await cli('nodes', 'show', agentNode);
    expect(agent.stdout).not.toMatch(RAW);
    expect(JSON.parse(agent.stdout).hostname).toBe(HOSTNAME);
    const list = await cli('nodes', 'list', '--json');
    expect(list.stdout).not.toMatch(RAW);
    expect(JSON.parse(list.stdout).map((n: { name: string }) => n.name)).toContain(OLD_BODY.name);
  });

  it('when an anonymous enrollment is named with ESC, CR and U+202E, then it gets a 400 naming `name`', async () => {
    const r = await call(server.url, 'POST', '/enrollments', { name: 'printer\x1b[2K\r…\u202e' }, null);
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/^field `name`: must not contain control or bidirectional-format characters/);
  });
});

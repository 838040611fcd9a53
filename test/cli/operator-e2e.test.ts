/**
 * Issue 23, acceptance 3 and 4, against the real server, the real agent and the real CLI as child
 * processes: a node reached by its name (`exec <name> hostname`), an ambiguous name (64, the
 * candidates listed) and an unknown one (66); `nodes list` filtered by the server; `nodes set`;
 * `enroll NAME` printing the install commands; a fleet exec over a body with an agent, a body
 * without one and an iPad (the iPad skipped with its reason, the silent body named as pending at
 * the timeout); a target matching nothing (66); `audit --node <name>` showing the fleet exec.
 */
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrolledAgent, eventually, nodeWhen, runNode, stop, type AgentProcess } from '../agent/agent-process.js';
import { ADMIN, FLEET } from '../support/harness.js';
import { CLI, call, makeHome, startServerProcess, type ServerProcess } from '../support/process.js';

describe('the operator CLI with names, filters and fleet exec', () => {
  let server: ServerProcess;
  let agent: AgentProcess;
  let id = '';
  let silent = '';
  const cli = (...args: string[]) => runNode([CLI, ...args, '--server', server.url, '--admin-token', ADMIN], 30_000);

  beforeAll(async () => {
    server = await startServerProcess(makeHome((d) => (d.server.heartbeat_interval_s = 1)));
    ({ id, agent } = await enrolledAgent(server.url, 'walk-linux-01'));
    await eventually('agent online', nodeWhen(server.url, id, (n) => n.state === 'online'), 15_000);
    // A body that registered and reported once, then fell silent: online, but nothing fetches its execs.
    const e = await call(server.url, 'POST', '/enrollments', { name: 'silent-body' });
    const reg = await call(server.url, 'POST', '/register', {}, e.body.enrollment_token);
    silent = reg.body.node_id;
    expect((await call(server.url, 'POST', '/body/heartbeat', {}, reg.body.token)).status).toBe(200);
    expect((await call(server.url, 'POST', '/heads', { name: 'lobby-ipad' }, FLEET)).status).toBe(201);
    for (let i = 0; i < 2; i++) expect((await call(server.url, 'POST', '/enrollments', { name: 'twin' })).status).toBe(201);
  }, 60_000);

  afterAll(async () => {
    if (agent) await stop(agent.child);
    if (server) await stop(server.child);
  });

  it('when exec is given a node name, then the command runs on that node', async () => {
    const r = await cli('exec', 'walk-linux-01', 'hostname');
    expect(r).toMatchObject({ code: 0, stdout: `${hostname()}\n` });
  });

  it('when a name is ambiguous, then 64 and every candidate id is listed; when no node has it, then 66', async () => {
    const twins = (await call(server.url, 'GET', '/nodes?name=twin')).body.map((n: { id: string }) => n.id);
    const r = await cli('exec', 'twin', 'hostname');
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('2 nodes are named "twin"; give one of their ids:');
    for (const twin of twins) expect(r.stderr).toMatch(new RegExp(`^  ${twin}  body  enrolling  `, 'm'));
    const none = await cli('nodes', 'show', 'nobody-here');
    expect(none.code).toBe(66);
    expect(none.stderr).toContain('no node "nobody-here"');
  });

  it('when nodes set and roles are given the name, then nodes list filtered by state and role shows just that node with its place', async () => {
    expect((await cli('nodes', 'set', 'walk-linux-01', 'district=bxl1', 'venue=hall-1', 'owner=ops')).code).toBe(0);
    expect((await cli('nodes', 'roles', 'walk-linux-01', 'plain-role')).code).toBe(0);
    await eventually('role applied', nodeWhen(server.url, id, (n) => n.state === 'online' && n.roles_applied.includes('plain-role')), 15_000);
    const r = await cli('nodes', 'list', '--state', 'online', '--role', 'plain-role');
    expect(r.code).toBe(0);
    const rows = r.stdout.trimEnd().split('\n');
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatch(new RegExp(`^${id}\\s+walk-linux-01\\s+body\\s+online\\s+plain-role\\s+bxl1/hall-1\\s`));
    const bad = await cli('nodes', 'list', '--state', 'asleep');
    expect(bad.code).toBe(64);
  });

  it('when enroll NAME --os linux --ttl 15m runs, then the bash install command is printed with its expiry, and the loopback public_url is warned about', async () => {
    const r = await cli('enroll', 'walk-linux-02', '--os', 'linux', '--ttl', '15m');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Enrollment of walk-linux-02: node node-\w+\. The token in these commands works once, until /);
    expect(r.stdout).toContain('Linux (bash, as root):');
    expect(r.stdout).toContain('hydranode install');
    expect(r.stdout).not.toContain('PowerShell');
    expect(r.stderr).toContain('is a loopback address');
    const node = (await call(server.url, 'GET', '/nodes?name=walk-linux-02')).body[0];
    const ttlMs = Date.parse(node.enrollment_expires_at) - Date.now();
    expect(ttlMs).toBeGreaterThan(13 * 60_000);
    expect(ttlMs).toBeLessThanOrEqual(15 * 60_000);
  });

  it('when a fleet exec covers a body with an agent, a silent body and an iPad, then the iPad is skipped with its reason and the silent body is named at the timeout', async () => {
    const r = await cli('exec', '--where', 'all', 'hostname', '--timeout', '2s');
    expect(r.code).toBe(124);
    expect(r.stdout).toContain(`walk-linux-01: ${hostname()}\n`);
    expect(r.stderr).toMatch(/^lobby-ipad: skipped \(no_exec_channel\)$/m);
    expect(r.stderr).toMatch(/still pending at the timeout: silent-body; batch batch-/);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toMatch(/^1 ok, 0 failed, 1 timed out, \d+ skipped$/);
    // The silent body's exec is still queued: cleared so that it is not counted elsewhere.
    await call(server.url, 'DELETE', `/nodes/${silent}/exec`);
  });

  it('when a fleet exec target matches no node, then the CLI says so and exits 66', async () => {
    const r = await cli('exec', '--where', 'district=nowhere', 'hostname');
    expect(r.code).toBe(66);
    expect(r.stderr).toContain('no node matches the target {"district":"nowhere"}');
  });

  it('when audit --node is given the node name, then it shows the fleet exec that ran there', async () => {
    const r = await cli('audit', '--node', 'walk-linux-01', '--json');
    expect(r.code).toBe(0);
    const actions = JSON.parse(r.stdout).map((e: { action: string }) => e.action);
    expect(actions).toContain('exec.fleet');
    expect(actions).toContain('node.update');
  });
});

import { describe, expect, it } from 'vitest';
import { runAdmin } from '../../src/cli/admin.js';
import { parseClientArgs, type ClientCommand } from '../../src/cli/args.js';
import { CliError, type Api, type Reply } from '../../src/cli/client.js';
import type { ExecQueueItem } from '../../src/wire/exec.js';
import { nodeView } from './fake-api.js';

/** The commands runAdmin takes (its parameter type checks the list). */
type AdminCommand = Parameters<typeof runAdmin>[0];
const ADMIN_COMMANDS: ReadonlySet<string> = new Set<AdminCommand['cmd']>(['queue', 'nodes', 'debug', 'reload']);
const isAdmin = (c: ClientCommand): c is AdminCommand => ADMIN_COMMANDS.has(c.cmd);

const NODE = { ...nodeView(1), id: 'node-1', name: 'body-1', exec_depth: 2, last_seen: '2026-01-01T00:00:00.000Z' };
const item = (id: string, command: string, age_s: number): ExecQueueItem => ({
  id, command, age_s, command_truncated: false, interpreter: 'bash', timeout_s: 60, queued_at: '2026-01-01T00:00:00.000Z', delivered_at: null,
});

/** Runs `hydracluster <argv>` against a fake API answering `body` (and `manifest` for the release manifest); returns the calls and stdout. */
async function run(argv: string[], body: unknown = NODE, manifest: unknown = null, confirm?: (q: string) => Promise<boolean>) {
  const calls: string[] = [];
  const api: Api = {
    async call(method, path, sent, opts): Promise<Reply> {
      if (opts?.root) {
        if (manifest === null) throw new CliError(66, 'no route');
        return { status: 200, body: manifest };
      }
      calls.push(`${method} ${path}${sent === undefined ? '' : ' ' + JSON.stringify(sent)}`);
      return { status: 200, body };
    },
    close() {},
  };
  let stdout = '';
  const { command } = parseClientArgs(argv[0]!, argv.slice(1));
  if (!isAdmin(command)) throw new Error(`not an admin command: ${command.cmd}`);
  const code = await runAdmin(command, api, { write: (s: string) => (stdout += s) }, confirm);
  return { code, calls, stdout };
}

describe('confirmations of nodes rm and reprovision', () => {
  it('when the operator answers no on a terminal, then nothing is sent and the exit code is 1', async () => {
    const asked: string[] = [];
    const no = async (q: string) => (asked.push(q), false);
    for (const action of ['rm', 'reprovision']) {
      const r = await run(['nodes', action, 'node-1'], NODE, null, no);
      expect(r.calls, action).toEqual(['GET /nodes/node-1']);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe(`nothing done: ${action} of node-1 not confirmed\n`);
    }
    expect(asked[0]).toBe('Delete node node-1 (body-1, body, online)? Its token stops working at once and heads pinned to it lose the pin. [y/N] ');
    expect(asked[1]).toMatch(/^Reprovision node node-1 \(body-1, body, online\)\?/);
  });

  it('when the operator answers yes, then the change is sent; with --yes, or without a terminal, nobody is asked', async () => {
    const yes = await run(['nodes', 'rm', 'node-1'], NODE, null, async () => true);
    expect(yes.calls).toEqual(['GET /nodes/node-1', 'DELETE /nodes/node-1']);
    const never = async (): Promise<boolean> => {
      throw new Error('asked');
    };
    expect((await run(['nodes', 'rm', 'node-1', '--yes'], NODE, null, never)).calls).toEqual(['DELETE /nodes/node-1']);
    expect((await run(['nodes', 'reprovision', 'node-1'])).calls).toEqual(['POST /nodes/node-1/reprovision']);
    // Drain is not asked in the CLI (the pages confirm it).
    expect((await run(['nodes', 'drain', 'node-1'], NODE, null, never)).calls).toEqual(['POST /nodes/node-1/drain {"drain":true}']);
  });
});

describe('hydracluster nodes, queue and debug', () => {
  it('when each nodes action runs, then it makes the matching admin request', async () => {
    expect((await run(['nodes', 'show', 'node-1'])).calls).toEqual(['GET /nodes/node-1']);
    expect((await run(['nodes', 'roles', 'node-1', 'render-node'])).calls).toEqual(['POST /nodes/node-1/roles {"roles":["render-node"]}']);
    expect((await run(['nodes', 'drain', 'node-1', '--reason', 'disk'])).calls).toEqual(['POST /nodes/node-1/drain {"drain":true,"reason":"disk"}']);
    expect((await run(['nodes', 'undrain', 'node-1'])).calls).toEqual(['POST /nodes/node-1/drain {"drain":false}']);
    for (const flag of ['update-node', 'update-services', 'reprovision']) {
      const r = await run(['nodes', flag, 'node-1']);
      expect(r.calls).toEqual([`POST /nodes/node-1/${flag}`]);
      expect(r.stdout).toBe(`${flag} requested for node-1\n`);
    }
    expect((await run(['nodes', 'rm', 'node-1'])).stdout).toBe('deleted node-1\n');
  });

  it('when nodes are listed, then a table shows id, name, kind, state, roles, place, provider, agent version, exec depth, flags and last seen', async () => {
    const busy = { ...NODE, id: 'node-2', roles: ['render-node', 'hydraguard-air'], provider_status: 'running', drain: true, carried_over: true, exec_depth: 0, last_seen: null };
    const flagged = { ...NODE, id: 'node-3', district: '', venue: '', flags: { update_node: false, update_services: false, reprovision: true }, provision_errors: { 'render-node': { step: 'download', message: 'x', output_tail: '', at: '2026-01-01T00:00:00.000Z', retry_at: null } } };
    const r = await run(['nodes', 'list'], [NODE, busy, flagged]);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAME\s+KIND\s+STATE\s+ROLES\s+DISTRICT\/VENUE\s+PROVIDER\s+AGENT\s+EXEC\s+FLAGS\s+LAST SEEN$/);
    expect(lines[1]).toMatch(/^node-1\s+body-1\s+body\s+online\s+-\s+bxl1\/hall\s+-\s+1\.0\.0\s+2\s+-\s+2026-01-01T00:00:00.000Z$/);
    expect(lines[2]).toMatch(/^node-2\s+.*online\s+render-node,hydraguard-air\s+bxl1\/hall\s+running\s+1\.0\.0\s+0\s+drained,carried_over\s+-$/);
    expect(lines[3]).toMatch(/^node-3\s+.*-\/-\s+.*provision_error,reprovision\s+/);
    expect(lines).toHaveLength(4); // no release manifest: nothing marked
  });

  it('when nodes list is given filters, then they go to the server as query parameters', async () => {
    const r = await run(['nodes', 'list', '--state', 'online', '--role', 'render-node', '--district', 'bxl 1'], []);
    expect(r.calls).toEqual(['GET /nodes?state=online&role=render-node&district=bxl+1']);
    expect(r.stdout).toContain('(no node matches the filters)');
  });

  it('when nodes set runs, then it PATCHes the node with the pairs given', async () => {
    expect((await run(['nodes', 'set', 'node-1', 'name=render-07', 'owner=ops team'])).calls).toEqual(['PATCH /nodes/node-1 {"name":"render-07","owner":"ops team"}']);
  });

  it('when the server has an agent release, then nodes on another version are marked, and a failed self-update is shown', async () => {
    const failed = { state: 'failed', target_version: '1.1.0', message: 'checksum mismatch', at: '2026-01-01T00:00:00.000Z' };
    const list = [NODE, { ...NODE, id: 'node-2', agent_version: '1.1.0' }, { ...NODE, id: 'node-3', agent_update: failed }, { ...NODE, id: 'node-4', agent_version: null }];
    const lines = (await run(['nodes', 'list'], list, { version: '1.1.0', files: [] })).stdout.trimEnd().split('\n');
    expect(lines[1]).toMatch(/^node-1\s+.*online\s.*\s1\.0\.0\*\s+2/);
    expect(lines[2]).toMatch(/^node-2\s+.*online\s.*\s1\.1\.0\s+2/);
    expect(lines[3]).toMatch(/^node-3\s+.*online\s.*\s1\.0\.0\* \(update failed\)\s+2/);
    expect(lines[4]).toMatch(/^node-4\s+.*online\s.*\s-\s+2\s/);
    expect(lines[5]).toBe("* not the server's agent release 1.1.0: hydracluster nodes update-node ID");
  });

  it('when a node is re-enrolled, then the install commands are printed with the token\u2019s expiry', async () => {
    const reply = { node_id: 'node-1', enrollment_id: 'enr-1', enrollment_token: 'hce_x', expires_at: '2026-01-02T00:00:00.000Z', install: { powershell: 'PS-COMMAND hce_x', bash: 'BASH-COMMAND hce_x' } };
    const r = await run(['nodes', 'reenroll', 'node-1'], reply);
    expect(r.calls).toEqual(['POST /nodes/node-1/enrollment']);
    expect(r.stdout).toContain('until 2026-01-02T00:00:00.000Z');
    expect(r.stdout).toContain('Windows (PowerShell, as Administrator):\nPS-COMMAND hce_x\n');
    expect(r.stdout).toContain('Linux (bash, as root):\nBASH-COMMAND hce_x\n');
    expect(JSON.parse((await run(['nodes', 'reenroll', 'node-1', '--json'], reply)).stdout)).toEqual(reply);
  });

  it('when a queue is shown or cleared, then depth and execs are printed, or the number cancelled', async () => {
    const view = {
      depth: 2,
      oldest_age_s: 12,
      delivered: [item('exec-a', 'hostname', 12)],
      queued: [item('exec-b', 'uptime\nmore', 3)],
    };
    const shown = await run(['queue', 'node-1'], view);
    expect(shown.calls).toEqual(['GET /nodes/node-1/exec']);
    expect(shown.stdout).toMatch(/^depth 2, oldest 12 s\n/);
    expect(shown.stdout).toMatch(/exec-a\s+delivered\s+12s\s+hostname/);
    expect(shown.stdout).toMatch(/exec-b\s+queued #0\s+3s\s+uptime\n$/);
    const cleared = await run(['queue', 'node-1', 'clear'], { cancelled: 1 });
    expect(cleared.calls).toEqual(['DELETE /nodes/node-1/exec']);
    expect(cleared.stdout).toBe('cancelled 1 exec\n');
  });

  it('when the server answers a list in another shape, then it is an error (70) that names the field', async () => {
    await expect(run(['nodes', 'list'], [{ ...NODE, state: 'lost' }])).rejects.toMatchObject({ exitCode: 70, message: expect.stringContaining('0.state') });
  });

  it('when debug runs, then actor ids keep their slash in the path', async () => {
    expect((await run(['debug', 'actor', 'node-1/exec'])).calls).toEqual(['GET /debug/actors/node-1/exec']);
    expect((await run(['debug', 'requests'])).calls).toEqual(['GET /debug/requests']);
    expect((await run(['debug'])).calls).toEqual(['GET /debug/actors']);
  });
});

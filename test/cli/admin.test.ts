import { describe, expect, it } from 'vitest';
import { runAdmin } from '../../src/cli/admin.js';
import { parseClientArgs } from '../../src/cli/args.js';
import { CliError, type Api, type Reply } from '../../src/cli/client.js';
import type { ExecQueueItem } from '../../src/wire/exec.js';
import { nodeView } from './fake-api.js';

const NODE = { ...nodeView(1), id: 'node-1', name: 'body-1', exec_depth: 2, last_seen: '2026-01-01T00:00:00.000Z' };
const item = (id: string, command: string, age_s: number): ExecQueueItem => ({
  id, command, age_s, command_truncated: false, interpreter: 'bash', timeout_s: 60, queued_at: '2026-01-01T00:00:00.000Z', delivered_at: null,
});

/** Runs `hydracluster <argv>` against a fake API answering `body` (and `manifest` for the release manifest); returns the calls and stdout. */
async function run(argv: string[], body: unknown = NODE, manifest: unknown = null) {
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
  if (command.cmd === 'exec' || command.cmd === 'fleet-exec' || command.cmd === 'audit' || command.cmd === 'cancel' || command.cmd === 'result') throw new Error('not an admin command');
  const code = await runAdmin(command, api, { write: (s: string) => (stdout += s) });
  return { code, calls, stdout };
}

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

  it('when nodes are listed, then a table shows id, name, kind, state, agent version, exec depth and last seen', async () => {
    const r = await run(['nodes', 'list'], [NODE, { ...NODE, id: 'node-2', drain: true, exec_depth: 0, last_seen: null }]);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAME\s+KIND\s+STATE\s+AGENT\s+EXEC\s+LAST SEEN$/);
    expect(lines[1]).toMatch(/^node-1\s+body-1\s+body\s+online\s+1\.0\.0\s+2\s+2026-01-01T00:00:00.000Z$/);
    expect(lines[2]).toMatch(/^node-2\s+.*online \(drained\)\s+1\.0\.0\s+0\s+-$/);
    expect(lines).toHaveLength(3); // no release manifest: nothing marked
  });

  it('when the server has an agent release, then nodes on another version are marked, and a failed self-update is shown', async () => {
    const failed = { state: 'failed', target_version: '1.1.0', message: 'checksum mismatch', at: '2026-01-01T00:00:00.000Z' };
    const list = [NODE, { ...NODE, id: 'node-2', agent_version: '1.1.0' }, { ...NODE, id: 'node-3', agent_update: failed }, { ...NODE, id: 'node-4', agent_version: null }];
    const lines = (await run(['nodes', 'list'], list, { version: '1.1.0', files: [] })).stdout.trimEnd().split('\n');
    expect(lines[1]).toMatch(/^node-1\s+.*online\s+1\.0\.0\*\s+2/);
    expect(lines[2]).toMatch(/^node-2\s+.*online\s+1\.1\.0\s+2/);
    expect(lines[3]).toMatch(/^node-3\s+.*online\s+1\.0\.0\* \(update failed\)\s+2/);
    expect(lines[4]).toMatch(/^node-4\s+.*online\s+-\s+2/);
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

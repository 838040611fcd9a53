/**
 * Admin flags through the real server (in-process) and the real agent process (docs/api.md#agents-heartbeat-flags-and-the-provision-poll): the work
 * runs once, its ack goes out in exactly one accepted heartbeat, and an ack owed when the agent
 * dies is sent by the restarted agent instead of the work being done again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { PENDING_ACKS_FILE } from '../../src/agent/flags.js';
import type { FlagName } from '../../src/wire/common.js';
import { call } from '../support/process.js';
import { enrolledAgent, startAgent, stop, tempDir, type AgentProcess } from './agent-process.js';
import { recordingServer, type RecordingServer } from './recording-server.js';

const ROLE = 'counted-role';
/** Heartbeats to watch after an ack, to see that it is not sent again. */
const BEATS_AFTER_ACK = 3;
const lines = (file: string): number => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0);

describe('flag acknowledgements by the agent', () => {
  const dir = tempDir('hn-acks-');
  const installs = join(dir, 'installs');
  const hookRuns = join(dir, 'hook-runs');
  let server: RecordingServer;
  let agent: AgentProcess;
  let id: string;
  let home: string;

  const acksOf = (flag: FlagName): number => server.beats.filter((b) => b.ack_flags?.includes(flag)).length;
  /** Resolves after `n` more heartbeats have been accepted. */
  const moreBeats = (n: number): Promise<void> => {
    const target = server.beats.length + n;
    return server.until(() => server.beats.length >= target);
  };
  const flagsOfNode = async () => (await call(server.url, 'GET', `/nodes/${id}`)).body.flags;

  beforeAll(async () => {
    server = await recordingServer((doc) => {
      doc.server.heartbeat_interval_s = 1;
      doc.roles[ROLE] = { description: 'counts its installs', recipe: { bash: `echo x >> '${installs}'; touch '${dir}/ok'`, check_bash: `test -f '${dir}/ok'` } };
    });
    ({ id, home, agent } = await enrolledAgent(server.url, 'acks-node'));
    expect((await call(server.url, 'POST', `/nodes/${id}/roles`, { roles: [ROLE] })).status).toBe(200);
    await server.until(() => server.beats.some((b) => b.roles_applied?.includes(ROLE)));
  });

  afterAll(async () => {
    if (agent) await stop(agent.child);
    if (server) await server.close();
  });

  it('when update_services is set, then the role is reinstalled once and the ack is sent in exactly one accepted heartbeat', async () => {
    expect(lines(installs)).toBe(1);
    expect((await call(server.url, 'POST', `/nodes/${id}/update-services`)).status).toBe(202);
    await server.until(() => acksOf('update_services') > 0);
    await moreBeats(BEATS_AFTER_ACK);
    expect(acksOf('update_services')).toBe(1);
    expect(lines(installs)).toBe(2);
    expect((await flagsOfNode()).update_services).toBe(false);
    expect(existsSync(join(home, PENDING_ACKS_FILE))).toBe(false);
  });

  it('when the update hook kills the agent before its ack, then the restarted agent sends the ack once and does not run the hook again', async () => {
    // The hook stands for "install the new binary and restart the service": it kills its agent.
    await stop(agent.child);
    const configFile = join(home, 'config.yaml');
    const config = parse(readFileSync(configFile, 'utf8'));
    writeFileSync(configFile, stringify({ ...config, update_command: `echo ran >> '${hookRuns}'; kill -KILL $PPID` }), { mode: 0o600 });
    agent = startAgent(home);
    await server.until(() => server.beats.length > 0 && server.beats.at(-1)!.diagnostics?.agent_pid === agent.child.pid);

    expect((await call(server.url, 'POST', `/nodes/${id}/update-node`)).status).toBe(202);
    await agent.exited;
    expect(lines(hookRuns)).toBe(1);
    expect(acksOf('update_node')).toBe(0);
    expect(JSON.parse(readFileSync(join(home, PENDING_ACKS_FILE), 'utf8'))).toEqual(['update_node']);

    agent = startAgent(home);
    await server.until(() => acksOf('update_node') > 0);
    await moreBeats(BEATS_AFTER_ACK);
    expect(acksOf('update_node')).toBe(1);
    expect(lines(hookRuns)).toBe(1);
    expect((await flagsOfNode()).update_node).toBe(false);
    expect(existsSync(join(home, PENDING_ACKS_FILE))).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { startScriptedAgent } from '../support/agent-script.js';
import { E2E_ADMIN, e2eHome, requireBuild, runCli, startServerProcess } from './e2e-helpers.js';

const admin = { authorization: `Bearer ${E2E_ADMIN}` };
const LONG_POLL_S = 30;
const CHECK_MS = 50;

describe('the exec queue across a server restart', () => {
  it('when the server gets SIGTERM with execs open and an agent parked, then it exits 0 without cutting the poll, and after a restart the queue is empty and old exec ids answer 404', async () => {
    requireBuild();
    const home = e2eHome();
    const first = await startServerProcess(home);
    const cli = (url: string, ...args: string[]) => runCli([...args, '--server', url, '--admin-token', E2E_ADMIN]);
    const agent = await startScriptedAgent({ server: first.url, adminToken: E2E_ADMIN });
    const hung = (await cli(first.url, 'exec', agent.nodeId, 'hang', '--async')).stdout.trim();
    while (!agent.received.includes('hang')) await new Promise((r) => setTimeout(r, CHECK_MS));
    await agent.stop();
    const waiting = (await cli(first.url, 'exec', agent.nodeId, 'echo later', '--async')).stdout.trim();
    const view = JSON.parse((await cli(first.url, 'queue', agent.nodeId, '--json')).stdout);
    expect(view.delivered.map((e: { id: string }) => e.id)).toEqual([hung]);
    expect(view.queued.map((e: { id: string }) => e.id)).toEqual([waiting]);

    // Another node's agent is parked in a 30 s long-poll: the stop must answer it, not cut it.
    const idle = await startScriptedAgent({ server: first.url, adminToken: E2E_ADMIN, name: 'idle', pollWaitS: LONG_POLL_S });
    const parkedOn = async () => {
      const reqs: Array<{ waiting_on: string | null }> = await (await fetch(`${first.url}/api/v1/debug/requests`, { headers: admin })).json();
      return reqs.some((r) => r.waiting_on === `${idle.nodeId}/exec`);
    };
    while (!(await parkedOn())) await new Promise((r) => setTimeout(r, CHECK_MS));
    expect(await first.stop()).toBe(0);
    await idle.stop();
    expect(first.log.join('\n')).not.toContain('cutting requests still in flight');

    const second = await startServerProcess(home);
    try {
      const after = await cli(second.url, 'queue', agent.nodeId, 'show', '--json');
      expect(after.code).toBe(0);
      expect(JSON.parse(after.stdout)).toEqual({ depth: 0, oldest_age_s: null, delivered: [], queued: [] });
      for (const id of [hung, waiting]) {
        const res = await fetch(`${second.url}/api/v1/nodes/${agent.nodeId}/exec/${id}/result`, { headers: admin });
        expect(res.status).toBe(404);
      }
      const late = await fetch(`${second.url}/api/v1/body/exec/result`, {
        method: 'POST',
        headers: { authorization: `Bearer ${agent.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ id: hung, exit_code: 0 }),
      });
      expect(late.status).toBe(404);
      const node = await (await fetch(`${second.url}/api/v1/nodes/${agent.nodeId}`, { headers: admin })).json();
      expect(node.exec_depth).toBe(0);
    } finally {
      expect(await second.stop()).toBe(0);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { execFixture, poll, report, submitOk } from '../http/exec-helpers.js';
import type { Harness } from '../support/harness.js';

const S = 1000;
const stalledOf = async (h: Harness, id: string): Promise<boolean> => (await h.json('GET', `/nodes/${id}`)).body.exec_stalled;
const health = async (h: Harness) => (await h.json('GET', '/health', { token: null })).body;

describe('stalled nodes', () => {
  it('when a node heartbeats while its oldest queued exec waits past 60 s unfetched, then it is exec_stalled, health lists it with status ok, and fetching clears it', async () => {
    const { h, node } = await execFixture();
    await h.heartbeat(node.token);
    await submitOk(h, node.id, 'echo hi');
    h.clock.advance(30 * S);
    await h.heartbeat(node.token);
    h.clock.advance(30 * S - 1);
    await h.heartbeat(node.token);
    expect(await stalledOf(h, node.id)).toBe(false);
    expect((await health(h)).exec_stalled).toEqual([]);

    h.clock.advance(1);
    expect(await stalledOf(h, node.id)).toBe(true);
    const hl = await health(h);
    expect(hl).toMatchObject({ status: 'ok', exec_stalled: [node.id] });
    expect((await h.json('GET', '/nodes')).body[0].exec_stalled).toBe(true);

    expect(h.log.lines.filter((l: any) => l.msg.startsWith('node exec stalled')).map((l: any) => l.node_id)).toEqual([node.id]);

    expect((await poll(h, node.token)).status).toBe(200);
    expect(await stalledOf(h, node.id)).toBe(false);
    expect((await health(h)).exec_stalled).toEqual([]);
  });

  it('when the agent is busy with a delivered exec, then the execs queued behind it do not make the node stalled', async () => {
    const { h, node } = await execFixture();
    await h.heartbeat(node.token);
    const first = await submitOk(h, node.id, 'sleep 100', { timeout_s: 300 });
    await poll(h, node.token);
    await submitOk(h, node.id, 'echo next');
    h.clock.advance(61 * S);
    await h.heartbeat(node.token);
    expect(await stalledOf(h, node.id)).toBe(false);
    // The result comes in but the agent never comes back for the next one: stalled 60 s later.
    await report(h, node.token, { id: first, exit_code: 0 });
    h.clock.advance(60 * S);
    await h.heartbeat(node.token);
    expect(await stalledOf(h, node.id)).toBe(true);
  });

  it('when the node stops heartbeating, then it is offline, not stalled', async () => {
    const { h, node } = await execFixture();
    await h.heartbeat(node.token);
    await submitOk(h, node.id, 'echo hi', { timeout_s: 600 });
    h.clock.advance(95 * S);
    h.core.fleet.sweep();
    await Promise.resolve();
    expect((await h.json('GET', `/nodes/${node.id}`)).body).toMatchObject({ state: 'offline', exec_stalled: false });
    expect((await health(h)).exec_stalled).toEqual([]);
  });

  it('when heartbeat_interval_s is 45, then the threshold is 2 × 45 s = 90 s', async () => {
    const { h, node } = await execFixture((d) => {
      d.server.heartbeat_interval_s = 45;
      d.server.offline_after_s = 135;
    });
    await h.heartbeat(node.token);
    await submitOk(h, node.id, 'echo hi');
    h.clock.advance(45 * S);
    await h.heartbeat(node.token);
    h.clock.advance(45 * S - 1);
    await h.heartbeat(node.token);
    expect(await stalledOf(h, node.id)).toBe(false);
    h.clock.advance(1);
    expect(await stalledOf(h, node.id)).toBe(true);
  });
});

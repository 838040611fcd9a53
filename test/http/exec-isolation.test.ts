import { describe, expect, it } from 'vitest';
import { execFixture, poll, report, result, settlesAtOnce, submitOk } from './exec-helpers.js';

describe('exec queues are per node', () => {
  it("when node A's token is used on node B's exec, then A can neither fetch nor answer it", async () => {
    const { h, node: b } = await execFixture();
    const a = await h.addNode({ name: 'a' });
    const bExec = await submitOk(h, b.id, 'secret on b');
    const aPoll = await poll(h, a.token);
    expect(aPoll.status).toBe(204);
    const answer = await report(h, a.token, { id: bExec, exit_code: 0, stdout: 'forged' });
    expect(answer.status).toBe(404);
    await submitOk(h, a.id, 'on a');
    const aAgain = await poll(h, a.token);
    expect(aAgain.body.command).toBe('on a');
    const bResult = await h.json('GET', `/nodes/${b.id}/exec/${bExec}/result`, { token: a.token });
    expect(bResult.status).toBe(403);
    expect((await result(h, b.id, bExec)).body).toEqual({ status: 'pending', state: 'queued', position: 0 });
    expect((await result(h, a.id, bExec)).status).toBe(404);
    expect((await poll(h, b.token)).body.id).toBe(bExec);
  });

  it("when node A has a parked poll, then an exec for node B never reaches it", async () => {
    const { h, node: b } = await execFixture();
    const a = await h.addNode({ name: 'a' });
    const aParked = poll(h, a.token, 30);
    await submitOk(h, b.id, 'for b');
    expect(await settlesAtOnce(aParked)).toBe(false);
    h.clock.advance(30_000);
    expect((await aParked).status).toBe(204);
  });

  it('when execs are queued and delivered, then the heartbeat exec_pending and the node exec_depth count them', async () => {
    const { h, node } = await execFixture();
    expect((await h.heartbeat(node.token)).body.exec_pending).toBe(0);
    const first = await submitOk(h, node.id, 'a');
    await submitOk(h, node.id, 'b');
    await submitOk(h, node.id, 'c');
    await poll(h, node.token);
    expect((await h.heartbeat(node.token)).body.exec_pending).toBe(2);
    expect((await h.json('GET', `/nodes/${node.id}`)).body.exec_depth).toBe(3);
    await report(h, node.token, { id: first, exit_code: 0 });
    expect((await h.json('GET', `/nodes/${node.id}`)).body.exec_depth).toBe(2);
  });

  it('when a node is deleted, then its queue stops: the parked poll ends and the queue leaves the actor list', async () => {
    const { h, node } = await execFixture();
    const parked = poll(h, node.token, 30);
    await settlesAtOnce(parked);
    expect((await h.json('GET', `/debug/actors/${node.id}/exec`)).status).toBe(200);
    expect((await h.req('DELETE', `/nodes/${node.id}`)).status).toBe(204);
    expect(await settlesAtOnce(parked)).toBe(true);
    expect((await parked).status).toBe(204);
    expect((await h.json('GET', `/debug/actors/${node.id}/exec`)).status).toBe(404);
    expect((await h.json('POST', `/nodes/${node.id}/exec`, { body: { command: 'x' } })).status).toBe(404);
  });

  it('when a node never used its queue, then no queue actor exists and the admin views are empty', async () => {
    const { h, node } = await execFixture();
    expect((await h.json('GET', `/nodes/${node.id}/exec`)).body).toEqual({ depth: 0, oldest_age_s: null, delivered: [], queued: [] });
    expect((await h.json('DELETE', `/nodes/${node.id}/exec`)).body).toEqual({ cancelled: 0 });
    expect(h.core.execQueues.get(node.id)).toBeUndefined();
    expect((await h.json('GET', `/debug/actors/${node.id}/exec`)).status).toBe(404);
  });
});

/**
 * The admin's result long-poll (docs/api.md#exec `?wait=N`): parked in the exec queue, answered the moment
 * the result arrives, 202 when the wait runs out, 404 at once for an unknown exec.
 */
import { describe, expect, it } from 'vitest';
import { execFixture, poll, report, settlesAtOnce, submitOk } from './exec-helpers.js';

describe('result long-poll', () => {
  it('when an admin waits on a result, then the reply comes as the agent posts it, with no timer involved', async () => {
    const { h, node } = await execFixture();
    const id = await submitOk(h, node.id, 'echo hi');
    const waiting = h.json('GET', `/nodes/${node.id}/exec/${id}/result?wait=30`);
    expect(await settlesAtOnce(waiting)).toBe(false);
    expect((await h.json('GET', '/debug/requests')).body.map((r: any) => r.waiting_on)).toContain(`${node.id}/exec`);
    expect((await poll(h, node.token)).body.id).toBe(id);
    expect(await settlesAtOnce(waiting)).toBe(false);
    await report(h, node.token, { id, exit_code: 0, stdout: 'hi\n' });
    expect(await settlesAtOnce(waiting)).toBe(true); // no clock advanced: answered by the result itself
    const r = await waiting;
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id, status: 'done', exit_code: 0, stdout: 'hi\n' });
  });

  it('when nothing finishes within the wait, then 202 with where the exec stands after N s, not before', async () => {
    const { h, node } = await execFixture();
    const id = await submitOk(h, node.id, 'sleep 100');
    const waiting = h.json('GET', `/nodes/${node.id}/exec/${id}/result?wait=5`);
    h.clock.advance(4999);
    expect(await settlesAtOnce(waiting)).toBe(false);
    h.clock.advance(1);
    expect(await settlesAtOnce(waiting)).toBe(true);
    expect(await waiting).toEqual({ status: 202, body: { status: 'pending', state: 'queued', position: 0 } });
  });

  it('when the exec is unknown, then 404 at once, also with a wait', async () => {
    const { h, node } = await execFixture();
    await submitOk(h, node.id, 'true'); // the queue exists
    const r = h.json('GET', `/nodes/${node.id}/exec/exec-01HZZZZZZZZZZZZZZZZZZZZZZZ/result?wait=30`);
    expect(await settlesAtOnce(r)).toBe(true);
    expect((await r).status).toBe(404);
  });

  it('when the exec is cancelled while an admin waits, then the wait answers with the cancelled result', async () => {
    const { h, node } = await execFixture();
    const id = await submitOk(h, node.id, 'sleep 100');
    const waiting = h.json('GET', `/nodes/${node.id}/exec/${id}/result?wait=30`);
    await h.json('DELETE', `/nodes/${node.id}/exec/${id}`);
    expect(await settlesAtOnce(waiting)).toBe(true);
    expect((await waiting).body).toMatchObject({ id, status: 'cancelled' });
  });

  it('when wait is out of range, then 400 naming it', async () => {
    const { h, node } = await execFixture();
    const id = await submitOk(h, node.id, 'true');
    const r = await h.json('GET', `/nodes/${node.id}/exec/${id}/result?wait=61`);
    expect(r.status).toBe(400);
    expect(r.body.message).toContain('wait');
  });

  it('when a result is posted for an exec that was never delivered, then 409 and the exec stays queued', async () => {
    const { h, node } = await execFixture();
    const id = await submitOk(h, node.id, 'true');
    const r = await report(h, node.token, { id, exit_code: 0 });
    expect(r.status).toBe(409);
    expect((await h.json('GET', `/nodes/${node.id}/exec/${id}/result`)).body).toMatchObject({ status: 'pending', state: 'queued' });
  });
});

import { describe, expect, it } from 'vitest';
import { execFixture, poll, report, result, settlesAtOnce, submitOk } from './exec-helpers.js';

const WAIT_S = 30;

describe('exec delivery to the agent', () => {
  it('when three execs are submitted, then the agent receives them in FIFO order', async () => {
    const { h, node } = await execFixture();
    const ids = [await submitOk(h, node.id, 'one'), await submitOk(h, node.id, 'two'), await submitOk(h, node.id, 'three')];
    const got = [];
    for (let i = 0; i < 3; i++) got.push((await poll(h, node.token)).body);
    expect(got.map((e) => e.id)).toEqual(ids);
    expect(got.map((e) => e.command)).toEqual(['one', 'two', 'three']);
    expect(got[0]).toMatchObject({ interpreter: 'bash', timeout_s: 60, queued_at: '2026-01-01T00:00:00.000Z' });
    expect((await poll(h, node.token)).status).toBe(204);
  });

  it('when the queue is empty and wait is 0, then the poll answers 204 at once', async () => {
    const { h, node } = await execFixture();
    expect((await poll(h, node.token, 0)).status).toBe(204);
  });

  it('when an exec is submitted while the long-poll is parked, then the poll resolves at once with it', async () => {
    const { h, node } = await execFixture();
    const parked = poll(h, node.token, WAIT_S);
    expect(await settlesAtOnce(parked)).toBe(false);
    const id = await submitOk(h, node.id, 'echo hi');
    expect(await settlesAtOnce(parked)).toBe(true);
    const got = await parked;
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id, command: 'echo hi' });
    expect((await result(h, node.id, id)).body).toEqual({ status: 'pending', state: 'delivered', position: null });
  });

  it('when a long-poll is parked, then GET /debug/requests shows it waiting on <node id>/exec', async () => {
    const { h, node } = await execFixture();
    const parked = poll(h, node.token, WAIT_S);
    await settlesAtOnce(parked);
    const reqs = await h.json('GET', '/debug/requests');
    const mine = reqs.body.find((r: any) => r.path === '/api/v1/body/exec');
    expect(mine.waiting_on).toBe(`${node.id}/exec`);
    const actor = await h.json('GET', `/debug/actors/${node.id}/exec`);
    expect(actor.body).toMatchObject({ kind: 'exec-queue', state: 'parked', mailbox: 0 });
    h.clock.advance(WAIT_S * 1000);
    expect((await parked).status).toBe(204);
  });

  it('when nothing arrives within wait, then the poll answers 204 once the clock passes wait', async () => {
    const { h, node } = await execFixture();
    const parked = poll(h, node.token, 5);
    h.clock.advance(4_999);
    expect(await settlesAtOnce(parked)).toBe(false);
    h.clock.advance(1);
    expect((await parked).status).toBe(204);
  });

  it('when the same node polls again, then the older parked poll is answered 204 and the newer gets the exec', async () => {
    const { h, node } = await execFixture();
    const older = poll(h, node.token, WAIT_S);
    await settlesAtOnce(older);
    const newer = poll(h, node.token, WAIT_S);
    expect((await older).status).toBe(204);
    const id = await submitOk(h, node.id, 'echo hi');
    expect((await newer).body.id).toBe(id);
  });

  it('when the agent disconnects while parked, then the exec is not delivered to it and stays queued', async () => {
    const { h, node } = await execFixture();
    const ac = new AbortController();
    const res = Promise.resolve(
      h.handle.app.request('/api/v1/body/exec?wait=30', { headers: { authorization: `Bearer ${node.token}` }, signal: ac.signal }),
    );
    await settlesAtOnce(res);
    ac.abort();
    const id = await submitOk(h, node.id, 'echo hi');
    expect((await result(h, node.id, id)).body).toEqual({ status: 'pending', state: 'queued', position: 0 });
    const next = await poll(h, node.token);
    expect(next.body.id).toBe(id);
    expect((await res).status).toBe(204);
  });

  it('when the server shuts down, then parked long-polls are answered 204 at once', async () => {
    const { h, node } = await execFixture();
    const parked = poll(h, node.token, WAIT_S);
    await settlesAtOnce(parked);
    h.core.execQueues.wakeAll();
    expect(await settlesAtOnce(parked)).toBe(true);
    expect((await parked).status).toBe(204);
  });

  it('when a node reported a Windows OS, then its execs default to powershell, and an explicit interpreter wins', async () => {
    const { h } = await execFixture();
    const e = await h.enroll({ name: 'win', os: 'windows' });
    const win = await h.register(e.enrollment_token);
    await submitOk(h, win.node_id, 'Get-Process');
    await submitOk(h, win.node_id, 'uname', { interpreter: 'bash' });
    expect((await poll(h, win.token)).body.interpreter).toBe('powershell');
    expect((await poll(h, win.token)).body.interpreter).toBe('bash');
  });

  it('when a result is posted, then the admin reads it with exit code, output and times', async () => {
    const { h, node } = await execFixture();
    const id = await submitOk(h, node.id, 'echo hi', { timeout_s: 5 });
    await poll(h, node.token);
    h.clock.advance(1500);
    const body = { id, exit_code: 0, stdout: 'hi\n', stderr: '', started_at: '2026-01-01T00:00:00.100Z', finished_at: '2026-01-01T00:00:01.350Z' };
    expect((await report(h, node.token, body)).body).toEqual({ ok: true });
    const r = await result(h, node.id, id);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      id, status: 'done', exit_code: 0, stdout: 'hi\n', stderr: '', stdout_truncated: false, stderr_truncated: false,
      queued_at: '2026-01-01T00:00:00.000Z', delivered_at: '2026-01-01T00:00:00.000Z', finished_at: '2026-01-01T00:00:01.500Z', duration_ms: 1250,
    });
  });
});

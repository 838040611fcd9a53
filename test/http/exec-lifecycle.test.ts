import { describe, expect, it } from 'vitest';
import { execFixture, poll, report, result, submit, submitOk } from './exec-helpers.js';

const OFFLINE_AFTER_S = 90;
const GRACE_S = 10;

describe('exec lifecycle', () => {
  it('when a delivered exec has no result within timeout_s + 10 s, then it is timed_out and a late result is ignored', async () => {
    const { h, node } = await execFixture();
    const id = await submitOk(h, node.id, 'sleep 100', { timeout_s: 5 });
    await poll(h, node.token);
    h.clock.advance((5 + GRACE_S) * 1000 - 1);
    expect((await result(h, node.id, id)).status).toBe(202);
    h.clock.advance(1);
    const r = await result(h, node.id, id);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'timed_out', exit_code: null, finished_at: '2026-01-01T00:00:15.000Z' });
    expect((await report(h, node.token, { id, exit_code: 0, stdout: 'late' })).body).toEqual({ ok: true });
    expect((await result(h, node.id, id)).body).toMatchObject({ status: 'timed_out', stdout: '' });
  });

  it('when the agent reports timed_out, then the exec is timed_out with its partial output', async () => {
    const { h, node } = await execFixture();
    const id = await submitOk(h, node.id, 'sleep 100', { timeout_s: 1 });
    await poll(h, node.token);
    await report(h, node.token, { id, exit_code: 137, stdout: 'partial', timed_out: true });
    expect((await result(h, node.id, id)).body).toMatchObject({ status: 'timed_out', exit_code: 137, stdout: 'partial' });
  });

  it('when a queued exec is never fetched for timeout_s + offline_after_s, then it expires and leaves the queue', async () => {
    const { h, node } = await execFixture();
    const id = await submitOk(h, node.id, 'echo hi', { timeout_s: 5 });
    h.clock.advance((5 + OFFLINE_AFTER_S) * 1000 - 1);
    expect((await result(h, node.id, id)).body).toEqual({ status: 'pending', state: 'queued', position: 0 });
    h.clock.advance(1);
    expect((await result(h, node.id, id)).body).toMatchObject({ status: 'expired', delivered_at: null, exit_code: null });
    expect((await poll(h, node.token)).status).toBe(204);
  });

  it('when a queued exec is cancelled, then it never reaches the agent and the next one moves up', async () => {
    const { h, node } = await execFixture();
    const first = await submitOk(h, node.id, 'one');
    const second = await submitOk(h, node.id, 'two');
    expect((await result(h, node.id, second)).body.position).toBe(1);
    const del = await h.json('DELETE', `/nodes/${node.id}/exec/${first}`);
    expect(del.status).toBe(200);
    expect(del.body).toMatchObject({ id: first, status: 'cancelled' });
    expect((await result(h, node.id, second)).body.position).toBe(0);
    expect((await poll(h, node.token)).body.id).toBe(second);
  });

  it('when a delivered exec is cancelled, then its late result is ignored', async () => {
    const { h, node } = await execFixture();
    const id = await submitOk(h, node.id, 'sleep 5');
    await poll(h, node.token);
    expect((await h.json('DELETE', `/nodes/${node.id}/exec/${id}`)).status).toBe(200);
    expect((await report(h, node.token, { id, exit_code: 0, stdout: 'done' })).status).toBe(200);
    expect((await result(h, node.id, id)).body).toMatchObject({ status: 'cancelled', exit_code: null, stdout: '' });
  });

  it('when a finished exec is cancelled, then the answer is 409 already_finished', async () => {
    const { h, node } = await execFixture();
    const id = await submitOk(h, node.id, 'true');
    await poll(h, node.token);
    await report(h, node.token, { id, exit_code: 0 });
    const del = await h.json('DELETE', `/nodes/${node.id}/exec/${id}`);
    expect(del.status).toBe(409);
    expect(del.body.error).toBe('already_finished');
  });

  it('when the queue is cleared, then every open exec is cancelled and the depth is 0', async () => {
    const { h, node } = await execFixture();
    const delivered = await submitOk(h, node.id, 'one');
    await poll(h, node.token);
    const queued = [await submitOk(h, node.id, 'two'), await submitOk(h, node.id, 'three')];
    expect((await h.json('GET', `/nodes/${node.id}/exec`)).body.depth).toBe(3);
    expect((await h.json('DELETE', `/nodes/${node.id}/exec`)).body).toEqual({ cancelled: 3, delivered: 1 });
    const view = await h.json('GET', `/nodes/${node.id}/exec`);
    expect(view.body).toEqual({ depth: 0, oldest_age_s: null, delivered: [], queued: [] });
    for (const id of [delivered, ...queued]) expect((await result(h, node.id, id)).body.status).toBe('cancelled');
    expect((await poll(h, node.token)).status).toBe(204);
  });

  it('when depth reaches max_queue, then a submit is refused with 429 queue_full until one finishes', async () => {
    const { h, node } = await execFixture((doc) => (doc.server.exec.max_queue = 2));
    const a = await submitOk(h, node.id, 'a');
    await submitOk(h, node.id, 'b');
    await poll(h, node.token);
    const full = await submit(h, node.id, { command: 'c' });
    expect(full.status).toBe(429);
    expect(full.body.error).toBe('queue_full');
    await report(h, node.token, { id: a, exit_code: 0 });
    expect((await submit(h, node.id, { command: 'c' })).status).toBe(202);
  });

  it('when stdout is over max_output_bytes, then it is cut (never inside a character) and marked truncated', async () => {
    const { h, node } = await execFixture((doc) => (doc.server.exec.max_output_bytes = 1024));
    const id = await submitOk(h, node.id, 'yes');
    await poll(h, node.token);
    const stdout = 'a' + 'é'.repeat(1000);
    await report(h, node.token, { id, exit_code: 0, stdout, stderr: 'small' });
    const r = (await result(h, node.id, id)).body;
    expect(r.stdout_truncated).toBe(true);
    expect(r.stderr_truncated).toBe(false);
    expect(Buffer.byteLength(r.stdout)).toBe(1023);
    expect(stdout.startsWith(r.stdout)).toBe(true);
    expect(r.stderr).toBe('small');
  });

  it('when a result is posted twice, then the second post is a no-op 200', async () => {
    const { h, node } = await execFixture();
    const id = await submitOk(h, node.id, 'echo hi');
    await poll(h, node.token);
    await report(h, node.token, { id, exit_code: 0, stdout: 'first' });
    const again = await report(h, node.token, { id, exit_code: 9, stdout: 'second' });
    expect(again).toEqual({ status: 200, body: { ok: true } });
    expect((await result(h, node.id, id)).body).toMatchObject({ status: 'done', exit_code: 0, stdout: 'first' });
  });

  it('when result_ttl_s has passed since an exec finished, then its result is 404', async () => {
    const { h, node } = await execFixture((doc) => (doc.server.exec.result_ttl_s = 60));
    const id = await submitOk(h, node.id, 'echo hi');
    await poll(h, node.token);
    await report(h, node.token, { id, exit_code: 0 });
    h.clock.advance(59_999);
    expect((await result(h, node.id, id)).status).toBe(200);
    h.clock.advance(1);
    const gone = await result(h, node.id, id);
    expect(gone.status).toBe(404);
    expect(gone.body.error).toBe('not_found');
  });

  it('when execs are queued and delivered, then the queue view lists both with depth and oldest age', async () => {
    const { h, node } = await execFixture();
    const a = await submitOk(h, node.id, 'a');
    h.clock.advance(7000);
    const b = await submitOk(h, node.id, 'b');
    await poll(h, node.token);
    const v = (await h.json('GET', `/nodes/${node.id}/exec`)).body;
    expect(v).toMatchObject({ depth: 2, oldest_age_s: 7 });
    expect(v.delivered.map((e: any) => e.id)).toEqual([a]);
    expect(v.queued.map((e: any) => e.id)).toEqual([b]);
    expect(v.queued[0]).toMatchObject({ command: 'b', interpreter: 'bash', delivered_at: null, age_s: 0 });
  });
});

/**
 * Exec control (docs/api.md#exec): an exec by id alone, a cancel that says why a queued exec never
 * reached its node, and the agent's cancel channel with its kill report.
 */
import { describe, expect, it } from 'vitest';
import { KILL_REPORT_WAIT_S } from '../../src/wire/exec-control.js';
import { execFixture, poll, report, settlesAtOnce, submitOk } from './exec-helpers.js';
import type { Harness } from '../support/harness.js';

const UNKNOWN = 'exec-01HZZZZZZZZZZZZZZZZZZZZZZZ';
const watchCancel = (h: Harness, token: string, id: string, wait = 25) => h.json('GET', `/body/exec/${id}/cancel?wait=${wait}`, { token });
const execView = (h: Harness, id: string, wait = 0) => h.json('GET', `/execs/${id}?wait=${wait}`);

describe('exec by id', () => {
  it('when an exec is looked up by its id alone, then it comes with its node, state and, once finished, its result', async () => {
    const { h, node } = await execFixture();
    const id = await submitOk(h, node.id, 'echo hi');
    expect((await execView(h, id)).body).toMatchObject({ id, node_id: node.id, status: 'queued', position: 0, command: 'echo hi', result: null, kill: null });
    await poll(h, node.token);
    expect((await execView(h, id)).body).toMatchObject({ status: 'delivered', position: null });
    await report(h, node.token, { id, exit_code: 0, stdout: 'hi\n' });
    expect((await execView(h, id)).body).toMatchObject({ status: 'done', result: { id, status: 'done', exit_code: 0, stdout: 'hi\n' } });
    expect((await execView(h, UNKNOWN)).status).toBe(404);
    expect((await h.json('DELETE', `/execs/${UNKNOWN}`)).status).toBe(404);
    expect((await h.json('DELETE', `/execs/${id}`))).toMatchObject({ status: 409, body: { error: 'already_finished' } });
  });

  it('when an exec result passes result_ttl_s, then its id is forgotten by the index too', async () => {
    const { h, node } = await execFixture((doc) => (doc.server.exec.result_ttl_s = 60));
    const id = await submitOk(h, node.id, 'true');
    expect(h.core.execQueues.indexedExecs).toBe(1);
    await h.json('DELETE', `/execs/${id}`);
    h.clock.advance(60_000);
    await settlesAtOnce(Promise.resolve());
    expect((await execView(h, id)).status).toBe(404);
    expect(h.core.execQueues.indexedExecs).toBe(0);
  });

  it('when a node is deleted, then its exec ids leave the index', async () => {
    const { h, node } = await execFixture();
    await submitOk(h, node.id, 'true');
    expect((await h.json('DELETE', `/nodes/${node.id}`)).status).toBe(204);
    await settlesAtOnce(new Promise(() => {}));
    expect(h.core.execQueues.indexedExecs).toBe(0);
  });
});

describe('cancelling a queued exec says why it never reached the node', () => {
  it('when the agent never fetched, then agent_not_fetching since null; the cancel is audited against the node', async () => {
    const { h, node } = await execFixture();
    const id = await submitOk(h, node.id, 'touch /tmp/x');
    const r = await h.json('DELETE', `/execs/${id}`);
    expect(r).toMatchObject({ status: 200, body: { id, status: 'cancelled', was: 'queued', not_delivered: { reason: 'agent_not_fetching', since: null } } });
    expect((await poll(h, node.token)).status).toBe(204);
    const audit = (await h.json('GET', `/audit?node=${node.id}`)).body;
    expect(audit[0]).toMatchObject({ action: 'exec.cancel', target: node.id, detail: { exec_id: id }, status: 200 });
  });

  it('when the agent last polled at a time, then agent_not_fetching since that time', async () => {
    const { h, node } = await execFixture();
    h.clock.advance(1000);
    const polledAt = new Date(h.clock.now()).toISOString();
    await poll(h, node.token);
    h.clock.advance(5000);
    const id = await submitOk(h, node.id, 'true');
    const r = await h.json('DELETE', `/nodes/${node.id}/exec/${id}`);
    expect(r.body.not_delivered).toEqual({ reason: 'agent_not_fetching', since: polledAt });
  });

  it('when the agent runs another exec, then busy, naming it', async () => {
    const { h, node } = await execFixture();
    const running = await submitOk(h, node.id, 'sleep 60');
    await poll(h, node.token);
    const id = await submitOk(h, node.id, 'true');
    expect((await h.json('DELETE', `/execs/${id}`)).body.not_delivered).toMatchObject({ reason: 'busy', running });
  });

  it('when the node is offline, then node_offline since its last heartbeat', async () => {
    const { h, node } = await execFixture();
    const lastSeen = (await h.json('GET', `/nodes/${node.id}`)).body.last_seen;
    const id = await submitOk(h, node.id, 'true', { timeout_s: 600 });
    h.clock.advance(120_000);
    expect((await h.json('GET', `/nodes/${node.id}`)).body.state).toBe('offline');
    expect((await h.json('DELETE', `/execs/${id}`)).body.not_delivered).toEqual({ reason: 'node_offline', since: lastSeen });
  });
});

describe('the agent cancel channel', () => {
  it('when a delivered exec is cancelled while its agent listens, then the agent hears it at once and its kill report is kept', async () => {
    const { h, node } = await execFixture();
    const id = await submitOk(h, node.id, 'sleep 60');
    await poll(h, node.token);
    const watching = watchCancel(h, node.token, id);
    expect(await settlesAtOnce(watching)).toBe(false);
    const cancel = await h.json('DELETE', `/execs/${id}`);
    expect(cancel.body).toMatchObject({ status: 'cancelled', was: 'delivered', agent_listening: true });
    expect(await settlesAtOnce(watching)).toBe(true);
    expect(await watching).toEqual({ status: 200, body: { cancelled: true } });
    expect((await execView(h, id)).body).toMatchObject({ status: 'cancelled', kill: 'awaited', result: { stdout: '' } });

    const settled = execView(h, id, 30);
    expect(await settlesAtOnce(settled)).toBe(false);
    await report(h, node.token, { id, exit_code: 143, stdout: 'so far\n', cancelled: true });
    expect(await settlesAtOnce(settled)).toBe(true);
    expect((await settled).body).toMatchObject({ status: 'cancelled', kill: 'reported', result: { status: 'cancelled', exit_code: 143, stdout: 'so far\n' } });
    // Only the first kill report counts; any other late result stays ignored.
    await report(h, node.token, { id, exit_code: 0, stdout: 'again', cancelled: true });
    await report(h, node.token, { id, exit_code: 0, stdout: 'late' });
    expect((await h.json('GET', `/nodes/${node.id}/exec/${id}/result`)).body).toMatchObject({ status: 'cancelled', exit_code: 143, stdout: 'so far\n' });
  });

  it('when the queue is cleared, then the running exec\'s agent hears it too', async () => {
    const { h, node } = await execFixture();
    const id = await submitOk(h, node.id, 'sleep 60');
    await poll(h, node.token);
    await submitOk(h, node.id, 'true');
    const watching = watchCancel(h, node.token, id);
    expect((await h.json('DELETE', `/nodes/${node.id}/exec`)).body).toEqual({ cancelled: 2, delivered: 1 });
    expect(await watching).toEqual({ status: 200, body: { cancelled: true } });
  });

  it('when nobody cancels within the wait, then 204; an exec that ends otherwise answers cancelled false', async () => {
    const { h, node } = await execFixture();
    const id = await submitOk(h, node.id, 'true');
    await poll(h, node.token);
    const watching = watchCancel(h, node.token, id, 5);
    h.clock.advance(5000);
    expect((await watching).status).toBe(204);
    const again = watchCancel(h, node.token, id);
    await report(h, node.token, { id, exit_code: 0 });
    expect(await again).toEqual({ status: 200, body: { cancelled: false } });
  });

  it('when the exec is unknown or another node\'s, then 404', async () => {
    const { h, node } = await execFixture();
    const other = await h.addNode({ name: 'n2' });
    const id = await submitOk(h, node.id, 'true');
    expect((await watchCancel(h, node.token, UNKNOWN)).status).toBe(404);
    expect((await watchCancel(h, other.token, id)).status).toBe(404);
    expect((await watchCancel(h, node.token, id, 31)).status).toBe(400);
  });

  it('when the agent does not listen (an older agent), then the cancel says so and no kill report is awaited', async () => {
    const { h, node } = await execFixture();
    const id = await submitOk(h, node.id, 'sleep 60');
    await poll(h, node.token);
    expect((await h.json('DELETE', `/execs/${id}`)).body).toMatchObject({ was: 'delivered', agent_listening: false });
    const view = execView(h, id, 30);
    expect(await settlesAtOnce(view)).toBe(true);
    expect((await view).body.kill).toBe('not_listening');
  });

  it('when a kill report never comes, then a wait on the exec ends after the kill wait with not_reported', async () => {
    const { h, node } = await execFixture();
    const id = await submitOk(h, node.id, 'sleep 60');
    await poll(h, node.token);
    const waiting = execView(h, id, 60);
    const watching = watchCancel(h, node.token, id);
    await h.json('DELETE', `/execs/${id}`);
    await watching;
    expect(await settlesAtOnce(waiting)).toBe(false);
    h.clock.advance(KILL_REPORT_WAIT_S * 1000 - 1);
    expect(await settlesAtOnce(waiting)).toBe(false);
    h.clock.advance(1);
    expect(await settlesAtOnce(waiting)).toBe(true);
    expect((await waiting).body).toMatchObject({ status: 'cancelled', kill: 'not_reported' });
  });
});

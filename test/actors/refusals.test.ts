/**
 * The kernel path's promise, family by family: when a machine's guards refuse an event, the reply
 * is the refusal, no port runs (no notification, no socket, no other actor told) and nothing is
 * written or changed (no store put, no commit, no index change, the same state).
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import type { WebSocket } from 'ws';
import { askBatch } from '../../src/actors/batch/actor.js';
import { askExec } from '../../src/actors/exec/queue-actor.js';
import { Batches } from '../../src/actors/batch/batches.js';
import { ExecQueues } from '../../src/actors/exec/queues.js';
import { HeadActor } from '../../src/actors/head/actor.js';
import type { PersistPort } from '../../src/actors/kernel/store.js';
import { ActorSystem } from '../../src/actors/kernel/system.js';
import { NodeActor, type NodeConfig } from '../../src/actors/node/actor.js';
import { nodeRecordSchema, type NodeRecord } from '../../src/actors/node/record.js';
import { ShellSessionActor } from '../../src/actors/shell/session-actor.js';
import { FakeClock } from '../../src/clock.js';

const AT = '2026-01-01T00:00:00.000Z';
const record = (over: Partial<NodeRecord>): NodeRecord =>
  nodeRecordSchema.parse({ id: 'node-01JABCDEFGHJKMNPQRSTVWXYZ0', name: 'n1', kind: 'body', state: 'online', created_at: AT, last_seen: AT, ...over });

/** A store that counts what it is asked to do. */
function countingStore() {
  const calls: string[] = [];
  const store: PersistPort = {
    put: (id) => void calls.push(`put ${id}`),
    remove: (id) => void calls.push(`remove ${id}`),
    commit: () => (calls.push('commit'), Promise.resolve()),
  };
  return { store, calls };
}

const CONFIG: NodeConfig = { settings: { providerRoles: [], offlineAfterMs: 90_000 }, heartbeatIntervalS: 30, limits: { max_output_bytes: 1024 } };

describe('a refused event runs no port and writes nothing', () => {
  it('when a head node is drained (node family), then wrong_kind: no store put or commit, no index change, the same record', () => {
    const clock = new FakeClock();
    const { store, calls } = countingStore();
    const changed = vi.fn();
    const node = new NodeActor(record({ kind: 'flatscreen' }), {
      clock, observer: new ActorSystem(clock), store, index: { changed }, config: () => CONFIG,
      execCounts: () => ({ pending: 0, depth: 0 }), shellPending: () => 0, onDeleted: vi.fn(),
    });
    const before = node.published;
    calls.length = 0;
    changed.mockClear();
    expect(node.send({ type: 'drain', drain: true, reason: 'maintenance' })).toMatchObject({ ok: false, code: 'wrong_kind' });
    expect(node.send({ type: 'update', changes: { kind: 'body' } })).toMatchObject({ ok: false, code: 'wrong_kind' });
    expect(calls).toEqual([]);
    expect(changed).not.toHaveBeenCalled();
    expect(node.published).toBe(before);
    // The same actor accepts what its guards allow: the path then does write.
    expect(node.send({ type: 'set_flag', flag: 'update_node' })).toBeInstanceOf(Object);
    expect(calls).toEqual([`put ${before.id}`, 'commit']);
  });

  it('when a head is assigned a head (head family), then wrong_kind: its persist port (the node actor) is never reached, nothing moves', () => {
    const clock = new FakeClock();
    const node = vi.fn(() => undefined);
    const activeMoved = vi.fn();
    const head = new HeadActor('node-h', record({ kind: 'ipad' }), { clock, observer: new ActorSystem(clock), node, activeMoved });
    const before = head.snapshot;
    expect(head.send({ type: 'assign', bodyId: 'node-x', bodyKind: 'head', appId: null })).toMatchObject({ ok: false, code: 'wrong_kind' });
    expect(head.send({ type: 'assign', bodyId: 'node-y', bodyKind: 'unknown', appId: null })).toMatchObject({ ok: false, code: 'not_found' });
    expect(node).not.toHaveBeenCalled();
    expect(activeMoved).not.toHaveBeenCalled();
    expect(head.snapshot).toEqual(before);
  });

  it('when a result comes for a queued exec or a finished exec is cancelled (exec queue family), then 409: no finished port runs, nothing moves', async () => {
    const clock = new FakeClock();
    const system = new ActorSystem(clock);
    const execQueues = new ExecQueues({ clock, system, settings: { maxQueue: 10, defaultTimeoutS: 60, resultTtlS: 60, maxOutputBytes: 1024, offlineAfterS: 90 } });
    const finished = vi.fn();
    execQueues.onFinished = finished;
    const q = execQueues.ensure('n1');
    const { id } = await askExec(q, { type: 'submit', command: 'true', os: 'linux' });
    const report = { id, exit_code: 0, stdout: 'x', stderr: '', timed_out: false, stdout_truncated: false, stderr_truncated: false };
    await expect((async () => askExec(q, { type: 'result', report }))()).rejects.toMatchObject({ code: 'wrong_state' });
    expect(finished).not.toHaveBeenCalled();
    expect(q.debugContext()).toMatchObject({ queued: [expect.objectContaining({ id })], delivered: [], finished: 0, finished_output_bytes: 0 });
    expect(execQueues.budget.bytes).toBe(0);
    // Delivered and answered: finished once; a cancel of it is then refused and changes nothing.
    await askExec(q, { type: 'poll', waitMs: 0 });
    await askExec(q, { type: 'result', report });
    expect(finished).toHaveBeenCalledTimes(1);
    const bytes = execQueues.budget.bytes;
    await expect((async () => askExec(q, { type: 'cancel', id }))()).rejects.toMatchObject({ code: 'already_finished' });
    expect(finished).toHaveBeenCalledTimes(1);
    expect(execQueues.budget.bytes).toBe(bytes);
    expect((await askExec(q, { type: 'get_result', id }))).toMatchObject({ finished: true, result: { status: 'done' } });
  });

  it('when a batch is started twice (batch family), then wrong_state: no exec is submitted, no finished port runs, the batch is as it was', async () => {
    const clock = new FakeClock();
    const system = new ActorSystem(clock);
    const execQueues = new ExecQueues({ clock, system, settings: { maxQueue: 10, defaultTimeoutS: 60, resultTtlS: 60, maxOutputBytes: 1024, offlineAfterS: 90 } });
    const batches = new Batches({ clock, system, execQueues, resultTtlS: 60 });
    const b = batches.create({ command: 'true' });
    await askBatch(b, { type: 'start', nodes: [{ nodeId: 'n1', name: 'n1', os: 'linux' }], skipped: [] });
    const before = b.view();
    await expect((async () => askBatch(b, { type: 'start', nodes: [{ nodeId: 'n2', name: 'n2', os: 'linux' }], skipped: [] }))()).rejects.toMatchObject({ code: 'wrong_state' });
    expect(execQueues.get('n2')).toBeUndefined();
    expect(execQueues.counts('n1').depth).toBe(1);
    expect(b.view()).toEqual(before);
    expect(b.stateName()).toBe('running');
  });

  it('when another node attaches to a shell session (shell family), then forbidden: no socket closed, no teardown, still waiting', () => {
    const clock = new FakeClock();
    const client = Object.assign(new EventEmitter(), { readyState: 1, close: vi.fn(), send: vi.fn(), terminate: vi.fn(), pause: vi.fn(), resume: vi.fn() });
    const onClosed = vi.fn();
    const session = new ShellSessionActor(
      'shell-1',
      { nodeId: 'node-a', cols: 80, rows: 24, command: null, client: client as unknown as WebSocket },
      { clock, observer: new ActorSystem(clock), settings: () => ({ attachTimeoutMs: 10_000, idleTimeoutMs: 60_000 }), onClosed },
    );
    expect(session.send({ type: 'attach', nodeId: 'node-b' })).toMatchObject({ ok: false, code: 'forbidden' });
    expect(session.stateName()).toBe('waiting');
    expect(client.close).not.toHaveBeenCalled();
    expect(client.send).not.toHaveBeenCalled();
    expect(onClosed).not.toHaveBeenCalled();
    expect(session.debugContext()).toMatchObject({ attached_at: null, reason: null });
  });
});

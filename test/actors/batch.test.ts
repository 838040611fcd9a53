/**
 * The batch actor family without HTTP: its statechart's tallies, the supervisor's bounds (kept
 * batches, their output), and the slicing that keeps a 10,000-node submit off one event-loop turn.
 */
import { describe, expect, it } from 'vitest';
import { batchMachine, INITIAL_BATCH, tallyKey, type BatchEvent } from '../../src/actors/batch/machine.js';
import { runEffects, step } from '../../src/actors/kernel/machine.js';
import { Batches } from '../../src/actors/batch/batches.js';
import { askBatch } from '../../src/actors/batch/actor.js';
import { forEachSliced } from '../../src/actors/batch/slices.js';
import { askExec } from '../../src/actors/exec/queue-actor.js';
import { ExecQueues } from '../../src/actors/exec/queues.js';
import { ActorSystem } from '../../src/actors/kernel/system.js';
import { FakeClock } from '../../src/clock.js';
import { AppError } from '../../src/errors.js';

const SETTINGS = { maxQueue: 100, defaultTimeoutS: 60, resultTtlS: 3600, maxOutputBytes: 1 << 20, offlineAfterS: 90 };

function world(o: { maxBatches?: number; maxOutputChars?: number } = {}) {
  const clock = new FakeClock();
  const system = new ActorSystem(clock);
  const execQueues = new ExecQueues({ clock, system, settings: SETTINGS });
  const batches = new Batches({ clock, system, execQueues, resultTtlS: 3600, ...o });
  return { clock, system, execQueues, batches };
}

/** A batch over `nodes`, started; the agent of each node answers with `stdout` when `answer` runs. */
async function started(w: ReturnType<typeof world>, nodes: string[]) {
  const b = w.batches.create({ command: 'check' });
  const r = await askBatch(b, { type: 'start', nodes: nodes.map((n) => ({ nodeId: n, name: n, os: 'linux' })), skipped: [] });
  const answer = async (stdout = 'ok') => {
    for (const e of r.execs) {
      const q = w.execQueues.get(e.node_id)!;
      await askExec(q, { type: 'poll', waitMs: 0 });
      await askExec(q, { type: 'result', report: { id: e.id, exit_code: 0, stdout, stderr: '', timed_out: false, stdout_truncated: false, stderr_truncated: false } });
    }
    await new Promise((res) => setImmediate(res)); // the member_done messages
  };
  return { b, r, answer };
}

describe('batch statechart', () => {
  it('when members finish, then each lands in its tally and the last one finishes the batch, once', () => {
    const calls: string[] = [];
    const ports = { progress: () => calls.push('progress'), finished: () => calls.push('finished') };
    let s = { value: INITIAL_BATCH.value as string, context: INITIAL_BATCH.context };
    const send = (e: BatchEvent) => {
      const r = step(batchMachine, s.value, s.context, e);
      s = { value: r.value, context: r.context };
      runEffects(batchMachine.id, r.effects, ports);
      return r;
    };
    send({ type: 'SUBMITTED', total: 3, at: 0 });
    send({ type: 'MEMBER_DONE', status: 'done', exitCode: 0, at: 1 });
    send({ type: 'MEMBER_DONE', status: 'done', exitCode: 7, at: 2 });
    expect(s.value).toBe('running');
    send({ type: 'MEMBER_DONE', status: 'expired', exitCode: null, at: 3 });
    expect(s).toMatchObject({ value: 'finished', context: { ok: 1, failed: 1, expired: 1, finishedAt: 3 } });
    expect(calls).toEqual(['progress', 'progress', 'progress', 'finished']);
    expect(send({ type: 'MEMBER_DONE', status: 'done', exitCode: 0, at: 4 }).rejected?.code).toBe('already_finished');
    expect(tallyKey('timed_out', null)).toBe('timed_out');
  });

  it('when nothing was submitted, then the batch is finished at once', () => {
    const r = step(batchMachine, 'submitting', INITIAL_BATCH.context, { type: 'SUBMITTED', total: 0, at: 5 });
    expect(r.value).toBe('finished');
  });
});

describe('batch supervisor', () => {
  it('when the kept batches are all running, then a new one is refused with too_many_batches; once one finished, it makes room', async () => {
    const w = world({ maxBatches: 2 });
    const first = await started(w, ['node-a']);
    await started(w, ['node-b']);
    expect(() => w.batches.create({ command: 'x' })).toThrow(AppError);
    await first.answer();
    expect(first.b.isFinished).toBe(true);
    const third = w.batches.create({ command: 'x' });
    expect(w.batches.get(first.b.id)).toBeUndefined(); // the oldest finished one was forgotten
    expect(w.system.get(first.b.id)).toBeUndefined();
    expect(w.batches.get(third.id)).toBe(third);
  });

  it('when finished batches hold more output than the bound, then the oldest finished ones are forgotten first', async () => {
    const w = world({ maxOutputChars: 25 });
    const a = await started(w, ['node-a']);
    await a.answer('x'.repeat(10));
    const b = await started(w, ['node-b']);
    await b.answer('y'.repeat(10));
    expect(w.batches.size).toBe(2);
    const c = await started(w, ['node-c']);
    await c.answer('z'.repeat(10));
    expect(w.batches.get(a.b.id)).toBeUndefined();
    expect(w.batches.get(b.b.id)).toBeDefined();
    expect(w.batches.get(c.b.id)).toBeDefined();
  });

  it('when a batch is read with a wait and the server shuts down, then the read is answered at once', async () => {
    const w = world();
    const { b } = await started(w, ['node-a']);
    const read = Promise.resolve(askBatch(b, { type: 'get', waitMs: 30_000 }));
    w.batches.wakeAll();
    expect(await read).toBeNull(); // the route then reads the batch as it stands
    expect(() => w.batches.create({ command: 'x' })).toThrow(/shutting down/);
  });
});

describe('batch reads', () => {
  it('when a read follows from a cursor, then only a member past it (or the end) answers it', async () => {
    const w = world();
    const { b, r } = await started(w, ['node-a', 'node-b']);
    const ahead = Promise.resolve(askBatch(b, { type: 'get', waitMs: 30_000, since: 1 }));
    let answered = false;
    void ahead.then(() => (answered = true));
    const finish = async (i: number) => {
      const e = r.execs[i]!;
      const q = w.execQueues.get(e.node_id)!;
      await askExec(q, { type: 'poll', waitMs: 0 });
      await askExec(q, { type: 'result', report: { id: e.id, exit_code: 0, stdout: '', stderr: '', timed_out: false, stdout_truncated: false, stderr_truncated: false } });
      await new Promise((res) => setImmediate(res));
    };
    await finish(0);
    expect(answered).toBe(false); // one finished: not past cursor 1
    await finish(1);
    expect((await ahead)?.results.map((m) => m.node_id)).toEqual(['node-b']);
  });
});

describe('slicing', () => {
  it('when a slice has spent its budget, then the loop yields and other callbacks run in between', async () => {
    const order: string[] = [];
    const other = setImmediate(() => order.push('other'));
    await forEachSliced(Array.from({ length: 20 }, (_, i) => i), (i) => void order.push(String(i)), 0);
    clearImmediate(other);
    expect(order.indexOf('other')).toBeGreaterThan(0);
    expect(order.indexOf('other')).toBeLessThan(order.length - 1);
  });

  it('when the loop had to yield, then the caller continues in a later turn than the last item', async () => {
    let ranBetween = false;
    const items = Array.from({ length: 20 }, (_, i) => i);
    await forEachSliced(items, (i) => void (i === items.length - 1 && setImmediate(() => (ranBetween = true))), 0);
    expect(ranBetween).toBe(true);
  });

  it('when the loop never had to yield, then the caller continues in the same turn', async () => {
    let ranBetween = false;
    const items = Array.from({ length: 20 }, (_, i) => i);
    await forEachSliced(items, (i) => void (i === items.length - 1 && setImmediate(() => (ranBetween = true))), 60_000);
    expect(ranBetween).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { FakeClock, type Clock, type TimerHandle } from '../../src/clock.js';
import { ActorSystem } from '../../src/actors/kernel/system.js';
import { askExec } from '../../src/actors/exec/queue-actor.js';
import { ExecQueues } from '../../src/actors/exec/queues.js';
import type { AgentResult, ExecSettings } from '../../src/actors/exec/book.js';

const SETTINGS: ExecSettings = { maxQueue: 10, defaultTimeoutS: 60, resultTtlS: 3600, maxOutputBytes: 1024, offlineAfterS: 90 };
const POLL_WAIT_MS = 30_000;

/** A FakeClock that counts the timers still armed. */
class CountingClock implements Clock {
  readonly inner = new FakeClock();
  armed = 0;
  now = () => this.inner.now();
  mono = () => this.inner.mono();
  every(ms: number, fn: () => void): TimerHandle {
    return this.inner.every(ms, fn);
  }
  after(ms: number, fn: () => void): TimerHandle {
    this.armed++;
    let live = true;
    const end = () => {
      if (live) this.armed--;
      live = false;
    };
    const handle = this.inner.after(ms, () => {
      end();
      fn();
    });
    return {
      cancel: () => {
        end();
        handle.cancel();
      },
    };
  }
}

function setup(settings: ExecSettings = SETTINGS) {
  const clock = new CountingClock();
  const system = new ActorSystem(clock);
  const queues = new ExecQueues({ clock, system, settings });
  return { clock, system, queues, q: queues.ensure('node-A') };
}

const submit = (command = 'x') => ({ type: 'submit' as const, command, interpreter: 'bash' as const, os: null });
const report = (id: string): AgentResult => ({
  id, exit_code: 0, stdout: 'out', stderr: '', timed_out: false, stdout_truncated: false, stderr_truncated: false,
});

/** Records whether a promise has settled yet, and with what. */
function watch<T>(p: T | Promise<T>): { settled: boolean; value?: T } {
  const w: { settled: boolean; value?: T } = { settled: false };
  void Promise.resolve(p).then((value) => Object.assign(w, { settled: true, value }));
  return w;
}

/** One event-loop turn: pending promise callbacks run; no time passes. */
const turn = () => new Promise<void>((r) => setImmediate(r));

describe('exec queue actor', () => {
  it('when a poll is parked, then the mailbox stays free and other messages are answered', async () => {
    const { q } = setup();
    const parked = askExec(q, { type: 'poll', waitMs: POLL_WAIT_MS });
    expect(q.mailboxDepth).toBe(0);
    expect(q.stateName()).toBe('parked');
    const { id } = await askExec(q, submit());
    expect((await parked)?.id).toBe(id);
    expect(await askExec(q, { type: 'list' })).toMatchObject({ depth: 1, queued: [] });
  });

  it('when a parked poll waits its full time, then it is answered with no exec, not a moment earlier', async () => {
    const { clock, q } = setup();
    const parked = watch(askExec(q, { type: 'poll', waitMs: POLL_WAIT_MS }));
    clock.inner.advance(POLL_WAIT_MS - 1);
    await turn();
    expect(parked.settled).toBe(false);
    clock.inner.advance(1);
    await turn();
    expect(parked).toEqual({ settled: true, value: null });
    expect(q.hasParkedPoll).toBe(false);
  });

  it('when the agent of a parked poll hung up, then a submit is not handed to it and stays queued for the next poll', async () => {
    const { q } = setup();
    const ac = new AbortController();
    const parked = askExec(q, { type: 'poll', waitMs: POLL_WAIT_MS, signal: ac.signal });
    ac.abort();
    expect(await parked).toBeNull();
    const { id } = await askExec(q, submit());
    expect(q.pendingCount).toBe(1);
    expect((await askExec(q, { type: 'poll', waitMs: 0 }))?.id).toBe(id);
  });

  it('when a newer poll comes from the node, then the parked one is ended with no exec', async () => {
    const { q } = setup();
    const older = askExec(q, { type: 'poll', waitMs: POLL_WAIT_MS });
    const newer = askExec(q, { type: 'poll', waitMs: POLL_WAIT_MS });
    expect(await older).toBeNull();
    const { id } = await askExec(q, submit());
    expect((await newer)?.id).toBe(id);
  });

  it('when an admin waits on a result, then the agent posting it answers the wait at once', async () => {
    const { q } = setup();
    const { id } = await askExec(q, submit());
    await askExec(q, { type: 'poll', waitMs: 0 });
    const wait = watch(askExec(q, { type: 'get_result', id, waitMs: 60_000 }));
    await turn();
    expect(wait.settled).toBe(false);
    expect(q.mailboxDepth).toBe(0);
    await askExec(q, { type: 'result', report: report(id) });
    await turn();
    expect(wait.value).toMatchObject({ finished: true, result: { id, status: 'done', stdout: 'out' } });
  });

  it('when a queue is idle, then it holds no timer; when work arrives, exactly one', async () => {
    const { clock, q } = setup();
    expect(clock.armed).toBe(0);
    for (let i = 0; i < 5; i++) await askExec(q, submit(`c${i}`));
    expect(clock.armed).toBe(1);
    await askExec(q, { type: 'clear' });
    clock.inner.advance(SETTINGS.resultTtlS * 1000);
    expect(clock.armed).toBe(0);
    expect(await askExec(q, { type: 'list' })).toMatchObject({ depth: 0 });
  });

  it('when queues are looked up, then they are created once on first use and registered as <node id>/exec', () => {
    const { queues, system, q } = setup();
    expect(queues.ensure('node-A')).toBe(q);
    expect(system.get('node-A/exec')).toBe(q);
    expect(queues.counts('node-B')).toEqual({ pending: 0, depth: 0, stalled: false });
    expect(queues.get('node-B')).toBeUndefined();
    expect(system.size).toBe(1);
  });

  it('when a queue is removed, then its parked poll is ended, it is unregistered and it refuses new messages', async () => {
    const { queues, system, q } = setup();
    const parked = askExec(q, { type: 'poll', waitMs: POLL_WAIT_MS });
    queues.remove('node-A');
    expect(await parked).toBeNull();
    expect(system.get('node-A/exec')).toBeUndefined();
    await expect(askExec(q, { type: 'list' })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('when a clear cancels more than one chunk of execs, then it cancels them all and lets the event loop run in between', async () => {
    const many = 500;
    const { q } = setup({ ...SETTINGS, maxQueue: many });
    for (let i = 0; i < many; i++) await askExec(q, submit(`c${i}`));
    let ranMeanwhile = false;
    setImmediate(() => void (ranMeanwhile = true));
    expect(await askExec(q, { type: 'clear' })).toEqual({ cancelled: many, delivered: 0 });
    expect(ranMeanwhile).toBe(true);
    expect(q.depth).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { FakeClock, type Clock, type TimerHandle } from '../../src/clock.js';
import type { ExecSettings } from '../../src/actors/exec-book.js';
import { askExec } from '../../src/actors/exec-queue-actor.js';
import { ExecQueues } from '../../src/actors/exec-queues.js';
import { ActorSystem } from '../../src/actors/system.js';

const SETTINGS: ExecSettings = { maxQueue: 10, defaultTimeoutS: 60, resultTtlS: 3600, maxOutputBytes: 1024, offlineAfterS: 90 };

/** A FakeClock that counts the timers still armed. */
class CountingClock implements Clock {
  readonly inner = new FakeClock();
  armed = 0;
  now = () => this.inner.now();
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

describe('exec queue actor', () => {
  it('when a poll is parked, then the mailbox stays free and other messages are answered', async () => {
    const { q } = setup();
    const parked = askExec(q, { type: 'poll', waitMs: 30_000 });
    await Promise.resolve();
    expect(q.mailboxDepth).toBe(0);
    expect(q.stateName()).toBe('parked');
    const { id } = await askExec(q, { type: 'submit', command: 'x', interpreter: 'bash' });
    expect((await parked)?.id).toBe(id);
    expect(await askExec(q, { type: 'list' })).toMatchObject({ depth: 1, queued: [] });
  });

  it('when a queue is idle, then it holds no timer; when work arrives, exactly one', async () => {
    const { clock, q } = setup();
    expect(clock.armed).toBe(0);
    for (let i = 0; i < 5; i++) await askExec(q, { type: 'submit', command: `c${i}`, interpreter: 'bash' });
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
    expect(queues.counts('node-B')).toEqual({ pending: 0, depth: 0 });
    expect(queues.get('node-B')).toBeUndefined();
    expect(system.size).toBe(1);
  });

  it('when a queue is removed, then it is unregistered and refuses new messages', async () => {
    const { queues, system, q } = setup();
    queues.remove('node-A');
    await Promise.resolve();
    expect(system.get('node-A/exec')).toBeUndefined();
    await expect(askExec(q, { type: 'list' })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('when a clear cancels more than one chunk of execs, then it cancels them all and lets the event loop run in between', async () => {
    const many = 500;
    const { q } = setup({ ...SETTINGS, maxQueue: many });
    for (let i = 0; i < many; i++) await askExec(q, { type: 'submit', command: `c${i}`, interpreter: 'bash' });
    let ranMeanwhile = false;
    setImmediate(() => void (ranMeanwhile = true));
    expect(await askExec(q, { type: 'clear' })).toEqual({ cancelled: many });
    expect(ranMeanwhile).toBe(true);
    expect(q.depth).toBe(0);
  });
});

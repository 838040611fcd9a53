/**
 * The actor kernel on its own: the mailbox (ActorCell), the durable commit (Commit), parked replies
 * (Parking), one statechart step with its kernel actions (step), and the typed ask with its timeout
 * (asker). The kernel path that runs a machine (MachineActor) is in machine-actor.test.ts. Time is a
 * FakeClock (Parking) or vitest's fake timers (ask's timeout); nothing here sleeps.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { assign, setup } from 'xstate';
import { FakeClock } from '../../src/clock.js';
import { AppError, fail, ok, type Result } from '../../src/errors.js';
import { asker, committed, type Waiter } from '../../src/actors/kernel/ask.js';
import { ActorCell } from '../../src/actors/kernel/cell.js';
import { Commit, settled, type Reply } from '../../src/actors/kernel/commit.js';
import { kernelActions, persist, reject, runEffects, step } from '../../src/actors/kernel/machine.js';
import { Parking } from '../../src/actors/kernel/parking.js';
import { ActorSystem } from '../../src/actors/kernel/system.js';

type Msg =
  | { type: 'now'; tag: string }
  | { type: 'hold'; tag: string }
  | { type: 'park'; tag: string }
  | { type: 'commit'; tag: string; fails?: boolean }
  | { type: 'refuse' }
  | { type: 'throw' };

interface Replies {
  now: string;
  hold: string;
  park: string;
  commit: string;
  refuse: never;
  throw: never;
}

/** Promises the test settles by hand, by tag. */
class Gates {
  private readonly gates = new Map<string, (v: string) => void>();
  make(tag: string): Promise<string> {
    return new Promise<string>((r) => this.gates.set(tag, r));
  }
  open(tag: string): void {
    this.gates.get(tag)!(tag);
  }
}

/** A cell whose handler logs each message it starts and answers as the message says. */
class TestCell extends ActorCell<Msg, Reply> {
  readonly started: string[] = [];
  readonly gates = new Gates();

  constructor(clock = new FakeClock(), system?: ActorSystem) {
    super('test-1', 'test', clock, system);
  }

  protected handle(msg: Msg): Reply | Promise<Reply> {
    this.started.push('tag' in msg ? msg.tag : msg.type);
    switch (msg.type) {
      case 'now':
        return ok(msg.tag);
      case 'hold':
        return this.hold(this.gates.make(msg.tag).then(ok));
      case 'park':
        return this.gates.make(msg.tag).then(ok);
      case 'commit': {
        // Decided now; "durable" when the gate opens (or failed, as a rolled-back write answers).
        const decided = ok(`decided ${msg.tag}`);
        const final = this.hold(this.gates.make(msg.tag).then(() => (msg.fails ? fail('persist_failed', 'disk full') : decided)));
        return new Commit(decided, final);
      }
      case 'refuse':
        return fail('wrong_state', 'refused');
      case 'throw':
        throw new Error('handler failed');
    }
  }

  stateName(): string {
    return 'test';
  }

  debugContext(): Record<string, unknown> {
    return {};
  }

  stop(): void {
    this.stopCell();
  }
}

const askTest = asker<Msg, Replies>();

/** Lets pending promise callbacks and I/O callbacks run (one event-loop turn; no time passes). */
const turn = () => new Promise<void>((r) => setImmediate(r));

/** Records whether a promise has settled yet, and with what. */
function watch<T>(p: T | Promise<T>): { settled: boolean; value?: T; error?: unknown } {
  const w: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  Promise.resolve(p).then(
    (value) => Object.assign(w, { settled: true, value }),
    (error) => Object.assign(w, { settled: true, error }),
  );
  return w;
}

describe('ActorCell mailbox', () => {
  it('when messages arrive while one is in progress, then they are handled one at a time in arrival order', async () => {
    const cell = new TestCell();
    const first = cell.send({ type: 'hold', tag: 'h' });
    const a = cell.send({ type: 'now', tag: 'a' });
    const b = cell.send({ type: 'now', tag: 'b' });
    expect(cell.started).toEqual(['h']);
    expect(cell.mailboxDepth).toBe(3);
    expect(cell.pending().map((p) => [p.type, p.in_progress])).toEqual([['hold', true], ['now', false], ['now', false]]);
    cell.gates.open('h');
    expect(await Promise.all([first, a, b])).toEqual([ok('h'), ok('a'), ok('b')]);
    expect(cell.started).toEqual(['h', 'a', 'b']);
    expect(cell.mailboxDepth).toBe(0);
  });

  it('when a handler holds a Promise, then the mailbox waits for it to settle', async () => {
    const cell = new TestCell();
    const held = watch(cell.send({ type: 'hold', tag: 'h' }));
    const next = watch(cell.send({ type: 'now', tag: 'a' }));
    await turn();
    expect(cell.started).toEqual(['h']);
    expect(held.settled || next.settled).toBe(false);
    cell.gates.open('h');
    await turn();
    expect(cell.started).toEqual(['h', 'a']);
    expect([held.value, next.value]).toEqual([ok('h'), ok('a')]);
  });

  it('when a handler returns a Promise it does not hold (a parked reply), then the next message is handled at once and the reply comes when settled', async () => {
    const cell = new TestCell();
    const parked = watch(cell.send({ type: 'park', tag: 'p' }));
    expect(cell.mailboxDepth).toBe(0);
    expect(await cell.send({ type: 'now', tag: 'a' })).toEqual(ok('a'));
    expect(cell.started).toEqual(['p', 'a']);
    expect(parked.settled).toBe(false);
    cell.gates.open('p');
    await turn();
    expect(parked.value).toEqual(ok('p'));
  });

  it('when a handler throws, then that sender gets the error and the next message is still handled', async () => {
    const cell = new TestCell();
    const bad = cell.send({ type: 'throw' });
    const good = cell.send({ type: 'now', tag: 'a' });
    await expect(bad).rejects.toThrow('handler failed');
    expect(await good).toEqual(ok('a'));
  });

  it('when the cell is idle and the handler answers synchronously, then send() returns the reply itself, not a promise', () => {
    const cell = new TestCell();
    expect(cell.send({ type: 'now', tag: 'a' })).toEqual(ok('a'));
    expect(cell.mailboxDepth).toBe(0);
    expect(cell.lastEvent.type).toBe('now');
  });

  it('when the cell is busy, then send() queues the message behind the current one and returns a promise', async () => {
    const cell = new TestCell();
    const held = cell.send({ type: 'hold', tag: 'h' });
    expect(held).toBeInstanceOf(Promise);
    const queued = cell.send({ type: 'now', tag: 'a' });
    expect(queued).toBeInstanceOf(Promise);
    expect(cell.started).toEqual(['h']);
    cell.gates.open('h');
    expect(await queued).toEqual(ok('a'));
    expect(await held).toEqual(ok('h'));
  });

  it('when send() gets a parked reply from an idle cell, then it returns its promise and the mailbox is free', async () => {
    const cell = new TestCell();
    const parked = cell.send({ type: 'park', tag: 'p' });
    expect(parked).toBeInstanceOf(Promise);
    expect(cell.mailboxDepth).toBe(0);
    expect(cell.send({ type: 'now', tag: 'a' })).toEqual(ok('a'));
    cell.gates.open('p');
    expect(await parked).toEqual(ok('p'));
  });

  it('when a held Promise keeps the mailbox past the threshold, then the actor system lists the cell as stuck until it settles', async () => {
    const clock = new FakeClock();
    const system = new ActorSystem(clock);
    const cell = new TestCell(clock, system);
    system.register(cell);
    const held = cell.send({ type: 'hold', tag: 'h' });
    clock.advance(4_000);
    expect(system.stuck(5_000)).toEqual([]);
    clock.advance(1_001);
    expect(system.stuck(5_000)).toEqual([cell.id]);
    expect(cell.oldestMessageAgeMs()).toBe(5_001);
    cell.gates.open('h');
    await held;
    expect(system.stuck(5_000)).toEqual([]);
    expect(cell.oldestMessageAgeMs()).toBeNull();
  });

  it('when the wall clock jumps, then mailbox ages do not change (they are monotonic)', () => {
    const clock = new FakeClock();
    const cell = new TestCell(clock);
    void cell.send({ type: 'hold', tag: 'h' });
    clock.advance(300);
    clock.jumpWall(-3_600_000);
    expect(cell.oldestMessageAgeMs()).toBe(300);
    cell.gates.open('h');
  });
});

describe('Commit: a change decided before it is durable', () => {
  it('when a handler answers a Commit, then the mailbox waits for the write and the sender gets the Commit itself (through a promise when it queued)', async () => {
    const cell = new TestCell();
    const direct = cell.send({ type: 'commit', tag: 'c1' });
    expect(direct).toBeInstanceOf(Commit);
    expect((direct as Commit<Result<unknown>>).decided).toEqual(ok('decided c1'));
    const queuedSend = watch(cell.send({ type: 'now', tag: 'a' }));
    const queuedDeliver = cell.send({ type: 'commit', tag: 'c2' });
    await turn();
    expect(cell.started).toEqual(['c1']); // held until c1 is durable
    expect(queuedSend.settled).toBe(false);
    cell.gates.open('c1');
    await turn();
    expect(cell.started).toEqual(['c1', 'a', 'c2']);
    expect(queuedSend.value).toEqual(ok('a'));
    // A send() that had to queue gets the Commit too, through its promise.
    const c2 = await queuedDeliver;
    expect(c2).toBeInstanceOf(Commit);
    expect(cell.mailboxDepth).toBe(1);
    const sent = watch(cell.send({ type: 'now', tag: 'b' }));
    cell.gates.open('c2');
    await turn();
    expect(sent.value).toEqual(ok('b'));
    expect(await settled(c2 as Commit<Result<unknown>>)).toEqual(ok('decided c2'));
  });

  it('when a Commit is settled(), then it resolves with the final reply: the failure after a failed write', async () => {
    const cell = new TestCell();
    const r = watch(settled(cell.send({ type: 'commit', tag: 'c', fails: true })));
    await turn();
    expect(r.settled).toBe(false);
    cell.gates.open('c');
    await turn();
    expect(r.value).toEqual(fail('persist_failed', 'disk full'));
  });

  it('when the asking request does not take durability itself, then ask() answers only once the change is durable', async () => {
    const cell = new TestCell();
    const waiter: Waiter = { waitingOn: null };
    const r = watch(Promise.resolve(askTest(cell, { type: 'commit', tag: 'c' }, { waiter })));
    await turn();
    expect(r.settled).toBe(false);
    expect(waiter.waitingOn).toBe(cell.id);
    cell.gates.open('c');
    await turn();
    expect(r.value).toBe('decided c');
  });

  it('when the request takes durability (waiter.durable), then ask() returns the decided reply at once and hands over the write, which rejects if it fails', async () => {
    const cell = new TestCell();
    const writes: Array<Promise<unknown>> = [];
    const waiter: Waiter = { waitingOn: null, durable: (w) => void writes.push(w) };
    expect(askTest(cell, { type: 'commit', tag: 'ok' }, { waiter })).toBe('decided ok');
    const failing = askTest(cell, { type: 'commit', tag: 'bad', fails: true }, { waiter }); // queued behind 'ok'
    expect(writes).toHaveLength(1);
    const first = watch(writes[0]!);
    await turn();
    expect(first.settled).toBe(false);
    cell.gates.open('ok');
    expect(await failing).toBe('decided bad'); // decided once 'ok' is durable and the mailbox is free
    expect(first.settled).toBe(true);
    expect(writes).toHaveLength(2);
    const second = writes[1]!.catch((e: unknown) => e);
    cell.gates.open('bad');
    const err = await second;
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('persist_failed');
  });

  it('when a change is made outside a mailbox, then its Commit is answered the same way: handed to a request that takes it, else awaited', async () => {
    let finish!: () => void;
    const final = new Promise<Result<unknown>>((r) => (finish = () => r(ok(null))));
    const taken: Array<Promise<unknown>> = [];
    const handedOver = watch(committed('n1', 'admit', new Commit(ok(null), final), { waiter: { waitingOn: null, durable: (w) => void taken.push(w) } }));
    const awaited = watch(committed('n1', 'admit', new Commit(ok(null), final), { waiter: { waitingOn: null } }));
    await turn();
    expect(handedOver.settled).toBe(true);
    expect(taken).toHaveLength(1);
    expect(awaited.settled).toBe(false);
    finish();
    await turn();
    expect(awaited.settled).toBe(true);
  });
});

describe('Parking', () => {
  const setupParking = () => {
    const clock = new FakeClock();
    return { clock, parking: new Parking<string>(clock) };
  };

  it('when a parked reply waits its full time, then it is answered with its fallback, not a moment earlier', async () => {
    const { clock, parking } = setupParking();
    const w = watch(parking.park('k', 1_000, 'fallback'));
    clock.advance(999);
    await turn();
    expect(w.settled).toBe(false);
    expect(parking.debug()).toEqual([{ key: 'k', parked_for_ms: 999, wait_ms: 1_000 }]);
    clock.advance(1);
    await turn();
    expect(w.value).toBe('fallback');
    expect(parking.size).toBe(0);
    expect(parking.has('k')).toBe(false);
  });

  it('when the asker aborts, then the reply is answered with its fallback at once and answerOne finds nobody to give to', async () => {
    const { parking } = setupParking();
    const ac = new AbortController();
    const w = watch(parking.park('k', 60_000, 'fallback', ac.signal));
    ac.abort();
    await turn();
    expect(w.value).toBe('fallback');
    const produce = vi.fn(() => 'exec-1');
    expect(parking.answerOne('k', produce)).toBe(false);
    expect(produce).not.toHaveBeenCalled();
    expect(parking.size).toBe(0);
  });

  it('when the signal is already aborted at park time, then the fallback comes at once and nothing is parked', async () => {
    const { parking } = setupParking();
    const ac = new AbortController();
    ac.abort();
    expect(await parking.park('k', 60_000, 'fallback', ac.signal)).toBe('fallback');
    expect(parking.size).toBe(0);
  });

  it('when the oldest waiter reads aborted before its abort event ran, then answerOne gives it the fallback, never calls produce() for it, and answers the next live waiter', async () => {
    const { parking } = setupParking();
    // A signal already marked aborted whose listeners have not run yet.
    const stale = { aborted: false, addEventListener() {}, removeEventListener() {} };
    const gone = watch(parking.park('k', 60_000, 'fallback', stale as unknown as AbortSignal));
    const live = watch(parking.park('k', 60_000, 'fallback'));
    stale.aborted = true;
    const produce = vi.fn(() => 'exec-1');
    expect(parking.answerOne('k', produce)).toBe(true);
    expect(produce).toHaveBeenCalledTimes(1);
    await turn();
    expect(gone.value).toBe('fallback');
    expect(live.value).toBe('exec-1');
    expect(parking.size).toBe(0);
  });

  it('when several wait under a key, then answerOne answers the oldest only, and returns false without calling produce() when none waits', async () => {
    const { parking } = setupParking();
    const first = watch(parking.park('k', 60_000, 'fallback'));
    const second = watch(parking.park('k', 60_000, 'fallback'));
    expect(parking.answerOne('k', () => 'one')).toBe(true);
    await turn();
    expect(first.value).toBe('one');
    expect(second.settled).toBe(false);
    expect(parking.count('k')).toBe(1);
    const produce = vi.fn(() => 'x');
    expect(parking.answerOne('other', produce)).toBe(false);
    expect(produce).not.toHaveBeenCalled();
  });

  it('when answerAll is called, then every waiter under that key gets the value (or its own produced one) and other keys keep waiting', async () => {
    const { parking } = setupParking();
    const ws = [1, 2, 3].map(() => watch(parking.park('k', 60_000, 'fallback')));
    const other = watch(parking.park('other', 60_000, 'fallback'));
    expect(parking.answerAll('k', 'done')).toBe(3);
    await turn();
    expect(ws.map((w) => w.value)).toEqual(['done', 'done', 'done']);
    expect(other.settled).toBe(false);
    let n = 0;
    const more = [1, 2].map(() => watch(parking.park('m', 60_000, 'fallback')));
    expect(parking.answerAll('m', () => `v${++n}`)).toBe(2);
    await turn();
    expect(more.map((w) => w.value)).toEqual(['v1', 'v2']);
    expect(parking.answerAll('none', 'x')).toBe(0);
    expect(parking.size).toBe(1);
  });

  it('when releaseAll is called, then every waiter of every key gets its own fallback and its timer no longer fires', async () => {
    const { clock, parking } = setupParking();
    const a = watch(parking.park('a', 1_000, 'fa'));
    const b = watch(parking.park('b', 1_000, 'fb'));
    expect(parking.releaseAll()).toBe(2);
    await turn();
    expect([a.value, b.value]).toEqual(['fa', 'fb']);
    expect(parking.size).toBe(0);
    clock.advance(2_000); // the cancelled timers must not touch the (empty) registry
    expect(parking.size).toBe(0);
  });

  it('when a reply was answered, then its timeout and a later abort do not answer it again or miscount', async () => {
    const { clock, parking } = setupParking();
    const ac = new AbortController();
    const w = watch(parking.park('k', 1_000, 'fallback', ac.signal));
    parking.park('k', 5_000, 'fallback');
    parking.answerOne('k', () => 'first');
    clock.advance(1_000);
    ac.abort();
    await turn();
    expect(w.value).toBe('first');
    expect(parking.size).toBe(1);
    expect(parking.count('k')).toBe(1);
  });
});

describe('step()', () => {
  type Ev = { type: 'GO' } | { type: 'REFUSE' } | { type: 'NOTE' } | { type: 'MIXED' } | { type: 'STRANGE' } | { type: 'BACK' } | { type: 'NOTE_THEN_REFUSE' } | { type: 'SAVE' };
  const m = setup({
    types: { context: {} as { n: number }, events: {} as Ev },
    actions: {
      ...kernelActions,
      inc: assign({ n: ({ context }) => context.n + 1 }),
      notify: (_: unknown, _params: { n: number }) => {},
      strange: () => {},
    },
  }).createMachine({
    id: 'test',
    context: { n: 0 },
    initial: 'a',
    states: {
      a: {
        on: {
          GO: { target: 'b', actions: ['inc', persist(false)] },
          REFUSE: { actions: ['inc', reject('wrong_state', 'not now')] },
          NOTE: { actions: ['inc', { type: 'notify', params: ({ context }) => ({ n: context.n }) }] },
          MIXED: { actions: ['inc', persist(false), persist(true), persist(false)] },
          STRANGE: { actions: ['inc', 'strange'] },
          NOTE_THEN_REFUSE: { actions: [{ type: 'notify', params: { n: 0 } }, reject('wrong_state', 'no')] },
          SAVE: { actions: persist(true) },
        },
      },
      b: { on: { BACK: 'a' } },
    },
  });

  it('when the machine rejects the event, then value and context are unchanged and the error is returned', () => {
    const context = { n: 1 };
    const s = step(m, 'a', context, { type: 'REFUSE' });
    expect(s).toEqual({ value: 'a', context, changed: false, rejected: { ok: false, code: 'wrong_state', message: 'not now' }, persist: null, effects: [] });
    expect(s.context).toBe(context);
  });

  it('when a transition asks for persist, then a lazy one is reported lazy and any durable one makes it durable', () => {
    expect(step(m, 'a', { n: 0 }, { type: 'GO' })).toMatchObject({ value: 'b', context: { n: 1 }, changed: true, persist: 'lazy', rejected: null });
    expect(step(m, 'a', { n: 0 }, { type: 'MIXED' }).persist).toBe('durable');
    expect(step(m, 'b', { n: 0 }, { type: 'BACK' })).toMatchObject({ value: 'a', changed: true, persist: null });
  });

  it('when an effect is neither a kernel action nor a given port, then running it throws naming it', () => {
    const s = step(m, 'a', { n: 0 }, { type: 'STRANGE' });
    expect(() => runEffects(m.id, s.effects, {})).toThrow('no port for action "strange"');
  });

  it('when an action names a port, then step returns it as an effect with the params resolved from the next context, and runEffects calls the port', () => {
    const calls: unknown[] = [];
    const s = step(m, 'a', { n: 4 }, { type: 'NOTE' });
    expect(s.effects).toEqual([{ type: 'notify', params: { n: 5 } }]);
    runEffects(m.id, s.effects, { notify: (p: never) => void calls.push(p) });
    expect(calls).toEqual([{ n: 5 }]);
  });

  it('when a refused transition also names a port, then no effect is returned', () => {
    const s = step(m, 'a', { n: 0 }, { type: 'NOTE_THEN_REFUSE' });
    expect(s.rejected?.code).toBe('wrong_state');
    expect(s.effects).toEqual([]);
  });

  it('when a transition only asks for persist (no target, no assign), then it counts as changed', () => {
    expect(step(m, 'a', { n: 0 }, { type: 'SAVE' })).toMatchObject({ value: 'a', changed: true, persist: 'durable' });
  });

  it('when the event does not apply in the current state, then changed is false and value and context stay', () => {
    const context = { n: 7 };
    const s = step(m, 'b', context, { type: 'GO' });
    expect(s).toEqual({ value: 'b', context, changed: false, rejected: null, persist: null, effects: [] });
    expect(s.context).toBe(context);
  });
});

describe('ask()', () => {
  afterEach(() => void vi.useRealTimers());

  it('when the actor answers synchronously, then ask returns the unwrapped value itself, or throws the AppError of the code', () => {
    const cell = new TestCell();
    expect(askTest(cell, { type: 'now', tag: 'a' })).toBe('a');
    expect(() => askTest(cell, { type: 'refuse' })).toThrow(AppError);
    try {
      askTest(cell, { type: 'refuse' });
    } catch (e) {
      expect(e).toMatchObject({ code: 'wrong_state', status: 409 });
    }
  });

  it('when the reply comes later, then ask resolves with the unwrapped value and the waiter shows the actor meanwhile', async () => {
    const cell = new TestCell();
    const waiter = { waitingOn: null as string | null };
    const reply = askTest(cell, { type: 'hold', tag: 'h' }, { waiter });
    expect(waiter.waitingOn).toBe(cell.id);
    cell.gates.open('h');
    expect(await reply).toBe('h');
    expect(waiter.waitingOn).toBeNull();
  });

  it('when the actor does not answer within the timeout, then ask rejects with a 503 actor_timeout AppError, not a moment earlier', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const cell = new TestCell();
    const waiter = { waitingOn: null as string | null };
    const w = watch(Promise.resolve(askTest(cell, { type: 'hold', tag: 'h' }, { timeoutMs: 1_000, waiter })));
    await vi.advanceTimersByTimeAsync(999);
    expect(w.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(w.error).toBeInstanceOf(AppError);
    expect(w.error).toMatchObject({ code: 'actor_timeout', status: 503 });
    expect(waiter.waitingOn).toBeNull();
  });

  it('when the actor is stopped, then ask rejects with not_found', async () => {
    const cell = new TestCell();
    cell.stop();
    await expect(askTest(cell, { type: 'now', tag: 'a' })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('when the actor stops while a message waits in its mailbox, then that ask rejects with not_found', async () => {
    const cell = new TestCell();
    const held = askTest(cell, { type: 'hold', tag: 'h' });
    const queued = askTest(cell, { type: 'now', tag: 'a' });
    cell.stop();
    await expect(queued).rejects.toMatchObject({ code: 'not_found' });
    cell.gates.open('h');
    expect(await held).toBe('h');
  });
});

/**
 * MachineActor: the one path every actor family runs its machine on.
 *
 *   message → step (the machine's guards decide; a refusal answers with its `reject`)
 *           → adopt (the actor takes the next state and context as its own, and publishes them)
 *           → effects, by key, through the family's ports
 *           → persist (lazy: the store has it within seconds; durable: a {@link Commit})
 *           → reply
 *
 * A family supplies its machine (xstate `setup({ guards, actions })`), its ports, how it reads
 * and adopts its snapshot, and — if it keeps anything on disk — its `persist`. Nothing else: no
 * rollback, no state diffing, no deferred ports of its own. A durable change that fails to reach
 * the disk is undone here, the same way for every family: the snapshot from before the step is
 * adopted again (and handed to the store again), and the reply is the write's error.
 */
import type { AnyStateMachine, ContextFrom, EventFromLogic } from 'xstate';
import { AppError, fail, ok, type Fail, type Result } from '../../errors.js';
import { ActorCell, type Message } from './cell.js';
import { Commit, type Reply } from './commit.js';
import { runEffects, step, type Ports, type Snapshot } from './machine.js';

export abstract class MachineActor<M extends Message, L extends AnyStateMachine> extends ActorCell<M, Reply> {
  /** The family's statechart. */
  protected abstract readonly machine: L;
  /** The family's effects, by action key. */
  protected abstract readonly ports: Ports;

  /** The state and context the next step starts from. */
  protected abstract current(): Snapshot<ContextFrom<L>>;

  /** Takes a snapshot as the actor's own (a step's result, or the one from before a failed write). */
  protected abstract adopt(s: Snapshot<ContextFrom<L>>): void;

  /**
   * Hands the adopted state to the store. `durable`: resolves once the disk has it, or rejects
   * (an AppError: the reply). Lazy (or a family with nothing on disk): returns nothing.
   */
  protected persist(_durable: boolean): Promise<void> | void {}

  /** One event on the kernel path (see the file's comment); `reply` builds the answer from the adopted state. */
  protected run<T>(event: EventFromLogic<L>, reply: () => T): Result<T> | Commit<Result<T>> {
    const before = this.current();
    const s = step(this.machine, before.value, before.context, event);
    if (s.rejected) return s.rejected;
    if (!s.changed) return ok(reply());
    this.adopt(s);
    runEffects(this.machine.id, s.effects, this.ports);
    if (s.persist === null) return ok(reply());
    const write = this.persist(s.persist === 'durable');
    const decided = ok(reply());
    if (!write) return decided;
    return this.commit(decided, write, () => {
      this.adopt(before);
      void this.persist(false);
    });
  }

  /**
   * The durable commit: the mailbox waits for `write`; the reply is `decided`, or — after `undo`
   * — the write's error (an AppError as it is, anything else 503 `persist_failed`).
   */
  protected commit<T>(decided: Result<T>, write: Promise<void>, undo: () => void): Commit<Result<T>> {
    const final = write.then(
      () => decided,
      (e: unknown): Fail => {
        undo();
        return e instanceof AppError ? fail(e.code, e.message) : fail('persist_failed', (e as Error).message);
      },
    );
    this.hold(final);
    return new Commit(decided, final);
  }
}

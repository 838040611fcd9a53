/**
 * ActorCell: the mailbox every actor in HydraCluster runs behind.
 *
 * Messages are handled one at a time, in arrival order. A handler answers in one of three ways:
 * - a value: the reply, at once;
 * - a promise: the reply once it settles (e.g. nodes.yaml is durable) — the mailbox waits, so the
 *   actor's changes stay ordered;
 * - a {@link Later} (see parking.ts): the reply comes when something happens (an exec arrives, a
 *   result is posted, a wait runs out) — the mailbox does NOT wait; the actor answers it later;
 * - a {@link Committing}: the change is decided and its reply known, but it is not durable yet —
 *   the mailbox waits for the write, and an asker that writes its own record of the change (the
 *   audit trail) may take the decided reply at once and share the fsync round (see ask.ts).
 * Each actor is single-threaded without a lock. Nothing here is shared: one cell owns its state,
 * other code talks to it only through send(). Mailbox depth and the age of the oldest message are
 * what the debug endpoints and the health check read (ages on the monotonic clock).
 */
import { wallOf, type Clock } from '../../clock.js';

const NOOP = (): void => {};

/** A reply parked outside the mailbox: the asker awaits `reply`, the actor goes on. */
export class Later<R> {
  constructor(readonly reply: Promise<R>) {}
}

/**
 * A decided change on its way to disk: `decided` is the reply if the write succeeds, `final` the
 * reply once the write has settled (`decided`, or the failure after the actor rolled back; it
 * never rejects). The mailbox is held until `final` settles, so the next message sees a change
 * only once it is durable or undone.
 */
export class Committing<R> {
  constructor(
    readonly decided: R,
    readonly final: Promise<R>,
  ) {}
}

/** The reply once durable, from whatever deliver() gave (for a caller that has no use for the decided one). */
export function settled<R>(x: R | Committing<R> | Promise<R | Committing<R>>): R | Promise<R> {
  if (x instanceof Committing) return x.final;
  if (x instanceof Promise) return x.then((r) => (r instanceof Committing ? r.final : r));
  return x;
}

/** What a handler may answer (see the file's comment). */
export type Answer<R> = R | Promise<R> | Later<R> | Committing<R>;

export interface Message {
  type: string;
}

interface Envelope<M, R> {
  msg: M;
  enqueuedAt: number;
  resolve: (r: R | Committing<R>) => void;
  reject: (e: unknown) => void;
  /** Takes a {@link Committing} as it is (deliver), not its final reply (send). */
  whole: boolean;
}

/** Where a cell reports that it became busy or idle (the actor system keeps the busy set). */
export interface CellObserver {
  busy(cell: ActorCell<any, any>): void;
  idle(cell: ActorCell<any, any>): void;
}

export abstract class ActorCell<M extends Message, R> {
  private queue: Array<Envelope<M, R>> = [];
  private current: Envelope<M, R> | null = null;
  private lastEventType: string | null = null;
  private lastEventTime = NaN; // NaN: none yet. A number field, so a new value allocates nothing.
  protected stopped = false;

  constructor(
    readonly id: string,
    readonly kind: string,
    protected readonly clock: Clock,
    private readonly observer?: CellObserver,
  ) {}

  /**
   * Handles one message. Runs with the cell to itself; a returned promise or {@link Committing}
   * holds the mailbox, a returned {@link Later} does not.
   */
  protected abstract handle(msg: M): Answer<R>;

  /** The actor's lifecycle state for debug listings. */
  abstract stateName(): string;

  /** Context without secrets, for GET /debug/actors/{id}. */
  abstract debugContext(): Record<string, unknown>;

  /** The node an actor serves, when listings should show it (a shell session); else null. */
  ownerNodeId(): string | null {
    return null;
  }

  /** Posts a message; the promise settles with the handler's reply. */
  send(msg: M): Promise<R> {
    return this.post(msg, false) as Promise<R>;
  }

  private post(msg: M, whole: boolean): Promise<R | Committing<R>> {
    if (this.stopped) return Promise.reject(new ActorStoppedError(this.id));
    return new Promise<R | Committing<R>>((resolve, reject) => {
      this.queue.push({ msg, enqueuedAt: this.clock.mono(), resolve, reject, whole });
      if (this.current === null) this.drain();
    });
  }

  /**
   * Like send(), but when the cell is idle and the handler answers synchronously, the reply is
   * returned as a value: no promise, no timer (the heartbeat hot path); a change that is decided
   * but not yet durable comes back as the {@link Committing} itself (also through the promise,
   * when the message had to queue). Same single-threaded semantics either way.
   */
  deliver(msg: M): R | Committing<R> | Promise<R | Committing<R>> {
    if (this.stopped || this.current !== null || this.queue.length > 0) return this.post(msg, true);
    // No promise unless the handler needs one: the synchronous answer is the common case.
    const env: Envelope<M, R> = { msg, enqueuedAt: this.clock.mono(), resolve: NOOP, reject: NOOP, whole: true };
    this.current = env;
    this.lastEventType = msg.type;
    this.lastEventTime = env.enqueuedAt;
    let out: Answer<R>;
    try {
      out = this.handle(msg);
    } catch (e) {
      this.current = null;
      this.drain();
      return Promise.reject(e); // as send() would: a failed handler never throws at the sender
    }
    if (out instanceof Committing) {
      this.observer?.busy(this);
      out.final.then(() => this.settle(NOOP));
      return out;
    }
    if (out instanceof Promise) {
      this.observer?.busy(this);
      return out.then(
        (r) => (this.settle(NOOP), r),
        (e: unknown) => {
          this.settle(NOOP);
          throw e;
        },
      );
    }
    this.current = null;
    if (this.queue.length > 0) this.drain(); // messages the handler sent to itself
    return out instanceof Later ? out.reply : out;
  }

  get mailboxDepth(): number {
    return this.queue.length + (this.current ? 1 : 0);
  }

  /** Age of the oldest message not yet answered (the one in progress counts), or null. */
  oldestMessageAgeMs(now = this.clock.mono()): number | null {
    const oldest = this.current ?? this.queue[0];
    return oldest ? now - oldest.enqueuedAt : null;
  }

  /** The last message's type and when it arrived (wall-clock ms). */
  get lastEvent(): { type: string | null; at: number | null } {
    const at = this.lastEventTime;
    return { type: this.lastEventType, at: Number.isNaN(at) ? null : wallOf(this.clock, at) };
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  pending(now = this.clock.mono()): Array<{ type: string; age_ms: number; in_progress: boolean }> {
    const all = this.current ? [this.current, ...this.queue] : this.queue;
    return all.map((e) => ({ type: e.msg.type, age_ms: now - e.enqueuedAt, in_progress: e === this.current }));
  }

  /** Stops the cell: queued messages are rejected, nothing new is accepted. */
  protected stopCell(): void {
    this.stopped = true;
    const rest = this.queue;
    this.queue = [];
    for (const e of rest) e.reject(new ActorStoppedError(this.id));
  }

  private drain(): void {
    if (this.current === null && this.queue.length > 0) this.observer?.busy(this);
    while (this.current === null && this.queue.length > 0) {
      const env = this.queue.shift()!;
      this.current = env;
      this.lastEventType = env.msg.type;
      this.lastEventTime = this.clock.mono();
      let out: Answer<R>;
      try {
        out = this.handle(env.msg);
      } catch (e) {
        this.current = null;
        env.reject(e);
        continue;
      }
      if (out instanceof Committing) {
        if (env.whole) {
          env.resolve(out);
          out.final.then(() => this.settle(NOOP));
        } else {
          out.final.then((r) => this.settle(() => env.resolve(r)));
        }
        return;
      }
      if (out instanceof Promise) {
        out.then(
          (r) => this.settle(() => env.resolve(r)),
          (e) => this.settle(() => env.reject(e)),
        );
        return;
      }
      this.current = null;
      if (out instanceof Later) out.reply.then(env.resolve, env.reject);
      else env.resolve(out);
    }
    if (this.current === null) this.observer?.idle(this);
  }

  private settle(done: () => void): void {
    this.current = null;
    done();
    this.drain();
  }
}

export class ActorStoppedError extends Error {
  constructor(readonly actorId: string) {
    super(`actor ${actorId} is stopped`);
  }
}

/**
 * ActorCell: the mailbox every actor in HydraCluster runs behind.
 *
 * Messages are handled one at a time, in arrival order. A handler answers in one of three ways:
 * - a value: the reply, at once;
 * - a promise: the reply once it settles (e.g. nodes.yaml is durable) — the mailbox waits, so the
 *   actor's changes stay ordered;
 * - a {@link Later} (see parking.ts): the reply comes when something happens (an exec arrives, a
 *   result is posted, a wait runs out) — the mailbox does NOT wait; the actor answers it later.
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

export interface Message {
  type: string;
}

interface Envelope<M, R> {
  msg: M;
  enqueuedAt: number;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
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
  private lastEventTime: number | null = null;
  protected stopped = false;

  constructor(
    readonly id: string,
    readonly kind: string,
    protected readonly clock: Clock,
    private readonly observer?: CellObserver,
  ) {}

  /**
   * Handles one message. Runs with the cell to itself; a returned promise holds the mailbox, a
   * returned {@link Later} does not.
   */
  protected abstract handle(msg: M): R | Promise<R> | Later<R>;

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
    if (this.stopped) return Promise.reject(new ActorStoppedError(this.id));
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ msg, enqueuedAt: this.clock.mono(), resolve, reject });
      if (this.current === null) this.drain();
    });
  }

  /**
   * Like send(), but when the cell is idle and the handler answers synchronously, the reply is
   * returned as a value: no promise, no timer (the heartbeat hot path). Otherwise a promise, as
   * send() gives. Same single-threaded semantics either way.
   */
  deliver(msg: M): R | Promise<R> {
    if (this.stopped || this.current !== null || this.queue.length > 0) return this.send(msg);
    // No promise unless the handler needs one: the synchronous answer is the common case.
    const env: Envelope<M, R> = { msg, enqueuedAt: this.clock.mono(), resolve: NOOP, reject: NOOP };
    this.current = env;
    this.lastEventType = msg.type;
    this.lastEventTime = env.enqueuedAt;
    let out: R | Promise<R> | Later<R>;
    try {
      out = this.handle(msg);
    } catch (e) {
      this.current = null;
      this.drain();
      return Promise.reject(e); // as send() would: a failed handler never throws at the sender
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
    return { type: this.lastEventType, at: at === null ? null : wallOf(this.clock, at) };
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
      let out: R | Promise<R> | Later<R>;
      try {
        out = this.handle(env.msg);
      } catch (e) {
        this.current = null;
        env.reject(e);
        continue;
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

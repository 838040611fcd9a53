/**
 * ActorCell: the mailbox every actor in HydraCluster runs behind.
 *
 * Messages are handled one at a time, in arrival order. A handler's reply is a value or a promise;
 * the mailbox goes on at once either way (a reply parked until something happens — an exec
 * arrives, a wait runs out — is simply a promise). Work the next message must not overtake — an
 * asynchronous step, a write to nodes.yaml — is *held*: `hold(work)` keeps the mailbox until it
 * settles, so the actor's changes stay ordered. There is one way in, `send()`: when the cell is
 * idle and the handler answers synchronously, the reply comes back as a value (no promise, no
 * timer: the heartbeat hot path); otherwise as a promise.
 *
 * Each actor is single-threaded without a lock. Nothing here is shared: one cell owns its state,
 * other code talks to it only through send(). Mailbox depth and the age of the oldest message are
 * what the debug endpoints and the health check read (ages on the monotonic clock).
 */
import { wallOf, type Clock } from '../../clock.js';

export interface Message {
  type: string;
}

interface Envelope<M> {
  msg: M;
  enqueuedAt: number;
  resolve: (r: unknown) => void;
  reject: (e: unknown) => void;
}

/** Where a cell reports that it became busy or idle (the actor system keeps the busy set). */
export interface CellObserver {
  busy(cell: ActorCell<any, any>): void;
  idle(cell: ActorCell<any, any>): void;
}

export abstract class ActorCell<M extends Message, R> {
  private queue: Array<Envelope<M>> = [];
  private inProgress: Envelope<M> | null = null;
  /** Set by hold() during a handler: what the mailbox waits for before the next message. */
  private held: Promise<unknown> | null = null;
  private lastEventType: string | null = null;
  private lastEventTime = NaN; // NaN: none yet. A number field, so a new value allocates nothing.
  protected stopped = false;

  constructor(
    readonly id: string,
    readonly kind: string,
    protected readonly clock: Clock,
    private readonly observer?: CellObserver,
  ) {}

  /** Handles one message, with the cell to itself: the reply, or a promise of it. */
  protected abstract handle(msg: M): R | Promise<R>;

  /** The actor's lifecycle state for debug listings. */
  abstract stateName(): string;

  /** Context without secrets, for GET /debug/actors/{id}. */
  abstract debugContext(): Record<string, unknown>;

  /** The node an actor serves, when listings should show it (a shell session); else null. */
  ownerNodeId(): string | null {
    return null;
  }

  /**
   * Posts a message. The reply itself when the cell was idle and the handler answered
   * synchronously; else a promise of it. A handler that throws rejects the promise (it never
   * throws at the sender).
   */
  send(msg: M): R | Promise<R> {
    if (this.stopped) return Promise.reject(new ActorStoppedError(this.id));
    if (this.inProgress !== null || this.queue.length > 0) {
      return new Promise<R>((resolve, reject) => {
        this.queue.push({ msg, enqueuedAt: this.clock.mono(), resolve: resolve as (r: unknown) => void, reject });
        if (this.inProgress === null) this.drain();
      });
    }
    const out = this.process({ msg, enqueuedAt: this.clock.mono(), resolve: NOOP, reject: NOOP });
    if (this.inProgress === null && this.queue.length > 0) this.drain(); // messages the handler sent to itself
    return out;
  }

  /**
   * Keeps the mailbox until `work` settles (called from a handler): the next message sees the
   * actor only once the work is done. Returns `work`.
   */
  protected hold<T>(work: Promise<T>): Promise<T> {
    this.held = work;
    return work;
  }

  get mailboxDepth(): number {
    return this.queue.length + (this.inProgress ? 1 : 0);
  }

  /** Age of the oldest message not yet answered (the one in progress counts), or null. */
  oldestMessageAgeMs(now = this.clock.mono()): number | null {
    const oldest = this.inProgress ?? this.queue[0];
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
    const all = this.inProgress ? [this.inProgress, ...this.queue] : this.queue;
    return all.map((e) => ({ type: e.msg.type, age_ms: now - e.enqueuedAt, in_progress: e === this.inProgress }));
  }

  /** Stops the cell: queued messages are rejected, nothing new is accepted. */
  protected stopCell(): void {
    this.stopped = true;
    const rest = this.queue;
    this.queue = [];
    for (const e of rest) e.reject(new ActorStoppedError(this.id));
  }

  /** Runs one message; the cell stays current while the handler holds it. */
  private process(env: Envelope<M>): R | Promise<R> {
    this.inProgress = env;
    this.lastEventType = env.msg.type;
    this.lastEventTime = this.clock.mono();
    let out: R | Promise<R>;
    try {
      out = this.handle(env.msg);
    } catch (e) {
      out = Promise.reject(e);
    }
    const held = this.held;
    if (held === null) this.inProgress = null;
    else {
      this.held = null;
      this.observer?.busy(this);
      const next = () => {
        this.inProgress = null;
        this.drain();
      };
      held.then(next, next);
    }
    return out;
  }

  private drain(): void {
    if (this.inProgress === null && this.queue.length > 0) this.observer?.busy(this);
    while (this.inProgress === null && this.queue.length > 0) {
      const env = this.queue.shift()!;
      const out = this.process(env);
      if (out instanceof Promise) out.then(env.resolve, env.reject);
      else env.resolve(out);
    }
    if (this.inProgress === null) this.observer?.idle(this);
  }
}

const NOOP = (): void => {};

export class ActorStoppedError extends Error {
  constructor(readonly actorId: string) {
    super(`actor ${actorId} is stopped`);
  }
}

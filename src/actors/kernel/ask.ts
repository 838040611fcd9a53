/**
 * ask(): the one bridge from an HTTP handler (or another actor) to an actor. Posts one message,
 * records which actor the request now waits on (GET /debug/requests shows it), and gives up after
 * a timeout with a 503 `actor_timeout` instead of letting the request hang. A reply the actor gives
 * synchronously (an idle actor, a handler with nothing to wait for — the heartbeat hot path) is
 * returned as a value: no promise, no timer. Replies are domain results (`{ ok, value | code }`),
 * unwrapped here into the value or the AppError of the code.
 *
 * A change that is decided but not yet durable (a {@link Commit}) is awaited here until it is
 * durable — unless the request takes durability into its own hands (`waiter.durable`, set by the
 * audit trail): then the decided reply comes back at once and the write goes on in the background,
 * so the audit line and nodes.yaml reach the disk in the same fsync round; the request awaits both
 * before it answers.
 */
import { AppError, unwrap, type Result } from '../../errors.js';
import type { ActorCell, Message } from './cell.js';
import { ActorStoppedError } from './cell.js';
import { Commit, type Reply } from './commit.js';

/** What a request exposes to the registry of requests in flight. */
export interface Waiter {
  waitingOn: string | null;
  /**
   * Set while the request awaits its changes' durability itself: an ask whose change is decided
   * but not durable yet hands the write here (a promise that rejects with the change's AppError,
   * e.g. 503 `persist_failed` once the actor rolled back) and returns the decided reply at once.
   */
  durable?: ((write: Promise<unknown>) => void) | undefined;
}

export interface AskOptions {
  /** Default {@link DEFAULT_ASK_TIMEOUT_MS}; a parked reply needs its wait plus a margin. */
  timeoutMs?: number;
  waiter?: Waiter;
}

export const DEFAULT_ASK_TIMEOUT_MS = 15_000;

/**
 * A typed ask for one actor family: `Rep` maps each message type to its reply value.
 * `const askNode = asker<NodeMsg, NodeReplies>()` then `await askNode(node, { type: 'heartbeat', … })`.
 */
export function asker<M extends Message, Rep extends { [K in M['type']]: unknown }>() {
  return function askTyped<T extends M['type']>(
    cell: ActorCell<M, Reply>,
    msg: Extract<M, { type: T }>,
    opts: AskOptions = {},
  ): Rep[T] | Promise<Rep[T]> {
    const reply = cell.send(msg);
    if (reply instanceof Commit) return committed(cell.id, msg.type, reply, opts) as Rep[T] | Promise<Rep[T]>;
    if (!(reply instanceof Promise)) return unwrap(reply) as Rep[T];
    return awaitReply(cell.id, msg.type, reply, opts).then((r) =>
      (r instanceof Commit ? committed(cell.id, msg.type, r, opts) : unwrap(r)) as Rep[T] | Promise<Rep[T]>,
    );
  };
}

/**
 * A decided change (from an actor, or made outside a mailbox: a new node's first record): its
 * reply now if the request takes the write (`waiter.durable`), else once durable.
 */
export function committed(actorId: string, msgType: string, c: Commit<Result<unknown>>, opts: AskOptions): unknown {
  const write = awaitReply(actorId, msgType, c.final, opts).then(unwrap);
  const take = opts.waiter?.durable;
  if (take === undefined) return write;
  take(write);
  return unwrap(c.decided);
}

/** Posts a message whose reply nobody awaits (a sweep, a notification); a failure is dropped. */
export function tell<M extends Message>(cell: ActorCell<M, unknown>, msg: M): void {
  const r = cell.send(msg);
  if (r instanceof Promise) r.catch(() => {});
}

/** Waits for a reply already posted to actor `actorId`, with the timeout and the bookkeeping. */
export async function awaitReply<R>(actorId: string, msgType: string, reply: Promise<R>, opts: AskOptions = {}): Promise<R> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_ASK_TIMEOUT_MS;
  const waiter = opts.waiter;
  if (waiter) waiter.waitingOn = actorId;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      reply,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new AppError('actor_timeout', `actor ${actorId} did not answer ${msgType} within ${timeoutMs} ms`)),
          timeoutMs,
        );
      }),
    ]);
  } catch (e) {
    if (e instanceof ActorStoppedError) throw new AppError('not_found', `${actorId} no longer exists`);
    throw e;
  } finally {
    clearTimeout(timer);
    if (waiter && waiter.waitingOn === actorId) waiter.waitingOn = null;
  }
}

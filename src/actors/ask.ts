/**
 * ask(): the one bridge from an HTTP handler to an actor. Posts one message, records which actor
 * the request now waits on (GET /debug/requests shows it), and gives up after a timeout with a
 * 503 `actor_timeout` instead of letting the request hang.
 */
import { AppError } from '../errors.js';
import type { ActorCell, Message } from './cell.js';
import { ActorStoppedError } from './cell.js';

/** What a request exposes to the registry of requests in flight. */
export interface Waiter {
  waitingOn: string | null;
}

export const DEFAULT_ASK_TIMEOUT_MS = 15_000;

export function ask<M extends Message, R>(
  cell: ActorCell<M, R>,
  msg: M,
  opts: { timeoutMs?: number; waiter?: Waiter } = {},
): Promise<R> {
  return awaitReply(cell.id, msg.type, cell.send(msg), opts);
}

/** Waits for a reply already posted to actor `actorId`, with the same bookkeeping as ask(). */
export async function awaitReply<R>(
  actorId: string,
  msgType: string,
  reply: Promise<R>,
  opts: { timeoutMs?: number; waiter?: Waiter } = {},
): Promise<R> {
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

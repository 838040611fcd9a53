/**
 * The durable commit: the kernel's one way a change reaches the disk before its reply counts.
 *
 * A change an actor decided (its machine asked for `persist: durable`) is answered with a
 * {@link Commit}: `decided` is the reply if the write succeeds, `final` the reply once the write
 * has settled — `decided`, or the failure after the actor undid the change (it never rejects).
 * The actor holds its mailbox until `final` settles, so the next message sees the change only once
 * it is durable or undone. A request that writes its own record of the change (the audit line)
 * may take `decided` at once and await `final` beside its own write: one fsync round for both
 * (ask.ts, `Waiter.durable`). A change made outside a mailbox (a new node's first record) is a
 * Commit too, and is answered the same way.
 */

import type { Result } from '../../errors.js';

/** A decided change on its way to disk (see the file's comment). */
export class Commit<R> {
  constructor(
    readonly decided: R,
    readonly final: Promise<R>,
  ) {}
}

/** The reply once durable (for a caller that has no use for the decided one). */
export function settled<R>(x: R | Commit<R> | Promise<R | Commit<R>>): R | Promise<R> {
  if (x instanceof Commit) return x.final;
  if (x instanceof Promise) return x.then((r) => (r instanceof Commit ? r.final : r));
  return x;
}

/** What an actor on the kernel answers: a domain result, or a durable commit of one. */
export type Reply = Result<unknown> | Commit<Result<unknown>>;

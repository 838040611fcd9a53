/**
 * Waiting, with jitter: exponential backoff for a server that is away or slow, jittered intervals
 * for the heartbeat tick, and an abortable sleep. Jitter keeps a fleet that lost its server at the
 * same instant from coming back at the same instant (docs/api.md#node-lifecycle: agents reconnect with jitter).
 */

/** Source of randomness in [0, 1); injectable so tests can pin it. */
export type Random = () => number;

/** Shape of a {@link Backoff}. */
export interface BackoffOptions {
  /** First delay before jitter. */
  initialMs: number;
  /** Ceiling of the (pre-jitter) delay. */
  maxMs: number;
  /** Growth per failed attempt. */
  factor?: number;
  random?: Random;
}

/** Defaults for talking to the server: 1 s doubling to 60 s (runbook: the network-recovery misfire). */
export const SERVER_BACKOFF: BackoffOptions = { initialMs: 1000, maxMs: 60_000 };
const DEFAULT_FACTOR = 2;
/** A refused node token is retried this slowly (an operator may restore nodes.yaml). */
export const UNAUTHORIZED_RETRY_MS = 5 * 60_000;
/** Jitter on that slow retry. */
export const RETRY_JITTER = 0.2;

/**
 * Exponential backoff with "equal jitter": each delay is uniformly drawn from [base/2, base], where
 * base doubles per attempt up to `maxMs`. Never zero, never in lock-step with other agents.
 */
export class Backoff {
  private attempt = 0;
  private readonly factor: number;
  private readonly random: Random;

  constructor(private readonly opts: BackoffOptions) {
    this.factor = opts.factor ?? DEFAULT_FACTOR;
    this.random = opts.random ?? Math.random;
  }

  /** Failed attempts since the last reset. */
  get failures(): number {
    return this.attempt;
  }

  /** The delay before the next try; counts one more failure. */
  next(): number {
    const base = Math.min(this.opts.maxMs, this.opts.initialMs * this.factor ** this.attempt);
    this.attempt++;
    return Math.round(base / 2 + (this.random() * base) / 2);
  }

  /** Back to the first delay, after a success. */
  reset(): void {
    this.attempt = 0;
  }
}

/** `ms` scaled by a uniform factor in [1 - fraction, 1 + fraction]. */
export function jittered(ms: number, fraction: number, random: Random = Math.random): number {
  return Math.max(0, Math.round(ms * (1 + (random() * 2 - 1) * fraction)));
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

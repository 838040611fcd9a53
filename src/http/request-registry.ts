/**
 * Requests in flight (docs/api.md#health-and-debugging, docs/operations.md#logs): each is listed with the actor it waits on until it completes
 * (`GET /debug/requests`). The request log (requests.ts) adds and removes them.
 */
import type { Waiter } from '../actors/kernel/ask.js';

export interface InFlight extends Waiter {
  id: string;
  method: string;
  path: string;
  startedAt: number;
  /** The registry's own links: the requests in flight form a list, oldest first. */
  prev: InFlight | null;
  next: InFlight | null;
}

/**
 * The requests in flight, as an intrusive doubly linked list: adding and removing one allocates
 * nothing. (A Set was measured to reallocate its table as requests come and go: ~120 bytes a
 * request that outlived young-generation GCs, most of what a steady heartbeat left in the heap.)
 */
export class RequestRegistry {
  private head: InFlight | null = null;
  private tail: InFlight | null = null;
  private count = 0;
  private seq = 0;
  /** Requests answered since the start, by who sent them (the summary line's rates). */
  readonly answered = { operator: 0, agent: 0, heartbeat: 0 };

  start(method: string, path: string): InFlight {
    const r: InFlight = { id: `req-${(++this.seq).toString(36)}`, method, path, startedAt: performance.now(), waitingOn: null, durable: undefined, prev: this.tail, next: null };
    if (this.tail) this.tail.next = r;
    else this.head = r;
    this.tail = r;
    this.count++;
    return r;
  }

  /** Removes a request (once; a second call for the same request does nothing). */
  end(r: InFlight): void {
    if (r.prev === null && this.head !== r) return;
    if (r.prev) r.prev.next = r.next;
    else this.head = r.next;
    if (r.next) r.next.prev = r.prev;
    else this.tail = r.prev;
    r.prev = r.next = null;
    this.count--;
  }

  get size(): number {
    return this.count;
  }

  /** Oldest first. */
  list(): Array<{ id: string; method: string; path: string; age_ms: number; waiting_on: string | null }> {
    const now = performance.now();
    const out = [];
    for (let r = this.head; r !== null; r = r.next) {
      out.push({ id: r.id, method: r.method, path: r.path, age_ms: Math.round(now - r.startedAt), waiting_on: r.waitingOn });
    }
    return out;
  }
}

/**
 * Work over many items in event-loop slices: each turn does at most ~SLICE_BUDGET_MS of work, then
 * yields with setImmediate, so 10,000 nodes never hold the loop for more than a slice (docs/api.md#fleet-exec).
 */
import { performance } from 'node:perf_hooks';

/** Work done per event-loop turn before yielding. */
export const SLICE_BUDGET_MS = 5;
/** Items done between two looks at the time (a look costs ~50 ns, an item ~5–30 µs). */
const CHECK_EVERY = 8;

/** Resolves in a later event-loop turn (after timers and I/O that are due). */
export const nextTurn = () => new Promise<void>((r) => setImmediate(r));

/**
 * Calls `fn` on every item, yielding the event loop whenever a slice's budget is spent. A loop
 * that had to yield also yields after its last item, so that what the caller does next (a fleet
 * exec builds and serializes its 10,000-member reply) starts a turn of its own instead of adding
 * to the last slice's.
 */
export async function forEachSliced<T>(items: Iterable<T>, fn: (item: T) => void, budgetMs = SLICE_BUDGET_MS): Promise<void> {
  let start = performance.now();
  let n = 0;
  let yielded = false;
  for (const item of items) {
    fn(item);
    if (++n % CHECK_EVERY === 0 && performance.now() - start >= budgetMs) {
      await nextTurn();
      yielded = true;
      start = performance.now();
    }
  }
  if (yielded) await nextTurn();
}

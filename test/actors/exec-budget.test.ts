/**
 * The fleet-wide cap on kept exec output: past it, a queue that finishes an exec gives up its own
 * oldest finished results first.
 */
import { describe, expect, it } from 'vitest';
import { ExecBook, ResultBudget, type ExecSettings } from '../../src/actors/exec/book.js';

const settings: ExecSettings = { maxQueue: 100, defaultTimeoutS: 60, resultTtlS: 3600, maxOutputBytes: 1000, offlineAfterS: 90 };

function finishOne(book: ExecBook, id: string, bytes: number, now: number): void {
  const e = book.add({ id, command: 'x', interpreter: 'bash', timeoutS: 60, queuedAt: now });
  book.apply(e, { type: 'DELIVER', at: now });
  book.report(e, { id, exit_code: 0, stdout: 'o'.repeat(bytes), stderr: '', timed_out: false, stdout_truncated: false, stderr_truncated: false }, now);
}

describe('fleet-wide result budget', () => {
  it('when two queues together pass the budget, then the queue that finishes gives up its oldest results', () => {
    const budget = new ResultBudget(2500);
    const a = new ExecBook(() => settings, () => {}, (m) => m, budget);
    const b = new ExecBook(() => settings, () => {}, (m) => m, budget);
    finishOne(a, 'a1', 1000, 0);
    finishOne(a, 'a2', 1000, 1);
    expect(budget.bytes).toBe(2000);
    finishOne(a, 'a3', 1000, 2); // 3000 > 2500: a drops a1
    expect(a.find('a1')).toBeUndefined();
    expect(a.find('a3')).toBeDefined();
    expect(budget.bytes).toBe(2000);
    finishOne(b, 'b1', 1000, 3); // 3000 > 2500, b has nothing older: it keeps its one result
    expect(b.find('b1')).toBeDefined();
    finishOne(b, 'b2', 1000, 4); // b drops b1
    expect(b.find('b1')).toBeUndefined();
    b.dispose();
    expect(budget.bytes).toBe(2000);
  });

  it('when a cancelled exec\'s kill report keeps its output, then that output counts in the budget and leaves it with the result', () => {
    const budget = new ResultBudget();
    const forgotten: string[] = [];
    const book = new ExecBook(() => settings, () => {}, (m) => m, budget, () => {}, (id) => forgotten.push(id));
    const e = book.add({ id: 'k1', command: 'sleep 60', interpreter: 'bash', timeoutS: 60, queuedAt: 0 });
    book.apply(e, { type: 'DELIVER', at: 0 });
    book.apply(e, { type: 'CANCEL', at: 1, listening: true });
    expect(budget.bytes).toBe(0);
    const kill = { id: 'k1', exit_code: 143, stdout: 'o'.repeat(300), stderr: '', timed_out: false, stdout_truncated: false, stderr_truncated: false, cancelled: true };
    let amended = 0;
    expect(book.report(e, kill, 2, () => amended++)).toBeNull();
    expect([amended, budget.bytes]).toEqual([1, 300]);
    expect(book.report(e, kill, 3, () => amended++)).toBeNull(); // a second kill report changes nothing
    expect([amended, budget.bytes]).toEqual([1, 300]);
    book.due(1 + settings.resultTtlS * 1000);
    expect(budget.bytes).toBe(0);
    expect(forgotten).toEqual(['k1']);
  });
});

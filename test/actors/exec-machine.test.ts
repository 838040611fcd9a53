import { describe, expect, it } from 'vitest';
import { newExec, statusOf, stepExec, type ExecOutcome, type ExecSnapshot } from '../../src/actors/exec/machine.js';

const T0 = 1_000;
const outcome: ExecOutcome = {
  exitCode: 0, stdout: 'hi\n', stderr: '', stdoutTruncated: false, stderrTruncated: false, startedAtMs: null, agentFinishedAtMs: null,
};
const fresh = (): ExecSnapshot => newExec({ id: 'exec-1', command: 'echo hi', interpreter: 'bash', timeoutS: 5, queuedAt: T0 });
const delivered = () => stepExec(fresh(), { type: 'DELIVER', at: T0 + 1 });

describe('exec statechart', () => {
  it('when an exec is created, then it is queued with nothing delivered or finished', () => {
    const s = fresh();
    expect(statusOf(s)).toBe('queued');
    expect(s.context).toMatchObject({ deliveredAt: null, finishedAt: null, outcome: null, queuedAt: T0 });
  });

  it('when delivered and answered, then it is done with the outcome and both times', () => {
    const s = stepExec(delivered(), { type: 'RESULT', at: T0 + 9, outcome, timedOut: false });
    expect(statusOf(s)).toBe('done');
    expect(s.value).toBe('done');
    expect(s.context).toMatchObject({ deliveredAt: T0 + 1, finishedAt: T0 + 9, outcome });
  });

  it('when the agent reports timed_out, then it is timed_out and keeps the partial output', () => {
    const s = stepExec(delivered(), { type: 'RESULT', at: T0 + 9, outcome, timedOut: true });
    expect(statusOf(s)).toBe('timed_out');
    expect(s.context.outcome).toEqual(outcome);
  });

  it('when queued, then RESULT and TIMEOUT do not apply (the same snapshot comes back), but CANCEL and EXPIRE do', () => {
    const queued = fresh();
    expect(stepExec(queued, { type: 'RESULT', at: T0, outcome, timedOut: false })).toBe(queued);
    expect(stepExec(queued, { type: 'TIMEOUT', at: T0 })).toBe(queued);
    expect(statusOf(stepExec(fresh(), { type: 'CANCEL', at: T0 }))).toBe('cancelled');
    expect(statusOf(stepExec(fresh(), { type: 'EXPIRE', at: T0 }))).toBe('expired');
  });

  it('when a delivered exec is cancelled, then only the agent\'s first kill report is kept, and the status stays cancelled', () => {
    const told = stepExec(delivered(), { type: 'CANCEL', at: T0 + 2, listening: true });
    expect(told.context).toMatchObject({ kill: 'awaited', finishedAt: T0 + 2, outcome: null });
    expect(stepExec(told, { type: 'RESULT', at: T0 + 3, outcome, timedOut: false })).toBe(told);
    const killed = { ...outcome, exitCode: 143, stdout: 'so far' };
    const reported = stepExec(told, { type: 'RESULT', at: T0 + 4, outcome: killed, timedOut: false, killReport: true });
    expect(statusOf(reported)).toBe('cancelled');
    expect(reported.context).toMatchObject({ kill: 'reported', outcome: killed, finishedAt: T0 + 2 });
    expect(stepExec(reported, { type: 'RESULT', at: T0 + 5, outcome, timedOut: false, killReport: true })).toBe(reported);
    expect(stepExec(delivered(), { type: 'CANCEL', at: T0 + 2 }).context.kill).toBe('not_listening');
    // A queued exec never ran: nothing to kill, no kill report taken.
    const never = stepExec(fresh(), { type: 'CANCEL', at: T0 + 2, listening: true });
    expect(never.context.kill).toBeNull();
    expect(stepExec(never, { type: 'RESULT', at: T0 + 3, outcome, timedOut: false, killReport: true })).toBe(never);
  });

  it('when delivered, then EXPIRE does not apply, TIMEOUT and CANCEL do', () => {
    expect(statusOf(stepExec(delivered(), { type: 'EXPIRE', at: T0 }))).toBe('delivered');
    expect(statusOf(stepExec(delivered(), { type: 'TIMEOUT', at: T0 }))).toBe('timed_out');
    expect(statusOf(stepExec(delivered(), { type: 'CANCEL', at: T0 }))).toBe('cancelled');
  });

  it('when finished, then a late or repeated RESULT changes nothing', () => {
    for (const end of [{ type: 'CANCEL', at: T0 + 2 }, { type: 'TIMEOUT', at: T0 + 2 }] as const) {
      const finished = stepExec(delivered(), end);
      const after = stepExec(finished, { type: 'RESULT', at: T0 + 3, outcome, timedOut: false });
      expect(after).toBe(finished);
    }
    const done = stepExec(delivered(), { type: 'RESULT', at: T0 + 2, outcome, timedOut: false });
    const again = stepExec(done, { type: 'RESULT', at: T0 + 3, outcome: { ...outcome, exitCode: 9 }, timedOut: false });
    expect(again.context.outcome?.exitCode).toBe(0);
  });

  it('when an exec is stepped, then the snapshot it was stepped from is left as it was', () => {
    const queued = fresh();
    const before = structuredClone(queued);
    const next = stepExec(queued, { type: 'DELIVER', at: T0 + 1 });
    expect(next).not.toBe(queued);
    expect(queued).toEqual(before);
  });
});

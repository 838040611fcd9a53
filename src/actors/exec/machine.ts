/**
 * The life of one exec (docs/api.md#exec), as an explicit statechart:
 *
 *   queued ──DELIVER──▶ delivered ──RESULT──▶ done | timed_out (the agent reported timed_out)
 *     │ CANCEL, EXPIRE     │ CANCEL, TIMEOUT
 *     ▼                    ▼
 *   cancelled | expired  cancelled | timed_out
 *
 * A delivered exec's CANCEL notes whether its agent held the cancel channel (`kill`: awaited or
 * not_listening); in `cancelled` the agent's own kill report (RESULT with `killReport`, once)
 * records the output so far and keeps the status (docs/api.md#exec). Any other late RESULT changes nothing.
 *
 * The queue's book steps it on the kernel path (`step()`, then the effects by key: `delivered`
 * when it leaves the queue, `finished` when it reaches a final status, `amended` when a kill
 * report adds the output so far) and keeps only each exec's state name and context: no actor, no
 * timer, no subscription per exec. The rules are guards and refusals here: a result for an exec
 * never delivered is refused (409 `wrong_state`), a finished exec cannot be cancelled (409
 * `already_finished`). Time never enters the machine: every event carries `at` (monotonic ms
 * from the injected Clock), and the queue actor decides when TIMEOUT and EXPIRE are due.
 */
import { assign, setup } from 'xstate';
import { kernelActions, runEffects, step, type Ports } from '../kernel/machine.js';
import type { Fail } from '../../errors.js';
import type { FinalStatus, Interpreter } from '../../wire/index.js';

export { FINAL_STATUSES, INTERPRETERS, type FinalStatus, type Interpreter } from '../../wire/index.js';
export type ExecStatus = 'queued' | 'delivered' | FinalStatus;

/** What the agent reported, already cut to max_output_bytes per stream. */
export interface ExecOutcome {
  exitCode: number;
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  /** The agent's own clock, when it sent valid RFC 3339 times: used for duration_ms. */
  startedAtMs: number | null;
  agentFinishedAtMs: number | null;
  /** UTF-8 bytes of stdout and stderr together (what the kept result weighs). */
  bytes?: number;
}

export interface ExecInput {
  id: string;
  command: string;
  interpreter: Interpreter;
  timeoutS: number;
  queuedAt: number;
}

/** A cancelled delivered exec: whether its agent was told (docs/api.md#exec), and whether it reported. */
export type ExecKill = 'awaited' | 'not_listening' | 'reported';

export interface ExecContext extends ExecInput {
  deliveredAt: number | null;
  finishedAt: number | null;
  outcome: ExecOutcome | null;
  kill: ExecKill | null;
}

export type ExecEvent =
  | { type: 'DELIVER'; at: number }
  /** `killReport`: the agent killed the command because the exec was cancelled. */
  | { type: 'RESULT'; at: number; outcome: ExecOutcome; timedOut: boolean; killReport?: boolean }
  /** No result within timeout_s + grace after delivery. */
  | { type: 'TIMEOUT'; at: number }
  /** Still queued after timeout_s + offline_after_s: the node never fetched it. */
  | { type: 'EXPIRE'; at: number }
  /** `listening`: the agent holds the exec's cancel channel (told by the queue at once). */
  | { type: 'CANCEL'; at: number; listening?: boolean };

/** A cancel of a finished exec: refused, naming the status it finished in. */
const alreadyFinished = (status: FinalStatus) => ({
  type: 'reject' as const,
  params: ({ context }: { context: ExecContext }) => ({ code: 'already_finished' as const, message: `exec ${context.id} already finished (${status})` }),
});

/** The exec statechart; see the diagram above. */
export const execMachine = setup({
  types: {
    context: {} as ExecContext,
    events: {} as ExecEvent,
    input: {} as ExecInput,
  },
  guards: {
    agentTimedOut: ({ event }) => event.type === 'RESULT' && event.timedOut,
    firstKillReport: ({ context, event }) => event.type === 'RESULT' && event.killReport === true && context.deliveredAt !== null && context.outcome === null,
  },
  actions: {
    ...kernelActions,
    markDelivered: assign({ deliveredAt: ({ event }) => event.at }),
    markFinished: assign({ finishedAt: ({ event }) => event.at }),
    recordOutcome: assign({
      outcome: ({ context, event }) => (event.type === 'RESULT' ? event.outcome : context.outcome),
    }),
    markKillAsked: assign({ kill: ({ event }) => (event.type === 'CANCEL' && event.listening ? 'awaited' : 'not_listening') }),
    markKillReported: assign({ kill: 'reported' as const }),
    // Ports: the queue's book files the exec by these, after the step.
    delivered: () => {},
    finished: () => {},
    amended: () => {},
  },
}).createMachine({
  id: 'exec',
  context: ({ input }) => ({ ...input, deliveredAt: null, finishedAt: null, outcome: null, kill: null }),
  initial: 'queued',
  states: {
    queued: {
      on: {
        DELIVER: { target: 'delivered', actions: ['markDelivered', 'delivered'] },
        CANCEL: { target: 'cancelled', actions: ['markFinished', 'finished'] },
        EXPIRE: { target: 'expired', actions: ['markFinished', 'finished'] },
        RESULT: { actions: { type: 'reject', params: ({ context }) => ({ code: 'wrong_state' as const, message: `exec ${context.id} was never delivered to its node; its result is refused` }) } },
      },
    },
    delivered: {
      on: {
        RESULT: [
          { guard: 'agentTimedOut', target: 'timed_out', actions: ['recordOutcome', 'markFinished', 'finished'] },
          { target: 'done', actions: ['recordOutcome', 'markFinished', 'finished'] },
        ],
        TIMEOUT: { target: 'timed_out', actions: ['markFinished', 'finished'] },
        CANCEL: { target: 'cancelled', actions: ['markFinished', 'markKillAsked', 'finished'] },
      },
    },
    // Final: a late RESULT (after CANCEL or TIMEOUT) or a repeated one changes nothing, except
    // the agent's first kill report of a cancelled delivered exec (its output so far); a cancel is refused.
    done: { type: 'final', on: { CANCEL: { actions: alreadyFinished('done') } } },
    timed_out: { type: 'final', on: { CANCEL: { actions: alreadyFinished('timed_out') } } },
    cancelled: {
      on: {
        RESULT: { guard: 'firstKillReport', actions: ['recordOutcome', 'markKillReported', 'amended'] },
        CANCEL: { actions: alreadyFinished('cancelled') },
      },
    },
    expired: { type: 'final', on: { CANCEL: { actions: alreadyFinished('expired') } } },
  },
});

/** One exec's state and context: what the queue keeps per exec. */
export interface ExecSnapshot {
  value: ExecStatus;
  context: ExecContext;
}

/** A new exec, in `queued`. */
export function newExec(input: ExecInput): ExecSnapshot {
  return { value: 'queued', context: { ...input, deliveredAt: null, finishedAt: null, outcome: null, kill: null } };
}

/** The next state for `event` (the same state when the event does not apply or is refused). */
export function stepExec(snap: ExecSnapshot, event: ExecEvent): ExecSnapshot {
  const s = step(execMachine, snap.value, snap.context, event);
  return s.changed ? { value: s.value as ExecStatus, context: s.context } : snap;
}

/**
 * One event on the kernel path for one exec: the refusal; or the next snapshot adopted (`adopt`),
 * then its effects run by key through `ports` (`delivered`, `finished`, `amended`).
 */
export function applyExec(snap: ExecSnapshot, event: ExecEvent, adopt: (next: ExecSnapshot) => void, ports: Ports): Fail | null {
  const s = step(execMachine, snap.value, snap.context, event);
  if (s.rejected) return s.rejected;
  if (!s.changed) return null;
  adopt({ value: s.value as ExecStatus, context: s.context });
  runEffects(execMachine.id, s.effects, ports);
  return null;
}

/** The exec's state name. */
export function statusOf(snap: ExecSnapshot): ExecStatus {
  return snap.value;
}

/** True in a final state: done, timed_out, cancelled or expired. */
export function isFinished(snap: ExecSnapshot): boolean {
  return snap.value !== 'queued' && snap.value !== 'delivered';
}

/** The interpreter when the submit names none: PowerShell on a node that reported Windows, else bash. */
export function defaultInterpreter(os: string | null): Interpreter {
  return os !== null && os.toLowerCase().startsWith('win') ? 'powershell' : 'bash';
}

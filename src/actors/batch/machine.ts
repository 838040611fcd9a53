/**
 * The life of one fleet-exec batch (docs/api.md#fleet-exec), as an explicit statechart:
 *
 *   submitting ──START (once)── SUBMITTED (none sent)──▶ finished
 *       │ SUBMITTED                                     ▲
 *       ▼                                               │
 *    running ──MEMBER_DONE (the last open member)──────┘
 *       └─ MEMBER_DONE (others): counted, stays running
 *
 * The batch actor steps it with the kernel's `step()` and keeps only its state name and context:
 * the tallies. The members themselves (one per node, up to the fleet's size) live in the actor's
 * table, never in the context (a 10,000-entry context copied at every step would cost more than
 * the exec). Ports: `progress` (a member finished: wake the waiters following it) and `finished`
 * (every member finished: answer the waits, start the result TTL).
 */
import { assign, setup } from 'xstate';
import { kernelActions, reject } from '../kernel/machine.js';
import type { FinalStatus } from '../../wire/index.js';

export type BatchState = 'submitting' | 'running' | 'finished';

export interface BatchTally {
  total: number;
  ok: number;
  failed: number;
  timed_out: number;
  cancelled: number;
  expired: number;
}

export type BatchEvent =
  /** The submit begins (only once: a second start is refused). */
  | { type: 'START' }
  | { type: 'SUBMITTED'; total: number; at: number }
  /** One member reached a final state (`exitCode`: the agent's, for `done`). */
  | { type: 'MEMBER_DONE'; status: FinalStatus; exitCode: number | null; at: number };

export interface BatchContext extends BatchTally {
  started: boolean;
  finishedAt: number | null;
}

const open = (c: BatchTally) => c.total - c.ok - c.failed - c.timed_out - c.cancelled - c.expired;

/** Which tally a finished member adds to: `done` with exit 0 is ok, any other exit is failed. */
export function tallyKey(status: FinalStatus, exitCode: number | null): keyof Omit<BatchTally, 'total'> {
  if (status === 'done') return exitCode === 0 ? 'ok' : 'failed';
  return status;
}

export const batchMachine = setup({
  types: { context: {} as BatchContext, events: {} as BatchEvent },
  guards: {
    notStarted: ({ context }) => !context.started,
    noneSent: ({ event }) => event.type === 'SUBMITTED' && event.total === 0,
    lastOpen: ({ context }) => open(context) === 1,
    anyOpen: ({ context }) => open(context) > 0,
  },
  actions: {
    ...kernelActions,
    // Ports: the actor does these, after the new state is in place.
    progress: () => {},
    finished: () => {},
    markStarted: assign({ started: true }),
    setTotal: assign({ total: ({ event }) => (event.type === 'SUBMITTED' ? event.total : 0) }),
    count: assign(({ context, event }) => {
      if (event.type !== 'MEMBER_DONE') return {};
      const key = tallyKey(event.status, event.exitCode);
      return { [key]: context[key] + 1 };
    }),
    markFinished: assign({ finishedAt: ({ event }) => ('at' in event ? event.at : null) }),
  },
}).createMachine({
  id: 'batch',
  context: { total: 0, ok: 0, failed: 0, timed_out: 0, cancelled: 0, expired: 0, started: false, finishedAt: null },
  initial: 'submitting',
  on: { START: { actions: reject('wrong_state', 'the batch was already started') } },
  states: {
    submitting: {
      on: {
        START: [{ guard: 'notStarted', actions: 'markStarted' }, { actions: reject('wrong_state', 'the batch was already started') }],
        SUBMITTED: [
          { guard: 'noneSent', target: 'finished', actions: ['setTotal', 'markFinished', 'finished'] },
          { target: 'running', actions: 'setTotal' },
        ],
      },
    },
    running: {
      on: {
        MEMBER_DONE: [
          { guard: 'lastOpen', target: 'finished', actions: ['count', 'markFinished', 'progress', 'finished'] },
          { guard: 'anyOpen', actions: ['count', 'progress'] },
        ],
      },
    },
    finished: {
      on: { MEMBER_DONE: { actions: reject('already_finished', 'the batch has already finished') } },
    },
  },
});

export const INITIAL_BATCH: { value: BatchState; context: BatchContext } = {
  value: 'submitting',
  context: { total: 0, ok: 0, failed: 0, timed_out: 0, cancelled: 0, expired: 0, started: false, finishedAt: null },
};

/** Open members: submitted and not yet finished. */
export const openCount = open;


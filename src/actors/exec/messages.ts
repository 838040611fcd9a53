/**
 * The exec queue's protocol: the messages it handles, the reply to each, and what it needs from
 * the server. Kept apart from the actor (./queue-actor.ts) so that callers read the contract
 * without its machinery.
 */
import type { Clock } from '../../clock.js';
import type { CellObserver } from '../kernel/cell.js';
import type { AgentResult, ExecSettings, ResultBudget } from './book.js';
import type { Interpreter } from './machine.js';
import type { ExecDelivery, ExecPendingView, ExecQueueView, ExecResultView } from './view.js';
import type { CancelWatchReply, ExecCancelReply, ExecView } from '../../wire/index.js';
import type { NodeFacts } from './control.js';

/** The messages an exec queue handles (one at a time, in its mailbox). */
export type ExecMsg =
  /** `os`: what the node reported, for the default interpreter. */
  | { type: 'submit'; command: string; interpreter?: Interpreter; os: string | null; timeoutS?: number }
  /** The agent's long-poll: an exec now, or parked up to `waitMs` for one. */
  | { type: 'poll'; waitMs: number; signal?: AbortSignal }
  | { type: 'result'; report: AgentResult }
  /** An admin's result read: parked up to `waitMs` for the exec to finish (0: answer now). */
  | { type: 'get_result'; id: string; waitMs?: number; signal?: AbortSignal }
  | { type: 'list' }
  /** `node`: its state and last heartbeat, to say why a queued exec never reached it (docs/api.md#exec). */
  | { type: 'cancel'; id: string; node?: NodeFacts }
  | { type: 'clear' }
  /** The agent's cancel channel for an exec it runs: parked up to `waitMs` until the exec ends. */
  | { type: 'watch_cancel'; id: string; waitMs: number; signal?: AbortSignal }
  /** `GET /execs/{id}`: parked up to `waitMs` until the exec is finished and no kill report is awaited. */
  | { type: 'get_exec'; id: string; waitMs?: number; signal?: AbortSignal }
  /** Internal: a deadline fell due. */
  | { type: 'tick' }
  /** Shutdown: answer every parked reply now, and park none from here on. */
  | { type: 'wake' }
  /** The node was deleted. */
  | { type: 'stop' };

/** What `get_result` answers: the finished result, or where the exec stands. */
export type ResultReply = { finished: true; result: ExecResultView } | { finished: false; pending: ExecPendingView };

/** The reply value of each message, for {@link askExec}. */
export interface ExecReplies {
  submit: { id: string };
  poll: ExecDelivery | null;
  result: { ok: true };
  /** null: a wait (`waitMs`) ran out before the exec finished; ask again without one. */
  get_result: ResultReply | null;
  list: ExecQueueView;
  cancel: ExecCancelReply;
  clear: { cancelled: number; delivered: number };
  /** null: the wait ran out (204). */
  watch_cancel: CancelWatchReply | null;
  /** null: a wait ran out before the exec settled; ask again. */
  get_exec: ExecView | null;
  tick: null;
  wake: null;
  stop: null;
}

/** What a queue needs from the server, injected by {@link ExecQueues}. */
export interface ExecQueueDeps {
  clock: Clock;
  observer: CellObserver;
  /** The settings now (a reload replaces the value whole). */
  settings(): Readonly<ExecSettings>;
  /** Finished output kept by all queues together (bounded). */
  budget: ResultBudget;
  /** True once the server is stopping: replies are answered at once, never parked. */
  closing(): boolean;
  /** The exec-id index (docs/api.md#exec): an exec joined this queue (`nodeId`) or left it for good (null). */
  indexed?(execId: string, nodeId: string | null): void;
  /** Notification port: an exec reached a final state (`view()` builds its result, call it at once). */
  finished?(nodeId: string, execId: string, view: () => ExecResultView): void;
  /** Told when this queue becomes stalled or stops being so (docs/api.md#accountability). */
  onStalled?(nodeId: string, stalled: boolean): void;
  /** Metrics: an exec reached a final state, with its time from queued to finished. */
  onMeasured?(status: string, roundTripMs: number): void;
}

/** docs/api.md#accountability: the least time an exec must wait unfetched before its node counts as stalled. */
export const MIN_STALLED_AFTER_S = 60;

/**
 * Entry point of the exec family (the design card's file): one exec-queue actor per node on the
 * kernel (./kernel), each exec a statechart (./exec/machine.ts) kept in an ExecBook; ExecQueues
 * creates them on first use.
 */
export { askExec, ExecQueueActor, MIN_STALLED_AFTER_S, type ExecMsg, type ExecQueueDeps, type ExecReplies, type ResultReply } from './exec/queue-actor.js';
export { ExecQueues, type ExecCounts } from './exec/queues.js';
export { ExecBook, ResultBudget, RESULT_GRACE_S, MAX_FINISHED_PER_QUEUE, MAX_FINISHED_OUTPUT_BYTES, MAX_FLEET_RESULT_BYTES, type AgentResult, type ExecSettings } from './exec/book.js';
export * from './exec/machine.js';
export * from './exec/view.js';

/**
 * The head statechart (docs/api.md#heads-and-eligibility), run by the kernel's `step()` like every other machine:
 *
 *   idle ◀──report──▶ streaming ◀──report──▶ error      (the status the head's agent reports)
 *
 * Beside the status, the head's side: diagnostics and the body it streams from (telemetry, kept in
 * memory), and the admin's assignment and experience allow-list (durable: `persist(true)`; the head
 * actor's persist port is the node actor of the same node, which owns the nodes.yaml line). The rule "only a body
 * can be assigned" is a guard here: the event carries what the fleet knows of the body id.
 */
import { assign, setup } from 'xstate';
import { kernelActions, persist, reject } from '../kernel/machine.js';
import type { HeadStatus } from '../../wire/heads.js';

export interface HeadAssignment {
  body_id: string;
  app_id: string | null;
}

export interface HeadContext {
  diagnostics: Record<string, unknown>;
  /** The body the head said it streams from (PUT `streaming_body_id`), if any. */
  streamingBodyId: string | null;
  assignment: HeadAssignment | null;
  /** []: no filter. */
  allowed: readonly string[];
}

/** What the fleet knows of a body id given to an assignment. */
export type BodyKindSeen = 'body' | 'head' | 'unknown';

/** The head actor's messages, which are its machine's events (one vocabulary). */
export type HeadEvent =
  /** The head's report (PUT /heads/{id}): its status and telemetry. */
  | { type: 'report'; status?: HeadStatus; diagnostics?: Record<string, unknown>; streamingBodyId?: string | null }
  | { type: 'assign'; bodyId: string | null; bodyKind: BodyKindSeen; appId: string | null }
  | { type: 'allow'; experiences: string[] };

const reportsStatus = (status: HeadStatus) => ({ event }: { event: HeadEvent }) => event.type === 'report' && event.status === status;

const report = [
  { guard: 'reportsIdle', target: '.idle', actions: 'report' },
  { guard: 'reportsStreaming', target: '.streaming', actions: 'report' },
  { guard: 'reportsError', target: '.error', actions: 'report' },
  { actions: 'report' },
] as const;

export const headMachine = setup({
  types: { context: {} as HeadContext, events: {} as HeadEvent },
  guards: {
    reportsIdle: reportsStatus('idle'),
    reportsStreaming: reportsStatus('streaming'),
    reportsError: reportsStatus('error'),
    clears: ({ event }) => event.type === 'assign' && event.bodyId === null,
    bodyIsBody: ({ event }) => event.type === 'assign' && event.bodyKind === 'body',
    bodyIsHead: ({ event }) => event.type === 'assign' && event.bodyKind === 'head',
  },
  actions: {
    ...kernelActions,
    report: assign(({ context, event }) => {
      if (event.type !== 'report') return {};
      return {
        diagnostics: event.diagnostics ?? context.diagnostics,
        streamingBodyId: event.streamingBodyId === undefined ? context.streamingBodyId : event.streamingBodyId,
      };
    }),
    assignBody: assign({
      assignment: ({ event }) =>
        event.type === 'assign' && event.bodyId !== null ? { body_id: event.bodyId, app_id: event.appId } : null,
    }),
    allow: assign({ allowed: ({ context, event }) => (event.type === 'allow' ? [...new Set(event.experiences)] : context.allowed) }),
  },
}).createMachine({
  id: 'head',
  context: ({ input }) => input as HeadContext,
  initial: 'idle',
  on: {
    report: [...report],
    assign: [
      { guard: 'clears', actions: ['assignBody', persist(true)] },
      { guard: 'bodyIsBody', actions: ['assignBody', persist(true)] },
      { guard: 'bodyIsHead', actions: reject('wrong_kind', 'the body_id names a head; a head streams from a body') },
      { actions: reject('not_found', 'the body_id names no node') },
    ],
    allow: { actions: ['allow', persist(true)] },
  },
  states: { idle: {}, streaming: {}, error: {} },
});

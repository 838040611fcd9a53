/**
 * The server's own endpoints on the wire (docs/api.md "Health and debugging"): health, the debug
 * views of actors and requests in flight, and the plain acknowledgement of an agent's result.
 */
import { z } from 'zod';
import { NODE_STATES } from './constants.js';

/** `GET /health`: 200 `ok`, or 503 `degraded` with the actors that have had a message waiting over 5 s. */
export const healthReply = z.object({
  status: z.enum(['ok', 'degraded']),
  version: z.string(),
  uptime_s: z.number().int().min(0),
  nodes: z.object({ total: z.number().int(), ...Object.fromEntries(NODE_STATES.map((s) => [s, z.number().int()])) } as Record<'total' | (typeof NODE_STATES)[number], z.ZodNumber>),
  /** Online nodes whose oldest queued exec has waited unfetched past the threshold. */
  exec_stalled: z.array(z.string()),
  stuck: z.array(z.string()).optional(),
});
export type HealthReply = z.output<typeof healthReply>;

/** One actor in `GET /debug/actors` (busiest first). */
export const actorSummary = z.object({
  id: z.string(),
  kind: z.string(),
  state: z.string(),
  mailbox: z.number().int(),
  oldest_message_age_ms: z.number().nullable(),
  last_event: z.string().nullable(),
  last_event_at: z.string().nullable(),
  /** Actors that serve one node (shell sessions). */
  node_id: z.string().optional(),
});

/** `GET /debug/actors/{id}`: the summary, the context without secrets, the messages waiting. */
export const actorDetail = actorSummary.extend({
  context: z.record(z.string(), z.unknown()),
  pending: z.array(z.object({ type: z.string(), age_ms: z.number(), in_progress: z.boolean() })),
});

/** One request in flight in `GET /debug/requests` (oldest first) and the actor it waits on. */
export const inflightRequest = z.object({
  id: z.string(),
  method: z.string(),
  path: z.string(),
  age_ms: z.number(),
  waiting_on: z.string().nullable(),
});

/** `POST /body/exec/result` 200. */
export const okReply = z.object({ ok: z.literal(true) });

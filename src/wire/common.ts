/**
 * Shared pieces of the wire contract (SPEC §2): the error body, flag names, node kinds and states,
 * and bounded string helpers. Every shape that crosses the network is declared once under
 * src/wire and imported by the server (to validate requests and type its replies), the agent and
 * the CLI (to read replies). Request schemas are strict about bounds; reply schemas are lenient
 * (unknown fields ignored) so a newer server does not break an older client.
 */
import { z } from 'zod';

/** Every error reply: `{"error": "<code>", "message": "<sentence>"}`. */
export const errorBody = z.object({ error: z.string(), message: z.string() });
export type ErrorBody = z.output<typeof errorBody>;

export { AGENT_UPDATE_STATES, FLAG_NAMES, HEAD_KINDS, INTERPRETERS, isHeadKind, NODE_KINDS, NODE_STATES } from './constants.js';
export type { AgentUpdateState, FlagName, Flags, Interpreter, NodeKind, NodeState } from './constants.js';

/** A string of at most `max` characters, with a message that says so. */
export const text = (max: number) => z.string().max(max, `must be at most ${max} characters`);
/** A display name: trimmed, 1–128 characters. */
export const name = z.string().trim().min(1, 'must not be empty').max(128, 'must be at most 128 characters');

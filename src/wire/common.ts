/**
 * Shared pieces of the wire contract (docs/api.md#conventions): the error body, flag names, node kinds and states,
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
/**
 * What displayable text may not hold: C0 controls, DEL, C1 controls, the line and paragraph
 * separators and the bidirectional marks, embeddings, overrides and isolates (U+061C, U+200E/F,
 * U+202A–E, U+2066–9). They move a terminal's cursor or reorder what it shows, so a name holding
 * them could fake or hide a row of `hydracluster nodes list`.
 */
const REFUSED_CLASS = '\\u0000-\\u001f\\u007f-\\u009f\\u061c\\u200e\\u200f\\u2028-\\u202e\\u2066-\\u2069';
export const UNDISPLAYABLE = new RegExp(`[${REFUSED_CLASS}]`);
/** The same rule as a whole-string pattern: it reaches the OpenAPI document as `pattern`. */
const DISPLAYABLE = new RegExp(`^[^${REFUSED_CLASS}]*$`);

/** The refused character, as `U+001B at character 8`, for the 400's message. */
function firstUndisplayable(v: unknown): string {
  const m = typeof v === 'string' ? UNDISPLAYABLE.exec(v) : null;
  return m ? ` (U+${m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} at character ${m.index + 1})` : '';
}

/**
 * Displayable text (issue 18): what a client sets and an operator's terminal later shows (names,
 * owner, district, venue) holds no UNDISPLAYABLE character. Not for what agents report: a
 * heartbeat is never refused for its hostname.
 */
export const displayable = <S extends z.ZodString>(s: S): S =>
  s.regex(DISPLAYABLE, { error: (iss) => `must not contain control or bidirectional-format characters${firstUndisplayable(iss.input)}` });

/** displayable(text(max)). */
export const displayText = (max: number) => displayable(text(max));
/** A display name: trimmed, 1–128 characters, displayable. */
export const name = displayable(z.string().trim().min(1, 'must not be empty').max(128, 'must be at most 128 characters'));

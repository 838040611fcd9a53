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

export const NODE_KINDS = ['body', 'flatscreen', 'windows', 'ipad'] as const;
export const HEAD_KINDS = ['flatscreen', 'windows', 'ipad'] as const;
export const NODE_STATES = ['enrolling', 'provisioning', 'online', 'offline', 'expired'] as const;
/** The flags an admin sets and the agent acknowledges (SPEC §5). */
export const FLAG_NAMES = ['update_node', 'update_services', 'reprovision'] as const;
export const INTERPRETERS = ['powershell', 'bash'] as const;

export type NodeKind = (typeof NODE_KINDS)[number];
export type NodeState = (typeof NODE_STATES)[number];
export type FlagName = (typeof FLAG_NAMES)[number];
export type Flags = Record<FlagName, boolean>;
export type Interpreter = (typeof INTERPRETERS)[number];

export const isHeadKind = (k: string): boolean => (HEAD_KINDS as readonly string[]).includes(k);

/** A string of at most `max` characters, with a message that says so. */
export const text = (max: number) => z.string().max(max, `must be at most ${max} characters`);
/** A display name: trimmed, 1–128 characters. */
export const name = z.string().trim().min(1, 'must not be empty').max(128, 'must be at most 128 characters');

/**
 * The shell's wire contract (docs/api.md#shell-sessions): the admin's open query, the agent's check long-poll and
 * its reply, and the JSON control frames both sockets carry (binary frames are PTY bytes).
 * Request shapes are strict; control frames are read leniently by the side that receives them: a
 * frame that does not parse is ignored, never a crash.
 */
import { z } from 'zod';
import { text } from './common.js';

/** Terminal sizes accepted for a PTY. */
export const MAX_TERM_COLS = 1000;
export const MAX_TERM_ROWS = 1000;
export const MAX_SHELL_COMMAND_CHARS = 16_384;
export const MAX_SHELL_WAIT_S = 30;
export const DEFAULT_COLS = 80;
export const DEFAULT_ROWS = 24;

/** WebSocket close codes of a shell session's sockets, at every end (server, agent, CLI; RFC 6455 §7.4.1). */
export const CLOSE_NORMAL = 1000;
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_POLICY = 1008;
export const CLOSE_TOO_BIG = 1009;
export const CLOSE_INTERNAL_ERROR = 1011;
export const CLOSE_TRY_AGAIN = 1013;

/**
 * Backpressure on a shell socket, at the server's bridge and the agent's PTY alike: past the high
 * mark of unsent bytes the side feeding it is paused, and resumed below the low mark.
 */
export const SHELL_HIGH_WATER_BYTES = 1024 * 1024;
export const SHELL_LOW_WATER_BYTES = 256 * 1024;

const size = (max: number, fallback: number) =>
  z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(max, `must be at most ${max}`).default(fallback);

/** `GET /nodes/{id}/shell?cols=&rows=&command=` (WebSocket upgrade). */
export const shellOpenQuery = z.object({
  cols: size(MAX_TERM_COLS, DEFAULT_COLS),
  rows: size(MAX_TERM_ROWS, DEFAULT_ROWS),
  command: text(MAX_SHELL_COMMAND_CHARS).optional(),
});
export type ShellOpenQuery = z.output<typeof shellOpenQuery>;

/** `GET /body/shell/check?wait=N` (0–30 s long-poll). */
export const shellCheckQuery = z.object({
  wait: z.coerce.number().int('must be a whole number').min(0, 'must be at least 0').max(MAX_SHELL_WAIT_S, `must be at most ${MAX_SHELL_WAIT_S}`).default(0),
});

/** One session waiting for the node's agent; `command` null: a login shell. */
export const shellSession = z.object({
  id: z.string().min(1),
  cols: z.number().int().min(1).max(MAX_TERM_COLS),
  rows: z.number().int().min(1).max(MAX_TERM_ROWS),
  command: z.string().nullable(),
});
export type ShellSession = z.output<typeof shellSession>;

export const shellCheckReply = z.object({ sessions: z.array(shellSession) });
export type ShellCheckReply = z.output<typeof shellCheckReply>;

/** Why a session ended without an exit code (the `error` of an error frame). */
export const SHELL_ERRORS = ['agent_unavailable', 'agent_closed', 'idle_timeout', 'shutting_down', 'too_many_sessions', 'spawn_failed'] as const;
export type ShellError = (typeof SHELL_ERRORS)[number];

/** Text frames: JSON control messages. */
export const resizeFrame = z.object({ type: z.literal('resize'), cols: z.number().int().min(1).max(MAX_TERM_COLS), rows: z.number().int().min(1).max(MAX_TERM_ROWS) });
export const exitFrame = z.object({ type: z.literal('exit'), code: z.number().int() });
export const errorFrame = z.object({ type: z.literal('error'), error: z.string().max(64), message: z.string().max(1024).optional() });
export const controlFrame = z.discriminatedUnion('type', [resizeFrame, exitFrame, errorFrame]);
export type ControlFrame = z.output<typeof controlFrame>;

/** Parses a text frame; null when it is not a valid control message. */
export function parseControl(data: string): ControlFrame | null {
  let raw: unknown;
  try {
    raw = JSON.parse(data);
  } catch {
    return null;
  }
  const r = controlFrame.safeParse(raw);
  return r.success ? r.data : null;
}

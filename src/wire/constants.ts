/**
 * The wire contract's plain values (docs/api.md#conventions, docs/api.md#agents-heartbeat-flags-and-the-provision-poll, docs/api.md#exec, docs/api.md#accountability): names, enumerations and limits, without
 * zod, so that a command-line client can use them without loading a schema library (~70 ms of
 * start-up). The schemas in the other src/wire files are built from these; nothing is listed twice.
 */
export const NODE_KINDS = ['body', 'flatscreen', 'windows', 'ipad'] as const;
export const HEAD_KINDS = ['flatscreen', 'windows', 'ipad'] as const;
/** What a `kind` filter accepts (`GET /nodes?kind=`, a fleet exec's target): a kind, or `head` for every head kind. */
export const KIND_FILTERS = [...NODE_KINDS, 'head'] as const;
export const NODE_STATES = ['enrolling', 'provisioning', 'online', 'offline', 'expired'] as const;
/** The flags an admin sets and the agent acknowledges (docs/api.md#agents-heartbeat-flags-and-the-provision-poll). */
export const FLAG_NAMES = ['update_node', 'update_services', 'reprovision'] as const;
/** `cmd` (cmd.exe /d /s /c) runs on Windows nodes only; elsewhere the agent reports it unavailable. */
export const INTERPRETERS = ['powershell', 'bash', 'cmd'] as const;
/** Where the agent's self-update stands (docs/api.md#agent-self-update `agent_update.state`). */
export const AGENT_UPDATE_STATES = ['downloading', 'probing', 'swapped', 'failed'] as const;
/** Longest `agent_update.message` (the agent cuts its own messages there). */
export const AGENT_UPDATE_MESSAGE_MAX = 1024;
export const FINAL_STATUSES = ['done', 'timed_out', 'cancelled', 'expired'] as const;

export type NodeKind = (typeof NODE_KINDS)[number];
export type NodeState = (typeof NODE_STATES)[number];
export type FlagName = (typeof FLAG_NAMES)[number];
export type Flags = Record<FlagName, boolean>;
export type Interpreter = (typeof INTERPRETERS)[number];
export type AgentUpdateState = (typeof AGENT_UPDATE_STATES)[number];
export type FinalStatus = (typeof FINAL_STATUSES)[number];

export const isHeadKind = (k: string): boolean => (HEAD_KINDS as readonly string[]).includes(k);
/**
 * docs/api.md#exec: whether a node of this kind runs commands (exec, screenshot, logs). The iPad app
 * heartbeats and reports its status; it fetches no exec.
 */
export const hasExecChannel = (k: string): boolean => k !== 'ipad';
/** A node id (`node-<ULID>`); anything else a CLI is given for a node is a name. */
export const NODE_ID_PATTERN = /^node-[0-9A-Z]{26}$/;

/** True when `url`'s host is a loopback address or name: what a QR or install command must not carry to other machines. */
export function isLoopbackUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  } catch {
    return false;
  }
  return host === 'localhost' || host.endsWith('.localhost') || /^127\./.test(host) || host === '::1' || host === '0:0:0:0:0:0:0:1' || host === '::ffff:127.0.0.1';
}

// Longer commands belong in a script on the node (runbook: named commands).
export const MAX_COMMAND_CHARS = 256 * 1024;
export const MAX_EXEC_TIMEOUT_S = 86_400;
/** `GET /body/exec?wait=` (agent long-poll). */
export const MAX_POLL_WAIT_S = 30;
/** `GET /nodes/{id}/exec/{execId}/result?wait=` (admin result long-poll). */
export const MAX_RESULT_WAIT_S = 60;

/** `GET /audit?limit=` at most. */
export const AUDIT_MAX_LIMIT = 1000;
/** `30s`, `15m`, `2h`, `7d`: seconds. */
const DURATION = /^(\d{1,9})([smhd])$/;
const UNIT_S: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** A `since` given as an RFC 3339 time or a duration back from now (`1h`); null if neither. */
export function parseSince(text: string, nowMs: number): number | null {
  const m = DURATION.exec(text);
  if (m) return nowMs - Number(m[1]) * UNIT_S[m[2]!]! * 1000;
  const t = Date.parse(text);
  return /^\d{4}-\d\d-\d\dT/.test(text) && Number.isFinite(t) ? t : null;
}

/**
 * The agent's readers of the replies it gets on every tick (heartbeat, provision poll, exec and
 * shell long-polls), without zod: loading zod costs an idle agent ~10 MiB of its ~50 (bench
 * agent-rss). Each reader answers only where the outcome is certain — exactly what the zod reply
 * schema gives (unknown keys dropped, defaults filled) — and null for anything else; the agent then
 * loads the schema, which decides and words the error. A test holds each equal to its schema.
 * Imports nothing that imports zod (types only).
 */
import type { HeartbeatReply, ProvisionReply } from './agent.js';
import { FLAG_NAMES } from './constants.js';
import type { ExecDelivery } from './exec.js';
import type { ShellSession } from './shell.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isPositive = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;
const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');
/** An optional string field: absent, or a string. */
const optString = (v: unknown): boolean => v === undefined || typeof v === 'string';

/** `limits` when certain (`{max_output_bytes}` a positive integer); `false` when in doubt. */
function limits(v: unknown): { max_output_bytes: number } | undefined | false {
  if (v === undefined) return undefined;
  if (!isObj(v) || !Number.isSafeInteger(v.max_output_bytes) || (v.max_output_bytes as number) <= 0) return false;
  return { max_output_bytes: v.max_output_bytes as number };
}

/** `POST /body/heartbeat`'s reply, as `heartbeatReply` parses it; null when unsure. */
export function readHeartbeatReply(d: unknown): HeartbeatReply | null {
  if (!isObj(d) || typeof d.node_id !== 'string' || typeof d.state !== 'string') return null;
  if (d.roles !== undefined && !strings(d.roles)) return null;
  if (!optString(d.district) || !optString(d.venue) || !optString(d.owner) || !optString(d.server_time)) return null;
  if ((d.exec_pending !== undefined && !isCount(d.exec_pending)) || (d.shell_pending !== undefined && !isCount(d.shell_pending))) return null;
  if (d.heartbeat_interval_s !== undefined && !isPositive(d.heartbeat_interval_s)) return null;
  const flags = { update_node: false, update_services: false, reprovision: false };
  if (d.flags !== undefined) {
    if (!isObj(d.flags)) return null;
    for (const f of FLAG_NAMES) {
      const v = d.flags[f];
      if (v === undefined) continue;
      if (typeof v !== 'boolean') return null;
      flags[f] = v;
    }
  }
  const lim = limits(d.limits);
  if (lim === false) return null;
  return {
    node_id: d.node_id,
    state: d.state,
    roles: d.roles ? [...(d.roles as string[])] : [],
    district: (d.district as string | undefined) ?? '',
    venue: (d.venue as string | undefined) ?? '',
    owner: (d.owner as string | undefined) ?? '',
    flags,
    exec_pending: (d.exec_pending as number | undefined) ?? 0,
    shell_pending: (d.shell_pending as number | undefined) ?? 0,
    ...(d.heartbeat_interval_s !== undefined ? { heartbeat_interval_s: d.heartbeat_interval_s as number } : {}),
    ...(d.server_time !== undefined ? { server_time: d.server_time as string } : {}),
    ...(lim ? { limits: lim } : {}),
  };
}

const RECIPE_KEYS = ['powershell', 'bash', 'check_powershell', 'check_bash'] as const;

/** `GET /body/provision`'s reply, as `provisionReply` parses it; null when unsure. */
export function readProvisionReply(d: unknown): ProvisionReply | null {
  if (!isObj(d) || !strings(d.roles)) return null;
  if (d.reprovision !== undefined && typeof d.reprovision !== 'boolean') return null;
  // Provider packages (docs/api.md#providers) are read by the schema: a node with a provider loads zod.
  if (d.packages !== undefined && !(isObj(d.packages) && Object.keys(d.packages).length === 0)) return null;
  const recipes: ProvisionReply['recipes'] = {};
  if (d.recipes !== undefined) {
    if (!isObj(d.recipes)) return null;
    for (const [role, r] of Object.entries(d.recipes)) {
      if (!isObj(r) || role === '__proto__') return null;
      const recipe: Record<string, string> = {};
      for (const k of RECIPE_KEYS) {
        if (!optString(r[k])) return null;
        if (r[k] !== undefined) recipe[k] = r[k] as string;
      }
      recipes[role] = recipe;
    }
  }
  let providers: Record<string, string> | undefined;
  if (d.providers !== undefined) {
    if (!isObj(d.providers) || !Object.values(d.providers).every((p) => typeof p === 'string')) return null;
    providers = { ...(d.providers as Record<string, string>) };
  }
  const lim = limits(d.limits);
  if (lim === false) return null;
  return { roles: [...d.roles], recipes, ...(providers ? { providers } : {}), reprovision: (d.reprovision as boolean | undefined) ?? false, ...(lim ? { limits: lim } : {}) };
}

/** `GET /body/exec`'s 200 reply, as `execDelivery` parses it; null when unsure. */
export function readExecDelivery(d: unknown): ExecDelivery | null {
  if (!isObj(d) || typeof d.id !== 'string' || d.id === '' || typeof d.command !== 'string' || !isPositive(d.timeout_s)) return null;
  if (!optString(d.interpreter) || !optString(d.queued_at)) return null;
  return { id: d.id, command: d.command, interpreter: (d.interpreter as string | undefined) ?? 'bash', timeout_s: d.timeout_s, ...(d.queued_at !== undefined ? { queued_at: d.queued_at as string } : {}) };
}

/** `GET /body/shell/check`'s reply when no session waits (the idle case); null otherwise. */
export function readNoShellSessions(d: unknown): ShellSession[] | null {
  return isObj(d) && Array.isArray(d.sessions) && d.sessions.length === 0 ? [] : null;
}

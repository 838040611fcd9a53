/** The audit log's shapes (SPEC §15): one line of `<home>/audit.log`, and the query of GET /audit. */
import { z } from 'zod';

export const auditEntry = z.object({
  /** RFC 3339, server wall time. */
  time: z.string(),
  /** The operator's name (`admin` for server.admin_token); null when no admin token was shown. */
  operator: z.string().nullable(),
  /** The client's address. */
  address: z.string(),
  /** e.g. `exec.submit`, `node.drain`; a route without a name: `<METHOD> <route template>`. */
  action: z.string(),
  /** The node concerned, when there is one. */
  target: z.string().nullable(),
  /** The validated request body (secrets left out) and what the handler added, e.g. an exec id. */
  detail: z.record(z.string(), z.unknown()),
  /** The HTTP status answered: a refused change (4xx) is recorded too. */
  status: z.number().int(),
});
export type AuditEntry = z.output<typeof auditEntry>;

/** `30s`, `15m`, `2h`, `7d`: seconds. */
const DURATION = /^(\d{1,9})([smhd])$/;
const UNIT_S: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };
export const AUDIT_MAX_LIMIT = 1000;

/** A `since` given as an RFC 3339 time or a duration back from now (`1h`); null if neither. */
export function parseSince(text: string, nowMs: number): number | null {
  const m = DURATION.exec(text);
  if (m) return nowMs - Number(m[1]) * UNIT_S[m[2]!]! * 1000;
  const t = Date.parse(text);
  return /^\d{4}-\d\d-\d\dT/.test(text) && Number.isFinite(t) ? t : null;
}

export const auditQuery = z
  .object({
    node: z.string().min(1).max(128).optional(),
    operator: z.string().min(1).max(64).optional(),
    since: z
      .string()
      .refine((s) => parseSince(s, 0) !== null, 'must be an RFC 3339 time or a duration such as 30m, 2h, 7d')
      .optional(),
    limit: z.coerce.number().int().min(1).max(AUDIT_MAX_LIMIT).default(100),
  })
  .strict();
export type AuditQuery = z.output<typeof auditQuery>;

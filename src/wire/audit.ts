/** The audit log's shapes (docs/api.md#accountability): one line of `<home>/audit.log`, and the query of GET /audit. */
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

import { AUDIT_MAX_LIMIT, parseSince } from './constants.js';

export { AUDIT_MAX_LIMIT, parseSince } from './constants.js';

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

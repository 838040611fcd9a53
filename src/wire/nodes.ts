/**
 * Admin node endpoints on the wire (docs/api.md#nodes, docs/api.md#health-and-debugging): the node object, its changes and the queries.
 */
import { z } from 'zod';
import { FLAG_NAMES, NODE_KINDS, NODE_STATES, displayText, name, text } from './common.js';
import { agentUpdate, MAX_ROLES } from './agent.js';
import { provisionError } from './provider.js';

const roleList = z.array(text(64)).max(MAX_ROLES, `must list at most ${MAX_ROLES} roles`);

export const rolesBody = z.object({ roles: roleList });

export const patchBody = z
  .object({
    name: name.optional(),
    owner: displayText(128).optional(),
    district: displayText(64).optional(),
    venue: displayText(64).optional(),
    kind: z.enum(NODE_KINDS).optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'must change at least one of name, owner, district, venue, kind');
export type PatchBody = z.output<typeof patchBody>;

export const drainBody = z.object({ drain: z.boolean(), reason: text(256).optional() });

/**
 * `GET /nodes` filters (docs/api.md#nodes, docs/api.md#exec), every given one must match; `name` is the exact name (how
 * the CLI turns a name into an id). Strict: a misspelt parameter is a 400 naming it, never the
 * whole fleet.
 */
export const nodesQuery = z
  .object({
    name: text(128).optional(),
    kind: z.enum([...NODE_KINDS, 'head']).optional(),
    state: z.enum(NODE_STATES).optional(),
    role: text(64).optional(),
    district: text(64).optional(),
    venue: text(64).optional(),
  })
  .strict();
export type NodesQuery = z.output<typeof nodesQuery>;

export const actorsQuery = z.object({
  kind: text(32).optional(),
  limit: z.coerce.number().int().min(1).max(100_000).default(1000),
});

const nullableString = z.string().nullable();

/** The node object (docs/api.md#nodes): never a token or a hash. */
export const nodeView = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(NODE_KINDS),
  state: z.enum(NODE_STATES),
  owner: z.string(),
  district: z.string(),
  venue: z.string(),
  roles: z.array(z.string()),
  roles_applied: z.array(z.string()),
  drain: z.boolean(),
  drain_reason: nullableString,
  provider_status: nullableString,
  provider_version: nullableString,
  /** docs/api.md#providers: role → its last provisioning failure; {} when none (absent from older servers). */
  provision_errors: z.record(z.string(), provisionError).default({}),
  agent_version: nullableString,
  /** docs/api.md#agent-self-update: the agent's last self-update report; absent from older servers: null. */
  agent_update: agentUpdate.nullable().default(null),
  hostname: nullableString,
  os: nullableString,
  arch: nullableString,
  lan_ip: nullableString,
  wg_ip: nullableString,
  last_seen: nullableString,
  created_at: z.string(),
  flags: z.object(Object.fromEntries(FLAG_NAMES.map((f) => [f, z.boolean()])) as Record<(typeof FLAG_NAMES)[number], z.ZodBoolean>),
  exec_depth: z.number(),
  /** docs/api.md#accountability: online, but its oldest queued exec waits unfetched past the threshold. */
  exec_stalled: z.boolean().default(false), // absent from older servers: read as not stalled
  /** docs/api.md#exec: restored from nodes.yaml at the server's start and not heard from since (state as it was). */
  carried_over: z.boolean().default(false),
  diagnostics: z.record(z.string(), z.unknown()),
  enrollment_id: nullableString,
  enrollment_expires_at: nullableString,
});
export type NodeView = z.output<typeof nodeView>;

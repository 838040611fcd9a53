/**
 * The agent endpoints' bodies (docs/api.md#agents-heartbeat-flags-and-the-provision-poll): enrollment, registration, heartbeat and provision poll.
 * The server validates the requests with these schemas and types its replies with them; the agent
 * builds its requests from the input types and reads the replies through the reply schemas.
 */
import { z } from 'zod';
import { AGENT_UPDATE_STATES, FLAG_NAMES, displayText, text, name } from './common.js';
import { AGENT_UPDATE_MESSAGE_MAX } from './constants.js';
import { providerPlan, provisionErrors } from './provider.js';

export const MAX_ROLES = 64;
export const MAX_DIAGNOSTICS = 64;
const ROLE_MAX = 64;
const roleList = z.array(text(ROLE_MAX)).max(MAX_ROLES, `must list at most ${MAX_ROLES} roles`);

/** `POST /enrollments`. `ttl_s` is checked against `enrollment_ttl_s` by the server. */
export const enrollmentBody = z.object({
  name,
  owner: displayText(128).default(''),
  os: z.enum(['windows', 'linux', 'macos']).optional(),
  kind: z.enum(['body', 'flatscreen', 'windows']).default('body'),
  ttl_s: z.number().int().min(1, 'must be at least 1').optional(),
});
export type EnrollmentBody = z.output<typeof enrollmentBody>;

export const enrollmentReply = z.object({
  enrollment_id: z.string(),
  node_id: z.string(),
  enrollment_token: z.string().min(1),
  expires_at: z.string(),
  install: z.object({ powershell: z.string(), bash: z.string() }),
  /** An addition: the `public_url` the install commands carry (a client warns when it is loopback). */
  server_url: z.string().optional(),
});
export type EnrollmentReply = z.output<typeof enrollmentReply>;

/** `POST /nodes/{id}/enrollment` (admin, docs/api.md#re-enrollment): re-enroll onto the same node; the body may be empty. */
export const reenrollBody = z.object({ ttl_s: z.number().int().min(1, 'must be at least 1').optional() });

export const reenrollReply = z.object({
  node_id: z.string(),
  enrollment_id: z.string(),
  enrollment_token: z.string().min(1),
  expires_at: z.string(),
  install: z.object({ powershell: z.string(), bash: z.string() }),
});
export type ReenrollReply = z.output<typeof reenrollReply>;

/** `POST /register` (auth: the enrollment token). */
export const registerBody = z.object({
  hostname: text(255).optional(),
  os: text(32).optional(),
  arch: text(32).optional(),
  agent_version: text(64).optional(),
});
export type RegisterBody = z.input<typeof registerBody>;

export const registerReply = z.object({
  node_id: z.string().min(1),
  token: z.string().min(1),
  server_url: z.string().optional(),
  heartbeat_interval_s: z.number().positive().optional(),
});
export type RegisterReply = z.output<typeof registerReply>;

/** What a diagnostics entry may hold. */
export const diagnosticValue = z.union([text(1024), z.number(), z.boolean(), z.null()]);
export type DiagnosticValue = z.output<typeof diagnosticValue>;

export { AGENT_UPDATE_MESSAGE_MAX };

/**
 * docs/api.md#agent-self-update: where the agent's self-update (the `update_node` flag) stands, sent in the heartbeat
 * and kept on the node object. `target_version`: the release's version, null when not known yet.
 */
export const agentUpdate = z.object({
  state: z.enum(AGENT_UPDATE_STATES),
  target_version: text(64).nullable(),
  message: text(AGENT_UPDATE_MESSAGE_MAX),
  at: text(64),
});
export type AgentUpdate = z.output<typeof agentUpdate>;

/** The heartbeat's plain text fields and their limits (characters), in the schema's order. */
const HEARTBEAT_TEXT = { agent_version: 64, hostname: 255, os: 32, arch: 32, lan_ip: 64, wg_ip: 64, provider_status: 32, provider_version: 64 } as const;
type HeartbeatText = { [K in keyof typeof HEARTBEAT_TEXT]: z.ZodOptional<z.ZodString> };
const heartbeatText = Object.fromEntries(Object.entries(HEARTBEAT_TEXT).map(([k, max]) => [k, text(max).optional()])) as HeartbeatText;
const MAX_ACKS = FLAG_NAMES.length * 4;

/** `POST /body/heartbeat`; every field optional (absent: unchanged on the server). */
export const heartbeatBody = z.object({
  ...heartbeatText,
  roles_applied: roleList.optional(),
  agent_update: agentUpdate.optional(),
  diagnostics: z
    .record(text(64), diagnosticValue)
    .refine((d) => Object.keys(d).length <= MAX_DIAGNOSTICS, `must have at most ${MAX_DIAGNOSTICS} keys`)
    .optional(),
  ack_flags: z.array(z.enum(FLAG_NAMES)).max(MAX_ACKS).optional(),
  /** docs/api.md#providers: each role's last provisioning failure; `{}` when none. */
  provision_errors: provisionErrors.optional(),
});

/**
 * The common heartbeat (text fields, roles, acks) checked without zod's generic machinery, which
 * costs a heartbeat ~2–3 µs in the server (its call sites are shared by every schema there). It
 * answers only where the outcome is certain — the same output {@link heartbeatBody} gives — and
 * null for anything else (diagnostics, agent_update, an unknown key, any doubt): zod then decides and words the
 * error. A test holds the two equal over generated bodies.
 */
export function parseHeartbeatFast(data: unknown): HeartbeatBody | null {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return null;
  const d = data as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  let present = 0;
  for (const k in HEARTBEAT_TEXT) {
    const v = d[k];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v.length > HEARTBEAT_TEXT[k as keyof typeof HEARTBEAT_TEXT]) return null;
    out[k] = v;
    present++;
  }
  const roles = d.roles_applied;
  if (roles !== undefined) {
    if (!Array.isArray(roles) || roles.length > MAX_ROLES) return null;
    for (const r of roles) if (typeof r !== 'string' || r.length > ROLE_MAX) return null;
    out.roles_applied = roles.slice();
    present++;
  }
  if (d.diagnostics !== undefined || d.agent_update !== undefined || d.provision_errors !== undefined) return null;
  const acks = d.ack_flags;
  if (acks !== undefined) {
    if (!Array.isArray(acks) || acks.length > MAX_ACKS) return null;
    for (const a of acks) if (!(FLAG_NAMES as readonly unknown[]).includes(a)) return null;
    out.ack_flags = acks.slice();
    present++;
  }
  let own = 0;
  for (const k in d) if (Object.hasOwn(d, k)) own++;
  return own === present && Object.getPrototypeOf(d) === Object.prototype ? (out as HeartbeatBody) : null;
}
/** What the agent sends (input) and what the server reads (output) are the same here. */
export type HeartbeatBody = z.output<typeof heartbeatBody>;

const flagsReply = z
  .object({ update_node: z.boolean().default(false), update_services: z.boolean().default(false), reprovision: z.boolean().default(false) })
  .default({ update_node: false, update_services: false, reprovision: false });

/** The server's limits an agent honours (an addition to docs/api.md#agents-heartbeat-flags-and-the-provision-poll, documented in the README). */
export const agentLimits = z.object({
  /** Each exec stream is cut at this many bytes of UTF-8 and flagged `*_truncated`. */
  max_output_bytes: z.number().int().positive(),
});
export type AgentLimits = z.output<typeof agentLimits>;

export const heartbeatReply = z.object({
  node_id: z.string(),
  state: z.string(),
  roles: z.array(z.string()).default([]),
  district: z.string().default(''),
  venue: z.string().default(''),
  owner: z.string().default(''),
  flags: flagsReply,
  exec_pending: z.number().int().min(0).default(0),
  shell_pending: z.number().int().min(0).default(0),
  heartbeat_interval_s: z.number().positive().optional(),
  server_time: z.string().optional(),
  limits: agentLimits.optional(),
});
export type HeartbeatReply = z.output<typeof heartbeatReply>;
/** What the server sends: every field the contract names (the schema's input side). */
export type HeartbeatReplyOut = z.output<typeof heartbeatReply> & { server_time: string; limits: AgentLimits };

/** One role's recipe: install and check scripts per interpreter (also the config's RoleCatalog entry). */
export const recipeSchema = z
  .object({
    powershell: z.string().optional(),
    bash: z.string().optional(),
    check_powershell: z.string().optional(),
    check_bash: z.string().optional(),
  })
  .strict();
export type Recipe = z.output<typeof recipeSchema>;

/** `GET /body/provision` (runbook: the provision poll). */
export const provisionReply = z.object({
  roles: z.array(z.string()),
  recipes: z.record(z.string(), recipeSchema.strip()).default({}),
  /** role → provider name, for the roles that have one; absent from older servers. */
  providers: z.record(z.string(), z.string()).optional(),
  /** docs/api.md#providers: role → the package its provider is installed from (url absolute); absent: none. */
  packages: z.record(z.string(), providerPlan).optional(),
  reprovision: z.boolean().default(false),
  limits: agentLimits.optional(),
});
export type ProvisionReply = z.output<typeof provisionReply>;

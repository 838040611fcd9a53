/**
 * The durable shape of a node (one line of nodes.yaml) and the node object the API returns.
 * Secrets are only ever hashes here, and the node object carries none of them.
 */
import { z } from 'zod';
import { agentUpdate, FLAG_NAMES, NODE_KINDS, NODE_STATES, provisionError, type NodeView } from '../../wire/index.js';

export { FLAG_NAMES, HEAD_KINDS, NODE_KINDS, NODE_STATES, isHeadKind } from '../../wire/index.js';
export type { FlagName, Flags, NodeKind, NodeState, NodeView } from '../../wire/index.js';

const str = z.string().nullable().default(null);

export const reportedSchema = z.object({
  roles_applied: z.array(z.string()).default([]),
  provider_status: str,
  provider_version: str,
  agent_version: str,
  /** docs/api.md#agent-self-update: the agent's last self-update report. Absent: none (most nodes: no bytes in nodes.yaml). */
  agent_update: agentUpdate.optional(),
  hostname: str,
  os: str,
  arch: str,
  lan_ip: str,
  wg_ip: str,
  /** docs/api.md#providers: each role's last provisioning failure, as the agent last reported it; absent or {}: none. */
  provision_errors: z.record(z.string(), provisionError).optional(),
});
export type Reported = z.infer<typeof reportedSchema>;

export const EMPTY_REPORTED: Reported = reportedSchema.parse({});

export const nodeRecordSchema = z.object({
  id: z.string().regex(/^node-[0-9A-Z]{26}$/),
  name: z.string(),
  kind: z.enum(NODE_KINDS),
  state: z.enum(NODE_STATES),
  owner: z.string().default(''),
  district: z.string().default(''),
  venue: z.string().default(''),
  roles: z.array(z.string()).default([]),
  drain: z.boolean().default(false),
  drain_reason: str,
  flags: z
    .object({ update_node: z.boolean(), update_services: z.boolean(), reprovision: z.boolean() })
    .default({ update_node: false, update_services: false, reprovision: false }),
  /**
   * Flags a heartbeat reply has carried since they were last set (docs/api.md#agents-heartbeat-flags-and-the-provision-poll): only those can be
   * cleared by an ack, so a stale or retried ack never clears a newer request. Absent: none.
   */
  flags_sent: z.array(z.enum(FLAG_NAMES)).optional(),
  /** Set by a reprovision; cleared when the agent has acked it and reports every role applied. */
  reprovision_pending: z.boolean().default(false),
  reprovision_acked: z.boolean().default(false),
  created_at: z.string(),
  last_seen: str,
  token_hash: str,
  enrollment: z
    .object({ id: z.string(), token_hash: z.string(), expires_at: z.string(), used_at: str })
    .nullable()
    .default(null),
  /**
   * docs/api.md#re-enrollment: a re-enrollment of this registered node, open until redeemed or expired. Redeeming
   * it replaces token_hash and becomes `enrollment`; everything else stays. Absent: none.
   */
  reenrollment: z.object({ id: z.string(), token_hash: z.string(), expires_at: z.string() }).optional(),
  reported: reportedSchema.default(EMPTY_REPORTED),
  /**
   * Set on a head registered with the fleet token (POST /heads) until it first reports (its PUT
   * or a heartbeat with its own token): such heads count against `server.max_pending_heads`.
   */
  awaiting_report: z.literal(true).optional(),
  /** Heads only (docs/api.md#heads-and-eligibility): the admin's body assignment. Absent: none (bodies never carry it). */
  assignment: z.object({ body_id: z.string(), app_id: z.string().nullable().default(null) }).optional(),
  /** Heads only: the experience allow-list. Absent or empty: no filter. */
  allowed_experiences: z.array(z.string()).optional(),
});
export type NodeRecord = z.infer<typeof nodeRecordSchema>;

export function toView(
  r: NodeRecord,
  live: { lastSeen: string | null; diagnostics: Record<string, unknown>; execDepth: number; execStalled?: boolean; carriedOver?: boolean },
): NodeView {
  const rep = r.reported;
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    state: r.state,
    owner: r.owner,
    district: r.district,
    venue: r.venue,
    roles: r.roles,
    roles_applied: rep.roles_applied,
    drain: r.drain,
    drain_reason: r.drain_reason,
    provider_status: rep.provider_status,
    provider_version: rep.provider_version,
    provision_errors: rep.provision_errors ?? {},
    agent_version: rep.agent_version,
    agent_update: rep.agent_update ?? null,
    hostname: rep.hostname,
    os: rep.os,
    arch: rep.arch,
    lan_ip: rep.lan_ip,
    wg_ip: rep.wg_ip,
    last_seen: live.lastSeen,
    created_at: r.created_at,
    flags: r.flags,
    exec_depth: live.execDepth,
    exec_stalled: live.execStalled ?? false,
    carried_over: live.carriedOver ?? false,
    diagnostics: live.diagnostics,
    enrollment_id: r.reenrollment?.id ?? r.enrollment?.id ?? null,
    enrollment_expires_at: r.reenrollment?.expires_at ?? (r.enrollment && !r.enrollment.used_at ? r.enrollment.expires_at : null),
  };
}

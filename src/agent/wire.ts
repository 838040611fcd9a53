/**
 * The agent endpoints' bodies as the agent sees them (SPEC §5, §6): what it sends, typed, and what
 * it reads, validated with zod before use. Replies are read leniently (unknown fields ignored,
 * missing optional ones defaulted) so a newer server does not break an older agent.
 */
import { z } from 'zod';

/** The flags an admin sets and the agent acknowledges (SPEC §5). */
export const FLAG_NAMES = ['update_node', 'update_services', 'reprovision'] as const;
/** One admin flag. */
export type FlagName = (typeof FLAG_NAMES)[number];
/** Every flag's value, as in a heartbeat reply. */
export type Flags = Record<FlagName, boolean>;

/** Body of `POST /register`. */
export interface RegisterPost {
  hostname?: string;
  os?: string;
  arch?: string;
  agent_version?: string;
}

/** Reply of `POST /register`. */
export const registerReply = z.object({
  node_id: z.string().min(1),
  token: z.string().min(1),
  server_url: z.string().optional(),
  heartbeat_interval_s: z.number().positive().optional(),
});
/** A validated register reply. */
export type RegisterReply = z.output<typeof registerReply>;

/** What a diagnostics entry may hold (the server's schema). */
export type DiagnosticValue = string | number | boolean | null;

/** Body of `POST /body/heartbeat`; every field optional (absent: unchanged on the server). */
export interface HeartbeatPost {
  agent_version?: string;
  hostname?: string;
  os?: string;
  arch?: string;
  lan_ip?: string;
  wg_ip?: string;
  provider_status?: string;
  provider_version?: string;
  roles_applied?: string[];
  diagnostics?: Record<string, DiagnosticValue>;
  ack_flags?: FlagName[];
}

const flagsReply = z
  .object({ update_node: z.boolean().default(false), update_services: z.boolean().default(false), reprovision: z.boolean().default(false) })
  .default({ update_node: false, update_services: false, reprovision: false });

/** Reply of `POST /body/heartbeat`. */
export const heartbeatReply = z.object({
  node_id: z.string(),
  state: z.string(),
  roles: z.array(z.string()).default([]),
  flags: flagsReply,
  exec_pending: z.number().int().min(0).default(0),
  shell_pending: z.number().int().min(0).default(0),
  heartbeat_interval_s: z.number().positive().optional(),
});
/** A validated heartbeat reply. */
export type HeartbeatReply = z.output<typeof heartbeatReply>;

/** One role's recipe: install and check scripts per interpreter. */
export const recipeSchema = z.object({
  bash: z.string().optional(),
  powershell: z.string().optional(),
  check_bash: z.string().optional(),
  check_powershell: z.string().optional(),
});
/** A validated recipe. */
export type Recipe = z.output<typeof recipeSchema>;

/** Reply of `GET /body/provision` (runbook: the provision poll). */
export const provisionReply = z.object({
  roles: z.array(z.string()),
  recipes: z.record(z.string(), recipeSchema).default({}),
  /** role → provider name, for the roles that have one; absent from older servers. */
  providers: z.record(z.string(), z.string()).optional(),
  reprovision: z.boolean().default(false),
});
/** A validated provision poll. */
export type ProvisionReply = z.output<typeof provisionReply>;

/** One exec as delivered by `GET /body/exec`; an interpreter this agent does not know is reported, not refused. */
export const execOrder = z.object({
  id: z.string().min(1),
  command: z.string(),
  interpreter: z.string().default('bash'),
  timeout_s: z.number().positive(),
  queued_at: z.string().optional(),
});
/** A validated exec delivery. */
export type ExecOrder = z.output<typeof execOrder>;

/** Body of `POST /body/exec/result`. */
export interface ExecResultPost {
  id: string;
  exit_code: number;
  stdout: string;
  stderr: string;
  started_at: string;
  finished_at: string;
  timed_out: boolean;
}

/** Reply of `POST /enrollments` (used by the simulator). */
export const enrollmentReply = z.object({
  enrollment_id: z.string(),
  node_id: z.string(),
  enrollment_token: z.string().min(1),
  expires_at: z.string().optional(),
});
/** A validated enrollment reply. */
export type EnrollmentReply = z.output<typeof enrollmentReply>;

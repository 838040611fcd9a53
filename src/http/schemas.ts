/**
 * Request schemas: every field typed and bounded (strings, arrays, maps), so bad input is a 400
 * naming the field and nothing that grows is unbounded.
 */
import { z } from 'zod';
import { FLAG_NAMES, NODE_KINDS, NODE_STATES } from '../actors/node-record.js';

const text = (max: number) => z.string().max(max, `must be at most ${max} characters`);
const name = z.string().trim().min(1, 'must not be empty').max(128, 'must be at most 128 characters');

export const MAX_ROLES = 64;
export const MAX_DIAGNOSTICS = 64;

const roleList = z.array(text(64)).max(MAX_ROLES, `must list at most ${MAX_ROLES} roles`);

export const enrollmentBody = z.object({
  name,
  owner: text(128).default(''),
  os: z.enum(['windows', 'linux', 'macos']).optional(),
  kind: z.enum(['body', 'flatscreen', 'windows']).default('body'),
});

export const registerBody = z.object({
  hostname: text(255).optional(),
  os: text(32).optional(),
  arch: text(32).optional(),
  agent_version: text(64).optional(),
});

const diagnosticValue = z.union([text(1024), z.number(), z.boolean(), z.null()]);

export const heartbeatBody = z.object({
  agent_version: text(64).optional(),
  hostname: text(255).optional(),
  os: text(32).optional(),
  arch: text(32).optional(),
  lan_ip: text(64).optional(),
  wg_ip: text(64).optional(),
  provider_status: text(32).optional(),
  provider_version: text(64).optional(),
  roles_applied: roleList.optional(),
  diagnostics: z
    .record(text(64), diagnosticValue)
    .refine((d) => Object.keys(d).length <= MAX_DIAGNOSTICS, `must have at most ${MAX_DIAGNOSTICS} keys`)
    .optional(),
  ack_flags: z.array(z.enum(FLAG_NAMES)).max(FLAG_NAMES.length * 4).optional(),
});
export type HeartbeatBody = z.output<typeof heartbeatBody>;

export const rolesBody = z.object({ roles: roleList });

export const patchBody = z
  .object({
    name: name.optional(),
    owner: text(128).optional(),
    district: text(64).optional(),
    venue: text(64).optional(),
    kind: z.enum(NODE_KINDS).optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'must change at least one of name, owner, district, venue, kind');

export const drainBody = z.object({ drain: z.boolean(), reason: text(256).optional() });

export const nodesQuery = z.object({
  kind: z.enum([...NODE_KINDS, 'head']).optional(),
  state: z.enum(NODE_STATES).optional(),
  district: text(64).optional(),
});

export const actorsQuery = z.object({
  kind: text(32).optional(),
  limit: z.coerce.number().int().min(1).max(100_000).default(1000),
});

// Exec (SPEC §6). Longer commands belong in a script on the node (runbook: named commands).
export const MAX_COMMAND_CHARS = 256 * 1024;
export const MAX_EXEC_TIMEOUT_S = 86_400;
export const MAX_POLL_WAIT_S = 30;

export const execSubmitBody = z.object({
  command: z
    .string()
    .max(MAX_COMMAND_CHARS, `must be at most ${MAX_COMMAND_CHARS} characters`)
    .refine((s) => s.trim() !== '', 'must not be empty'),
  timeout_s: z.number().int().min(1).max(MAX_EXEC_TIMEOUT_S).optional(),
  interpreter: z.enum(['powershell', 'bash']).optional(),
});

export const execResultBody = z.object({
  id: text(64),
  exit_code: z.number().int().min(-(2 ** 31)).max(2 ** 32 - 1),
  stdout: z.string().default(''),
  stderr: z.string().default(''),
  started_at: text(64).optional(),
  finished_at: text(64).optional(),
  timed_out: z.boolean().default(false),
});

export const execPollQuery = z.object({
  wait: z.coerce.number().int().min(0).max(MAX_POLL_WAIT_S).default(0),
});

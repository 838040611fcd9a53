/**
 * Providers on the wire (docs/api.md#providers): the package a role's catalog entry names, as the provision
 * poll hands it to the agent (its url made absolute by the server), the statuses the agent reports
 * as `provider_status`, and the per-role provisioning failures it reports as `provision_errors`
 * (heartbeat and node object).
 */
import { z } from 'zod';
import { text } from './common.js';

/** `provider_status` values (docs/api.md#providers), in the order a fresh install goes through them. */
export const PROVIDER_STATUSES = ['downloading', 'installing', 'starting', 'running', 'stopped', 'failed'] as const;
export type ProviderStatus = (typeof PROVIDER_STATUSES)[number];

/** A SHA-256 written as 64 hex digits (either case; compared in lower case). */
export const sha256Hex = z
  .string()
  .regex(/^[0-9a-fA-F]{64}$/, 'must be a SHA-256: 64 hex digits')
  .transform((s) => s.toLowerCase());

/** A process name as the runbook's `Stop-Process -Name` takes it (no path; `.exe` optional). */
export const processName = z.string().min(1).max(128).regex(/^[^\\/\0]+$/, 'must be a process name, not a path');
const port = z.number().int().min(1).max(65_535);
const MAX_ITEMS = 64;

/** `package: {url, sha256, version}`; `url` absolute once the server has resolved it. */
export const packageSpec = z.object({ url: z.string().min(1), sha256: sha256Hex, version: text(64).min(1) });

/** What the agent needs to install, start, stop and health-check one role's provider. */
export const providerPlan = z.object({
  provider: z.string(),
  package: packageSpec,
  install_dir: z.string().min(1),
  start: z.string().min(1),
  stop: z.object({ processes: z.array(processName).max(MAX_ITEMS).default([]) }).default({ processes: [] }),
  health: z.object({ ports: z.array(port).max(MAX_ITEMS).default([]), processes: z.array(processName).max(MAX_ITEMS).default([]) }),
});
export type ProviderPlan = z.output<typeof providerPlan>;

/** Bounds of one reported failure (characters). */
export const OUTPUT_TAIL_CHARS = 2000;
export const ERROR_MESSAGE_CHARS = 1024;

/** One role's last provisioning failure (docs/api.md#providers): what step, why, its output's tail, when, next try. */
export const provisionError = z.object({
  step: text(32),
  message: text(ERROR_MESSAGE_CHARS),
  output_tail: text(OUTPUT_TAIL_CHARS).default(''),
  at: text(40),
  retry_at: text(40).nullable().default(null),
});
export type ProvisionError = z.output<typeof provisionError>;

/** `provision_errors`: role → its last failure; `{}` when every role applies. */
export const provisionErrors = z
  .record(text(64), provisionError)
  .refine((d) => Object.keys(d).length <= MAX_ITEMS, `must name at most ${MAX_ITEMS} roles`);
export type ProvisionErrors = z.output<typeof provisionErrors>;

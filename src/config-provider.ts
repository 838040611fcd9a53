/**
 * The provider keys of a RoleCatalog entry (docs/api.md#providers), validated with config.yaml: `package`
 * (`url`, `sha256`, `version`), `install_dir`, `start`, `stop.processes`, `health.ports` and
 * `health.processes`. A `package` needs the others (and `provider`); they mean nothing without
 * it. Every refusal names its key, as every config error does.
 */
import { z } from 'zod';
import { processName, sha256Hex } from './wire/provider.js';

const MAX_ITEMS = 64;

/** An http(s) URL, or a path beginning with `/`: relative to `server.public_url` (its /downloads). */
const packageUrl = z
  .string()
  .min(1)
  .refine((u) => (u.startsWith('/') && !u.startsWith('//')) || /^https?:\/\/[^/]/i.test(u), 'must be an http(s) URL, or a path beginning with / (relative to server.public_url)');

/** Absolute on the node (`C:\x\y`, `\\host\share\x`, `/opt/x`) and at least two levels deep: reprovision removes it. */
export function installDirProblem(dir: string): string | null {
  const parts = dir.split(/[\\/]+/).filter((p) => p !== '');
  const windowsDrive = /^[A-Za-z]:[\\/]/.test(dir);
  if (!windowsDrive && !dir.startsWith('/') && !dir.startsWith('\\\\')) return 'must be an absolute path on the node';
  if (parts.some((p) => p === '..' || p === '.')) return 'must not contain . or .. components';
  const depth = windowsDrive ? parts.length - 1 : parts.length;
  if (depth < 2) return 'must be at least two levels deep (a reprovision removes this folder)';
  return null;
}

/** Spread into the role object schema. */
export const providerFields = {
  package: z.object({ url: packageUrl, sha256: sha256Hex, version: z.string().min(1).max(64) }).strict().optional(),
  install_dir: z
    .string()
    .superRefine((d, ctx) => {
      const problem = installDirProblem(d);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
  start: z.string().trim().min(1, 'must not be empty').optional(),
  stop: z.object({ processes: z.array(processName).max(MAX_ITEMS).default([]) }).strict().optional(),
  health: z
    .object({
      ports: z.array(z.number().int().min(1).max(65_535)).max(MAX_ITEMS).default([]),
      processes: z.array(processName).max(MAX_ITEMS).default([]),
    })
    .strict()
    .optional(),
};

interface ProviderKeys {
  provider?: string;
  package?: unknown;
  install_dir?: string;
  start?: string;
  stop?: unknown;
  health?: { ports: number[]; processes: string[] };
}

/** A package needs provider, install_dir, start and something to health-check; the rest need a package. */
export function checkProviderFields(role: ProviderKeys, ctx: z.RefinementCtx): void {
  const need = (key: string, message: string) => ctx.addIssue({ code: 'custom', path: [key], message });
  if (role.package === undefined) {
    for (const key of ['install_dir', 'start', 'stop', 'health'] as const) {
      if (role[key] !== undefined) need(key, 'needs `package` (the provider package to install)');
    }
    return;
  }
  if (role.provider === undefined) need('provider', 'is required with `package` (names the provider provider_status speaks for)');
  if (role.install_dir === undefined) need('install_dir', 'is required with `package` (where the package is installed on the node)');
  if (role.start === undefined) need('start', 'is required with `package` (the command line that starts the provider)');
  if (!role.health || role.health.ports.length + role.health.processes.length === 0) {
    need('health', 'must name at least one port or process with `package` (provider_status running means they listen and run)');
  }
}

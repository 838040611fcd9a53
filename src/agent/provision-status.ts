/**
 * What provisioning reports (docs/operations.md#the-agent, docs/api.md#providers): one `provider_status` over the roles that have a
 * provider, and each role's last failure as a `provision_errors` entry built from what failed —
 * a script's exit, a missing recipe, a provider step.
 */
import type { ProviderStatus, ProvisionError } from '../wire/provider.js';
import type { RunOutcome } from './exec-runner.js';
import { tailOf } from './provider/launch.js';

/** The script half of a role on this node. */
export type RoleStatus = 'installing' | 'running' | 'failed';

/** Which status speaks for several roles: work under way first, then trouble, then running. */
const PRECEDENCE: readonly ProviderStatus[] = ['downloading', 'installing', 'starting', 'failed', 'stopped', 'running'];

/** One role's status: its provider's while the provider is busy or has trouble, else its scripts'. */
export function roleStatus(provider: ProviderStatus | undefined, scripts: RoleStatus | undefined): ProviderStatus | undefined {
  if (provider === 'downloading' || provider === 'installing' || provider === 'starting') return provider;
  if (scripts === 'installing' || scripts === 'failed') return scripts;
  return provider ?? scripts;
}

/** `provider_status` over several roles (undefined when none has a status yet). */
export function aggregate(statuses: Iterable<ProviderStatus | undefined>): ProviderStatus | undefined {
  let best: number | undefined;
  for (const s of statuses) {
    if (s === undefined) continue;
    const i = PRECEDENCE.indexOf(s);
    if (best === undefined || i < best) best = i;
  }
  return best === undefined ? undefined : PRECEDENCE[best];
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A provision error at this instant. */
export function provisionFailure(step: string, message: string, outputTail = '', retryAt: number | null = null): ProvisionError {
  return { step, message: message.slice(0, 1024), output_tail: outputTail, at: iso(Date.now())!, retry_at: iso(retryAt) };
}

/** A script run that failed, as a sentence and an output tail (stdout then stderr). */
export function scriptFailure(kind: 'install' | 'check', o: RunOutcome, retryAt: number | null, note = ''): ProvisionError {
  const how = o.timedOut ? `timed out after ${Math.round(o.durationMs / 1000)} s` : `exited ${o.exitCode}`;
  const output = tailOf([o.stdout, o.stderr].map((s) => s.trimEnd()).filter((s) => s !== '').join('\n'));
  return provisionFailure(kind, `${kind} script ${how}${note}`, output, retryAt);
}

/** The error of a role that names neither a package nor a script (the first config's placeholders). */
export const notConfigured = (role: string): ProvisionError =>
  provisionFailure('configure', `not configured: set roles.${role}.package (a provider package) or roles.${role}.recipe (install and check scripts) in the server's config.yaml`);

/** A recipe written only for interpreters this node lacks. */
export const noInterpreter = (role: string): ProvisionError =>
  provisionFailure('configure', `role ${role} has no recipe script for an interpreter this node has (bash or PowerShell): add one to roles.${role}.recipe in config.yaml`);

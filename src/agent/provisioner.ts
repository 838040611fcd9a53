/**
 * Applying roles (SPEC §5 provision poll, runbook "Render Node Provisioning"): for each assigned
 * role its check script runs on every pass — exit 0 means applied — and when it fails (or a
 * reinstall is forced by `reprovision`/`update_services`) the install script runs, then the check
 * again. Because checks run on every tick, a removed installation is reinstalled by itself
 * (runbook "Reprovision"). One pass at a time, so one role is never installed twice at once; a
 * failed install is retried with backoff rather than on every tick.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import type { Interpreters } from './exec-runner.js';
import { pickScripts, runScript, succeeded, type RoleScripts } from './role-scripts.js';
import type { ProvisionReply } from '../wire/agent.js';

/** A role's state on this node; reported (aggregated) as `provider_status`. */
export type RoleStatus = 'installing' | 'running' | 'failed';

/** A failed install is retried after 30 s, doubling to 30 min (forced reinstalls ignore this). */
export const INSTALL_RETRY: BackoffOptions = { initialMs: 30_000, maxMs: 30 * 60_000 };
/** Install scripts may write the installed provider's version here (runbook "Key Paths"). */
export const PROVIDER_VERSION_FILE = 'provider_version.txt';
const MAX_PROVIDER_VERSION_CHARS = 64;

/** What the provisioner needs; `installRetry` is for tests. */
export interface ProvisionerDeps {
  log: Logger;
  home: string;
  interpreters: Interpreters;
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  scriptTimeoutMs: number;
  installRetry?: BackoffOptions;
  /** Aborted when the agent stops: a running script is killed. */
  signal?: AbortSignal;
}

/** What the heartbeat reports from provisioning; fields stay absent until the first pass. */
export interface ProvisionReport {
  roles_applied?: string[];
  provider_status?: RoleStatus;
  provider_version?: string;
}

interface RetryGate {
  backoff: Backoff;
  notBefore: number;
}

/** Applies the provision poll's roles; one {@link Provisioner.apply} at a time. */
export class Provisioner {
  private readonly status = new Map<string, RoleStatus>();
  private readonly applied = new Set<string>();
  /** Roles whose recipe has no check: applied once their install succeeded. */
  private readonly installedUnchecked = new Set<string>();
  private readonly installing = new Set<string>();
  private readonly gates = new Map<string, RetryGate>();
  private passed = false;
  private providerVersion: string | undefined;
  /** Roles with a provider, from the last provision poll; null when the server did not say. */
  private providerRoles: Set<string> | null = null;

  constructor(private readonly deps: ProvisionerDeps) {}

  report(): ProvisionReport {
    if (!this.passed) return {};
    return { roles_applied: [...this.applied], provider_status: this.aggregate(), provider_version: this.providerVersion };
  }

  /**
   * Over the roles that have a provider (all roles when the server does not say which):
   * installing while any install runs, else failed when any failed, else running.
   */
  private aggregate(): RoleStatus | undefined {
    const all = [...this.status].filter(([role]) => !this.providerRoles || this.providerRoles.has(role)).map(([, s]) => s);
    if (all.length === 0) return undefined;
    if (all.includes('installing')) return 'installing';
    return all.includes('failed') ? 'failed' : 'running';
  }

  /** Applies the assigned roles; `force` reinstalls each one even when its check passes. */
  async apply(plan: ProvisionReply, force: boolean): Promise<void> {
    const assigned = new Set(plan.roles);
    this.providerRoles = plan.providers ? new Set(Object.keys(plan.providers)) : null;
    for (const role of [...this.status.keys()]) {
      if (!assigned.has(role)) this.forget(role);
    }
    for (const role of plan.roles) {
      if (this.deps.signal?.aborted) return;
      const recipe = plan.recipes[role];
      const scripts = recipe ? pickScripts(recipe, this.deps.interpreters, this.deps.platform) : null;
      if (!scripts) {
        if (this.status.get(role) !== 'failed') this.deps.log.warn('role cannot be applied here: no recipe for an interpreter this node has', { role });
        this.mark(role, 'failed');
        continue;
      }
      await this.applyRole(role, scripts, force);
    }
    this.providerVersion = this.readProviderVersion();
    this.passed = true;
  }

  private async applyRole(role: string, scripts: RoleScripts, force: boolean): Promise<void> {
    if (!force && (await this.check(role, scripts))) {
      this.mark(role, 'running');
      return;
    }
    if (!scripts.install) {
      if (this.status.get(role) !== 'failed') this.deps.log.warn('role check fails and its recipe has no install script', { role });
      this.mark(role, 'failed');
      return;
    }
    const gate = this.gates.get(role);
    if (!force && gate && Date.now() < gate.notBefore) return;
    if (this.installing.has(role)) return;
    this.installing.add(role);
    this.mark(role, 'installing');
    this.deps.log.info(force ? 'reinstalling role' : 'installing role (its check fails)', { role, interpreter: scripts.interpreter });
    try {
      const install = await this.run(role, 'install', scripts, scripts.install, force);
      if (succeeded(install)) this.installedUnchecked.add(role);
      else this.installedUnchecked.delete(role);
      const ok = succeeded(install) && (await this.check(role, scripts));
      this.mark(role, ok ? 'running' : 'failed');
      if (ok) {
        this.gates.delete(role);
        this.deps.log.info('role applied', { role });
      } else {
        const g = gate ?? { backoff: new Backoff(this.deps.installRetry ?? INSTALL_RETRY), notBefore: 0 };
        const delay = g.backoff.next();
        g.notBefore = Date.now() + delay;
        this.gates.set(role, g);
        this.deps.log.error('role not applied: install or check failed', { role, retry_in_ms: delay });
      }
    } finally {
      this.installing.delete(role);
    }
  }

  private async check(role: string, scripts: RoleScripts): Promise<boolean> {
    if (!scripts.check) return scripts.install === undefined || this.installedUnchecked.has(role);
    return succeeded(await this.run(role, 'check', scripts, scripts.check, false));
  }

  private run(role: string, kind: 'check' | 'install', scripts: RoleScripts, script: string, force: boolean) {
    const env = { ...this.deps.env, HYDRANODE_HOME: this.deps.home, HYDRANODE_ROLE: role, HYDRANODE_REINSTALL: force ? '1' : '0' };
    const run = { role, kind, interpreter: scripts.interpreter, script, timeoutMs: this.deps.scriptTimeoutMs, env, found: this.deps.interpreters, signal: this.deps.signal };
    return runScript(run, this.deps.log);
  }

  private mark(role: string, s: RoleStatus): void {
    this.status.set(role, s);
    if (s === 'running') this.applied.add(role);
    else this.applied.delete(role);
  }

  private forget(role: string): void {
    this.status.delete(role);
    this.applied.delete(role);
    this.installedUnchecked.delete(role);
    this.gates.delete(role);
  }

  private readProviderVersion(): string | undefined {
    const path = join(this.deps.home, PROVIDER_VERSION_FILE);
    if (!existsSync(path)) return undefined;
    try {
      return readFileSync(path, 'utf8').trim().slice(0, MAX_PROVIDER_VERSION_CHARS) || undefined;
    } catch {
      return undefined;
    }
  }
}

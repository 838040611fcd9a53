/**
 * Applying roles (docs/api.md#agents-heartbeat-flags-and-the-provision-poll provision poll, docs/api.md#providers providers, runbook "Render Node Provisioning").
 * A role may have a provider package (./provider/provider-role.ts: downloaded, checked, installed,
 * started, health-checked, restarted) and recipe scripts: its check runs on every pass — exit 0
 * means applied — and when it fails (or a reinstall is forced by `reprovision`/`update_services`)
 * the install script runs, then the check again. Because checks run on every tick, a removed
 * installation is reinstalled by itself (runbook "Reprovision"). One pass at a time; a failed
 * install is retried with backoff rather than on every tick, unless the role's recipe or package
 * changed (a fresh request). Each role's last failure is reported as `provision_errors`.
 */
import type { Logger } from '../log.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import type { Interpreters } from './exec-runner.js';
import { which } from './host-info.js';
import { pickScripts, runScript, succeeded, type RoleScripts } from './role-scripts.js';
import { aggregate, noInterpreter, notConfigured, roleStatus, scriptFailure, type RoleStatus } from './provision-status.js';
import { PROVIDER_VERSION_FILE, ProviderRole, type ProviderTimings } from './provider/provider-role.js';
import { CONFIG_CACHE_FILE, ConfigCache, readProviderVersion } from './provider/home-state.js';
import type { ProvisionReply } from '../wire/agent.js';
import type { ProviderStatus, ProvisionError, ProvisionErrors } from '../wire/provider.js';

export { CONFIG_CACHE_FILE, PROVIDER_VERSION_FILE, type RoleStatus };

/** A failed install is retried after 30 s, doubling to 30 min (forced reinstalls ignore this). */
export const INSTALL_RETRY: BackoffOptions = { initialMs: 30_000, maxMs: 30 * 60_000 };
/** Provider timings unless the agent's config.yaml says otherwise. */
export const PROVIDER_TIMINGS: ProviderTimings = {
  startTimeoutMs: 300_000,
  restart: { initialMs: 10_000, maxMs: 10 * 60_000 },
  installRetry: INSTALL_RETRY,
  healthPollMs: 1000,
  stopGraceMs: 10_000,
};

/** What the provisioner needs; `installRetry` and `provider` timings are for tests. */
export interface ProvisionerDeps {
  log: Logger;
  home: string;
  interpreters: Interpreters;
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  scriptTimeoutMs: number;
  installRetry?: BackoffOptions;
  provider?: Partial<ProviderTimings>;
  /** Aborted when the agent stops: a running script is killed. */
  signal?: AbortSignal;
  /** A status changed mid-pass (downloading, stopped …): worth a heartbeat now. */
  onChange?: () => void;
}

/** What the heartbeat reports from provisioning; fields stay absent until there is something to say. */
export interface ProvisionReport {
  roles_applied?: string[];
  provider_status?: ProviderStatus;
  provider_version?: string;
  provision_errors?: ProvisionErrors;
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
  private readonly gates = new Map<string, RetryGate>();
  private readonly errors = new Map<string, ProvisionError>();
  private readonly providers = new Map<string, ProviderRole>();
  /** Each role's recipe and package as last applied: a change is a fresh request. */
  private readonly fingerprints = new Map<string, string>();
  private passed = false;
  private providerVersion: string | undefined;
  private readonly cache: ConfigCache;
  /** Roles with a provider, from the last provision poll; null when the server did not say. */
  private providerRoles: Set<string> | null = null;

  constructor(private readonly deps: ProvisionerDeps) {
    this.cache = new ConfigCache(deps.home, deps.log);
  }

  report(): ProvisionReport {
    const errors: ProvisionErrors = {};
    for (const role of new Set([...this.errors.keys(), ...this.providers.keys()])) {
      const e = this.providers.get(role)?.error ?? this.errors.get(role);
      if (e) errors[role] = e;
    }
    const statuses = [...new Set([...this.status.keys(), ...this.providers.keys()])]
      .filter((role) => !this.providerRoles || this.providerRoles.has(role))
      .map((role) => roleStatus(this.providers.get(role)?.status, this.status.get(role)));
    const out: ProvisionReport = {};
    if (this.passed) out.roles_applied = [...this.applied];
    const providerStatus = aggregate(statuses);
    if (providerStatus !== undefined) out.provider_status = providerStatus;
    if (this.providerVersion !== undefined) out.provider_version = this.providerVersion;
    if (this.passed || Object.keys(errors).length > 0) out.provision_errors = errors;
    return out;
  }

  /**
   * Applies the assigned roles; `force` reinstalls each one even when its check passes, `clean`
   * (reprovision) first stops every provider, removes its install_dir and the cached state.
   */
  async apply(plan: ProvisionReply, force: boolean, clean = false): Promise<void> {
    const assigned = new Set(plan.roles);
    this.providerRoles = plan.providers ? new Set(Object.keys(plan.providers)) : null;
    for (const role of new Set([...this.status.keys(), ...this.providers.keys()])) {
      if (!assigned.has(role)) this.forget(role);
    }
    if (clean) await this.clean(plan);
    for (const role of plan.roles) {
      if (this.deps.signal?.aborted) return;
      this.noticeChange(role, plan);
      const pkg = plan.packages?.[role];
      const recipe = plan.recipes[role] ?? {};
      const written = Object.values(recipe).some((s) => typeof s === 'string' && s.trim() !== '');
      if (!pkg && !written) {
        this.fail(role, notConfigured(role), 'role not configured: it names no package and no scripts');
        continue;
      }
      const scripts = pickScripts(recipe, this.deps.interpreters, this.deps.platform);
      if (!scripts) {
        this.fail(role, noInterpreter(role), 'role cannot be applied here: no recipe for an interpreter this node has');
        continue;
      }
      let providerOk = true;
      if (pkg) {
        const provider = this.provider(role);
        await provider.apply(pkg, clean ? 'clean' : force ? 'reinstall' : null);
        providerOk = provider.applied(pkg);
      }
      await this.applyRole(role, scripts, force);
      if (!providerOk) this.applied.delete(role);
    }
    this.providerVersion = readProviderVersion(this.deps.home);
    this.passed = true;
    this.cache.write(plan);
  }

  /** Reprovision (runbook "Clean Reinstall"): providers stopped and removed, cached state deleted. */
  private async clean(plan: ProvisionReply): Promise<void> {
    for (const [role, pkg] of Object.entries(plan.packages ?? {})) {
      if (!plan.roles.includes(role)) continue;
      this.deps.log.info('reprovision: stopping the provider and removing its installation', { role, install_dir: pkg.install_dir });
      await this.provider(role).remove(pkg);
    }
    this.cache.removeCachedState();
  }

  private provider(role: string): ProviderRole {
    let p = this.providers.get(role);
    if (!p) {
      const { log, home, platform, env, interpreters, signal } = this.deps;
      const timings = { ...PROVIDER_TIMINGS, installRetry: this.deps.installRetry ?? INSTALL_RETRY, ...this.deps.provider };
      // Under systemd the service's cgroup dies with the agent: the provider gets its own scope.
      const systemdRun = platform === 'linux' && env.INVOCATION_ID ? which('systemd-run', env) : null;
      p = new ProviderRole(role, { ...timings, log, home, platform, env, signal, bash: interpreters.bash, systemdRun, onChange: () => this.deps.onChange?.() });
      this.providers.set(role, p);
    }
    return p;
  }

  /** A role whose recipe or package changed since the last pass: its retry waits are dropped. */
  private noticeChange(role: string, plan: ProvisionReply): void {
    const fp = JSON.stringify([plan.recipes[role] ?? {}, plan.packages?.[role] ?? null]);
    const before = this.fingerprints.get(role);
    this.fingerprints.set(role, fp);
    if (before === undefined || before === fp) return;
    this.gates.delete(role);
    this.providers.get(role)?.fresh();
    this.deps.log.info('role recipe or package changed: applying it afresh', { role });
  }

  private async applyRole(role: string, scripts: RoleScripts, force: boolean): Promise<void> {
    if (!scripts.install) {
      // Nothing to (re)install: the check alone decides (a package-only role has none and passes).
      if (await this.check(role, scripts)) return this.mark(role, 'running');
      if (this.status.get(role) !== 'failed') this.deps.log.warn('role check fails and its recipe has no install script', { role });
      this.mark(role, 'failed');
      this.errors.set(role, scriptFailure('check', this.lastCheck!, null, ', and the recipe has no install script'));
      return;
    }
    if (!force && (await this.check(role, scripts))) return this.mark(role, 'running');
    const gate = this.gates.get(role);
    if (!force && gate && Date.now() < gate.notBefore) return;
    this.mark(role, 'installing');
    this.deps.onChange?.();
    this.deps.log.info(force ? 'reinstalling role' : 'installing role (its check fails)', { role, interpreter: scripts.interpreter });
    const install = await this.run(role, 'install', scripts, scripts.install, force);
    if (succeeded(install)) this.installedUnchecked.add(role);
    else this.installedUnchecked.delete(role);
    const ok = succeeded(install) && (await this.check(role, scripts));
    if (ok) {
      this.gates.delete(role);
      this.deps.log.info('role applied', { role });
      return this.mark(role, 'running');
    }
    this.mark(role, 'failed');
    const g = gate ?? { backoff: new Backoff(this.deps.installRetry ?? INSTALL_RETRY), notBefore: 0 };
    const delay = g.backoff.next();
    g.notBefore = Date.now() + delay;
    this.gates.set(role, g);
    this.errors.set(role, succeeded(install) ? scriptFailure('check', this.lastCheck!, g.notBefore, ' after a successful install') : scriptFailure('install', install, g.notBefore));
    this.deps.log.error('role not applied: install or check failed', { role, retry_in_ms: delay });
  }

  private lastCheck: Awaited<ReturnType<typeof runScript>> | null = null;

  private async check(role: string, scripts: RoleScripts): Promise<boolean> {
    if (!scripts.check) return scripts.install === undefined || this.installedUnchecked.has(role);
    this.lastCheck = await this.run(role, 'check', scripts, scripts.check, false);
    return succeeded(this.lastCheck);
  }

  private run(role: string, kind: 'check' | 'install', scripts: RoleScripts, script: string, force: boolean) {
    const env = { ...this.deps.env, HYDRANODE_HOME: this.deps.home, HYDRANODE_ROLE: role, HYDRANODE_REINSTALL: force ? '1' : '0' };
    const run = { role, kind, interpreter: scripts.interpreter, script, timeoutMs: this.deps.scriptTimeoutMs, env, found: this.deps.interpreters, signal: this.deps.signal };
    return runScript(run, this.deps.log);
  }

  private fail(role: string, error: ProvisionError, why: string): void {
    if (this.status.get(role) !== 'failed') this.deps.log.warn(why, { role, error: error.message });
    this.mark(role, 'failed');
    if (this.errors.get(role)?.message !== error.message) this.errors.set(role, error);
  }

  private mark(role: string, s: RoleStatus): void {
    this.status.set(role, s);
    if (s === 'running') {
      this.applied.add(role);
      this.errors.delete(role);
    } else this.applied.delete(role);
  }

  private forget(role: string): void {
    this.status.delete(role);
    this.applied.delete(role);
    this.installedUnchecked.delete(role);
    this.gates.delete(role);
    this.errors.delete(role);
    this.providers.delete(role);
    this.fingerprints.delete(role);
  }
}

/**
 * One role's provider on this node (docs/api.md#providers), driven by the provisioner's passes:
 *
 *   not installed ─▶ downloading ─▶ installing ─▶ starting ─▶ running ◀─┐
 *        ▲                │  failed (retried with backoff)    │  health lost   │ restarted
 *        └ reprovision:   ▼                                   ▼                │ (backoff)
 *          clean reinstall failed                          stopped ───────────┘
 *
 * Installed means install_dir holds the stamp of this package's SHA-256. Running means every
 * health port listens and every health process runs. A provider that stops is restarted with
 * backoff and reported `stopped` meanwhile; a failure is kept as the role's provision error (step,
 * message, output tail, when, next retry) until it runs again.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from '../../log.js';
import { Backoff, sleep, type BackoffOptions } from '../backoff.js';
import type { ProviderPlan, ProviderStatus, ProvisionError } from '../../wire/provider.js';
import { download } from './download.js';
import { extractZip, packageRoot } from './extract.js';
import { fileTail, launchDetached } from './launch.js';
import { findProcesses, nameMatches, portListens, stopProcesses } from './processes.js';
import { asStepError } from './step-error.js';
import { provisionFailure } from '../provision-status.js';

/** In install_dir: which package is installed there. */
export const STAMP_FILE = '.hydranode-package.json';
/** In the agent's home (runbook "Key Paths"): the installed provider's version. */
export const PROVIDER_VERSION_FILE = 'provider_version.txt';
export const DOWNLOADS_DIR = 'downloads';

/** Timings of the provider steps; every one injectable (tests use short ones). */
export interface ProviderTimings {
  startTimeoutMs: number;
  restart: BackoffOptions;
  installRetry: BackoffOptions;
  healthPollMs: number;
  stopGraceMs: number;
}

export interface ProviderDeps extends ProviderTimings {
  log: Logger;
  home: string;
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  bash: string | null;
  /** systemd-run, when the agent runs as a systemd service (the provider then gets its own scope). */
  systemdRun: string | null;
  signal?: AbortSignal;
  /** Called when the status changes, so the heartbeat reports it soon. */
  onChange(): void;
}

/** `force`: `clean` removed everything first (reprovision); `reinstall` reuses a good download. */
export type ForceMode = 'clean' | 'reinstall' | null;

const iso = (ms: number) => new Date(ms).toISOString();

/** The download's file name: `<role>-<last part of the url>`, safe on every file system. */
export function downloadName(role: string, url: string): string {
  const last = new URL(url).pathname.split('/').pop() || 'package.zip';
  return `${role}-${decodeURIComponent(last)}`.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 128);
}

export class ProviderRole {
  status: ProviderStatus | undefined;
  error: ProvisionError | null = null;
  private readonly restart: Backoff;
  private readonly retry: Backoff;
  private restartAt = 0;
  private retryAt = 0;
  private ranSinceInstall = false;
  private group: number | null = null;

  constructor(
    private readonly role: string,
    private readonly deps: ProviderDeps,
  ) {
    this.restart = new Backoff(deps.restart);
    this.retry = new Backoff(deps.installRetry);
  }

  /** Installed, and running or (after having run) stopped: the role counts as applied. */
  applied(plan: ProviderPlan): boolean {
    return this.installedVersion(plan) !== null && (this.status === 'running' || (this.status === 'stopped' && this.ranSinceInstall));
  }

  /** The version installed from this plan's package, or null. */
  installedVersion(plan: ProviderPlan): string | null {
    try {
      const stamp = JSON.parse(readFileSync(join(plan.install_dir, STAMP_FILE), 'utf8')) as { sha256?: string; version?: string };
      return stamp.sha256 === plan.package.sha256 ? (stamp.version ?? plan.package.version) : null;
    } catch {
      return null;
    }
  }

  /** One pass: install when needed (or forced), else check health and restart a stopped provider. */
  async apply(plan: ProviderPlan, force: ForceMode): Promise<void> {
    const now = Date.now();
    if (force !== null || this.installedVersion(plan) === null) {
      if (force === null && now < this.retryAt) return; // a failed install waits for its retry
      await this.install(plan, force === 'clean');
      if (this.status !== 'failed' && !this.deps.signal?.aborted) await this.start(plan);
      return;
    }
    const problem = await this.healthProblem(plan);
    if (problem === null) return this.set('running', null);
    if (this.status === 'running') {
      // Just noticed: report it, restart after the backoff.
      this.restartAt = now + this.restart.next();
      this.deps.log.warn('provider stopped; restarting it after a pause', { role: this.role, problem, restart_at: iso(this.restartAt) });
      return this.set('stopped', provisionFailure('health', `provider stopped: ${problem}`, '', this.restartAt));
    }
    if (this.status !== undefined && now < this.restartAt) return;
    await this.start(plan);
  }

  /** Stops the provider (by name, then killed) and removes install_dir: the first half of a clean reinstall. */
  async remove(plan: ProviderPlan): Promise<void> {
    this.ranSinceInstall = false;
    try {
      await this.stop(plan);
      rmSync(plan.install_dir, { recursive: true, force: true });
      rmSync(`${plan.install_dir}.hydranode-new`, { recursive: true, force: true });
    } catch (e) {
      const err = asStepError(e, 'remove');
      this.deps.log.error('cannot remove the provider installation', { role: this.role, error: err.message });
      this.set('failed', provisionFailure(err.step, err.message, '', null));
    }
  }

  /** The role's recipe or package changed: no retry or restart wait holds it back. */
  fresh(): void {
    this.retry.reset();
    this.restart.reset();
    this.retryAt = 0;
    this.restartAt = 0;
  }

  private async stop(plan: ProviderPlan): Promise<void> {
    const names = [...new Set([...plan.stop.processes, ...plan.health.processes])];
    const groups = this.group !== null ? [this.group] : [];
    const stopped = await stopProcesses(names, this.deps.platform, this.deps.stopGraceMs, groups);
    this.group = null;
    if (stopped.length > 0) this.deps.log.info('provider processes stopped', { role: this.role, processes: stopped });
  }

  private async install(plan: ProviderPlan, ignoreCache: boolean): Promise<void> {
    const { home, log } = this.deps;
    const file = join(home, DOWNLOADS_DIR, downloadName(this.role, plan.package.url));
    const staging = `${plan.install_dir}.hydranode-new`;
    try {
      if (ignoreCache) rmSync(file, { force: true });
      this.set('downloading', this.error);
      const got = await download({ url: plan.package.url, sha256: plan.package.sha256, dest: file, signal: this.deps.signal });
      log.info(got.cached ? 'provider package already downloaded' : 'provider package downloaded', { role: this.role, bytes: got.bytes, resumed: got.resumed });
      this.set('installing', this.error);
      await this.stop(plan);
      rmSync(staging, { recursive: true, force: true });
      const files = await extractZip(file, staging, this.deps.signal);
      mkdirSync(dirname(plan.install_dir), { recursive: true });
      rmSync(plan.install_dir, { recursive: true, force: true });
      renameSync(packageRoot(staging), plan.install_dir);
      rmSync(staging, { recursive: true, force: true });
      const stamp = { provider: plan.provider, version: plan.package.version, sha256: plan.package.sha256, url: plan.package.url, installed_at: iso(Date.now()) };
      writeFileSync(join(plan.install_dir, STAMP_FILE), JSON.stringify(stamp, null, 2));
      writeFileSync(join(home, PROVIDER_VERSION_FILE), `${plan.package.version}\n`);
      this.ranSinceInstall = false;
      this.retry.reset();
      this.retryAt = 0;
      log.info('provider installed', { role: this.role, version: plan.package.version, install_dir: plan.install_dir, files });
    } catch (e) {
      if (this.deps.signal?.aborted) return; // the agent is stopping: not a failure of the package
      const err = asStepError(e, 'install');
      this.retryAt = Date.now() + this.retry.next();
      log.error('provider install failed', { role: this.role, step: err.step, error: err.message, retry_at: iso(this.retryAt) });
      this.set('failed', provisionFailure(err.step, err.message, err.outputTail, this.retryAt));
    }
  }

  /** Starts the provider (leftovers stopped first) and waits until it is healthy or the start times out. */
  private async start(plan: ProviderPlan): Promise<void> {
    const { log, home } = this.deps;
    const logPath = join(home, `provider-${this.role}.log`);
    this.set('starting', this.error);
    let problem: string | null;
    try {
      await this.stop(plan);
      const { platform, env, bash, systemdRun } = this.deps;
      const scope = systemdRun ? { systemdRun, unit: `hydranode-provider-${this.role}-${Date.now()}` } : null;
      this.group = await launchDetached({ command: plan.start, cwd: plan.install_dir, logPath, platform, env, bash, scope });
      log.info('provider started', { role: this.role, command: plan.start, pid: this.group });
      problem = await this.waitHealthy(plan);
    } catch (e) {
      problem = asStepError(e, 'start').message;
    }
    if (this.deps.signal?.aborted) return; // the agent is stopping; the provider runs on
    if (problem === null) {
      this.restart.reset();
      log.info('provider running', { role: this.role, version: plan.package.version });
      return this.set('running', null);
    }
    this.restartAt = Date.now() + this.restart.next();
    log.error('provider did not come up', { role: this.role, problem, retry_at: iso(this.restartAt) });
    const status = this.ranSinceInstall ? 'stopped' : 'failed';
    this.set(status, provisionFailure('start', `provider not running after \`${plan.start}\`: ${problem}`, fileTail(logPath), this.restartAt));
  }

  private async waitHealthy(plan: ProviderPlan): Promise<string | null> {
    const deadline = Date.now() + this.deps.startTimeoutMs;
    for (;;) {
      const problem = await this.healthProblem(plan);
      if (problem === null || this.deps.signal?.aborted) return problem;
      if (Date.now() >= deadline) return `${problem} after ${Math.round(this.deps.startTimeoutMs / 1000)} s`;
      await sleep(this.deps.healthPollMs, this.deps.signal);
    }
  }

  /** Null when every health port listens and every health process runs; else what is missing. */
  private async healthProblem(plan: ProviderPlan): Promise<string | null> {
    const missing: string[] = [];
    for (const port of plan.health.ports) if (!(await portListens(port))) missing.push(`port ${port} not listening`);
    if (plan.health.processes.length > 0) {
      const running = await findProcesses(plan.health.processes, this.deps.platform);
      for (const name of plan.health.processes) {
        if (!running.some((p) => nameMatches(p, name, this.deps.platform))) missing.push(`process ${name} not running`);
      }
    }
    return missing.length === 0 ? null : missing.join(', ');
  }

  private set(status: ProviderStatus, error: ProvisionError | null): void {
    const changed = status !== this.status || error !== this.error;
    if (status === 'running') this.ranSinceInstall = true; // seen healthy (also after an agent restart)
    this.status = status;
    this.error = error;
    if (changed) this.deps.onChange();
  }
}

/**
 * `hydranode run`: one node's agent. Three things run side by side — the heartbeat tick, the exec
 * long-poll, and the work a heartbeat reply asks for (provisioning on every tick, the admin flags)
 * — so a 30-minute install never delays a heartbeat and a slow heartbeat never delays an exec.
 */
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { VERSION } from '../version.js';
import type { ApiClient } from './api-client.js';
import type { BackoffOptions } from './backoff.js';
import type { AgentConfig } from './config.js';
import { ExecLoop } from './exec-loop.js';
import { findInterpreters, launchFor, runCommand, type Interpreters } from './exec-runner.js';
import { FlagTracker, PENDING_ACKS_FILE } from './flags.js';
import { HeartbeatLoop } from './heartbeat.js';
import { hostFacts, lanIp, wgIp } from './host-info.js';
import { ServerLimits } from './limits.js';
import { ShellLoop } from './shell-loop.js';
import { Provisioner } from './provisioner.js';
import { takeSwapMarker } from './swap-marker.js';
import type { ProviderTimings } from './provider/provider-role.js';
import type { AgentUpdate, DiagnosticValue, HeartbeatBody, HeartbeatReply } from '../wire/agent.js';
import type { FlagName } from '../wire/common.js';

/** At SIGTERM a running exec gets this long to finish before it is killed and reported. */
export const EXEC_STOP_GRACE_MS = 3000;
const MS_PER_S = 1000;
const REINSTALL_FLAGS: readonly FlagName[] = ['reprovision', 'update_services'];

/** What `hydranode run` builds the agent from. */
export interface AgentOptions {
  home: string;
  config: AgentConfig;
  client: ApiClient;
  log: Logger;
  /** The agent's environment: PATH for interpreters, and what commands inherit. */
  env: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** Overrides for tests: backoff of server retries, the long-poll wait. */
  backoff?: BackoffOptions;
  execWaitS?: number;
  /** The running single executable (self-update replaces it), or null when run as `node …/main.js`. */
  binary?: string | null;
  /** This agent's version (tests); default the built-in one. */
  version?: string;
  arch?: string;
}

/** Provider timings from the agent's config.yaml (docs/api.md#providers). */
function providerTimings(c: AgentConfig): Partial<ProviderTimings> {
  return {
    startTimeoutMs: c.provider_start_timeout_s * MS_PER_S,
    restart: { initialMs: c.provider_restart_s * MS_PER_S, maxMs: Math.max(c.provider_restart_s, c.provider_restart_max_s) * MS_PER_S },
  };
}

/** The running agent: start() once, stop() on SIGTERM/SIGINT. */
export class NodeAgent {
  private readonly stopping = new AbortController();
  private readonly heartbeat: HeartbeatLoop;
  private readonly execs: ExecLoop;
  private readonly shells: ShellLoop;
  private readonly provisioner: Provisioner;
  private readonly flags: FlagTracker;
  private readonly limits: ServerLimits;
  private readonly startedAt = Date.now();
  private readonly platform: NodeJS.Platform;
  private readonly interpreters: Interpreters;
  private work: Promise<void> | null = null;
  private readonly version: string;
  /** The self-update's last step (docs/api.md#agent-self-update), sent in every heartbeat once there is one. */
  private update: AgentUpdate | null;
  private restartWanted!: () => void;
  /** Resolves when the agent wants to be restarted by its service (a new binary is in place). */
  readonly restartRequested = new Promise<void>((r) => (this.restartWanted = r));

  constructor(private readonly opts: AgentOptions) {
    const { client, log, env, home } = opts;
    this.platform = opts.platform ?? process.platform;
    this.interpreters = findInterpreters(env);
    this.flags = new FlagTracker(join(home, PENDING_ACKS_FILE));
    this.version = opts.version ?? VERSION;
    this.update = takeSwapMarker(home, this.version);
    this.limits = new ServerLimits(log);
    this.provisioner = new Provisioner({
      log,
      home,
      env,
      interpreters: this.interpreters,
      platform: this.platform,
      scriptTimeoutMs: opts.config.script_timeout_s * MS_PER_S,
      signal: this.stopping.signal,
      provider: providerTimings(opts.config),
      onChange: () => this.heartbeat?.nudge(),
    });
    this.execs = new ExecLoop({ client, log, env, interpreters: this.interpreters, limits: this.limits, backoff: opts.backoff, waitS: opts.execWaitS });
    this.shells = new ShellLoop({ client, serverUrl: opts.config.server_url, token: opts.config.token, log, env, backoff: opts.backoff });
    this.heartbeat = new HeartbeatLoop({ client, log, backoff: opts.backoff, body: () => this.body(), onReply: (r, s) => this.onReply(r, s) });
  }

  start(): void {
    const { log, config } = this.opts;
    log.info('hydranode starting', {
      version: this.version,
      node_id: config.node_id,
      server_url: config.server_url,
      home: this.opts.home,
      bash: this.interpreters.bash,
      powershell: this.interpreters.powershell,
      update_hook: config.update_command.trim() !== '',
      self_update: this.opts.binary ?? null,
    });
    if (this.update) log.info('agent update', { ...this.update });
    this.heartbeat.start();
    this.execs.start();
    this.shells.start();
  }

  /** SIGTERM: no more polling, a running exec gets a few seconds, running scripts are killed. */
  async stop(): Promise<void> {
    this.opts.log.info('hydranode stopping');
    const execs = this.execs.stop(EXEC_STOP_GRACE_MS);
    this.stopping.abort();
    await Promise.all([execs, this.shells.stop(), this.heartbeat.stop(), this.work]);
    this.opts.log.info('hydranode stopped');
  }

  private body(): HeartbeatBody {
    const facts = hostFacts();
    const acks = this.flags.pendingAcks();
    const diagnostics: Record<string, DiagnosticValue> = {
      agent_pid: process.pid,
      agent_uptime_s: Math.floor((Date.now() - this.startedAt) / MS_PER_S),
      exec_running: this.execs.runningExec,
      execs_run: this.execs.execsRun,
      shell_sessions: this.shells.sessions,
      provisioning: this.work !== null,
      update_hook: this.opts.config.update_command.trim() !== '',
    };
    return {
      agent_version: this.version,
      ...facts,
      lan_ip: lanIp(),
      wg_ip: wgIp(),
      ...this.provisioner.report(),
      diagnostics,
      ...(this.update ? { agent_update: this.update } : {}),
      ...(acks.length > 0 ? { ack_flags: acks } : {}),
    };
  }

  private onReply(reply: HeartbeatReply, sent: HeartbeatBody): void {
    this.limits.learn(reply.limits, 'heartbeat');
    if (sent.ack_flags?.length) {
      this.flags.acked(sent.ack_flags);
      this.opts.log.info('flags acknowledged', { flags: sent.ack_flags });
    }
    const fresh = this.flags.observe(reply.flags);
    if (fresh.length > 0) this.opts.log.info('flags requested by the server', { flags: fresh });
    this.work ??= this.doWork().finally(() => (this.work = null));
  }

  /** One provisioning pass, then the flags' work; nudges a heartbeat when it has news to report. */
  private async doWork(): Promise<void> {
    const { client, log } = this.opts;
    const signal = this.stopping.signal;
    const before = JSON.stringify(this.provisioner.report());
    try {
      const plan = await client.provision(signal);
      this.limits.learn(plan.limits, 'provision');
      // plan.reprovision is not taken as a request: flags come from heartbeat replies only (see flags.ts).
      const forced = this.flags.take(REINSTALL_FLAGS);
      if (forced.length > 0) log.info('reinstalling every assigned role', { flags: forced, roles: plan.roles });
      // reprovision is the runbook's clean reinstall: providers removed with their cached state.
      await this.provisioner.apply(plan, forced.length > 0, forced.includes('reprovision'));
      if (signal.aborted) return;
      this.flags.done(forced);
      if (this.flags.take(['update_node']).length > 0) {
        if ((await this.updateNode()) === 'swapped') {
          this.restartWanted(); // the ack is owed on disk: the new process sends it
          return;
        }
        if (signal.aborted) return; // cut short by a stop: not answered, the next start tries again
        this.flags.done(['update_node']);
      }
    } catch (e) {
      if (!signal.aborted) log.warn('provision poll failed; retrying on the next tick', { error: (e as Error).message });
      return;
    }
    if (!signal.aborted && (this.flags.pendingAcks().length > 0 || JSON.stringify(this.provisioner.report()) !== before)) {
      this.heartbeat.nudge();
    }
  }

  /**
   * The `update_node` flag: `update_command` from config.yaml when one is set (the override), else
   * the self-update to the server's release. 'swapped': a new binary is in place, restart.
   */
  private async updateNode(): Promise<'swapped' | 'done'> {
    const { log, config, home } = this.opts;
    const command = config.update_command.trim();
    if (command !== '') {
      await this.runUpdateHook(command);
      return 'done';
    }
    // Loaded for the update only: it needs zod (the manifest's schema), an idle agent does not.
    const { selfUpdate } = await import('./self-update.js');
    const outcome = await selfUpdate({
      home,
      serverUrl: config.server_url,
      binary: this.opts.binary ?? null,
      version: this.version,
      platform: this.platform,
      arch: this.opts.arch ?? process.arch,
      log,
      env: this.opts.env,
      signal: this.stopping.signal,
      report: (u) => {
        this.update = u;
        this.heartbeat.nudge();
      },
      beforeSwap: () => this.flags.oweAcrossRestart('update_node'),
    });
    return outcome === 'swapped' ? 'swapped' : 'done';
  }

  /** Runs the `update_command` hook (it usually restarts hydranode itself). */
  private async runUpdateHook(command: string): Promise<void> {
    const { log, config } = this.opts;
    // The hook usually restarts hydranode: the ack must be sent after that restart, not lost.
    this.flags.oweAcrossRestart('update_node');
    const launch = launchFor(this.platform === 'win32' ? 'powershell' : 'bash', command, this.interpreters);
    if ('error' in launch) {
      log.error('update hook cannot run', { error: launch.error });
      return;
    }
    log.info('running the update hook (update_node)');
    const o = await runCommand({ launch, timeoutMs: config.script_timeout_s * MS_PER_S, env: this.opts.env, signal: this.stopping.signal });
    const fields = { exit_code: o.exitCode, timed_out: o.timedOut, duration_ms: o.durationMs, stderr_tail: o.stderr.slice(-2000) };
    if (o.exitCode === 0 && !o.timedOut) log.info('update hook finished', fields);
    else log.error('update hook failed', fields);
  }
}

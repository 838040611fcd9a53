import type { Batches } from '../actors/batch/batches.js';
import type { ActorSystem } from '../actors/kernel/system.js';
import type { ExecQueues } from '../actors/exec/queues.js';
import type { Fleet } from '../actors/node/fleet.js';
import type { Heads } from '../actors/head/heads.js';
import type { ShellSessions } from '../actors/shell/sessions.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { LiveConfig } from '../live-config.js';
import type { Logger } from '../log.js';
import type { AuditSink } from '../persist/audit-log.js';
import type { NodeStore } from '../persist/nodes-store.js';
import type { AuthDeps } from './auth.js';
import type { RateLimiter } from './rate-limit.js';
import type { RequestRegistry } from './request-registry.js';

/** Everything the HTTP layer talks to; built by `serve` and by tests. */
export interface AppDeps {
  /** The server's home folder (`<home>/releases/` is served under /downloads/). */
  home: string;
  /** The running config (`live.current`): read it at use, a reload swaps it. */
  readonly config: Config;
  live: LiveConfig;
  clock: Clock;
  log: Logger;
  system: ActorSystem;
  fleet: Fleet;
  /** Head actors, the eligibility index and active heads per body (docs/api.md#heads-and-eligibility). */
  heads: Heads;
  /** Per-node exec queues (docs/api.md#exec), created on first use. */
  execQueues: ExecQueues;
  /** Fleet-exec batches (docs/api.md#fleet-exec). */
  batches: Batches;
  /** WebSocket PTY sessions (docs/api.md#shell-sessions). */
  shells: ShellSessions;
  store: NodeStore;
  requests: RequestRegistry;
  version: string;
  startedAt: number;
  /** `<home>/audit.log` (docs/api.md#accountability): every change is recorded there before it is answered. */
  audit: AuditSink;
}

/** Derived per-app state: auth digests and rate limiters. */
export interface RouteDeps extends AppDeps {
  auth: AuthDeps;
  enrollLimiter: RateLimiter;
}

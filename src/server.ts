/**
 * `hydracluster serve`: loads config.yaml (on first start, writes a fresh one holding the address
 * actually served), restores every node actor from nodes.yaml, serves the API, and on
 * SIGTERM/SIGINT stops cleanly: no new requests, in-flight ones finish (a few seconds at most),
 * nodes.yaml is made current, exit 0. SIGHUP reopens audit.log (reopenAudit).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { Batches } from './actors/batch/batches.js';
import { WebSocketServer } from 'ws';
import { ExecQueues } from './actors/exec/queues.js';
import { MIN_STALLED_AFTER_S } from './actors/exec/queue-actor.js';
import { Heads } from './actors/head/heads.js';
import { Fleet, DEFAULT_SWEEP_INTERVAL_MS } from './actors/node/fleet.js';
import { ActorSystem } from './actors/kernel/system.js';
import { ShellSessions } from './actors/shell/sessions.js';
import { systemClock, type Clock } from './clock.js';
import { ConfigError, loadConfig, looseMode, servedConfig, writeFirstConfig, type Config } from './config.js';
import { ConnectionGuard } from './http/connection-guard.js';
import { formatListen, listenProblem, parseListen } from './listen.js';
import { createApp } from './app.js';
import type { AppDeps } from './http/deps.js';
import { RequestRegistry } from './http/request-registry.js';
import { startTrafficSummary } from './http/traffic-summary.js';
import { createLogger, type Logger } from './log.js';
import { AuditLog } from './persist/audit-log.js';
import { loadState, NodesFile } from './persist/nodes-file.js';
import { LiveConfig } from './live-config.js';
import type { NodeStore } from './persist/nodes-store.js';
import { EX_UNAVAILABLE } from './sysexits.js';
import { VERSION } from './version.js';
import { isLoopbackUrl } from './wire/constants.js';

/** In-flight requests get this long to finish after SIGTERM before connections are cut. */
export const SHUTDOWN_GRACE_MS = 5000;

/**
 * A client has this long from connecting to the end of its request headers (and to its first
 * byte: see ConnectionGuard). Long-polls and result waits are not affected: they wait after the
 * request has been received.
 */
export const HEADERS_TIMEOUT_MS = 15_000;
/** ...and this long to send its whole request, body included (an exec result of a few MB). */
export const REQUEST_TIMEOUT_MS = 120_000;
/** How often Node checks those two timeouts. */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;
/** Idle keep-alive connections are closed after this (longer than the agents' heartbeat gap). */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/** The server could not bind its address (in use, not on this machine, not permitted). */
export class ListenError extends Error {
  /** sysexits EX_UNAVAILABLE: the address is not available to this process. */
  readonly exitCode = EX_UNAVAILABLE;
}

export { listenProblem };

export interface Core extends AppDeps {
  home: string;
}

/** The settings each subsystem keeps of its own, from one config value. */
const fleetSettings = (c: Config) => ({
  heartbeatIntervalS: c.server.heartbeat_interval_s,
  offlineAfterS: c.server.offline_after_s,
  enrollmentTtlS: c.server.enrollment_ttl_s,
  maxOutputBytes: c.server.exec.max_output_bytes,
});
const execSettings = (c: Config) => {
  const ex = c.server.exec;
  const stalledAfterS = Math.max(MIN_STALLED_AFTER_S, 2 * c.server.heartbeat_interval_s);
  return { maxQueue: ex.max_queue, defaultTimeoutS: ex.default_timeout_s, resultTtlS: ex.result_ttl_s, maxOutputBytes: ex.max_output_bytes, offlineAfterS: c.server.offline_after_s, stalledAfterS };
};
const shellSettings = (c: Config) => {
  const sh = c.server.shell;
  return { maxSessionsPerNode: sh.max_sessions_per_node, attachTimeoutMs: sh.attach_timeout_s * 1000, idleTimeoutMs: sh.idle_timeout_s * 1000 };
};

/**
 * Builds the actor system, the store and the fleet from a home folder's nodes.yaml. `live` is the
 * running config (a reload swaps it); without one, `config` is fixed for this core's life.
 */
export async function buildCore(opts: { home: string; config: Config; live?: LiveConfig; clock?: Clock; log: Logger; store?: NodeStore }): Promise<Core> {
  const clock = opts.clock ?? systemClock;
  const live = opts.live ?? new LiveConfig(opts.config);
  const cfg = live.current.server;
  const path = join(opts.home, 'nodes.yaml');
  const t0 = performance.now();
  const loaded = await loadState(path);
  const compactBytes = cfg.journal_compact_bytes;
  const store = opts.store ?? new NodesFile({ path, clock, log: opts.log, loaded, ...(compactBytes > 0 && { compactMinBytes: compactBytes, compactRatio: 0 }) });
  const system = new ActorSystem(clock);
  const execQueues = new ExecQueues({ clock, system, settings: execSettings(live.current) });
  // docs/api.md#accountability, the runbook's "online but exec results stay pending": said once in the journal, when it starts and ends.
  execQueues.onStalledChange = (id, stalled) =>
    stalled ? opts.log.warn('node exec stalled: queued execs are not being fetched', { node_id: id }) : opts.log.info('node exec no longer stalled', { node_id: id });
  const batches = new Batches({ clock, system, execQueues, resultTtlS: cfg.exec.result_ttl_s });
  const shells = new ShellSessions({ clock, system, log: opts.log, settings: shellSettings(live.current) });
  // The head actors and the eligibility index are fed by the node actors' changes (a watcher
  // given to the fleet); a head reaches its node actor through the fleet, by id.
  const heads = new Heads({ clock, system, node: (id) => fleet.get(id), log: opts.log });
  const fleet = new Fleet({
    clock,
    system,
    store,
    catalog: live.current.roles,
    log: opts.log,
    settings: { ...fleetSettings(live.current), sweepIntervalMs: DEFAULT_SWEEP_INTERVAL_MS },
    watchers: [heads],
    ports: {
      execCounts: (id) => execQueues.counts(id),
      shellPending: (id) => shells.pending(id),
      nodeGone: (id) => {
        execQueues.remove(id);
        batches.nodeGone(id);
        shells.removeNode(id);
      },
    },
  });
  // A reload: every subsystem's own settings follow in the same turn (each replaced whole, never
  // patched), and nodes holding a role whose recipe changed apply it afresh.
  live.subscribe((next, _prev, changed) => {
    const refreshed = changed.filter((k) => k.startsWith('roles.')).map((k) => k.slice('roles.'.length)).filter((r) => Object.hasOwn(next.roles, r));
    const asked = fleet.reconfigure(next.roles, fleetSettings(next), refreshed);
    execQueues.reconfigure(execSettings(next));
    shells.reconfigure(shellSettings(next));
    batches.reconfigure(next.server.exec.result_ttl_s);
    opts.log.setLevel(next.server.log_level);
    if (changed.length > 0) opts.log.info('config reloaded', { changed, roles_refreshed: refreshed, nodes_asked: asked });
  });
  const restored = fleet.restore(loaded.records);
  const replayed = loaded.journal && { journal: loaded.journal.path, journal_changes: loaded.journal.replayed };
  opts.log.info('nodes restored', { path, nodes: restored, source: loaded.source, ...replayed, ms: Math.round(performance.now() - t0) });
  fleet.start();
  return { home: opts.home, live, get config() { return live.current; }, clock, log: opts.log, system, fleet, heads, execQueues, batches, shells, store, requests: new RequestRegistry(), version: VERSION, startedAt: clock.mono(), audit: auditLog(opts.home, opts.log) };
}

/** `<home>/audit.log`; a move or delete from outside is said in the journal when noticed. */
function auditLog(home: string, log: Logger): AuditLog {
  const path = join(home, 'audit.log');
  return new AuditLog(path, { onMoved: () => log.warn('audit.log was moved or deleted; writing a new one', { path }) });
}

export interface RunningServer {
  url: string;
  core: Core;
  server: Server;
  /** The per-address connection cap and first-byte timeout on this server's sockets. */
  connections: ConnectionGuard;
  /** The clean stop of SIGTERM: refuse new requests, drain, flush nodes.yaml. */
  stop(): Promise<void>;
  /** SIGHUP: re-reads config.yaml (an invalid one is logged and the running config kept) and reopens audit.log; never rejects. */
  hangup(): Promise<void>;
  /** SIGHUP's part for the logs: audit.log is closed and its path opened anew; never rejects. */
  reopenAudit(): Promise<void>;
}

/** `listen` is `--listen` (validated by the caller); else `server.listen` from config.yaml. */
export async function startServer(opts: { home: string; listen?: string; clock?: Clock; log?: Logger; store?: NodeStore }): Promise<RunningServer> {
  const loaded = loadConfig(opts.home, opts.listen);
  const { config, path: configPath } = loaded;
  const cfg = config.server;
  const log = opts.log ?? createLogger({ format: cfg.log_format === 'auto' ? undefined : cfg.log_format, level: cfg.log_level });
  if (!loaded.created && looseMode(loaded.mode)) {
    log.warn('config.yaml is readable or writable by other users; it holds the admin token: chmod 600 it', {
      path: configPath,
      mode: `0${loaded.mode.toString(8).padStart(3, '0')}`,
    });
  }
  const clock = opts.clock ?? systemClock;
  const live = new LiveConfig(config, { home: opts.home, listen: opts.listen });
  const core = await buildCore({ home: opts.home, config, live, clock, log, store: opts.store });
  const handle = createApp(core);
  const listen = opts.listen ?? cfg.listen;
  const connections = new ConnectionGuard({ maxPerAddress: cfg.max_connections_per_address, firstByteMs: HEADERS_TIMEOUT_MS, clock, log });
  const abort = async (e: unknown): Promise<never> => {
    core.fleet.stop();
    await core.store.close();
    throw e;
  };
  // WebSocket upgrades (the shell) go through the same app; frames over max_frame_bytes: 1009.
  const wss = new WebSocketServer({ noServer: true, maxPayload: cfg.shell.max_frame_bytes });
  const server = await bind(handle.app.fetch, listen, opts.listen !== undefined ? '--listen' : 'server.listen', connections, wss).catch(abort);
  server.maxConnections = cfg.max_connections;
  const addr = server.address() as AddressInfo;
  const url = `http://${formatListen(addr.address, addr.port)}`;
  const served = formatListen(parseListen(listen).host, addr.port);
  // The running config as served: a new value replacing the one built before the bind, whole.
  live.setServed(served, servedConfig(loaded, served));
  if (loaded.created) {
    // The first config holds what is actually served: the port bound for port 0, and its URL.
    try {
      writeFirstConfig(loaded, served);
    } catch (e) {
      server.close();
      await abort(new ConfigError(`cannot write ${configPath}: ${(e as Error).message}`));
    }
    log.info('wrote a new config.yaml with fresh random tokens', {
      path: configPath,
      listen: live.current.server.listen,
      public_url: live.current.server.public_url,
      hint: `the admin token is server.admin_token in ${configPath} (readable by its owner only)`,
    });
  }
  log.info('hydracluster listening', { url, version: VERSION, home: opts.home, nodes: core.fleet.size });
  if (isLoopbackUrl(cfg.public_url)) {
    log.warn('public_url is a loopback address: install commands and the iPad QR only work on this machine; set server.public_url to an address the nodes reach', { public_url: cfg.public_url });
  }
  const summary = startTrafficSummary(core);

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      log.info('shutting down', { in_flight: core.requests.size });
      summary.cancel();
      handle.beginShutdown();
      core.execQueues.wakeAll();
      core.batches.wakeAll();
      core.shells.closeAll();
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      const deadline = Date.now() + SHUTDOWN_GRACE_MS;
      while (core.requests.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      if (core.requests.size > 0) log.warn('cutting requests still in flight', { requests: core.requests.list() });
      server.closeAllConnections();
      await closed;
      core.fleet.stop();
      await core.store.close();
      await core.audit.close();
      log.info('stopped; nodes.yaml is current', { nodes: core.fleet.size });
      log.flush();
    })());
  const reopenAudit = () =>
    core.audit.reopen().then(
      () => log.info('audit.log reopened', { path: join(opts.home, 'audit.log') }),
      (e: unknown) => log.error('audit.log could not be reopened; the next audited change retries', { error: (e as Error).message }),
    );
  const hangup = (): Promise<void> => {
    try {
      const report = live.reload();
      log.info('SIGHUP: config.yaml reloaded', { ...report });
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      log.error('SIGHUP: config.yaml refused; the running config is kept', { error: e.message });
    }
    return reopenAudit();
  };
  return { url, core, server, connections, stop, hangup, reopenAudit };
}

/** Binds the node http server with its timeouts; a bind failure is a ListenError naming `source`. */
function bind(fetch: (req: Request) => Response | Promise<Response>, listen: string, source: string, guard: ConnectionGuard, wss: WebSocketServer): Promise<Server> {
  const { host, port } = parseListen(listen);
  return new Promise<Server>((resolve, reject) => {
    const serverOptions = {
      headersTimeout: HEADERS_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
    };
    const s = serve({ fetch, hostname: host, port, serverOptions, websocket: { server: wss } }, () => resolve(s as Server)) as Server;
    guard.attach(s);
    s.once('error', (e: Error) => {
      s.close();
      reject(new ListenError(`cannot listen on ${listen} (${source}): ${e.message}`));
    });
  });
}

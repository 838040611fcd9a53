/**
 * GET /metrics (docs/api.md#accountability): Prometheus text format, with prom-client. Readable with an admin token
 * or server.metrics_token (which reads nothing else).
 *
 * Cost on the hot path: the request log's completion step observes each request's duration in a
 * histogram labelled by method, route *template* and status (bounded label values: never a raw
 * path or a node id), and counts heartbeats in a plain integer. Everything else (nodes by
 * state and kind, queued execs, mailboxes) is read when scraped, not kept up per request.
 */
import { Hono, type Context } from 'hono';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ExecQueues } from '../actors/exec/queues.js';
import type { Fleet } from '../actors/node/fleet.js';
import type { ActorSystem } from '../actors/kernel/system.js';
import { NODE_KINDS, NODE_STATES } from '../wire/common.js';
import { matchedRoutes } from 'hono/route';
import type { RouterRoute } from 'hono/types';
import { RouteHistogram } from './route-histogram.js';
import { bearer, classify, refuse, type AuthDeps } from './auth.js';
import type { AppEnv } from './env.js';

const HEARTBEAT_ROUTE = '/api/v1/body/heartbeat';
const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);
/** Requests: mostly sub-millisecond; long-polls hold up to 30 s. */
const HTTP_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Exec round trips: from queued to finished, seconds to hours. */
const EXEC_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600];

/** Label values of a request's series: route template (or `unmatched`), method, status. */
function routeLabels(route: RouterRoute | string, status: number): { method: string; route: string; status: string } {
  if (typeof route === 'string') return { method: route.slice(UNMATCHED.length), route: 'unmatched', status: String(status) };
  return { method: METHODS.has(route.method) ? route.method : 'OTHER', route: route.path, status: String(status) };
}

const UNMATCHED = 'unmatched ';
const unmatchedKey = (method: string): string => UNMATCHED + (METHODS.has(method) ? method : 'OTHER');

/** Process figures (CPU, memory, GC, event-loop lag) are the process's own: one registry per process. */
let processRegistry: Registry | null = null;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export interface MetricsDeps {
  fleet: Fleet;
  execQueues: ExecQueues;
  system: ActorSystem;
  /** Its `failedWrites`: writes of nodes.yaml or its journal that failed (each a 503 `persist_failed`, or telemetry to retry). */
  store: { stats(): { failedWrites: number } };
}

/** One server's metrics. */
export class Metrics {
  readonly registry = new Registry();
  private heartbeats = 0;
  private readonly http: RouteHistogram;
  private readonly execs: Counter<'status'>;
  private readonly roundTrip: Histogram;

  constructor(deps: MetricsDeps) {
    const r = this.registry;
    const self = this;
    this.http = new RouteHistogram({ name: 'hydracluster_http_request_duration_seconds', help: 'HTTP requests by method, route template and status, with their durations', buckets: HTTP_BUCKETS, registers: [r] });
    this.execs = new Counter({ name: 'hydracluster_execs_finished_total', help: 'Execs that reached a final status, by status', labelNames: ['status'], registers: [r] });
    this.roundTrip = new Histogram({ name: 'hydracluster_exec_round_trip_seconds', help: 'Time from an exec being queued to its final status', buckets: EXEC_BUCKETS, registers: [r] });
    new Counter({
      name: 'hydracluster_heartbeats_total', help: 'Heartbeats received and answered 200', registers: [r],
      collect() {
        this.reset();
        this.inc(self.heartbeats);
      },
    });
    new Gauge({
      name: 'hydracluster_nodes', help: 'Nodes by state and kind', labelNames: ['state', 'kind'], registers: [r],
      collect() {
        const counts = new Map<string, number>();
        for (const n of deps.fleet.all()) {
          const key = `${n.stateName()}\u0000${n.published.kind}`;
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
        for (const state of NODE_STATES) for (const kind of NODE_KINDS) this.set({ state, kind }, counts.get(`${state}\u0000${kind}`) ?? 0);
      },
    });
    new Gauge({ name: 'hydracluster_execs_queued', help: 'Execs queued and not yet delivered, all nodes', registers: [r], collect() { this.set(deps.execQueues.queuedTotal()); } });
    new Gauge({ name: 'hydracluster_nodes_exec_stalled', help: 'Nodes whose exec queue is stalled', registers: [r], collect() { this.set(deps.execQueues.stalledIds().length); } });
    new Gauge({ name: 'hydracluster_actors', help: 'Live actors', registers: [r], collect() { this.set(deps.system.size); } });
    new Gauge({ name: 'hydracluster_mailbox_depth_max', help: 'The deepest actor mailbox', registers: [r], collect() { this.set(deps.system.pressure().deepestMailbox); } });
    new Gauge({ name: 'hydracluster_mailbox_oldest_message_age_seconds', help: 'Age of the oldest unanswered actor message', registers: [r], collect() { this.set(deps.system.pressure().oldestMessageAgeMs / 1000); } });
    new Counter({
      name: 'hydracluster_persist_failures_total', help: 'Writes of nodes.yaml or its journal that failed (disk full, I/O error)', registers: [r],
      collect() {
        this.reset();
        this.inc(deps.store.stats().failedWrites);
      },
    });
    deps.execQueues.onMeasured = (status, ms) => {
      this.execs.inc({ status });
      this.roundTrip.observe(ms / 1000);
    };
  }

  /**
   * Records one finished request that started at `t0` (performance.now()). The request log calls
   * it from its own completion step (the outermost middleware, so the duration covers the whole
   * handling), so the hot path has no middleware of its own for metrics.
   */
  observe(c: Context<AppEnv>, t0: number): void {
    const last = matchedRoutes(c).at(-1);
    // The route object itself is the key (it carries method and template): nothing is hashed.
    const route = last && last.method !== 'ALL' ? last : unmatchedKey(c.req.method);
    const status = c.res.status;
    if (status === 200 && typeof route !== 'string' && route.path === HEARTBEAT_ROUTE) this.heartbeats++;
    this.http.record(route, status, routeLabels, (performance.now() - t0) / 1000);
  }

  /** The exposition: this server's families, then the process's. */
  async text(): Promise<string> {
    return `${await this.registry.metrics()}\n${await processMetrics().metrics()}`;
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** GET /metrics: an admin token or server.metrics_token. */
export function metricsRoutes(metrics: Metrics, auth: AuthDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/metrics', async (c) => {
    const cred = classify(bearer(c), auth);
    if (cred.kind !== 'admin' && cred.kind !== 'metrics') refuse(c, auth, cred, 'read metrics');
    c.header('Content-Type', metrics.contentType);
    return c.body(await metrics.text());
  });
  return app;
}

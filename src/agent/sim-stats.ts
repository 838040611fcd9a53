/**
 * Counters of `hydranode sim`: heartbeats sent and accepted, errors by kind, latency percentiles
 * from a log-bucketed histogram (bounded memory, ±1 % precision, however long the run), and the
 * simulator's own event-loop delay, so a latency tail can be told apart from a busy client.
 */
import { monitorEventLoopDelay, type ELDHistogram } from 'node:perf_hooks';

/** Bucket width: each bucket is 1 % wider than the one below. */
const BUCKET_GROWTH = 1.01;
/** Latencies under this (ms) share the first bucket. */
const MIN_LATENCY_MS = 0.01;
const LOG_GROWTH = Math.log(BUCKET_GROWTH);
const PERCENT = 100;
/** Event-loop delay sampling resolution. */
const LOOP_RESOLUTION_MS = 5;
const NS_PER_MS = 1e6;

/** A latency histogram; {@link percentile} answers within one bucket (1 %). */
export class LatencyHistogram {
  private readonly buckets = new Map<number, number>();
  private total = 0;

  add(ms: number): void {
    const b = Math.max(0, Math.ceil(Math.log(Math.max(ms, MIN_LATENCY_MS) / MIN_LATENCY_MS) / LOG_GROWTH));
    this.buckets.set(b, (this.buckets.get(b) ?? 0) + 1);
    this.total++;
  }

  get count(): number {
    return this.total;
  }

  /** The latency (ms) at percentile `p` (0–100), or null when empty. */
  percentile(p: number): number | null {
    if (this.total === 0) return null;
    const rank = Math.ceil((p / PERCENT) * this.total);
    let seen = 0;
    for (const b of [...this.buckets.keys()].sort((x, y) => x - y)) {
      seen += this.buckets.get(b)!;
      if (seen >= rank) return Math.round(MIN_LATENCY_MS * BUCKET_GROWTH ** b * PERCENT) / PERCENT;
    }
    return null;
  }
}

/** One window's (or the whole run's) counters. */
export class SimCounters {
  sent = 0;
  ok = 0;
  errors = new Map<string, number>();
  execs = 0;
  latency = new LatencyHistogram();
  readonly since = performance.now();
  private readonly loop: ELDHistogram = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });

  constructor() {
    this.loop.enable();
  }

  /** Stops sampling the event loop (the counters stay readable). */
  close(): void {
    this.loop.disable();
  }

  error(kind: string): void {
    this.errors.set(kind, (this.errors.get(kind) ?? 0) + 1);
  }

  get errorCount(): number {
    let n = 0;
    for (const v of this.errors.values()) n += v;
    return n;
  }

  /** The JSON-ready summary of this window. */
  summary(): Record<string, number | null | Record<string, number>> {
    const seconds = (performance.now() - this.since) / 1000;
    return {
      seconds: Math.round(seconds * 10) / 10,
      heartbeats_sent: this.sent,
      heartbeats_ok: this.ok,
      heartbeats_per_s: seconds > 0 ? Math.round((this.ok / seconds) * 10) / 10 : 0,
      errors: this.errorCount,
      errors_by_kind: Object.fromEntries(this.errors),
      p50_ms: this.latency.percentile(50),
      p99_ms: this.latency.percentile(99),
      execs_answered: this.execs,
      sim_loop_delay_p99_ms: Math.round(this.loop.percentile(99) / NS_PER_MS),
      sim_loop_delay_max_ms: Math.round(this.loop.max / NS_PER_MS),
    };
  }
}

/** Counts into the current window and the whole run at once. */
export class SimStats {
  window = new SimCounters();
  run = new SimCounters();

  beat(latencyMs: number, ok: boolean, errorKind?: string): void {
    for (const c of [this.window, this.run]) {
      c.sent++;
      if (ok) {
        c.ok++;
        c.latency.add(latencyMs);
      } else c.error(errorKind ?? 'unknown');
    }
  }

  exec(): void {
    this.window.execs++;
    this.run.execs++;
  }

  /** Starts counting afresh (the load phase begins after enrollment). */
  reset(): void {
    this.window.close();
    this.run.close();
    this.window = new SimCounters();
    this.run = new SimCounters();
  }

  /** Stops sampling (end of the run). */
  close(): void {
    this.window.close();
    this.run.close();
  }

  /** Ends the current window: its summary, and a fresh one. */
  roll(): ReturnType<SimCounters['summary']> {
    const s = this.window.summary();
    this.window.close();
    this.window = new SimCounters();
    return s;
  }
}

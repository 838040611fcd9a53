/**
 * The HTTP request histogram, kept cheap for the heartbeat hot path: one Map lookup by a string
 * key and a short bucket scan per request, no label validation or hashing (prom-client's own
 * observe() does both: ~2 µs a call on this machine under load). It is still a prom-client
 * Histogram, registered and exposed like the others: only get() is replaced, to read these series.
 */
import type { RouterRoute } from 'hono/types';
import { Histogram } from 'prom-client';

export type RouteLabel = 'method' | 'route' | 'status';
type Exported = Awaited<ReturnType<Histogram<RouteLabel>['get']>>;
type Value = Exported['values'][number];

/** prom-client's own export of a histogram's name, help, type and (here, no) values. */
const baseGetForPromString = (Histogram.prototype as unknown as { getForPromString(this: Histogram<RouteLabel>): Promise<Exported> }).getForPromString;

interface Series {
  labels: Record<RouteLabel, string>;
  /** Per bucket, not cumulative; the last one is +Inf. */
  buckets: Float64Array;
  sum: number;
  count: number;
}

export class RouteHistogram extends Histogram<RouteLabel> {
  /** By route (the router's own route object, or a string for unmatched requests), then status. */
  private readonly byRoute = new Map<RouterRoute | string, Map<number, Series>>();
  private readonly series: Series[] = [];
  private readonly bounds: number[];
  private readonly metricName: string;

  constructor(cfg: { name: string; help: string; buckets: number[]; registers: ConstructorParameters<typeof Histogram>[0]['registers'] }) {
    super({ ...cfg, labelNames: ['method', 'route', 'status'] });
    this.bounds = [...cfg.buckets].sort((a, b) => a - b);
    this.metricName = cfg.name;
  }

  /**
   * One request. `route` identifies method and route template (an object from the router, so the
   * lookup hashes nothing); `labels` is called only the first time a (route, status) is seen.
   */
  record(route: RouterRoute | string, status: number, labels: (route: RouterRoute | string, status: number) => Record<RouteLabel, string>, seconds: number): void {
    let byStatus = this.byRoute.get(route);
    if (!byStatus) this.byRoute.set(route, (byStatus = new Map()));
    let s = byStatus.get(status);
    if (!s) {
      s = { labels: labels(route, status), buckets: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 };
      byStatus.set(status, s);
      this.series.push(s);
    }
    let i = 0;
    while (i < this.bounds.length && seconds > this.bounds[i]!) i++;
    s.buckets[i]!++;
    s.sum += seconds;
    s.count++;
  }

  /** prom-client's Registry reads a histogram through this method (untyped there); get() too. */
  async getForPromString(): ReturnType<Histogram<RouteLabel>['get']> {
    const base = await baseGetForPromString.call(this);
    return { ...base, values: this.values() };
  }

  override get(): ReturnType<Histogram<RouteLabel>['get']> {
    return this.getForPromString();
  }

  private values(): Value[] {
    const values: Value[] = [];
    for (const s of this.series) {
      let cumulative = 0;
      this.bounds.forEach((le, i) => {
        cumulative += s.buckets[i]!;
        values.push({ labels: { ...s.labels, le } as Value['labels'], value: cumulative, metricName: `${this.metricName}_bucket` });
      });
      values.push({ labels: { ...s.labels, le: '+Inf' } as Value['labels'], value: s.count, metricName: `${this.metricName}_bucket` });
      values.push({ labels: s.labels, value: s.sum, metricName: `${this.metricName}_sum` });
      values.push({ labels: s.labels, value: s.count, metricName: `${this.metricName}_count` });
    }
    return values;
  }

  override reset(): void {
    super.reset();
    this.byRoute?.clear();
    if (this.series) this.series.length = 0;
  }
}

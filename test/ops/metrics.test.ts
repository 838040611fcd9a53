import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { execFixture, poll, report, submitOk } from '../http/exec-helpers.js';
import { ADMIN, type Harness } from '../support/harness.js';

const METRICS_TOKEN = 'hcm_metrics-token-0123456789abcdef';
const ALICE = 'hco_alice-token-0123456789abcdef';

type Family = parsePrometheusTextFormat.MetricFamily;

async function scrape(h: Harness, token: string | null = ADMIN): Promise<{ status: number; families: Map<string, Family>; text: string }> {
  const res = await h.handle.app.request('/metrics', { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  const families = res.status === 200 ? new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f])) : new Map();
  return { status: res.status, families, text };
}

const value = (f: Map<string, Family>, name: string, labels: Record<string, string> = {}): number => {
  const m = f.get(name)?.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
  return m ? Number(m.value ?? m.count) : NaN;
};

const fixture = () =>
  execFixture((d) => {
    d.server.metrics_token = METRICS_TOKEN;
    d.operators = { alice: ALICE };
  });

describe('metrics', () => {
  it('when scraped, then the text parses as Prometheus format with every family docs/operations.md#metrics-and-alerts lists', async () => {
    const { h } = await fixture();
    const { status, families } = await scrape(h);
    expect(status).toBe(200);
    for (const name of [
      'hydracluster_nodes', 'hydracluster_heartbeats_total', 'hydracluster_execs_finished_total', 'hydracluster_execs_queued',
      'hydracluster_exec_round_trip_seconds', 'hydracluster_mailbox_depth_max', 'hydracluster_mailbox_oldest_message_age_seconds',
      'hydracluster_http_request_duration_seconds', 'nodejs_eventloop_lag_seconds', 'process_cpu_user_seconds_total', 'process_resident_memory_bytes',
    ]) expect(families.has(name), name).toBe(true);
  });

  it('when heartbeats and execs happen, then their counters move and nodes are counted by state and kind', async () => {
    const { h, node } = await fixture();
    const before = (await scrape(h)).families;
    expect(value(before, 'hydracluster_nodes', { state: 'online', kind: 'body' }) + value(before, 'hydracluster_nodes', { state: 'provisioning', kind: 'body' })).toBe(1);
    for (let i = 0; i < 3; i++) await h.heartbeat(node.token);
    const id = await submitOk(h, node.id, 'echo hi');
    await submitOk(h, node.id, 'echo queued');
    expect(value((await scrape(h)).families, 'hydracluster_execs_queued')).toBe(2);
    await poll(h, node.token);
    h.clock.advance(1500);
    await report(h, node.token, { id, exit_code: 0, stdout: 'hi' });

    const after = (await scrape(h)).families;
    expect(value(after, 'hydracluster_heartbeats_total') - value(before, 'hydracluster_heartbeats_total')).toBe(3);
    expect(value(after, 'hydracluster_execs_finished_total', { status: 'done' })).toBe(1);
    expect(value(after, 'hydracluster_execs_queued')).toBe(1);
    const rt = after.get('hydracluster_exec_round_trip_seconds')!.metrics[0]!;
    expect(Number(rt.count)).toBe(1);
    expect(Number(rt.sum)).toBeCloseTo(1.5, 3);
    expect(value(after, 'hydracluster_nodes', { state: 'online', kind: 'body' })).toBe(1);
  });

  it('when requests are measured, then the HTTP histogram is labelled by route template, never by a raw path or node id', async () => {
    const { h, node } = await fixture();
    await h.heartbeat(node.token);
    await h.json('GET', `/nodes/${node.id}`);
    await h.json('GET', '/nodes/no-such-node');
    await h.json('GET', '/no/such/route');
    const { families, text } = await scrape(h);
    expect(families.get('hydracluster_http_request_duration_seconds')?.type).toBe('HISTOGRAM');
    // This parser folds a labelled histogram's series into one: its _count lines are parsed on their own.
    const name = 'hydracluster_http_request_duration_seconds_count';
    const countLines = text.split('\n').filter((l) => l.startsWith(`${name}{`));
    const counts = parsePrometheusTextFormat(`# TYPE ${name} counter\n${countLines.join('\n')}\n`);
    const labels = counts[0]!.metrics.map((m) => m.labels!);
    expect(labels).toContainEqual({ method: 'GET', route: '/api/v1/nodes/:id', status: '200' });
    expect(labels).toContainEqual({ method: 'GET', route: '/api/v1/nodes/:id', status: '404' });
    expect(labels).toContainEqual({ method: 'POST', route: '/api/v1/body/heartbeat', status: '200' });
    expect(labels).toContainEqual({ method: 'GET', route: 'unmatched', status: '404' });
    const hb = counts[0]!.metrics.find((m) => m.labels!.route === '/api/v1/body/heartbeat')!;
    expect(Number(hb.value)).toBe(1);
    expect(text).toContain('hydracluster_http_request_duration_seconds_bucket{method="POST",route="/api/v1/body/heartbeat",status="200",le="+Inf"} 1');
    expect(text).not.toContain(node.id);
    expect(text).not.toContain('no-such-node');
  });

  it('when /metrics is read without a token, then 401; an operator token reads it; the metrics token gets 403 everywhere else', async () => {
    const { h, node } = await fixture();
    expect((await scrape(h, null)).status).toBe(401);
    expect((await scrape(h, 'hcm_wrong-token-0123456789abcdef')).status).toBe(401);
    expect((await scrape(h, node.token)).status).toBe(403);
    expect((await scrape(h, ALICE)).status).toBe(200);
    expect((await scrape(h, METRICS_TOKEN)).status).toBe(200);
    const others: Array<[string, string]> = [
      ['GET', '/nodes'], ['GET', `/nodes/${node.id}`], ['PATCH', `/nodes/${node.id}`], ['DELETE', `/nodes/${node.id}`],
      ['POST', `/nodes/${node.id}/exec`], ['GET', `/nodes/${node.id}/exec`], ['DELETE', `/nodes/${node.id}/exec`],
      ['POST', `/nodes/${node.id}/drain`], ['POST', `/nodes/${node.id}/roles`], ['GET', '/roles'], ['GET', '/audit'],
      ['GET', '/debug/actors'], ['GET', '/debug/requests'], ['POST', '/body/heartbeat'], ['GET', '/body/exec'],
      ['POST', '/body/exec/result'], ['POST', '/register'],
    ];
    for (const [method, path] of others) {
      const r = await h.json(method, path, { token: METRICS_TOKEN, body: method === 'GET' ? undefined : {} });
      expect(r.status, `${method} ${path}`).toBe(403);
    }
  });

  it('when metrics_enabled is false, then /metrics is not served', async () => {
    const { h } = await execFixture((d) => (d.server.metrics_enabled = false));
    expect((await scrape(h)).status).toBe(404);
  });
});

/**
 * docs/api.md#accountability acceptance 5: what metrics and the audit trail cost on the heartbeat hot path. Two real
 * servers over the same 10,000-node nodes.yaml, one as configured by default (metrics on, audit
 * trail installed) and one with `metrics_enabled: false`, and a bare Hono route, loaded in turn
 * in short rounds whose order rotates (each server goes first, second and third equally often: a
 * fixed order was measured to favour whichever ran after bare Hono). The cost is judged on the
 * median over the rounds of the two servers' throughput within the same round. Heartbeats are
 * never audited: the audit middleware's cost on them is its method-and-prefix check, which both
 * servers run (it cannot be turned off). The load is the heartbeat part's: wrk, bench/load.ts.
 */
import { join } from 'node:path';
import { stopChild } from './children.js';
import { makeFleet, writeConfig, writeNodesYaml } from './fixtures.js';
import { HEARTBEAT_NODES, startBaseline, startHydra } from './heartbeat.js';
import { median } from './report.js';
import { makeRequests, requireWrk, runLoad, writeLoadScript, type LoadResult } from './load.js';

const RUN_S = 5;
const WARMUP_S = 3;
const ROUNDS = 6;
/** The ratio with metrics may be this much below the ratio without (acceptance: within 10%). */
export const OPS_MAX_LOSS = 0.1;

export interface OpsResult {
  runs: LoadResult[];
  /** Medians over the rounds of each server's throughput over bare Hono's in the same round. */
  ratioOn: number;
  ratioOff: number;
  /** 1 − the median over the rounds of (with / without): the share of heartbeat throughput metrics cost. */
  loss: number;
  /** The least server CPU per request over the runs (less sensitive to a busy machine). */
  cpuOn: number | null;
  cpuOff: number | null;
}


export async function opsBench(tmp: string, say: (s: string) => void): Promise<OpsResult> {
  requireWrk();
  const fleet = makeFleet(HEARTBEAT_NODES);
  const homeOn = join(tmp, 'ops-on');
  const homeOff = join(tmp, 'ops-off');
  writeConfig(homeOn);
  writeConfig(homeOff, (d) => (d.server.metrics_enabled = false));
  await writeNodesYaml(homeOn, fleet.records);
  await writeNodesYaml(homeOff, fleet.records);
  const reqs = writeLoadScript(tmp, 'ops-load', makeRequests(fleet.tokens));

  const on = await startHydra(homeOn, join(tmp, 'ops-on.log'));
  const off = await startHydra(homeOff, join(tmp, 'ops-off.log'));
  const base = await startBaseline(join(tmp, 'ops-baseline.log'));
  const targets = [['bare hono', base], ['metrics+audit', on], ['without', off]] as const;
  const runs: LoadResult[] = [];
  try {
    say(`  warm-up ${WARMUP_S} s each`);
    for (const [, t] of targets) await runLoad('warm-up', t.url, reqs, WARMUP_S, t.child.pid);
    for (let i = 1; i <= ROUNDS; i++) {
      const k = (i - 1) % targets.length;
      for (const [label, t] of [...targets.slice(k), ...targets.slice(0, k)]) {
        const r = await runLoad(`${label} #${i}`, t.url, reqs, RUN_S, t.child.pid);
        say(`  ${r.label.padEnd(18)} ${Math.round(r.reqPerSec).toLocaleString('en-US').padStart(7)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  non-2xx ${r.non2xx}  errors ${r.errors}  CPU µs/req ${r.cpuPerReqUs === null ? '-' : Math.round(r.cpuPerReqUs)}`);
        runs.push(r);
      }
    }
  } finally {
    for (const [, t] of targets) await stopChild(t.child);
  }
  const of = (prefix: string) => runs.filter((r) => r.label.startsWith(prefix)).map((r) => r.reqPerSec);
  const [bare, withM, without] = [of('bare'), of('metrics'), of('without')];
  const ratioOn = median(withM.map((x, i) => x / bare[i]!));
  const ratioOff = median(without.map((x, i) => x / bare[i]!));
  const loss = 1 - median(withM.map((x, i) => x / without[i]!));
  const leastCpu = (prefix: string): number | null => {
    const cpu = runs.filter((r) => r.label.startsWith(prefix) && r.cpuPerReqUs !== null).map((r) => r.cpuPerReqUs!);
    return cpu.length > 0 ? Math.min(...cpu) : null;
  };
  return { runs, ratioOn, ratioOff, loss, cpuOn: leastCpu('metrics'), cpuOff: leastCpu('without') };
}

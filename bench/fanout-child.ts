/**
 * In-process part of the fanout bench: builds the server's core from HOME/nodes.yaml (N online
 * nodes), then submits one fleet exec to all of them through the real app (POST /api/v1/exec)
 * while a 1 ms timer and monitorEventLoopDelay watch the event loop; the same timer left idle is
 * the baseline. Prints one JSON line.
 */
import { loadavg } from 'node:os';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { FakeClock } from '../src/clock.js';
import { createApp } from '../src/http/app.js';
import { memoryLogger } from '../src/log.js';
import { buildCore } from '../src/server.js';
import { benchConfig } from './fixtures.js';

const MEASURED_SUBMITS = 3;

/** GC pauses (start, duration), to tell the collector's stalls from the submit's own work. */
const gcPauses: Array<{ start: number; ms: number }> = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcPauses.push({ start: e.startTime, ms: e.duration });
}).observe({ entryTypes: ['gc'] });

interface Gaps {
  ms: number;
  maxGapMs: number;
  /** The longest gap less the GC pauses inside it: the code's own longest turn. */
  maxGapNoGcMs: number;
  /** CPU time the process spent in the longest-working gap (capped at the gap): preemption excluded. */
  maxTurnCpuMs: number;
  gcMaxMs: number;
  delayMaxMs: number;
}

async function gaps(work: () => Promise<unknown>): Promise<Gaps> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  const spans: Array<[number, number, number]> = [];
  const tick = setInterval(() => {
    const now = performance.now();
    const cpu = process.cpuUsage(lastCpu);
    spans.push([last, now, (cpu.user + cpu.system) / 1000]);
    last = now;
    lastCpu = process.cpuUsage();
  }, 1);
  const t0 = performance.now();
  await work();
  const end = performance.now();
  clearInterval(tick);
  h.disable();
  const endCpu = process.cpuUsage(lastCpu);
  spans.push([last, end, (endCpu.user + endCpu.system) / 1000]);
  await new Promise((r) => setImmediate(r)); // let the observer deliver the window's GC entries
  const gcIn = (a: number, b: number) => gcPauses.filter((p) => p.start >= a && p.start < b).reduce((x, p) => x + p.ms, 0);
  let maxGap = 0;
  let maxNoGc = 0;
  let maxCpu = 0;
  for (const [a, b, cpu] of spans) {
    maxGap = Math.max(maxGap, b - a);
    maxNoGc = Math.max(maxNoGc, b - a - gcIn(a, b));
    maxCpu = Math.max(maxCpu, Math.min(cpu, b - a));
  }
  const gcMaxMs = Math.max(0, ...gcPauses.filter((p) => p.start >= t0 && p.start <= end).map((p) => p.ms));
  return { ms: end - t0, maxGapMs: maxGap, maxGapNoGcMs: maxNoGc, maxTurnCpuMs: maxCpu, gcMaxMs, delayMaxMs: h.max / 1e6 };
}

async function main(home: string, n: number) {
  const config = benchConfig();
  const core = await buildCore({ home, config, clock: new FakeClock(), log: memoryLogger() });
  if (core.fleet.size !== n) throw new Error(`expected ${n} nodes, restored ${core.fleet.size}`);
  core.fleet.stop();
  const { app } = createApp(core);
  const headers = { authorization: `Bearer ${config.server.admin_token}`, 'content-type': 'application/json' };
  let lastBatch = '';
  const submit = async () => {
    const res = await app.request('/api/v1/exec', { method: 'POST', headers, body: JSON.stringify({ command: 'true', target: { all: true } }) });
    if (res.status !== 202) throw new Error(`POST /exec: ${res.status} ${(await res.text()).slice(0, 200)}`);
    return res.text(); // parsed after the window: the client's parse is not the server's stall
  };
  const count = (text: string): number => {
    const body = JSON.parse(text) as { batch_id: string; execs: unknown[] };
    lastBatch = body.batch_id;
    return body.execs.length;
  };
  await submit(); // warm-up: exec queues created, code paths compiled
  let reply = '';
  // Three measured submits (each queues one more exec per node); the median one is reported.
  const runs: Gaps[] = [];
  for (let i = 0; i < MEASURED_SUBMITS; i++) runs.push(await gaps(async () => (reply = await submit())));
  const execs = count(reply);
  const busy = [...runs].sort((a, b) => a.maxGapMs - b.maxGapMs)[Math.floor(runs.length / 2)]!;
  // Informational: reading the whole 10,000-member batch (one JSON reply).
  const read = await gaps(async () => (await app.request(`/api/v1/exec/batches/${lastBatch}`, { headers })).text());
  const idle = await gaps(() => new Promise((r) => setTimeout(r, Math.max(200, busy.ms))));
  await core.store.close();
  return { nodes: n, execs, submitMs: busy.ms, maxGapMs: busy.maxGapMs, maxGapNoGcMs: busy.maxGapNoGcMs, maxTurnCpuMs: busy.maxTurnCpuMs, gcMaxMs: busy.gcMaxMs, delayMaxMs: busy.delayMaxMs, idleMaxGapMs: idle.maxGapMs, idleMaxTurnCpuMs: idle.maxTurnCpuMs, loadAvg1m: loadavg()[0], maxGapEachMs: runs.map((r) => r.maxGapMs), readMs: read.ms, readMaxGapMs: read.maxGapMs };
}

const [home, count] = process.argv.slice(2);
main(home!, Number(count)).then(
  (r) => process.stdout.write(JSON.stringify(r) + '\n'),
  (e: Error) => {
    process.stderr.write(`fanout-child: ${e.stack ?? e.message}\n`);
    process.exitCode = 1;
  },
);

/**
 * In-process part of the fanout bench: builds the server's core from HOME/nodes.yaml (N online
 * nodes), then submits one fleet exec to all of them through the real app (POST /api/v1/exec)
 * while a 1 ms timer and monitorEventLoopDelay watch the event loop; the same timer left idle is
 * the baseline. Prints one JSON line.
 */
import { loadavg } from 'node:os';
import { createApp } from '../src/app.js';
import { benchConfig } from './fixtures.js';
import { buildBenchCore, reportChild, watchLoop, type LoopWindow } from './loop-window.js';

const MEASURED_SUBMITS = 3;

async function main(home: string, n: number) {
  const config = benchConfig();
  const { core } = await buildBenchCore(home, n, config);
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
  const runs: LoopWindow[] = [];
  for (let i = 0; i < MEASURED_SUBMITS; i++) runs.push(await watchLoop(async () => (reply = await submit())));
  const execs = count(reply);
  const busy = [...runs].sort((a, b) => a.maxGapMs - b.maxGapMs)[Math.floor(runs.length / 2)]!;
  // Informational: reading the whole 10,000-member batch (one JSON reply).
  const read = await watchLoop(async () => (await app.request(`/api/v1/exec/batches/${lastBatch}`, { headers })).text());
  const idle = await watchLoop(() => new Promise((r) => setTimeout(r, Math.max(200, busy.ms))));
  await core.store.close();
  return { nodes: n, execs, submitMs: busy.ms, maxGapMs: busy.maxGapMs, maxGapNoGcMs: busy.maxGapNoGcMs, maxTurnCpuMs: busy.maxTurnCpuMs, gcMaxMs: busy.gcMaxMs, delayMaxMs: busy.delayMaxMs, idleMaxGapMs: idle.maxGapMs, idleMaxTurnCpuMs: idle.maxTurnCpuMs, loadAvg1m: loadavg()[0], maxGapEachMs: runs.map((r) => r.maxGapMs), readMs: read.ms, readMaxGapMs: read.maxGapMs };
}

const [home, count] = process.argv.slice(2);
reportChild('fanout-child', main(home!, Number(count)));

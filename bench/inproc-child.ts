/**
 * In-process measurements, each in its own child process (a fresh heap, run with --expose-gc):
 *   memory HOME N — heap and RSS before and after building the core from HOME/nodes.yaml
 *   stall HOME N  — longest event-loop stall while nodes.yaml is rewritten with every record dirty
 *                   (run with --trace-gc too: the parent reads V8's incremental-marking steps, which
 *                   perf_hooks does not report as GC pauses but which run on the event loop)
 * Prints one JSON line with the result.
 */
import { constants, monitorEventLoopDelay, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { FakeClock } from '../src/clock.js';
import { memoryLogger } from '../src/log.js';
import { buildCore, type Core } from '../src/server.js';
import { benchConfig } from './fixtures.js';

/** Full collections; on a 500 MB heap of small objects each one takes ~0.5–2 s here, so few. */
const gc = (times = 2): void => {
  const g = (globalThis as { gc?: () => void }).gc;
  if (!g) throw new Error('run with --expose-gc');
  for (let i = 0; i < times; i++) g();
};

/** Every GC pause of the process, to tell GC stalls from the write's own synchronous steps. */
const gcPauses: Array<{ start: number; ms: number; major: boolean }> = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries() as Array<PerformanceEntry & { detail?: { kind?: number } }>) {
    gcPauses.push({ start: e.startTime, ms: e.duration, major: e.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR });
  }
}).observe({ entryTypes: ['gc'] });

const mem = () => {
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, rss: m.rss };
};

export type Mem = ReturnType<typeof mem>;

async function build(home: string, expected: number): Promise<{ core: Core; buildMs: number }> {
  const t0 = performance.now();
  const core = await buildCore({ home, config: benchConfig(), clock: new FakeClock(), log: memoryLogger() });
  const buildMs = performance.now() - t0;
  if (core.fleet.size !== expected) throw new Error(`expected ${expected} nodes, restored ${core.fleet.size}`);
  core.fleet.stop(); // the sweeper is a FakeClock timer anyway; nothing periodic runs
  return { core, buildMs };
}

async function memory(home: string, n: number) {
  gc();
  const before = mem();
  const { core, buildMs } = await build(home, n);
  gc();
  const afterBuild = mem();
  // The first write caches every record's serialized line: the steady state of a running server.
  await core.store.commit();
  gc();
  const steady = mem();
  const nodes = core.fleet.size;
  await core.store.close();
  return { nodes, buildMs, before, afterBuild, steady };
}

export interface Sample {
  /** The window, in performance.now() time (to match --trace-gc lines against it). */
  at: [number, number];
  ms: number;
  maxGapMs: number;
  delayMaxMs: number;
  delayP99Ms: number;
  /** Longest GC pause, and the sum of major (mark-compact) pauses, inside the window. */
  gcMaxMs: number;
  gcMajorMs: number;
}

/** Samples the event loop (1 ms interval gaps and monitorEventLoopDelay) while `work` runs. */
async function sampled(work: () => Promise<void>): Promise<Sample> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  let last = performance.now();
  let maxGap = 0;
  const tick = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
  }, 1);
  const t0 = performance.now();
  await work();
  const end = performance.now();
  clearInterval(tick);
  h.disable();
  maxGap = Math.max(maxGap, end - last);
  await new Promise((r) => setImmediate(r)); // let the observer deliver the window's GC entries
  const inWindow = gcPauses.filter((p) => p.start >= t0 && p.start <= end);
  return {
    at: [t0, end],
    ms: end - t0,
    maxGapMs: maxGap,
    delayMaxMs: h.max / 1e6,
    delayP99Ms: h.percentile(99) / 1e6,
    gcMaxMs: Math.max(0, ...inWindow.map((p) => p.ms)),
    gcMajorMs: inWindow.filter((p) => p.major).reduce((a, p) => a + p.ms, 0),
  };
}

async function stall(home: string, n: number) {
  const { core, buildMs } = await build(home, n);
  const nodes = [...core.fleet.all()];
  const writes: Array<Sample & { kind: string; bytes: number | null }> = [];
  for (const kind of ['first write after boot', 'all dirty #1', 'all dirty #2']) {
    if (kind !== 'first write after boot') for (const node of nodes) core.store.put(node.id, node.record);
    gc(1);
    const s = await sampled(() => core.store.commit());
    writes.push({ kind, ...s, bytes: core.store.stats().lastWriteBytes });
  }
  const idleMs = Math.max(500, Math.max(...writes.map((w) => w.ms)));
  gc(1);
  const idle = await sampled(() => new Promise((r) => setTimeout(r, idleMs)));
  // Informational: the fleet's 1 s sweeper walks every node synchronously.
  const sweeps: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    core.fleet.sweep();
    sweeps.push(performance.now() - t);
  }
  await core.store.close();
  return { nodes: n, buildMs, writes, idle, sweepMaxMs: Math.max(...sweeps) };
}

const [mode, home, count] = process.argv.slice(2);
const n = Number(count);
const run = mode === 'memory' ? memory(home!, n) : mode === 'stall' ? stall(home!, n) : Promise.reject(new Error(`unknown mode ${mode}`));
run.then(
  (r) => process.stdout.write(JSON.stringify(r) + '\n'),
  (e: Error) => {
    process.stderr.write(`inproc-child ${mode}: ${e.stack ?? e.message}\n`);
    process.exitCode = 1;
  },
);

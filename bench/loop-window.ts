/**
 * Shared by the in-process bench children (inproc-child, fanout-child): building the core from a
 * bench home, watching the event loop while some work runs, and printing the child's one JSON line.
 */
import { constants, monitorEventLoopDelay, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { FakeClock } from '../src/clock.js';
import type { Config } from '../src/config.js';
import { memoryLogger } from '../src/log.js';
import { buildCore, type Core } from '../src/server.js';
import { benchConfig } from './fixtures.js';

/** Every GC pause of the process (from when this module loads), to tell GC stalls from the work's own turns. */
const gcPauses: Array<{ start: number; ms: number; major: boolean }> = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries() as Array<PerformanceEntry & { detail?: { kind?: number } }>) {
    gcPauses.push({ start: e.startTime, ms: e.duration, major: e.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR });
  }
}).observe({ entryTypes: ['gc'] });

/** The core over HOME/nodes.yaml with a FakeClock (nothing periodic runs) and an in-memory log. */
export async function buildBenchCore(home: string, expected: number, config: Config = benchConfig()): Promise<{ core: Core; buildMs: number }> {
  const t0 = performance.now();
  const core = await buildCore({ home, config, clock: new FakeClock(), log: memoryLogger() });
  const buildMs = performance.now() - t0;
  if (core.fleet.size !== expected) throw new Error(`expected ${expected} nodes, restored ${core.fleet.size}`);
  core.fleet.stop(); // the sweeper is a FakeClock timer anyway
  return { core, buildMs };
}

export interface LoopWindow {
  /** The window, in performance.now() time (to match --trace-gc lines against it). */
  at: [number, number];
  ms: number;
  /** Longest gap between two runs of a 1 ms interval timer. */
  maxGapMs: number;
  /** The longest gap less the GC pauses inside it: the code's own longest turn. */
  maxGapNoGcMs: number;
  /** CPU time the process spent in the longest-working gap (capped at the gap): preemption excluded. */
  maxTurnCpuMs: number;
  delayMaxMs: number;
  delayP99Ms: number;
  /** Longest GC pause, and the sum of major (mark-compact) pauses, inside the window. */
  gcMaxMs: number;
  gcMajorMs: number;
}

/** Watches the event loop (1 ms interval gaps, monitorEventLoopDelay, GC pauses) while `work` runs. */
export async function watchLoop(work: () => Promise<unknown>): Promise<LoopWindow> {
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
  const inWindow = gcPauses.filter((p) => p.start >= t0 && p.start <= end);
  return {
    at: [t0, end],
    ms: end - t0,
    maxGapMs: maxGap,
    maxGapNoGcMs: maxNoGc,
    maxTurnCpuMs: maxCpu,
    delayMaxMs: h.max / 1e6,
    delayP99Ms: h.percentile(99) / 1e6,
    gcMaxMs: Math.max(0, ...inWindow.map((p) => p.ms)),
    gcMajorMs: inWindow.filter((p) => p.major).reduce((a, p) => a + p.ms, 0),
  };
}

/** Prints the child's result as one JSON line, or its error on stderr with exit code 1. */
export function reportChild(name: string, result: Promise<unknown>): void {
  result.then(
    (r) => process.stdout.write(JSON.stringify(r) + '\n'),
    (e: Error) => {
      process.stderr.write(`${name}: ${e.stack ?? e.message}\n`);
      process.exitCode = 1;
    },
  );
}

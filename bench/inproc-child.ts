/**
 * In-process measurements, each in its own child process (a fresh heap, run with --expose-gc):
 *   memory HOME N — heap and RSS before and after building the core from HOME/nodes.yaml
 *   stall HOME N  — longest event-loop stall while nodes.yaml is rewritten with every record dirty
 *                   (run with --trace-gc too: the parent reads V8's incremental-marking steps, which
 *                   perf_hooks does not report as GC pauses but which run on the event loop)
 * Prints one JSON line with the result.
 */
import { buildBenchCore as build, reportChild, watchLoop, type LoopWindow } from './loop-window.js';

/** Full collections; on a 500 MB heap of small objects each one takes ~0.5–2 s here, so few. */
const gc = (times = 2): void => {
  const g = (globalThis as { gc?: () => void }).gc;
  if (!g) throw new Error('run with --expose-gc');
  for (let i = 0; i < times; i++) g();
};

const mem = () => {
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, rss: m.rss };
};

export type Mem = ReturnType<typeof mem>;

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

async function stall(home: string, n: number) {
  const { core, buildMs } = await build(home, n);
  const nodes = [...core.fleet.all()];
  const writes: Array<LoopWindow & { kind: string; bytes: number | null }> = [];
  for (const kind of ['first write after boot', 'all dirty #1', 'all dirty #2']) {
    if (kind !== 'first write after boot') for (const node of nodes) core.store.put(node.id, node.published);
    gc(1);
    const s = await watchLoop(() => core.store.commit());
    writes.push({ kind, ...s, bytes: core.store.stats().lastWriteBytes });
  }
  const idleMs = Math.max(500, Math.max(...writes.map((w) => w.ms)));
  gc(1);
  const idle = await watchLoop(() => new Promise((r) => setTimeout(r, idleMs)));
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
reportChild(`inproc-child ${mode}`, run);

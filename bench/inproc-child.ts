/**
 * In-process measurements, each in its own child process (a fresh heap, run with --expose-gc):
 *   memory HOME N — heap and RSS before and after building the core from HOME/nodes.yaml
 *   stall HOME N  — longest event-loop stall while nodes.yaml is rewritten with every record dirty
 *                   (run with --trace-gc too: the parent reads V8's incremental-marking steps, which
 *                   perf_hooks does not report as GC pauses but which run on the event loop)
 * Prints one JSON line with the result.
 */
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { NodesFile } from '../src/persist/nodes-file.js';
import { writeSnapshotFile } from '../src/persist/snapshot-write.js';
import { buildBenchCore as build, reportChild, watchLoop, type LoopWindow } from './loop-window.js';

/** The stall part's baseline window (main.ts finds it by this name): a whole nodes.yaml written as before the journal. */
const BASELINE_WRITE = 'full write (as before the journal)';

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
  // The first append compares every restored record once: the steady state of a running server.
  await core.store.commit();
  gc();
  const steady = mem();
  const nodes = core.fleet.size;
  await core.store.close();
  return { nodes, buildMs, before, afterBuild, steady };
}

async function stall(home: string, n: number) {
  const { core, buildMs } = await build(home, n);
  const store = core.store as NodesFile;
  const records = [...core.fleet.all()].map((x) => x.published);
  const writes: Array<LoopWindow & { kind: string; bytes: number | null }> = [];
  // The baseline: today's nodes.yaml write before the journal, every record serialized (what each
  // 2 s flush did under heartbeats), with the same slicing; then the journal's own steps.
  const steps: Array<[string, () => Promise<unknown>]> = [
    [BASELINE_WRITE, () => writeSnapshotFile(join(home, 'baseline.yaml.tmp'), records, { snapshot: 'snap-bench', writtenAt: new Date().toISOString() }, { chunkRecords: 1000, sliceMs: 8 })],
    ['first append after boot (every record compared)', () => store.commit()],
    ['compaction #1', () => store.compact()],
    ['compaction #2', () => store.compact()],
  ];
  for (const [kind, work] of steps) {
    gc(1);
    let bytes: number | null = null;
    const s = await watchLoop(async () => {
      const r = (await work()) as { bytes?: number } | undefined;
      bytes = r?.bytes ?? (kind.startsWith('compaction') ? statSync(join(home, 'nodes.yaml')).size : null);
    });
    writes.push({ kind, ...s, bytes });
  }
  rmSync(join(home, 'baseline.yaml.tmp'), { force: true });
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
  return { nodes: n, buildMs, writes, idle, sweepMaxMs: Math.max(...sweeps) }; // not closed: the home stays as it was for the other parts
}

const [mode, home, count] = process.argv.slice(2);
const n = Number(count);
const run = mode === 'memory' ? memory(home!, n) : mode === 'stall' ? stall(home!, n) : Promise.reject(new Error(`unknown mode ${mode}`));
reportChild(`inproc-child ${mode}`, run);

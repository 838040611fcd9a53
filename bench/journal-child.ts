/**
 * The journal bench's measurements (docs/architecture.md#nodesyaml-and-its-journal), each in its own child process:
 *   disk HOME N CYCLES — N nodes heartbeating every 30 s, time compressed: a FakeClock steps 1 s at
 *                        a time while 1/30 of the nodes beat (asked of their actors directly), so
 *                        CYCLES × 30 s of fleet time run in seconds; disk bytes from /proc/self/io
 *                        (write_bytes) and the store's own counter, compactions included
 *   boot HOME N        — building the core (nodes.yaml, the journal replayed, every actor restored)
 * Prints one JSON line with the result.
 */
import { readFileSync } from 'node:fs';
import { askNode } from '../src/actors/node/actor.js';
import type { FakeClock } from '../src/clock.js';
import type { NodesFile } from '../src/persist/nodes-file.js';
import { buildBenchCore, reportChild } from './loop-window.js';

const BEAT_INTERVAL_S = 30;

/** Bytes this process has caused to be written to storage (Linux), or null elsewhere. */
function writeBytes(): number | null {
  try {
    const m = /^write_bytes: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Lets the store's disk loop run (its appends are real fsyncs) until it has nothing left to do. */
async function settle(store: NodesFile): Promise<void> {
  await new Promise((r) => setImmediate(r));
  await store.idle();
}

async function disk(home: string, n: number, cycles: number) {
  const { core, buildMs } = await buildBenchCore(home, n);
  const clock = core.clock as FakeClock;
  const store = core.store as NodesFile;
  const nodes = [...core.fleet.all()];
  const report = { reported: {}, ack: [] as const };
  const bytes0 = writeBytes();
  const store0 = core.store.stats().bytesWritten;
  const t0 = performance.now();
  for (let s = 0; s < cycles * BEAT_INTERVAL_S; s++) {
    const slot = s % BEAT_INTERVAL_S;
    for (let i = slot; i < nodes.length; i += BEAT_INTERVAL_S) await askNode(nodes[i]!, { type: 'heartbeat', report });
    clock.advance(1000); // lazy flushes (2 s) and refreshes (last_seen once a minute) fire on this clock
    await settle(store);
  }
  await store.idle();
  const st = core.store.stats();
  const bytes1 = writeBytes();
  const simulatedS = cycles * BEAT_INTERVAL_S;
  return {
    nodes: n,
    buildMs,
    simulatedS,
    wallMs: performance.now() - t0,
    procWriteBytes: bytes0 === null || bytes1 === null ? null : bytes1 - bytes0,
    storeBytes: st.bytesWritten - store0,
    snapshotBytes: Number(readFileSync(`${home}/nodes.yaml`).length),
    compactions: st.compactions,
    appends: st.writes,
    journalBytes: st.journalBytes,
  };
}

async function boot(home: string, n: number) {
  const { buildMs } = await buildBenchCore(home, n);
  return { nodes: n, buildMs };
}

const [mode, home, count, cycles] = process.argv.slice(2);
const run = mode === 'disk' ? disk(home!, Number(count), Number(cycles)) : mode === 'boot' ? boot(home!, Number(count)) : Promise.reject(new Error(`unknown mode ${mode}`));
reportChild(`journal-child ${mode}`, run);

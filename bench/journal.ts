/**
 * Bench part `journal` (docs/architecture.md#nodesyaml-and-its-journal, issue [scale]): what nodes.yaml costs the disk with a journal.
 * - disk bytes written per second at 10,000 and 100,000 nodes heartbeating every 30 s (time
 *   compressed in-process, see journal-child.ts), compactions included: target ≤ 300 KB/s at
 *   10,000, and at 100,000 ≤ a tenth of what rewriting the file every 2 s (the lazy flush before
 *   the journal) would cost;
 * - boot of 100,000 nodes with a journal of 1,000,000 lines vs the same nodes without one: ≤ 1.5×.
 * The longest compaction stall is measured by the stall part (inproc-child.ts).
 */
import { createWriteStream, cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { loadNodesFile } from '../src/persist/nodes-load.js';
import { headerLine } from '../src/persist/journal-lines.js';
import { BENCH_DIR, runJsonChild } from './children.js';
import { makeFleet, writeConfig, writeNodesYaml } from './fixtures.js';
import { int, secs, verdict } from './report.js';

const CHILD = join(BENCH_DIR, 'journal-child.js');
const CYCLES = 12; // 6 minutes of fleet time: past the first last_seen refreshes and at least one compaction
const JOURNAL_LINES = 1_000_000;
const BOOT_ROUNDS = 2;
export const JOURNAL_TARGET = { bytesPerS10k: 300_000, rewriteShare100k: 0.1, bootRatio: 1.5 } as const;

interface DiskResult {
  nodes: number;
  simulatedS: number;
  wallMs: number;
  procWriteBytes: number | null;
  storeBytes: number;
  snapshotBytes: number;
  compactions: number;
  appends: number;
}

export interface JournalResult {
  disk: DiskResult[];
  boot: { plainMs: number[]; journalMs: number[]; lines: number };
}

async function home(tmp: string, name: string, n: number): Promise<string> {
  const dir = join(tmp, name);
  writeConfig(dir);
  await writeNodesYaml(dir, makeFleet(n).records);
  return dir;
}

/** A journal of `lines` last_seen changes following the home's nodes.yaml, as a server that crashed would leave. */
export async function writeJournal(dir: string, lines: number): Promise<void> {
  const snap = await loadNodesFile(join(dir, 'nodes.yaml'));
  const ids = snap.records.map((r) => (r as { id: string }).id);
  const out = createWriteStream(join(dir, 'nodes.journal'), { mode: 0o600 });
  out.write(headerLine({ snapshot: snap.snapshot, sha256: snap.sha256 }, 0));
  const t = Date.now();
  let chunk = '';
  for (let seq = 1; seq <= lines; seq++) {
    chunk += `{"seq":${seq},"id":"${ids[seq % ids.length]}","set":{"last_seen":"${new Date(t + seq * 60).toISOString()}"}}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}

export async function journalBench(tmp: string, say: (s: string) => void): Promise<JournalResult> {
  const disk: DiskResult[] = [];
  const big = await home(tmp, 'journal-100k', 100_000);
  for (const [name, n] of [['journal-10k', 10_000], ['journal-100k-disk', 100_000]] as const) {
    const dir = n === 100_000 ? join(tmp, name) : await home(tmp, name, n);
    if (n === 100_000) cpSync(big, dir, { recursive: true });
    const r = (await runJsonChild<DiskResult>([], CHILD, ['disk', dir, String(n), String(CYCLES)], 20 * 60_000)).result;
    say(`  ${int(n)} nodes, ${r.simulatedS} s of heartbeats in ${secs(r.wallMs)} s: /proc write_bytes ${r.procWriteBytes === null ? '?' : int(r.procWriteBytes)}, store ${int(r.storeBytes)} bytes, ${r.appends} appends, ${r.compactions} compactions, nodes.yaml ${int(r.snapshotBytes)} bytes`);
    disk.push(r);
  }
  const withJournal = join(tmp, 'journal-100k-replay');
  mkdirSync(withJournal, { recursive: true });
  cpSync(big, withJournal, { recursive: true });
  await writeJournal(withJournal, JOURNAL_LINES);
  const plainMs: number[] = [];
  const journalMs: number[] = [];
  for (let i = 0; i < BOOT_ROUNDS; i++) {
    plainMs.push((await runJsonChild<{ buildMs: number }>([], CHILD, ['boot', big, '100000'], 120_000)).result.buildMs);
    journalMs.push((await runJsonChild<{ buildMs: number }>([], CHILD, ['boot', withJournal, '100000'], 120_000)).result.buildMs);
    say(`  boot #${i + 1}: ${int(plainMs[i]!)} ms without a journal, ${int(journalMs[i]!)} ms with ${int(JOURNAL_LINES)} journal lines`);
  }
  return { disk, boot: { plainMs, journalMs, lines: JOURNAL_LINES } };
}

export function journalSummary(r: JournalResult): string[] {
  const rate = (d: DiskResult) => (d.procWriteBytes ?? d.storeBytes) / d.simulatedS;
  const [small, large] = r.disk as [DiskResult, DiskResult];
  const rewrite = large.snapshotBytes / 2; // before the journal: the whole file every 2 s (lazy flush)
  const plain = Math.min(...r.boot.plainMs);
  const replay = Math.min(...r.boot.journalMs);
  return [
    `journal disk writes, 10k nodes heartbeating every 30 s: ${int(rate(small) / 1000)} KB/s (/proc/self/io; store ${int(small.storeBytes / small.simulatedS / 1000)} KB/s, ${small.compactions} compactions in ${small.simulatedS} s) (target ≤ ${JOURNAL_TARGET.bytesPerS10k / 1000} KB/s: ${verdict(rate(small) <= JOURNAL_TARGET.bytesPerS10k)})`,
    `journal disk writes, 100k nodes: ${int(rate(large) / 1000)} KB/s vs rewriting nodes.yaml (${int(large.snapshotBytes / 1e6)} MB) every 2 s ${int(rewrite / 1000)} KB/s → ${((rate(large) / rewrite) * 100).toFixed(1)}% (target ≤ ${JOURNAL_TARGET.rewriteShare100k * 100}%: ${verdict(rate(large) <= rewrite * JOURNAL_TARGET.rewriteShare100k)})`,
    `boot 100k nodes with a ${int(r.boot.lines)}-line journal: ${int(replay)} ms vs ${int(plain)} ms without → ${(replay / plain).toFixed(2)}× (core built: load, replay, restore; best of ${r.boot.plainMs.length}) (target ≤ ${JOURNAL_TARGET.bootRatio}×: ${verdict(replay <= plain * JOURNAL_TARGET.bootRatio)})`,
  ];
}

/**
 * `npm run bench`: heartbeat throughput (vs a bare Hono route), memory per node, boot time and
 * the nodes.yaml write stall, each against a baseline measured in the same run. It reports and
 * prints MET / NOT MET per target; it never fails on a target (exit 1 only if a part crashed).
 * Env: BENCH_PROFILE=auto|always|never (CPU profile of the server; auto = when the ratio misses),
 * BENCH_KEEP=1 keeps the temp folder (logs, nodes.yaml, profile).
 * BENCH_ONLY=heartbeat,ops,group,exec,shell,boot,memory,stall,eligible,fanout,cli,agent runs only the parts named.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentRssBench, agentRssSummary } from './agent-rss.js';
import { bootBench, type BootResult } from './boot.js';
import { BENCH_DIR, killAll, runJsonChild } from './children.js';
import { execBench, type ExecBenchResult } from './exec.js';
import { cliBench, cliSummary } from './cli.js';
import { eligibleBench, type EligibleResult } from './eligible.js';
import { fanoutBench } from './fanout.js';
import { fanoutSummary } from './fanout-report.js';
import { shellBench, shellSummary } from './shell.js';


import { makeFleet, writeConfig, writeNodesYaml } from './fixtures.js';
import { HEARTBEAT_NODES, heartbeatBench, type HeartbeatResult } from './heartbeat.js';
import { OPS_MAX_LOSS, opsBench, type OpsResult } from './ops.js';
import { CONNECTIONS, SkipPart } from './load.js';
import { groupCommitBench, type GroupCommitResult } from './group-commit.js';
import type { Mem } from './inproc-child.js';
import type { LoopWindow } from './loop-window.js';
import { markingIn, parseMarkCompacts } from './gc-trace.js';
import { int, median, mib, ms, secs, section, table, verdict } from './report.js';

const EXEC_PER_NODE_LABEL = 10;

const BIG = 100_000;
const TARGET = { ratio: 0.6, logLinesPerS: 1, bootMs: 10_000, stallMs: 50, execMedianMs: 5, eligibleMs: 50 } as const;
const CHILD = join(BENCH_DIR, 'inproc-child.js');

interface MemoryResult {
  nodes: number;
  buildMs: number;
  before: Mem;
  afterBuild: Mem;
  steady: Mem;
}
interface StallResult {
  nodes: number;
  buildMs: number;
  writes: Array<LoopWindow & { kind: string; bytes: number | null }>;
  idle: LoopWindow;
  sweepMaxMs: number;
  markCompacts: ReturnType<typeof parseMarkCompacts>;
}

const say = (s: string): void => void process.stdout.write(s + '\n');
const summary: string[] = [];
let failed = false;

/** Runs one part; a crash is reported in the summary and the other parts still run. */
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',')) : null;
const wanted = (name: string): boolean => !ONLY || [...ONLY].some((k) => name.toLowerCase().includes(k));

/** A part that has not finished by then is reported FAILED (its children are stopped) instead of holding the bench. */
const PART_TIMEOUT_MS = 10 * 60_000;

async function part<T>(name: string, fn: () => Promise<T>, sum: (r: T) => string[]): Promise<T | null> {
  if (!wanted(name)) return null;
  say(section(name));
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        killAll();
        reject(new Error(`did not finish within ${PART_TIMEOUT_MS / 60_000} min`));
      }, PART_TIMEOUT_MS);
    });
    const r = await Promise.race([fn(), timedOut]);
    summary.push(...sum(r));
    say(`  (${secs(performance.now() - t0)} s)`);
    return r;
  } catch (e) {
    if (e instanceof SkipPart) {
      say(`  SKIPPED: ${e.message}`);
      summary.push(`${name}: SKIPPED (${e.message})`);
      return null;
    }
    failed = true;
    say(`  FAILED: ${(e as Error).stack ?? e}`);
    summary.push(`${name}: FAILED (${(e as Error).message})`);
    return null;
  } finally {
    clearTimeout(timer);
  }
}

function heartbeatSummary(r: HeartbeatResult): string[] {
  const { server: s, baseline: b } = r.best;
  say(table([
    ['run', 'req/s', 'p50 ms', 'p99 ms', 'requests', 'non-2xx', 'errors', 'timeouts', 'target CPU %', 'target CPU µs/req', 'loadgen CPU %'],
    ...r.runs.map((x) => [x.label, int(x.reqPerSec), String(x.p50), String(x.p99), int(x.total), String(x.non2xx), String(x.errors), String(x.timeouts), x.targetCpu === null ? '-' : int(x.targetCpu), x.cpuPerReqUs === null ? '-' : int(x.cpuPerReqUs), int(x.clientCpu)]),
  ]));
  const cpu = r.roundCpuRatios.length > 0 ? median(r.roundCpuRatios) : null;
  const cpuRatio = cpu === null ? '' : ` — CPU per request: bare hono's over ours, median of the rounds ${cpu.toFixed(2)} (${r.roundCpuRatios.map((x) => x.toFixed(2)).join(', ')})`;
  const hydraRuns = r.runs.filter((x) => x.label.startsWith('hydra'));
  const non2xx = hydraRuns.reduce((a, x) => a + x.non2xx + x.errors + x.timeouts, 0);
  const sent = hydraRuns.reduce((a, x) => a + x.total, 0);
  const non200Log = Object.entries(r.log.non200).map(([k, v]) => `${v}×${k}`).join(', ') || '0';
  const linesPerS = r.log.loadS > 0 ? r.log.loadLines / r.log.loadS : 0;
  say(`  server log: ${int(r.log.responses)} response lines (warm-up included), non-200: ${non200Log}, dropped log lines: ${r.log.droppedLines}, error lines: ${r.log.errors}`);
  if (r.profile) say(`\n  CPU profile of the server under the same load:\n${r.profile.replace(/^/gm, '  ')}`);
  return [
    `heartbeat ${HEARTBEAT_NODES / 1000}k nodes: ratio to bare hono ${r.ratio.toFixed(2)} (measured with wrk -t1 -c${CONNECTIONS}), the median of ${r.roundRatios.length} paired rounds (target ≥ ${TARGET.ratio}: ${verdict(r.ratio >= TARGET.ratio)})${cpuRatio}`,
    `  per round (hydracluster over the bare run beside it, order alternating): ${r.roundRatios.map((x) => x.toFixed(2)).join(', ')}; best against best ${int(s.reqPerSec)} vs ${int(b.reqPerSec)} req/s → ${r.bestRatio.toFixed(2)}; bare hono itself ranged ${spread(r.runs.filter((x) => x.label.startsWith('bare')))} (a quiet machine varies a few %)`,
    `  latency p50/p99 ${s.p50}/${s.p99} ms vs bare hono ${b.p50}/${b.p99} ms; heartbeats not 200: ${non2xx} of ${int(sent)} (server log non-200: ${non200Log}, dropped log lines: ${r.log.droppedLines})`,
    `  server log at info under that load: ${linesPerS.toFixed(2)} lines/s (${int(r.log.loadLines)} lines in ${r.log.loadS.toFixed(0)} s of measured runs; target ≤ ${TARGET.logLinesPerS}: ${verdict(linesPerS <= TARGET.logLinesPerS)})`,
  ];
}

/** min–max req/s of some runs and their spread, e.g. `20,166–29,216 req/s (±18%)`. */
function spread(runs: HeartbeatResult['runs']): string {
  const xs = runs.map((x) => x.reqPerSec);
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return `${int(lo)}–${int(hi)} req/s (±${Math.round(((hi - lo) / (hi + lo)) * 100)}%)`;
}

function memorySummary(rs: MemoryResult[]): string[] {
  const per = (r: MemoryResult, k: keyof Mem, at: 'afterBuild' | 'steady') => (r[at][k] - r.before[k]) / r.nodes;
  say(table([
    ['nodes', 'build ms', 'heap B/node (built)', 'heap B/node (steady)', 'buffers B/node (steady)', 'RSS B/node (steady)', 'heap MiB (steady)', 'RSS MiB (steady)'],
    ...rs.map((r) => [int(r.nodes), int(r.buildMs), int(per(r, 'heapUsed', 'afterBuild')), int(per(r, 'heapUsed', 'steady')), int(per(r, 'external', 'steady')), int(per(r, 'rss', 'steady')), mib(r.steady.heapUsed), mib(r.steady.rss)]),
  ]));
  say('  steady = after the first nodes.yaml write, which caches each record\'s serialized line (Buffers count as external, not heap)');
  return [`memory per node: ${rs.map((r) => `${int(r.nodes / 1000)}k: ${int(per(r, 'heapUsed', 'steady'))} B heap + ${int(per(r, 'external', 'steady'))} B buffers, RSS ${int(per(r, 'rss', 'steady'))} B`).join('; ')} (no target)`];
}

function bootSummary(r: BootResult): string[] {
  say(table([
    ['run', 'spawn → health 200 ms', 'its CPU ms', 'bench CPU ms', '"nodes restored" ms', 'source', 'SIGTERM → exit ms', 'exit code'],
    ...r.runs.map((x) => [x.label, int(x.bootMs), x.cpuMs === null ? '-' : int(x.cpuMs), int(x.benchCpuMs), x.restoredLogMs === null ? '-' : int(x.restoredLogMs), x.restoredSource ?? '-', int(x.stopMs), String(x.stopCode)]),
  ]));
  const { server: s, baseline: b } = r.best;
  return [
    `boot ${r.nodes / 1000}k nodes: ${secs(s.bootMs)} s to health 200 ("nodes restored" logged ${s.restoredLogMs ?? '?'} ms) vs bare read+parse ${secs(b.bootMs)} s → ${(s.bootMs / b.bootMs).toFixed(1)}× (target ≤ ${TARGET.bootMs / 1000} s: ${verdict(s.bootMs <= TARGET.bootMs)})`,
    `  clean stop (SIGTERM, final nodes.yaml write): ${secs(s.stopMs)} s, exit ${s.stopCode}`,
  ];
}

function stallSummary(r: StallResult): string[] {
  const row = (name: string, s: LoopWindow, bytes: string) => {
    const mk = markingIn(r.markCompacts, s.at);
    return [name, ms(s.ms), ms(s.maxGapMs), ms(s.delayMaxMs), ms(s.delayP99Ms), ms(s.gcMaxMs), String(mk.markCompacts), ms(mk.incrementalMs), ms(mk.biggestStepMs), bytes];
  };
  say(table([
    ['window', 'duration ms', 'max 1ms-timer gap ms', 'loop delay max ms', 'loop delay p99 ms', 'longest GC pause ms', 'mark-compacts', 'incr. marking ms', 'biggest marking step ms', 'file MiB'],
    ...r.writes.map((w) => row(w.kind, w, w.bytes === null ? '-' : mib(w.bytes))),
    row('idle (baseline)', r.idle, '-'),
  ]));
  say(`  fleet sweep over ${int(r.nodes)} nodes (runs every 1 s): ${ms(r.sweepMaxMs)} ms max of 5`);
  say('  GC pause = what perf_hooks reports; incremental marking (from --trace-gc) also runs on the event loop, in steps between allocations');
  const worst = r.writes.reduce((a, w) => (w.maxGapMs > a.maxGapMs ? w : a));
  const mk = markingIn(r.markCompacts, worst.at);
  const writeMs = Math.max(...r.writes.map((w) => w.ms));
  return [
    `nodes.yaml write ${r.nodes / 1000}k nodes, all dirty: longest stall ${ms(worst.maxGapMs)} ms (${worst.kind}; in it: longest GC pause ${ms(worst.gcMaxMs)} ms, ${mk.markCompacts} mark-compacts with ${ms(mk.incrementalMs)} ms of incremental marking), write ${ms(writeMs)} ms, vs idle ${ms(r.idle.maxGapMs)} ms (target ≤ ${TARGET.stallMs} ms: ${verdict(worst.maxGapMs <= TARGET.stallMs)})`,
    `  fleet sweep over ${r.nodes / 1000}k nodes: ${ms(r.sweepMaxMs)} ms (informational; STYLE: no periodic sync step over ~20 ms)`,
  ];
}

function opsSummary(r: OpsResult): string[] {
  return [
    `ops overhead (heartbeat, 10k nodes, wrk): with metrics+audit ${Math.abs(r.loss * 100).toFixed(1)}% ${r.loss >= 0 ? 'lower' : 'higher'} throughput than without, median of ${r.runs.length / 3} rounds in rotating order (target ≤ ${OPS_MAX_LOSS * 100}%: ${verdict(r.loss <= OPS_MAX_LOSS)}); ratio to bare hono ${r.ratioOn.toFixed(2)} with vs ${r.ratioOff.toFixed(2)} without`,
    `  server CPU per heartbeat (least of the runs): ${r.cpuOn === null ? '?' : int(r.cpuOn)} µs with vs ${r.cpuOff === null ? '?' : int(r.cpuOff)} µs without`,
  ];
}

function groupCommitSummary(r: GroupCommitResult): string[] {
  return [
    `ops group commit (1k nodes, real disk): audited drain over HTTP ${ms(r.drainMs)} ms median vs the node actor's drain alone ${ms(r.actorMs)} ms → HTTP + audit add ${ms(r.drainMs - r.actorMs)} ms; an audit line alone takes ${ms(r.auditMs)} ms (informational)`,
  ];
}

/** The heartbeat part leaves a 10k-node home; when it did not run (BENCH_ONLY), make the same one. */
async function ensureHeartbeatFixture(tmp: string): Promise<never[]> {
  const home = join(tmp, 'hb-10k');
  if (!existsSync(join(home, 'nodes.yaml'))) {
    writeConfig(home);
    await writeNodesYaml(home, makeFleet(HEARTBEAT_NODES).records);
  }
  return [];
}

function execSummary(r: ExecBenchResult): string[] {
  const { roundTrip: rt, baseline4Gets: b, fanout: f } = r;
  return [
    `exec round trip (submit → long-poll delivery → result → GET result): median ${ms(rt.medianMs)} ms, p99 ${ms(rt.p99Ms)} ms vs 4 plain GETs ${ms(b.medianMs)} / ${ms(b.p99Ms)} ms → ${(rt.medianMs / b.medianMs).toFixed(1)}× (target median ≤ ${TARGET.execMedianMs} ms: ${verdict(rt.medianMs <= TARGET.execMedianMs)})`,
    `exec fan-out ${int(f.execs / EXEC_PER_NODE_LABEL)} nodes × ${EXEC_PER_NODE_LABEL} execs: ${secs(f.wallMs)} s wall vs ${int(f.execs * 3)} plain GETs ${secs(f.baselineWallMs)} s → ${(f.wallMs / f.baselineWallMs).toFixed(2)}×`,
  ];
}

function eligibleSummary(r: EligibleResult): string[] {
  say(table([['bodies', 'eligible', 'median ms', 'p95 ms', 'max ms', 'boot ms'], [int(r.bodies), int(r.eligible), ms(r.medianMs), ms(r.p95Ms), ms(r.maxMs), ms(r.bootMs)]]));
  return [`eligible bodies: ${int(r.eligible)} answered in ${ms(r.medianMs)} ms median, ${ms(r.p95Ms)} ms p95 (target < ${TARGET.eligibleMs} ms median): ${verdict(r.medianMs < TARGET.eligibleMs)}`];
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'hc-bench-'));
  const keep = process.env.BENCH_KEEP === '1';
  const profile = (process.env.BENCH_PROFILE ?? 'auto') as 'auto' | 'always' | 'never';
  const bigHome = join(tmp, 'home-100k');
  say(`hydracluster bench — node ${process.version}, ${cpus().length} CPUs, temp ${tmp}`);
  try {
    await part('heartbeat throughput (10,000 nodes) vs bare Hono', () => heartbeatBench(tmp, { profile, say }), heartbeatSummary);
    await part('ops overhead: heartbeat with metrics and audit vs without', () => opsBench(tmp, say), opsSummary);
    await part('ops group commit: an audited durable change, its audit line and nodes.yaml in one fsync round', () => groupCommitBench(tmp), groupCommitSummary);
    await part('exec round trip and fan-out (1,000 nodes)', () => execBench(tmp), execSummary);
    await part('CLI: hydracluster through a real agent vs node -e 0', () => cliBench(tmp), (r) => cliSummary(r, say));
    await part('eligible bodies (10,000 in one district)', () => eligibleBench(tmp), eligibleSummary);
    await part('fleet exec fanout (1,000 sim nodes; submit stall at 10,000)', () => fanoutBench(tmp, say), (r) => fanoutSummary(r, say));
    if (['boot', 'memory', 'stall'].some(wanted)) await bigParts(bigHome, tmp);
    await part('shell (WebSocket PTY) echo round trip and 10 MiB transfer', () => shellBench(tmp), shellSummary);
    await part('agent idle memory: the single executable vs bare node', () => agentRssBench(tmp, say), (r) => agentRssSummary(r, say));
  } finally {
    killAll();
    if (keep || failed) say(`\n(temp folder kept: ${tmp})`);
    else rmSync(tmp, { recursive: true, force: true });
  }
  say('\n== hydracluster bench ==');
  for (const l of summary) say(l);
  process.exitCode = failed ? 1 : 0;
}

/** The parts on the 100,000-node nodes.yaml (written only when one of them runs). */
async function bigParts(bigHome: string, tmp: string): Promise<void> {
  say(section(`fixture: nodes.yaml with ${int(BIG)} nodes`));
  writeConfig(bigHome);
  await writeNodesYaml(bigHome, makeFleet(BIG).records);
  await part(`boot time (${int(BIG)} nodes)`, () => bootBench(bigHome, BIG, tmp), bootSummary);
  await part('memory per node', async () => [
    ...(await ensureHeartbeatFixture(tmp)),
    (await runJsonChild<MemoryResult>(['--expose-gc'], CHILD, ['memory', join(tmp, 'hb-10k'), String(HEARTBEAT_NODES)], 120_000)).result,
    (await runJsonChild<MemoryResult>(['--expose-gc'], CHILD, ['memory', bigHome, String(BIG)], 120_000)).result,
  ], memorySummary);
  await part(`event-loop stall while nodes.yaml is written (${int(BIG)} nodes)`, async () => {
    const { result, lines } = await runJsonChild<StallResult>(['--expose-gc', '--trace-gc'], CHILD, ['stall', bigHome, String(BIG)], 150_000);
    return { ...result, markCompacts: parseMarkCompacts(lines) };
  }, stallSummary);
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    killAll();
    process.exit(130);
  });
}
process.once('exit', killAll);
main().catch((e: Error) => {
  killAll();
  say(`bench failed: ${e.stack ?? e.message}`);
  process.exitCode = 1;
});

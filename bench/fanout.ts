/**
 * Issue [fanout] figures (docs/api.md#fleet-exec):
 * - a fleet exec over 1,000 simulated nodes (`hydranode sim --long-poll`, each answering at once):
 *   the submit time (POST /exec → 202) and the time until the last result (the batch's ?wait read
 *   returns finished), against the shell loop it replaces (one single exec after another, each
 *   awaited with the result long-poll), over the same nodes;
 * - the longest event-loop stall while submitting to 10,000 nodes, measured inside the server's
 *   own process (bench/fanout-child.ts) with a 1 ms timer, against the same timer left idle.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BENCH_DIR, CLI, freePort, runJsonChild, spawnLogged, stopChild, waitForHttp } from './children.js';
import { stringify } from 'yaml';
import { parseConfig } from '../src/config.js';
import { benchConfigDocument, makeFleet, writeConfig, writeNodesYaml } from './fixtures.js';

export const FANOUT_NODES = 1000;
export const STALL_NODES = 10_000;
const ROUNDS = 5;
const LOOP_NODES = 200;
const AGENT_CLI = join(BENCH_DIR, '..', 'src', 'agent', 'main.js');
const CHILD = join(BENCH_DIR, 'fanout-child.js');
const ENROLL_TIMEOUT_MS = 5 * 60_000;

export interface FanoutRun {
  submitMs: number;
  lastResultMs: number;
  execs: number;
  ok: number;
}

export interface StallResult {
  nodes: number;
  execs: number;
  submitMs: number;
  maxGapMs: number;
  /** The longest gap less the GC pauses inside it. */
  maxGapNoGcMs: number;
  /** CPU time spent in the busiest gap (capped at its length): what the submit itself held, preemption excluded. */
  maxTurnCpuMs: number;
  gcMaxMs: number;
  delayMaxMs: number;
  idleMaxGapMs: number;
  idleMaxTurnCpuMs: number;
  /** The machine's 1-minute load average at the end (GC pauses grow when the cores are shared). */
  loadAvg1m: number;
  /** The longest stall of each measured submit (the fields above are the median one's). */
  maxGapEachMs: number[];
  /** GET of the whole batch (every member, pending): time and longest stall. */
  readMs: number;
  readMaxGapMs: number;
}

export interface FanoutResult {
  nodes: number;
  runs: FanoutRun[];
  /** The shell loop: one exec after another, each awaited, over LOOP_NODES nodes. */
  loop: { nodes: number; wallMs: number; perNodeMs: number };
  stall: StallResult;
}

async function api(base: string, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(120_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** Starts the sim and resolves once its nodes are enrolled, with how many it enrolled. */
function startSim(base: string, admin: string, count: number, say: (s: string) => void): Promise<{ sim: ChildProcess; nodes: number }> {
  const args = [AGENT_CLI, 'sim', '--server', base, '--admin-token', admin, '--count', String(count), '--long-poll', '--max-sockets', String(count + 200)];
  const sim = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('sim enrollment timed out')), ENROLL_TIMEOUT_MS);
    sim.once('exit', (code) => reject(new Error(`sim exited ${code} before enrolling`)));
    createInterface({ input: sim.stdout! }).on('line', (line) => {
      if (line.includes('"setup_error"')) say(`  sim: ${line}`);
      if (!line.includes('"enrolled"')) return;
      say(`  sim: ${line}`);
      clearTimeout(timer);
      resolve({ sim, nodes: (JSON.parse(line) as { nodes: number }).nodes });
    });
  });
}

/** Waits until `count` exec queues have their agent parked in a long-poll. */
async function parked(base: string, admin: string, count: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const r = await api(base, admin, 'GET', `/debug/actors?kind=exec-queue&limit=${count + 100}`);
    if (r.body.filter((a: { state: string }) => a.state === 'parked').length >= count) return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`fewer than ${count} agents in a long-poll after 60 s`);
}

async function oneBatch(base: string, admin: string): Promise<FanoutRun> {
  const t0 = performance.now();
  const sub = await api(base, admin, 'POST', '/exec', { command: 'true', target: { all: true }, timeout_s: 60 });
  const submitMs = performance.now() - t0;
  if (sub.status !== 202) throw new Error(`POST /exec: ${sub.status} ${JSON.stringify(sub.body).slice(0, 200)}`);
  const done = await api(base, admin, 'GET', `/exec/batches/${sub.body.batch_id}?wait=60`);
  const lastResultMs = performance.now() - t0;
  if (done.body.state !== 'finished') throw new Error(`batch not finished after 60 s: ${done.body.finished}/${done.body.total}`);
  return { submitMs, lastResultMs, execs: sub.body.execs.length, ok: done.body.counts.ok };
}

/** The shell loop a batch replaces: submit, wait for the result, next node. */
async function shellLoop(base: string, admin: string, ids: string[]): Promise<FanoutResult['loop']> {
  const t0 = performance.now();
  for (const id of ids) {
    const s = await api(base, admin, 'POST', `/nodes/${id}/exec`, { command: 'true', timeout_s: 60 });
    const r = await api(base, admin, 'GET', `/nodes/${id}/exec/${s.body.id}/result?wait=60`);
    if (r.status !== 200) throw new Error(`single exec on ${id}: ${r.status}`);
  }
  const wallMs = performance.now() - t0;
  return { nodes: ids.length, wallMs, perNodeMs: wallMs / ids.length };
}

/** The bench config, with room for every simulated node's long-poll on one loopback address. */
function writeFanoutConfig(home: string): string {
  writeConfig(home);
  const doc = benchConfigDocument() as { server: Record<string, unknown> };
  doc.server.max_connections_per_address = 4 * FANOUT_NODES;
  const config = parseConfig(doc);
  writeFileSync(join(home, 'config.yaml'), stringify(doc), { mode: 0o600 });
  return config.server.admin_token;
}

export async function fanoutBench(tmp: string, say: (s: string) => void): Promise<FanoutResult> {
  const home = join(tmp, 'fanout-1k');
  const admin = writeFanoutConfig(home);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = spawnLogged([], CLI, ['serve', '--home', home, '--listen', `127.0.0.1:${port}`], join(tmp, 'fanout-server.log'));
  let sim: ChildProcess | null = null;
  try {
    await waitForHttp(`${base}/api/v1/health`, (s) => s === 200, { since: performance.now(), timeoutMs: 60_000, child: server });
    const started = await startSim(base, admin, FANOUT_NODES, say);
    sim = started.sim;
    const enrolled = started.nodes;
    await parked(base, admin, enrolled);
    const runs: FanoutRun[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const r = await oneBatch(base, admin);
      say(`  batch ${i + 1}: ${r.execs} execs, submit ${r.submitMs.toFixed(1)} ms, last result ${r.lastResultMs.toFixed(1)} ms, ${r.ok} ok`);
      runs.push(r);
      await parked(base, admin, enrolled);
    }
    const nodes = (await api(base, admin, 'GET', '/nodes')).body.map((n: { id: string }) => n.id).slice(0, LOOP_NODES);
    const loop = await shellLoop(base, admin, nodes);
    say(`  shell loop of single execs over ${loop.nodes} nodes: ${loop.wallMs.toFixed(0)} ms (${loop.perNodeMs.toFixed(2)} ms a node)`);
    const stall = await stallBench(tmp);
    return { nodes: enrolled, runs, loop, stall };
  } finally {
    if (sim) await stopChild(sim);
    await stopChild(server);
  }
}

async function stallBench(tmp: string): Promise<StallResult> {
  const home = join(tmp, 'fanout-10k');
  writeConfig(home);
  await writeNodesYaml(home, makeFleet(STALL_NODES).records);
  return (await runJsonChild<StallResult>([], CHILD, [home, String(STALL_NODES)], 180_000)).result;
}

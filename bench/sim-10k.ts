/**
 * Load run: the real server (child process) and `hydranode sim --count 10000` (another child)
 * with the default 30 s heartbeat interval. After enrollment it runs for 60 s; every 10 s it checks
 * through `GET /api/v1/health` that all 10,000 nodes are online, and samples the server's CPU
 * (utime+stime deltas from /proc/<pid>/stat) and RSS (VmRSS from /proc/<pid>/status). Prints a
 * table and one JSON line; exits 1 when a check failed. Linux only (/proc). Loopback only.
 * A light probe (`GET /health` every 250 ms from this process) shows the server's own
 * responsiveness, to tell a server stall from a busy simulator (whose loop delay the sim reports).
 *
 *   npm run build && node dist/bench/sim-10k.js [--count N] [--duration S]
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { freePort } from './children.js';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { defaultConfigDocument } from '../src/config.js';
import { newToken } from '../src/ids.js';

const DEFAULT_COUNT = 10_000;
const DEFAULT_RUN_S = 60;
const CHECK_EVERY_MS = 10_000;
const SERVER_START_TIMEOUT_MS = 30_000;
const ENROLL_TIMEOUT_MS = 20 * 60_000;
const STOP_GRACE_MS = 15_000;
const HERE = dirname(fileURLToPath(import.meta.url));
const SERVER_CLI = join(HERE, '..', 'src', 'cli', 'main.js');
const AGENT_CLI = join(HERE, '..', 'src', 'agent', 'main.js');
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
const BYTES_PER_MB = 1024 * 1024;
const PROBE_EVERY_MS = 250;

interface Sample {
  t_s: number;
  online: number;
  total: number;
  cpu_pct: number;
  rss_mb: number;
  probe_p99_ms: number;
  probe_max_ms: number;
  ok: boolean;
}

/** `GET /health` latencies from this (otherwise idle) process, per window. */
class Probe {
  private window: number[] = [];
  private all: number[] = [];
  private timer: NodeJS.Timeout | null = null;

  start(url: string): void {
    const tick = async (): Promise<void> => {
      const t = performance.now();
      try {
        await health(url);
        const ms = performance.now() - t;
        this.window.push(ms);
        this.all.push(ms);
      } catch {
        // counted by the checks
      }
      this.timer = setTimeout(() => void tick(), PROBE_EVERY_MS);
    };
    void tick();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }

  /** p99 and max of the window (then a new window), or of the whole run. */
  take(whole = false): { p99: number; max: number } {
    const xs = [...(whole ? this.all : this.window)].sort((a, b) => a - b);
    if (!whole) this.window = [];
    const at = (q: number) => Math.round((xs[Math.min(xs.length - 1, Math.ceil(q * xs.length) - 1)] ?? NaN) * 10) / 10;
    return { p99: at(0.99), max: at(1) };
  }
}

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round((Number(m[1]) * 1024 * 10) / BYTES_PER_MB) / 10 : NaN;
}

async function health(url: string): Promise<{ online: number; total: number }> {
  const res = await fetch(`${url}/api/v1/health`, { signal: AbortSignal.timeout(5000) });
  const body = (await res.json()) as { nodes: { online: number; total: number } };
  return body.nodes;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function startServer(home: string, logFile: string): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [SERVER_CLI, 'serve', '--home', home, '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const deadline = Date.now() + SERVER_START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}); see ${logFile}`);
    try {
      await health(url);
      return { child, url };
    } catch {
      if (Date.now() > deadline) throw new Error(`the server did not answer within ${SERVER_START_TIMEOUT_MS} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Reads the sim's JSON lines; resolves `enrolled` at its enrollment line and `summary` at its end. */
function watchSim(sim: ChildProcess, say: (s: string) => void) {
  let enrolledResolve: (v: Record<string, unknown>) => void = () => {};
  let summaryResolve: (v: Record<string, unknown>) => void = () => {};
  const enrolled = new Promise<Record<string, unknown>>((r) => (enrolledResolve = r));
  const summary = new Promise<Record<string, unknown>>((r) => (summaryResolve = r));
  let buf = '';
  sim.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buf += chunk;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      say(`  sim: ${line}`);
      try {
        const o = JSON.parse(line) as Record<string, unknown>;
        if (o.type === 'enrolled') enrolledResolve(o);
        if (o.type === 'summary') summaryResolve(o);
      } catch {
        // not a JSON line
      }
    }
  });
  return { enrolled, summary };
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { count: { type: 'string' }, duration: { type: 'string' } } });
  const count = Number(values.count ?? DEFAULT_COUNT);
  const runS = Number(values.duration ?? DEFAULT_RUN_S);
  const say = (s: string) => void process.stderr.write(`${s}\n`);
  const tmp = mkdtempSync(join(tmpdir(), 'hc-sim10k-'));
  const doc = defaultConfigDocument() as { server: Record<string, unknown> };
  const admin = newToken('hca');
  Object.assign(doc.server, { admin_token: admin, log_format: 'json' });
  writeFileSync(join(tmp, 'config.yaml'), stringify(doc), { mode: 0o600 });
  const server = await startServer(tmp, join(tmp, 'server.log'));
  const pid = server.child.pid!;
  say(`server ${server.url} (pid ${pid}); enrolling ${count} simulated nodes…`);
  const sim = spawn(process.execPath, [AGENT_CLI, 'sim', '--server', server.url, '--admin-token', admin, '--count', String(count), '--duration', String(runS)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const kill = () => void [sim, server.child].forEach((c) => c.exitCode === null && c.kill('SIGKILL'));
  process.once('SIGINT', () => (kill(), process.exit(130)));
  try {
    const { enrolled, summary } = watchSim(sim, say);
    const enroll = await Promise.race([enrolled, new Promise<never>((_, rej) => setTimeout(() => rej(new Error('enrollment timed out')), ENROLL_TIMEOUT_MS))]);
    const samples: Sample[] = [];
    const probe = new Probe();
    probe.start(server.url);
    const t0 = Date.now();
    let cpu0 = cpuSeconds(pid);
    let at0 = t0;
    const cpuStart = cpu0;
    for (let i = 1; i * CHECK_EVERY_MS <= runS * 1000; i++) {
      await new Promise((r) => setTimeout(r, t0 + i * CHECK_EVERY_MS - Date.now()));
      const nodes = await health(server.url);
      const now = Date.now();
      const cpu = cpuSeconds(pid);
      const p = probe.take();
      const cpuPct = Math.round(((cpu - cpu0) / ((now - at0) / 1000)) * 1000) / 10;
      const s = { t_s: Math.round((now - t0) / 1000), ...nodes, cpu_pct: cpuPct, rss_mb: rssMb(pid), probe_p99_ms: p.p99, probe_max_ms: p.max, ok: nodes.online === count };
      samples.push(s);
      say(`  t=${s.t_s}s online=${s.online}/${s.total} server cpu=${s.cpu_pct}% rss=${s.rss_mb} MB probe p99=${p.p99} ms max=${p.max} ms ${s.ok ? 'ok' : 'NOT ALL ONLINE'}`);
      cpu0 = cpu;
      at0 = now;
    }
    const sum = await summary;
    probe.stop();
    const probeRun = probe.take(true);
    const cpuAvg = Math.round(((cpuSeconds(pid) - cpuStart) / ((Date.now() - t0) / 1000)) * 1000) / 10;
    const report = {
      bench: 'sim-10k',
      nodes: count,
      enroll_s: enroll.seconds,
      run_s: runS,
      heartbeats_served: sum.heartbeats_ok,
      heartbeats_per_s: sum.heartbeats_per_s,
      heartbeat_errors: sum.errors,
      heartbeat_p50_ms: sum.p50_ms,
      heartbeat_p99_ms: sum.p99_ms,
      sim_loop_delay_p99_ms: sum.sim_loop_delay_p99_ms,
      sim_loop_delay_max_ms: sum.sim_loop_delay_max_ms,
      server_probe_p99_ms: probeRun.p99,
      server_probe_max_ms: probeRun.max,
      server_cpu_avg_pct: cpuAvg,
      server_rss_max_mb: Math.max(...samples.map((s) => s.rss_mb)),
      all_online_every_check: samples.every((s) => s.ok),
      samples,
    };
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return report.all_online_every_check && report.heartbeat_errors === 0 ? 0 : 1;
  } finally {
    await Promise.all([stopChild(sim), stopChild(server.child)]);
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`sim-10k: ${(e as Error).message}\n`);
    process.exit(1);
  },
);

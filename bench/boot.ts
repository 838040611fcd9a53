/**
 * Target 3: boot time of `hydracluster serve` with 100,000 nodes in nodes.yaml, from spawn to
 * /api/v1/health answering 200 with nodes.total = 100000; plus what the server itself logs for
 * the restore, and how long its clean stop (SIGTERM: final nodes.yaml write) takes.
 * Baseline: a bare process that reads and JSON-parses the same file, then answers health.
 * Each is booted twice, alternately; the better boot of each counts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_DIR, CLI, freePort, spawnLogged, stopChild, waitForHttp } from './children.js';
import { procCpuMs } from './load.js';

export interface BootRun {
  label: string;
  bootMs: number;
  /** CPU the booting process used until it answered, and what the bench itself used meanwhile. */
  cpuMs: number | null;
  benchCpuMs: number;
  restoredLogMs: number | null;
  restoredSource: string | null;
  stopMs: number;
  stopCode: number | null;
}

export interface BootResult {
  nodes: number;
  runs: BootRun[];
  best: { server: BootRun; baseline: BootRun };
}

const ROUNDS = 2;

async function bootOnce(label: string, script: string, args: (port: number) => string[], nodes: number, logFile: string): Promise<BootRun> {
  const port = await freePort();
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  const child = spawnLogged([], script, args(port), logFile);
  let bootMs: number;
  try {
    bootMs = await waitForHttp(`http://127.0.0.1:${port}/api/v1/health`, (s, b) => s === 200 && (JSON.parse(b) as { nodes: { total: number } }).nodes.total === nodes, {
      since: t0,
      timeoutMs: 90_000,
      everyMs: 50,
      child,
    });
  } catch (e) {
    await stopChild(child, 2000);
    throw e;
  }
  const cpuMs = child.pid ? procCpuMs(child.pid) : null;
  const own = process.cpuUsage(own0);
  const t1 = performance.now();
  const stopCode = await stopChild(child, 30_000);
  const stopMs = performance.now() - t1;
  const restored = readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((l) => l.includes('"msg":"nodes restored"'))
    .map((l) => JSON.parse(l) as { ms?: number; source?: string })[0];
  return { label, bootMs, cpuMs, benchCpuMs: (own.user + own.system) / 1000, restoredLogMs: restored?.ms ?? null, restoredSource: restored?.source ?? null, stopMs, stopCode };
}

export async function bootBench(home: string, nodes: number, tmp: string): Promise<BootResult> {
  const runs: BootRun[] = [];
  for (let i = 1; i <= ROUNDS; i++) {
    runs.push(await bootOnce(`bare parse #${i}`, join(BENCH_DIR, 'bare-boot.js'), (p) => [home, String(p)], nodes, join(tmp, `boot-bare-${i}.log`)));
    runs.push(await bootOnce(`hydracluster #${i}`, CLI, (p) => ['serve', '--home', home, '--listen', `127.0.0.1:${p}`], nodes, join(tmp, `boot-server-${i}.log`)));
  }
  const best = (prefix: string) => runs.filter((r) => r.label.startsWith(prefix)).reduce((a, b) => (b.bootMs < a.bootMs ? b : a));
  return { nodes, runs, best: { server: best('hydra'), baseline: best('bare') } };
}

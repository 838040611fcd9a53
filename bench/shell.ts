/**
 * Issue [shell] figures: the WebSocket PTY's echo round trip (a key sent by the operator, echoed by
 * the node's PTY, back at the operator: client → server → agent → PTY and back), median and p99,
 * next to an HTTP GET round trip on the same server; and the throughput of 10 MiB sent by the node
 * to the operator through the PTY (time to the last byte), next to the same 10 MiB through a local
 * PTY (no network).
 * Server and agent: the real ones (`hydracluster serve`, `hydranode run`), as child processes.
 */
import { join } from 'node:path';
import { WebSocket } from 'ws';
import pty from 'node-pty';
import { BENCH_DIR, CLI, freePort, spawnLogged, stopChild, waitForHttp } from './children.js';
import { writeConfig } from './fixtures.js';
import { ms, mib } from './report.js';

const AGENT = join(BENCH_DIR, '..', 'src', 'agent', 'main.js');
const ECHOES = 300;
const TRANSFER_BYTES = 10 * 1024 * 1024;
/** Raw output, no echo: the bytes arrive as the program wrote them (no CR added to LF). */
const TRANSFER_COMMAND = `stty raw -echo; head -c ${TRANSFER_BYTES} /dev/zero`;

export interface ShellBenchResult {
  echo: { medianMs: number; p99Ms: number };
  httpGet: { medianMs: number; p99Ms: number };
  transfer: { bytes: number; ms: number; localMs: number };
}

const quantile = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

async function api(base: string, method: string, path: string, token: string, body?: unknown): Promise<any> {
  const res = await fetch(`${base}/api/v1${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

function open(base: string, admin: string, nodeId: string, command: string): Promise<WebSocket> {
  const q = new URLSearchParams({ cols: '80', rows: '24', command });
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/api/v1/nodes/${nodeId}/shell?${q}`, { headers: { authorization: `Bearer ${admin}` } });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Counts the session's bytes until `bytes` arrived (or it closed); resolves with the count and the time of the last byte. */
function drain(ws: WebSocket, bytes: number): Promise<{ n: number; at: number }> {
  let n = 0;
  let at = performance.now();
  return new Promise((resolve) => {
    ws.on('message', (d: Buffer, isBinary) => {
      if (!isBinary) return;
      n += d.length;
      at = performance.now();
      if (n >= bytes) resolve({ n, at });
    });
    ws.once('close', () => resolve({ n, at }));
  });
}

async function echoRoundTrips(ws: WebSocket): Promise<number[]> {
  const times: number[] = [];
  let waiting: ((b: Buffer) => void) | null = null;
  ws.on('message', (d: Buffer, isBinary) => isBinary && waiting?.(d));
  for (let i = 0; i < ECHOES; i++) {
    const got = new Promise<void>((r) => (waiting = (b) => b.includes(0x61) && r()));
    const t0 = performance.now();
    ws.send(Buffer.from('a'), { binary: true });
    await got;
    times.push(performance.now() - t0);
  }
  return times;
}

/** The same transfer through a PTY on this machine: time to the last byte. */
function localTransfer(): Promise<number> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const t = pty.spawn('/bin/bash', ['-c', TRANSFER_COMMAND], { cols: 80, rows: 24, encoding: null });
    let n = 0;
    let last = t0;
    t.onData((d: string | Buffer) => {
      n += d.length;
      last = performance.now();
    });
    t.onExit(() => resolve(last - t0));
  });
}

export async function shellBench(tmp: string): Promise<ShellBenchResult> {
  const home = join(tmp, 'shell');
  const admin = writeConfig(home).server.admin_token;
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = spawnLogged([], CLI, ['serve', '--home', home, '--listen', `127.0.0.1:${port}`], join(tmp, 'shell-server.log'));
  let agent: ReturnType<typeof spawnLogged> | null = null;
  try {
    await waitForHttp(`${base}/api/v1/health`, (s) => s === 200, { since: performance.now(), timeoutMs: 60_000, child: server });
    const e = await api(base, 'POST', '/enrollments', admin, { name: 'bench-shell', os: 'linux' });
    const agentHome = join(tmp, 'shell-agent');
    const install = spawnLogged([], AGENT, ['install', '--server', base, '--enroll-token', e.enrollment_token, '--home', agentHome, '--no-service'], join(tmp, 'shell-agent.log'));
    await new Promise((r) => install.once('exit', r));
    agent = spawnLogged([], AGENT, ['run', '--home', agentHome], join(tmp, 'shell-agent.log'));

    // Echo: a line-mode PTY echoes each key as it arrives.
    const ws = await open(base, admin, e.node_id, 'cat');
    const echo = await echoRoundTrips(ws);
    ws.close();
    const gets: number[] = [];
    for (let i = 0; i < ECHOES; i++) {
      const t0 = performance.now();
      await api(base, 'GET', `/nodes/${e.node_id}`, admin);
      gets.push(performance.now() - t0);
    }

    const big = await open(base, admin, e.node_id, TRANSFER_COMMAND);
    const t0 = performance.now();
    const got = await drain(big, TRANSFER_BYTES);
    big.close();
    const bytes = got.n;
    const took = got.at - t0;
    return {
      echo: { medianMs: quantile(echo, 0.5), p99Ms: quantile(echo, 0.99) },
      httpGet: { medianMs: quantile(gets, 0.5), p99Ms: quantile(gets, 0.99) },
      transfer: { bytes, ms: took, localMs: await localTransfer() },
    };
  } finally {
    if (agent) await stopChild(agent);
    await stopChild(server);
  }
}

export function shellSummary(r: ShellBenchResult): string[] {
  const rate = (bytes: number, t: number) => `${mib(bytes / (t / 1000))} MiB/s`;
  return [
    `shell echo round trip (operator → server → agent → PTY and back): median ${ms(r.echo.medianMs)} ms, p99 ${ms(r.echo.p99Ms)} ms vs one admin GET ${ms(r.httpGet.medianMs)} / ${ms(r.httpGet.p99Ms)} ms (no target)`,
    `shell transfer node → operator: ${mib(r.transfer.bytes)} MiB in ${ms(r.transfer.ms)} ms = ${rate(r.transfer.bytes, r.transfer.ms)} vs a local PTY ${rate(TRANSFER_BYTES, r.transfer.localMs)} (no target)`,
  ];
}

/**
 * Issue [exec] figures: the exec round trip (submit → long-poll delivery → result → result GET) on
 * loopback, median and p99, as a ratio to four plain admin GETs (the same number of HTTP calls);
 * and 1,000 nodes × 10 execs drained by long-polling agents, as a ratio to the same number of
 * plain requests at the same concurrency. Server: the real one, as a child process.
 */
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { CLI, freePort, spawnLogged, stopChild, waitForHttp } from './children.js';
import { makeFleet, writeConfig, writeNodesYaml } from './fixtures.js';

const NODES = 1000;
const EXECS_PER_NODE = 10;
const ROUND_TRIPS = 300;
const POLL_WAIT_S = 25;

export interface ExecBenchResult {
  roundTrip: { medianMs: number; p99Ms: number };
  baseline4Gets: { medianMs: number; p99Ms: number };
  fanout: { execs: number; wallMs: number; baselineWallMs: number };
}

const agent = new Agent({ keepAlive: true, maxSockets: 2 * NODES + 50 });

function call(base: string, method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const u = new URL(base + path);
    const data = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (data !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(data)) });
    const req = request({ agent, host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : null }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

/** An agent that long-polls and answers every exec at once; stops after `count` answers. */
async function agentLoop(base: string, token: string, count: number): Promise<void> {
  for (let done = 0; done < count; ) {
    const r = await call(base, 'GET', `/api/v1/body/exec?wait=${POLL_WAIT_S}`, token);
    if (r.status !== 200) continue;
    await call(base, 'POST', '/api/v1/body/exec/result', token, { id: r.body.id, exit_code: 0, stdout: 'ok\n', stderr: '' });
    done++;
  }
}

async function inParallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

export async function execBench(tmp: string): Promise<ExecBenchResult> {
  const home = join(tmp, 'exec-1k');
  const config = writeConfig(home);
  const admin = config.server.admin_token;
  const fleet = makeFleet(NODES);
  await writeNodesYaml(home, fleet.records);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawnLogged([], CLI, ['serve', '--home', home, '--listen', `127.0.0.1:${port}`], join(tmp, 'exec-server.log'));
  try {
    await waitForHttp(`${base}/api/v1/health`, (s) => s === 200, { since: performance.now(), timeoutMs: 60_000, child });
    const ids = fleet.records.map((r) => r.id);

    // Round trip on node 0, its agent parked in a long-poll as real agents are.
    const rt: number[] = [];
    const base4: number[] = [];
    for (let i = 0; i < ROUND_TRIPS; i++) {
      const poll = call(base, 'GET', `/api/v1/body/exec?wait=${POLL_WAIT_S}`, fleet.tokens[0]!);
      await new Promise((r) => setImmediate(r));
      const t0 = performance.now();
      const sub = await call(base, 'POST', `/api/v1/nodes/${ids[0]}/exec`, admin, { command: 'echo hi', timeout_s: 30 });
      const got = await poll;
      if (got.status !== 200 || got.body.id !== sub.body.id) throw new Error(`round trip ${i}: poll got ${got.status}`);
      await call(base, 'POST', '/api/v1/body/exec/result', fleet.tokens[0]!, { id: sub.body.id, exit_code: 0, stdout: 'hi\n', stderr: '' });
      const res = await call(base, 'GET', `/api/v1/nodes/${ids[0]}/exec/${sub.body.id}/result`, admin);
      if (res.status !== 200) throw new Error(`round trip ${i}: result ${res.status}`);
      rt.push(performance.now() - t0);
      const b0 = performance.now();
      for (let k = 0; k < 4; k++) await call(base, 'GET', `/api/v1/nodes/${ids[0]}`, admin);
      base4.push(performance.now() - b0);
    }

    // 1,000 nodes × 10 execs: submit everything, agents long-poll and answer until all are done.
    const execs = NODES * EXECS_PER_NODE;
    const t0 = performance.now();
    const agents = fleet.tokens.map((t) => agentLoop(base, t, EXECS_PER_NODE));
    const submits = ids.flatMap((id) => Array.from({ length: EXECS_PER_NODE }, () => id));
    await inParallel(submits, 50, async (id) => {
      const r = await call(base, 'POST', `/api/v1/nodes/${id}/exec`, admin, { command: 'true', timeout_s: 60 });
      if (r.status !== 202) throw new Error(`submit: ${r.status}`);
    });
    await Promise.all(agents);
    const wallMs = performance.now() - t0;
    // Baseline: the same number of HTTP calls (submit + poll + result per exec) as plain GETs, 50 at a time.
    const b0 = performance.now();
    await inParallel(Array.from({ length: execs * 3 }, (_, i) => ids[i % NODES]!), 50, async (id) => {
      await call(base, 'GET', `/api/v1/nodes/${id}`, admin);
    });
    const baselineWallMs = performance.now() - b0;
    return {
      roundTrip: { medianMs: quantile(rt, 0.5), p99Ms: quantile(rt, 0.99) },
      baseline4Gets: { medianMs: quantile(base4, 0.5), p99Ms: quantile(base4, 0.99) },
      fanout: { execs, wallMs, baselineWallMs },
    };
  } finally {
    agent.destroy();
    await stopChild(child);
  }
}

/**
 * Issue [cli] figures: what `hydracluster exec <id> "echo hi"` costs the operator, measured from
 * outside as whole processes — a real server (port 0, temp home) and a real `hydranode` agent
 * (enrolled and installed like in production) — against `node -e 0` measured in the same run,
 * interleaved so that both see the same machine. Also `hydracluster version` (start-up alone).
 * Whatever server is built is what is measured: one that ignores the result's `?wait` shows the
 * CLI's fallback (short back-off), which the report says.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BENCH_DIR, CLI, stopChild, track } from './children.js';
import { writeConfig } from './fixtures.js';
import { median, ms, table, verdict } from './report.js';

const AGENT = join(BENCH_DIR, '..', 'src', 'agent', 'main.js');
export const CLI_RUNS = 15;
/** `hydracluster exec` of `echo hi`, whole process, at most this many times `node -e 0` (medians). */
export const TARGET_EXEC_RATIO = 1.7;
const WARMUP_RUNS = 3;
const START_TIMEOUT_MS = 30_000;
const RUN_TIMEOUT_MS = 30_000;
/** A pending result answered faster than this to `?wait=1` means the server ignores `wait`. */
const WAIT_HONOURED_MS = 500;

export interface CliBenchResult {
  runs: number;
  nodeMs: number[];
  execMs: number[];
  versionMs: number[];
  /** Whether the server held a pending result for `?wait=1` (false: the CLI's fallback was measured). */
  serverWaits: boolean;
  /** Result GETs the server logged per timed `exec`. */
  resultGetsPerExec: number;
}

interface Run {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node ...args` to its exit; the time is spawn → exit, as a shell would see it. */
function timed(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    track(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => void (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => void (stderr += s));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node ${args.join(' ')}: not done within ${RUN_TIMEOUT_MS} ms`));
    }, RUN_TIMEOUT_MS);
    child.once('exit', (code) => {
      const ms = performance.now() - t0;
      clearTimeout(timer);
      child.once('close', () => resolve({ ms, code, stdout, stderr }));
    });
  });
}

export interface Fleet {
  url: string;
  admin: string;
  nodeId: string;
  /** Result GETs the server has logged, once every request made so far is in its (batched) log. */
  resultGets(): Promise<number>;
  stop(): Promise<void>;
}

/** `hydracluster serve` on 127.0.0.1:0; resolves once it logs its URL. Its log goes to `logFile`. */
function startServer(home: string, logFile: string): Promise<{ url: string; resultGets(): number; logged(path: string): Promise<void>; stop(): Promise<number | null> }> {
  const child = spawn(process.execPath, [CLI, 'serve', '--home', home, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  const log = createWriteStream(logFile);
  child.stderr.pipe(log);
  let resultGets = 0;
  const waiting = new Map<string, () => void>();
  const logged = (path: string) => new Promise<void>((r) => waiting.set(path, r));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start within ${START_TIMEOUT_MS} ms (log: ${logFile})`)), START_TIMEOUT_MS);
    child.once('exit', (code) => reject(new Error(`the server exited ${code} (log: ${logFile})`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      log.write(`${line}\n`);
      let rec: { msg?: string; url?: string; method?: string; path?: string } = {};
      try {
        rec = JSON.parse(line);
      } catch {
        return;
      }
      if (rec.msg === 'response' && rec.method === 'GET' && rec.path?.endsWith('/result')) resultGets++;
      if (rec.msg === 'response' && rec.path) waiting.get(rec.path)?.();
      if (rec.msg === 'hydracluster listening' && rec.url) {
        clearTimeout(timer);
        resolve({ url: rec.url, resultGets: () => resultGets, logged, stop: () => stopChild(child) });
      }
    });
  });
}

async function api(url: string, admin: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(`${url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${admin}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, ms: performance.now() - t0 };
}

/** A server and one real agent on it, enrolled and installed as an operator would. */
export async function startFleet(tmp: string): Promise<Fleet> {
  const home = join(tmp, 'cli-server');
  const admin = writeConfig(home).server.admin_token;
  const server = await startServer(home, join(tmp, 'cli-server.log'));
  const stops: Array<() => Promise<unknown>> = [server.stop];
  let markers = 0;
  try {
    const enr = await api(server.url, admin, 'POST', '/enrollments', { name: 'bench-cli', os: 'linux' });
    if (enr.status !== 201) throw new Error(`enrollment: ${enr.status} ${JSON.stringify(enr.body)}`);
    const agentHome = join(tmp, 'cli-agent');
    mkdirSync(agentHome, { recursive: true });
    const env = { ...process.env };
    delete env.HYDRANODE_HOME;
    const install = await timed([AGENT, 'install', '--server', server.url, '--enroll-token', enr.body.enrollment_token, '--home', agentHome, '--no-service'], env);
    if (install.code !== 0) throw new Error(`hydranode install exited ${install.code}: ${install.stderr}`);
    const agent = spawn(process.execPath, [AGENT, 'run', '--home', agentHome], { stdio: ['ignore', 'ignore', 'ignore'], env });
    track(agent);
    stops.unshift(() => stopChild(agent));
    return {
      url: server.url,
      admin,
      nodeId: enr.body.node_id,
      async resultGets() {
        const marker = `/api/v1/nodes/node-bench-log-marker-${++markers}`;
        const seen = server.logged(marker);
        await api(server.url, admin, 'GET', marker.slice('/api/v1'.length));
        await seen;
        return server.resultGets();
      },
      stop: async () => {
        for (const s of stops) await s();
      },
    };
  } catch (e) {
    await server.stop();
    throw e;
  }
}

/** Does the server hold a pending result for `?wait=1`, or answer 202 at once (an older server)? */
async function serverWaits(f: Fleet): Promise<boolean> {
  const sub = await api(f.url, f.admin, 'POST', `/nodes/${f.nodeId}/exec`, { command: 'sleep 3', timeout_s: 10 });
  const r = await api(f.url, f.admin, 'GET', `/nodes/${f.nodeId}/exec/${sub.body.id}/result?wait=1`);
  await api(f.url, f.admin, 'DELETE', `/nodes/${f.nodeId}/exec/${sub.body.id}`);
  return r.status === 200 || r.ms >= WAIT_HONOURED_MS;
}

/** Prints the table and returns the summary lines. */
export function cliSummary(r: CliBenchResult, say: (s: string) => void): string[] {
  const [node, exec, version] = [median(r.nodeMs), median(r.execMs), median(r.versionMs)];
  const row = (name: string, xs: number[]) => [name, ms(median(xs)), ms(Math.min(...xs)), ms(Math.max(...xs))];
  say(table([
    ['process (interleaved, ' + r.runs + ' runs each)', 'median ms', 'min ms', 'max ms'],
    row('node -e 0', r.nodeMs),
    row('hydracluster exec <id> "echo hi" (real agent)', r.execMs),
    row('hydracluster version', r.versionMs),
  ]));
  const server = r.serverWaits ? 'the server holds ?wait' : 'the server ignores ?wait: the CLI fell back to short back-off polling';
  say(`  ${server}; result GETs per exec: ${r.resultGetsPerExec.toFixed(1)}`);
  const ratio = exec / node;
  return [
    `CLI exec "echo hi" through a real agent: median ${ms(exec)} ms vs node -e 0 ${ms(node)} ms → ${ratio.toFixed(2)}× (target ≤ ${TARGET_EXEC_RATIO}×: ${verdict(ratio <= TARGET_EXEC_RATIO)}); ${server}, ${r.resultGetsPerExec.toFixed(1)} result GETs per exec`,
    `  CLI version: median ${ms(version)} ms vs node -e 0 ${ms(node)} ms → ${(version / node).toFixed(2)}× (no target)`,
  ];
}

export async function cliBench(tmp: string): Promise<CliBenchResult> {
  const fleet = await startFleet(tmp);
  try {
    // The CLI finds server and token in its flags only: no HC_*, an empty home.
    const env: NodeJS.ProcessEnv = { ...process.env, HYDRACLUSTER_HOME: mkdtempSync(join(tmp, 'cli-home-')) };
    delete env.HC_SERVER;
    delete env.HC_TOKEN;
    const conn = ['--server', fleet.url, '--admin-token', fleet.admin];
    const exec = async (): Promise<Run> => {
      const r = await timed([CLI, 'exec', fleet.nodeId, 'echo hi', ...conn], env);
      if (r.code !== 0 || r.stdout !== 'hi\n') throw new Error(`hydracluster exec exited ${r.code}, stdout ${JSON.stringify(r.stdout)}, stderr ${JSON.stringify(r.stderr)}`);
      return r;
    };
    // The first exec also waits for the agent to come online and park in its long-poll.
    for (let i = 0; i < WARMUP_RUNS; i++) await exec();
    const kinds = {
      node: () => timed(['-e', '0'], env),
      exec,
      version: () => timed([CLI, 'version'], env),
    };
    const times: Record<keyof typeof kinds, number[]> = { node: [], exec: [], version: [] };
    const order = Object.keys(kinds) as Array<keyof typeof kinds>;
    const getsBefore = await fleet.resultGets();
    for (let i = 0; i < CLI_RUNS; i++) {
      // Rotate the order, so that each kind runs in each position equally often.
      for (let k = 0; k < order.length; k++) {
        const kind = order[(i + k) % order.length]!;
        times[kind].push((await kinds[kind]()).ms);
      }
    }
    const resultGetsPerExec = ((await fleet.resultGets()) - getsBefore) / CLI_RUNS;
    return { runs: CLI_RUNS, nodeMs: times.node, execMs: times.exec, versionMs: times.version, serverWaits: await serverWaits(fleet), resultGetsPerExec };
  } finally {
    await fleet.stop();
  }
}

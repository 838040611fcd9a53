/**
 * Test helpers for the agent: `hydranode install` and `hydranode run` as real child processes of
 * the built bin (dist/src/agent/main.js), an enrollment through the admin API, polling a condition
 * against the real server, and finding leftover processes by a unique marker. Loopback only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { call } from '../support/process.js';
import { tempDir } from '../support/temp.js';

export const AGENT = resolve(import.meta.dirname, '../../dist/src/agent/main.js');

export function assertAgentBuilt(): void {
  if (!existsSync(AGENT)) throw new Error(`${AGENT} is missing: run \`npm run build\` first`);
}

/** The tests' one temp-folder helper (removed when the test file ends), here for the agent tests that import it with the rest. */
export { tempDir };

/** The agent's environment without HYDRANODE_HOME, so only --home decides. */
function agentEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.HYDRANODE_HOME;
  return env;
}

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a node script to completion. */
export function runNode(args: string[], timeoutMs = 20_000, env: NodeJS.ProcessEnv = {}): Promise<Finished> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...agentEnv(), ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`node ${args.join(' ')} did not finish in ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

/** Issues an enrollment with the admin token. */
export async function enroll(url: string, name: string): Promise<{ node_id: string; enrollment_token: string }> {
  const r = await call(url, 'POST', '/enrollments', { name, os: 'linux' });
  if (r.status !== 201) throw new Error(`enroll: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

export const installAgent = (url: string, token: string, home: string): Promise<Finished> =>
  runNode([AGENT, 'install', '--server', url, '--enroll-token', token, '--home', home, '--no-service']);

export interface AgentProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

export function startAgent(home: string): AgentProcess {
  assertAgentBuilt();
  const child = spawn(process.execPath, [AGENT, 'run', '--home', home], { stdio: ['ignore', 'pipe', 'pipe'], env: agentEnv() });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, output: () => out, exited };
}

/** Enrolls, installs and starts an agent in a fresh home; returns the node id and the process. */
export async function enrolledAgent(url: string, name: string): Promise<{ id: string; home: string; agent: AgentProcess }> {
  const e = await enroll(url, name);
  const home = tempDir('hn-home-');
  const r = await installAgent(url, e.enrollment_token, home);
  if (r.code !== 0) throw new Error(`install exited ${r.code}: ${r.stderr}`);
  return { id: e.node_id, home, agent: startAgent(home) };
}

/** Stops a child with SIGTERM (SIGKILL after `graceMs`); resolves with its exit code. */
export async function stop(child: ChildProcess, graceMs = 10_000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  child.kill('SIGTERM');
  const code = await exited;
  clearTimeout(timer);
  return code;
}

/** Polls `probe` until it returns a value that is not undefined; fails after `timeoutMs`. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** GET /nodes/{id}, when `ok` holds for it. */
export const nodeWhen = (url: string, id: string, ok: (n: any) => boolean) => async () => {
  const r = await call(url, 'GET', `/nodes/${id}`);
  return r.status === 200 && ok(r.body) ? r.body : undefined;
};

/** Submits an exec through the admin API and waits for its final result. */
export async function execViaApi(url: string, id: string, command: string, timeoutS: number): Promise<any> {
  const sub = await call(url, 'POST', `/nodes/${id}/exec`, { command, timeout_s: timeoutS });
  if (sub.status !== 202) throw new Error(`exec submit: ${sub.status} ${JSON.stringify(sub.body)}`);
  return eventually(`result of ${sub.body.id}`, async () => {
    const r = await call(url, 'GET', `/nodes/${id}/exec/${sub.body.id}/result`);
    return r.status === 200 ? r.body : undefined;
  }, (timeoutS + 15) * 1000);
}

/** Pids whose command line contains `marker` (a string unique to one test). */
export function pidsWith(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(marker)) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => done(port));
    });
  });
}

/** A role whose install writes fresh content to `<dir>/marker` and whose check tests for it. */
export function markerRole(dir: string) {
  const marker = join(dir, 'marker');
  return {
    description: 'writes a marker file',
    recipe: { bash: `echo "$RANDOM-$(date +%s%N)" > '${marker}'`, check_bash: `test -f '${marker}'` },
  };
}

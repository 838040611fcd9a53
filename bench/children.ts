/**
 * Child processes of the bench: every one is registered here and killed at the end, also when the
 * bench fails or is interrupted. Loopback only; ports are picked free by the OS.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const live = new Set<ChildProcess>();

/** dist/bench (where the compiled child scripts are) and dist/src/cli/main.js. */
export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const CLI = join(BENCH_DIR, '..', 'src', 'cli', 'main.js');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Spawns `node [nodeArgs] script args`, stdout and stderr appended to `logFile`. */
export function spawnLogged(nodeArgs: string[], script: string, args: string[], logFile: string): ChildProcess {
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  track(child);
  return child;
}

/** Runs a child to completion: the JSON of its last stdout line that is an object, and every line. */
export function runJsonChild<T>(nodeArgs: string[], script: string, args: string[], timeoutMs: number): Promise<{ result: T; lines: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    track(child);
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (s: string) => void (out += s));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} ${args.join(' ')}: no result within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      const lines = out.split('\n');
      const last = lines.filter((l) => l.startsWith('{')).pop() ?? '';
      if (code !== 0) return reject(new Error(`${script} ${args.join(' ')} exited ${code}: ${lines.filter(Boolean).pop() ?? ''}`));
      try {
        resolve({ result: JSON.parse(last) as T, lines });
      } catch {
        reject(new Error(`${script} ${args.join(' ')}: no JSON result (last line: ${last.slice(0, 200)})`));
      }
    });
  });
}

/** Registers a child spawned elsewhere, so that killAll() also ends it. */
export function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
}

const exited = (c: ChildProcess): boolean => c.exitCode !== null || c.signalCode !== null;

/** SIGTERM (the server's clean stop), then SIGKILL after `graceMs`. Resolves with the exit code. */
export function stopChild(child: ChildProcess, graceMs = 15_000): Promise<number | null> {
  if (exited(child)) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    child.kill('SIGTERM');
  });
}

/** Last resort on any exit path: no child outlives the bench. */
export function killAll(): void {
  for (const c of live) if (!exited(c)) c.kill('SIGKILL');
  live.clear();
}

/** Polls `url` until `ok(status, body)` holds; returns ms since `since` (performance.now()). */
export async function waitForHttp(
  url: string,
  ok: (status: number, body: string) => boolean,
  opts: { since: number; timeoutMs: number; everyMs?: number; child?: ChildProcess },
): Promise<number> {
  for (;;) {
    if (opts.child && exited(opts.child)) throw new Error(`${url}: the process exited (code ${opts.child.exitCode}) before answering`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      const body = await res.text();
      if (ok(res.status, body)) return performance.now() - opts.since;
    } catch {
      // not listening yet
    }
    if (performance.now() - opts.since > opts.timeoutMs) throw new Error(`${url}: not ready within ${opts.timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, opts.everyMs ?? 25));
  }
}

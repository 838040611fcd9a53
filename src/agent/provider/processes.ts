/**
 * The provider's processes and ports as the runbook checks them: processes by name (`tasklist` on
 * Windows, /proc on Linux, `ps` elsewhere; a name matches with or without `.exe`, case-blind on
 * Windows), ports by a TCP connect to 127.0.0.1, and stopping by name — asked first (SIGTERM,
 * `taskkill`), then killed (SIGKILL, `taskkill /F`) — as the runbook's `Stop-Process -Name … -Force`.
 * The agent's own process is never matched.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { basename } from 'node:path';
import { promisify } from 'node:util';
import { sleep } from '../backoff.js';

const run = promisify(execFile);
/** Linux shows at most this many characters of a process's name (`comm`). */
const COMM_CHARS = 15;
const PORT_CONNECT_MS = 1000;
const STOP_POLL_MS = 200;

export interface ProcessInfo {
  pid: number;
  name: string;
  /** Linux: argv[0]'s file name, which may differ from `name` (the executable's). */
  alias?: string;
}

async function linuxProcesses(): Promise<ProcessInfo[]> {
  const out: ProcessInfo[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const name = (await readFile(`/proc/${entry}/comm`, 'utf8')).trim();
      const argv0 = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0')[0] ?? '';
      out.push({ pid: Number(entry), name, alias: argv0 ? basename(argv0) : undefined });
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** `tasklist /fo csv /nh` lines: `"LarkXRLauncher.exe","4242","Services","0","12,345 K"`. */
export function parseTasklist(stdout: string): ProcessInfo[] {
  return stdout.split(/\r?\n/).flatMap((line) => {
    const m = /^"([^"]*)","(\d+)"/.exec(line);
    return m ? [{ pid: Number(m[2]), name: m[1]! }] : [];
  });
}

async function windowsProcesses(): Promise<ProcessInfo[]> {
  const { stdout } = await run('tasklist', ['/fo', 'csv', '/nh'], { windowsHide: true, maxBuffer: 16 * 1024 * 1024 });
  return parseTasklist(stdout);
}

async function psProcesses(): Promise<ProcessInfo[]> {
  const { stdout } = await run('ps', ['-A', '-o', 'pid=,comm='], { maxBuffer: 16 * 1024 * 1024 });
  return stdout.split('\n').flatMap((line) => {
    const m = /^\s*(\d+)\s+(.+)$/.exec(line);
    return m ? [{ pid: Number(m[1]), name: basename(m[2]!.trim()) }] : [];
  });
}

/** Every process on this host (but the agent itself). */
export async function listProcesses(platform: NodeJS.Platform): Promise<ProcessInfo[]> {
  const all = platform === 'win32' ? await windowsProcesses() : platform === 'linux' ? await linuxProcesses() : await psProcesses();
  return all.filter((p) => p.pid !== process.pid);
}

/** Whether a process answers to `wanted` (a runbook name such as `LarkXRLauncher` or `nginx.exe`). */
export function nameMatches(p: ProcessInfo, wanted: string, platform: NodeJS.Platform): boolean {
  const norm = (s: string) => (platform === 'win32' ? s.toLowerCase().replace(/\.exe$/, '') : s.replace(/\.exe$/, ''));
  const want = norm(wanted);
  if (norm(p.name) === want || (p.alias !== undefined && norm(p.alias) === want)) return true;
  // Linux cuts `comm` at 15 characters.
  return platform === 'linux' && p.name.length === COMM_CHARS && want.length > COMM_CHARS && want.startsWith(p.name);
}

/** The processes answering to any of `names`. */
export async function findProcesses(names: readonly string[], platform: NodeJS.Platform): Promise<ProcessInfo[]> {
  if (names.length === 0) return [];
  const all = await listProcesses(platform);
  return all.filter((p) => names.some((n) => nameMatches(p, n, platform)));
}

/** True when something accepts a TCP connection on 127.0.0.1:`port`. */
export function portListens(port: number, timeoutMs = PORT_CONNECT_MS): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function signal(pids: number[], force: boolean, platform: NodeJS.Platform): Promise<void> {
  if (platform === 'win32') {
    const args = [...(force ? ['/F'] : []), '/T', ...pids.flatMap((p) => ['/PID', String(p)])];
    await run('taskkill', args, { windowsHide: true }).catch(() => undefined); // some may be gone already
    return;
  }
  for (const pid of pids) {
    try {
      process.kill(pid, force ? 'SIGKILL' : 'SIGTERM');
    } catch {
      // gone already, or not ours to signal
    }
  }
}

/**
 * Stops the processes answering to `names` and the process groups in `groups` (a provider this
 * agent started): asked to stop, then killed after `graceMs`. Returns the names it stopped.
 */
export async function stopProcesses(names: readonly string[], platform: NodeJS.Platform, graceMs: number, groups: readonly number[] = []): Promise<string[]> {
  const found = await findProcesses(names, platform);
  const groupPids = platform === 'win32' ? groups : groups.map((g) => -g);
  if (found.length === 0 && groups.length === 0) return [];
  await signal([...found.map((p) => p.pid), ...groupPids], false, platform);
  const deadline = Date.now() + graceMs;
  let left = found;
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(STOP_POLL_MS);
    left = await findProcesses(names, platform);
  }
  if (left.length > 0 || groups.length > 0) await signal([...left.map((p) => p.pid), ...groupPids], true, platform);
  return [...new Set(found.map((p) => p.name))];
}

/**
 * Runs one command (an exec, a role script, the update hook) in its interpreter: in its own process
 * group, with a timeout that kills the whole group (SIGTERM, then SIGKILL after a grace), stdout
 * and stderr captured separately, each kept up to its cap (in memory too) and flagged when cut.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants, homedir, platform } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { which } from './host-info.js';
import { DEFAULT_MAX_OUTPUT_BYTES } from './limits.js';
import { CappedOutput } from './output-cap.js';

/** After SIGTERM, the group gets this long before SIGKILL. */
export const KILL_GRACE_MS = 2000;
/** After the command itself exits, its output pipes get this long to drain (a background child may hold them). */
export const DRAIN_AFTER_EXIT_MS = 1000;
/** What a shell reports when a command cannot be found or started. */
export const EXIT_NOT_FOUND = 127;
const SIGNAL_EXIT_BASE = 128;

/** An executable and the arguments that make it run `command`. */
export interface Launch {
  file: string;
  args: string[];
  /** Windows: pass the arguments as written (cmd.exe's own quoting rules), as Node's `shell` option does. */
  verbatim?: boolean;
}

/** Where this host's interpreters are (null: not installed). */
export interface Interpreters {
  bash: string | null;
  /** PowerShell 7 (`pwsh`) preferred, else Windows PowerShell. */
  powershell: string | null;
  /** Windows' cmd.exe (%ComSpec%); null elsewhere. */
  cmd: string | null;
}

/** Looks up bash, PowerShell (pwsh first) and, on Windows, cmd.exe on the PATH of `env`. */
export function findInterpreters(env: NodeJS.ProcessEnv, os: NodeJS.Platform = platform()): Interpreters {
  const cmd = os === 'win32' ? (env.ComSpec ?? env.COMSPEC ?? which('cmd', env)) : null;
  return { bash: which('bash', env), powershell: which('pwsh', env) ?? which('powershell', env), cmd };
}

/**
 * Windows PowerShell writes to a pipe in the OEM code page: this makes its output (and what it
 * pipes to native programs) UTF-8, which is how the agent reads every stream.
 */
export const POWERSHELL_UTF8 = '[Console]::OutputEncoding = [System.Text.UTF8Encoding]::new($false); $OutputEncoding = [Console]::OutputEncoding; ';

/** How to run `command` in `interpreter`, or why it cannot be run here. */
export function launchFor(interpreter: string, command: string, found: Interpreters, os: NodeJS.Platform = platform()): Launch | { error: string } {
  if (interpreter === 'bash') {
    return found.bash ? { file: found.bash, args: ['-c', command] } : { error: 'hydranode: bash is not installed on this node' };
  }
  if (interpreter === 'powershell') {
    if (!found.powershell) return { error: 'hydranode: PowerShell is not available on this node (neither pwsh nor powershell is on PATH)' };
    if (os !== 'win32') return { file: found.powershell, args: ['-NoProfile', '-NonInteractive', '-Command', command] };
    // No profile, no prompt, no execution policy in the way (a machine's policy may forbid scripts).
    return { file: found.powershell, args: ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command', POWERSHELL_UTF8 + command] };
  }
  if (interpreter === 'cmd') {
    if (!found.cmd) return { error: 'hydranode: cmd is only available on Windows nodes' };
    // /d: no AutoRun commands; /s /c "…": the command line is run as given, outer quotes removed.
    return { file: found.cmd, args: ['/d', '/s', '/c', `"${command}"`], verbatim: true };
  }
  return { error: `hydranode: unsupported interpreter ${JSON.stringify(interpreter)} (this agent runs bash, powershell and, on Windows, cmd)` };
}

/** One command to run: how to launch it, its timeout, its output cap (bytes of UTF-8 per stream). */
export interface RunSpec {
  launch: Launch;
  timeoutMs: number;
  maxOutputBytes?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Aborting kills the group at once (the agent is stopping). */
  signal?: AbortSignal;
}

/** How a command ended, with its output (each stream at most the cap, `*Truncated` when cut) and times. */
export interface RunOutcome {
  exitCode: number;
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  timedOut: boolean;
  /** Killed because `signal` aborted. */
  aborted: boolean;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
}

/** Windows' taskkill by full path (a command may have changed PATH for itself, never for the agent). */
const taskkill = (): string => join(process.env.SystemRoot ?? 'C:\\Windows', 'System32', 'taskkill.exe');

/** Signals the whole process group (the command's own and every child it started); on Windows ends the process tree. */
function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    if (platform() === 'win32') spawn(taskkill(), ['/T', '/F', '/PID', String(pid)], { stdio: 'ignore', windowsHide: true }).on('error', () => {});
    else process.kill(-pid, sig);
  } catch {
    // already gone
  }
}

const streamClosed = (s: Readable): Promise<void> =>
  s.closed || s.destroyed ? Promise.resolve() : new Promise((r) => s.once('close', () => r()));

/** A result for a command that never started. */
export function notStarted(message: string): RunOutcome {
  const now = new Date().toISOString();
  return { exitCode: EXIT_NOT_FOUND, stdout: '', stderr: `${message}\n`, stdoutTruncated: false, stderrTruncated: false, timedOut: false, aborted: false, startedAt: now, finishedAt: now, durationMs: 0 };
}

/** Runs the command to its end (or its timeout) and never rejects. */
export async function runCommand(spec: RunSpec): Promise<RunOutcome> {
  const max = spec.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const started = Date.now();
  const out = new CappedOutput(max);
  const err = new CappedOutput(max);
  let child: ChildProcess;
  try {
    child = spawn(spec.launch.file, spec.launch.args, {
      cwd: spec.cwd ?? homedir(),
      env: spec.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
      windowsVerbatimArguments: spec.launch.verbatim === true,
    });
  } catch (e) {
    // e.g. a NUL byte in the command: refused before any process exists.
    return notStarted(`hydranode: cannot start ${spec.launch.file}: ${(e as Error).message}`);
  }
  child.stdout!.on('data', (c: Buffer) => out.push(c));
  child.stderr!.on('data', (c: Buffer) => err.push(c));

  let timedOut = false;
  let aborted = false;
  let killTimer: NodeJS.Timeout | undefined;
  const kill = (): void => {
    if (child.pid === undefined || killTimer) return;
    signalGroup(child.pid, 'SIGTERM');
    killTimer = setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), KILL_GRACE_MS);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, spec.timeoutMs);
  const onAbort = (): void => {
    aborted = true;
    kill();
  };
  spec.signal?.addEventListener('abort', onAbort, { once: true });
  if (spec.signal?.aborted) onAbort();

  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  clearTimeout(timer);
  spec.signal?.removeEventListener('abort', onAbort);
  // A background child may keep the pipes open after the command exits: drain briefly, then stop reading.
  let drainTimer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all([streamClosed(child.stdout!), streamClosed(child.stderr!)]),
    new Promise<void>((r) => (drainTimer = setTimeout(r, DRAIN_AFTER_EXIT_MS))),
  ]);
  clearTimeout(drainTimer);
  child.stdout!.destroy();
  child.stderr!.destroy();
  if (exit.error) err.push(Buffer.from(`hydranode: cannot start ${spec.launch.file}: ${exit.error.message}\n`));

  const finished = Date.now();
  const exitCode = exit.code ?? (exit.signal ? SIGNAL_EXIT_BASE + (constants.signals[exit.signal] ?? 0) : EXIT_NOT_FOUND);
  const stdout = out.result();
  const stderr = err.result();
  return {
    exitCode,
    stdout: stdout.text,
    stderr: stderr.text,
    stdoutTruncated: stdout.truncated,
    stderrTruncated: stderr.truncated,
    timedOut,
    aborted,
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date(finished).toISOString(),
    durationMs: finished - started,
  };
}

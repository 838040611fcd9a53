/**
 * One shell session on the node (docs/api.md#shell-sessions): the agent's WebSocket to the server and a PTY
 * (node-pty) running the session's command under the user's shell, or a login shell. PTY bytes go
 * out as binary frames (cut to {@link MAX_FRAME_BYTES}, under the server's frame limit); binary
 * frames in are the operator's keystrokes; `resize` frames resize the PTY. When the program exits
 * the agent sends `{"type":"exit","code"}` and closes; when the socket closes first, the PTY's
 * whole process group is killed (SIGHUP, then SIGKILL). `ws` and node-pty are loaded on first use.
 */
import { closeSync, constants, openSync } from 'node:fs';
import type { RawData, WebSocket as WsSocket } from 'ws';
import type { IPty } from 'node-pty';
import type { Logger } from '../log.js';
import { CLOSE_GOING_AWAY, CLOSE_INTERNAL_ERROR, CLOSE_NORMAL, parseControl, SHELL_HIGH_WATER_BYTES, SHELL_LOW_WATER_BYTES, type ShellSession } from '../wire/shell.js';

/** Largest binary frame the agent sends (the server's default max_frame_bytes is 64 KiB). */
export const MAX_FRAME_BYTES = 16 * 1024;
/** After SIGHUP, the process group gets this long before SIGKILL. */
export const KILL_GRACE_MS = 2000;
const CONNECT_TIMEOUT_MS = 10_000;
const SIGNAL_EXIT_BASE = 128;

export interface ShellPtyOptions {
  serverUrl: string;
  token: string;
  session: ShellSession;
  env: NodeJS.ProcessEnv;
  log: Logger;
  platform?: NodeJS.Platform;
  /** The agent is stopping: the session ends and its process group is killed. */
  signal?: AbortSignal;
}

/** The program a session runs: its command under the user's shell, else a login shell. */
export function shellLaunch(command: string | null, env: NodeJS.ProcessEnv, platform: NodeJS.Platform): { file: string; args: string[] } {
  if (platform === 'win32') {
    const file = 'powershell.exe';
    return command === null ? { file, args: ['-NoLogo'] } : { file, args: ['-NoLogo', '-NoProfile', '-Command', command] };
  }
  const file = env.SHELL && env.SHELL.startsWith('/') ? env.SHELL : '/bin/bash';
  return command === null ? { file, args: ['-l'] } : { file, args: ['-c', command] };
}

/** The WebSocket URL of a session's agent end, keeping a path prefix of the server URL. */
export function attachUrl(serverUrl: string, sessionId: string): string {
  const base = new URL(serverUrl);
  const path = base.pathname.replace(/\/+$/, '') + `/api/v1/body/shell/${encodeURIComponent(sessionId)}`;
  return new URL(path, base).toString().replace(/^http/, 'ws');
}

/** Kills a PTY's process group: SIGHUP now, SIGKILL after the grace. */
export function killGroup(pid: number): void {
  const hit = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      // already gone
    }
  };
  hit('SIGHUP');
  setTimeout(() => hit('SIGKILL'), KILL_GRACE_MS).unref();
}

/**
 * Opens the PTY's slave side in the agent too. On Linux, once the last slave fd closes (the
 * program exited), the master's reader gets EIO and node-pty drops output still in the buffer
 * (up to several KB at the end of a base64 dump). Held open here, the reader drains everything;
 * node-pty then reports the exit (its own 200 ms socket timeout) and the agent closes this fd.
 */
function holdSlave(term: IPty): number | null {
  const name = (term as IPty & { ptsName?: unknown }).ptsName;
  if (typeof name !== 'string' || !name.startsWith('/dev/')) return null;
  try {
    return openSync(name, constants.O_RDWR | constants.O_NOCTTY);
  } catch {
    return null;
  }
}

let ptyModule: Promise<typeof import('node-pty') | null> | null = null;

/**
 * node-pty, loaded on the first session; null when this agent has none (a single executable loads
 * built-in modules only, and the native addon is not shipped with it): the session is refused
 * with a reason and the agent runs on.
 */
export function loadPty(): Promise<typeof import('node-pty') | null> {
  ptyModule ??= import('node-pty').then(
    (m) => m,
    () => null,
  );
  return ptyModule;
}

/** What an operator hears when this agent has no PTY. */
export const NO_PTY_MESSAGE = 'this agent has no PTY support (node-pty is not part of the single executable): use exec instead';

/** Attaches to the session and runs its PTY; resolves when both have ended. */
export async function runShellPty(o: ShellPtyOptions): Promise<void> {
  const [{ WebSocket }, pty] = await Promise.all([import('ws'), loadPty()]);
  const { session, log } = o;
  const ws: WsSocket = new WebSocket(attachUrl(o.serverUrl, session.id), {
    headers: { authorization: `Bearer ${o.token}` },
    handshakeTimeout: CONNECT_TIMEOUT_MS,
  });
  // Frames can come in the same read as the upgrade's answer (keys the operator typed before the
  // agent attached): 'message' fires right after 'open', before any await resumes. Listen at once
  // and hand them over once the PTY runs, or they are lost (the bench's echo hung on it, ~1 in 10).
  let onFrame: ((data: RawData, isBinary: boolean) => void) | null = null;
  const early: Array<[RawData, boolean]> = [];
  ws.on('message', (data, isBinary) => (onFrame ? onFrame(data, isBinary) : void early.push([data, isBinary])));
  const opened = await new Promise<boolean>((resolve) => {
    ws.once('open', () => resolve(true));
    ws.once('unexpected-response', (_req, res) => {
      log.warn('shell attach refused', { session_id: session.id, status: res.statusCode });
      res.resume();
      resolve(false);
    });
    ws.once('error', (e) => {
      log.warn('shell attach failed', { session_id: session.id, error: e.message });
      resolve(false);
    });
  });
  if (!opened) return ws.terminate();

  if (!pty) {
    log.warn('shell session refused: no PTY support in this agent', { session_id: session.id });
    ws.send(JSON.stringify({ type: 'error', error: 'spawn_failed', message: NO_PTY_MESSAGE }));
    ws.close(CLOSE_INTERNAL_ERROR, 'spawn_failed');
    return;
  }
  const launch = shellLaunch(session.command, o.env, o.platform ?? process.platform);
  let term: IPty;
  try {
    term = pty.spawn(launch.file, launch.args, {
      name: 'xterm-256color',
      cols: session.cols,
      rows: session.rows,
      cwd: o.env.HOME ?? process.cwd(),
      env: o.env as Record<string, string>,
      encoding: null,
    });
  } catch (e) {
    log.error('shell PTY could not start', { session_id: session.id, error: (e as Error).message });
    ws.send(JSON.stringify({ type: 'error', error: 'spawn_failed', message: (e as Error).message.slice(0, 500) }));
    ws.close(CLOSE_INTERNAL_ERROR, 'spawn_failed');
    return;
  }
  const heldSlave = holdSlave(term);
  o.signal?.addEventListener('abort', () => ws.close(CLOSE_GOING_AWAY, 'agent stopping'), { once: true });
  log.info('shell session started', { session_id: session.id, pid: term.pid, command: session.command !== null });
  let exited = false;
  let paused = false;

  term.onData((d: string | Buffer) => {
    if (ws.readyState !== WebSocket.OPEN) return;
    const buf = typeof d === 'string' ? Buffer.from(d, 'utf8') : d;
    for (let i = 0; i < buf.length; i += MAX_FRAME_BYTES) {
      ws.send(buf.subarray(i, i + MAX_FRAME_BYTES), { binary: true }, () => {
        if (paused && ws.bufferedAmount < SHELL_LOW_WATER_BYTES) {
          paused = false;
          term.resume();
        }
      });
    }
    if (!paused && ws.bufferedAmount > SHELL_HIGH_WATER_BYTES) {
      paused = true;
      term.pause();
    }
  });
  onFrame = (data, isBinary) => {
    const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    if (isBinary) return void (exited || term.write(buf));
    const frame = parseControl(buf.toString('utf8'));
    if (frame?.type === 'resize' && !exited) term.resize(frame.cols, frame.rows);
  };
  for (const [data, isBinary] of early.splice(0)) onFrame(data, isBinary);

  await new Promise<void>((resolve) => {
    term.onExit(({ exitCode, signal }) => {
      exited = true;
      if (heldSlave !== null) closeSync(heldSlave);
      const code = signal ? SIGNAL_EXIT_BASE + signal : exitCode;
      log.info('shell session ended', { session_id: session.id, exit_code: code });
      if (ws.readyState === WebSocket.OPEN) {
        ws.send(JSON.stringify({ type: 'exit', code }));
        ws.close(CLOSE_NORMAL, 'exit');
      }
      if ((o.platform ?? process.platform) !== 'win32') killGroup(term.pid); // what the program left running in its group goes with it
      resolve();
    });
    ws.on('close', () => {
      if (exited) return;
      log.info('shell session closed by the server; killing its process group', { session_id: session.id, pid: term.pid });
      // Windows has no process groups to signal: node-pty ends the console's processes itself.
      if ((o.platform ?? process.platform) === 'win32') term.kill();
      else killGroup(term.pid);
    });
    ws.on('error', () => {});
  });
}

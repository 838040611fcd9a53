/**
 * `hydracluster exec --shell <nodeId> "<command>" [--timeout 10s]` and `hydracluster shell
 * <nodeId> [command]` (docs/operations.md#the-cli): the WebSocket PTY, which never goes through the exec queue.
 * `exec --shell` prints the command's output (the PTY's CR LF turned back into LF) and exits with
 * its code: 124 on --timeout, 69 when no agent attached (`agent_unavailable`). `shell` is
 * interactive: the terminal in raw mode, resized with the window, and restored however it ends.
 */
import { parseArgs } from 'node:util';
import type { WebSocket, RawData } from 'ws';
import { parseDuration, UsageError, type ConnectionFlags } from './args.js';
import { resolveConnection, type Env } from './connection.js';
import { CliError, reportFailure } from './errors.js';
import { EX_SOFTWARE, EX_TIMEOUT, EX_UNAVAILABLE, EX_USAGE } from '../sysexits.js';
import { CrLfToLf, openShell, sendBytes } from './shell.js';
import { CLOSE_NORMAL, CLOSE_TOO_BIG, parseControl } from '../wire/shell.js';
import { NODE_ID_PATTERN } from '../wire/constants.js';
import { createApi } from './client.js';
import { resolveNode } from './node-names.js';

/** Size of the PTY when the output is not a terminal: wide, so tools do not cut their lines. */
const PIPE_COLS = 200;
const PIPE_ROWS = 50;
const DEFAULT_SHELL_TIMEOUT_S = 60;

export interface ShellIo {
  env: Env;
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WritableStream;
}

interface ShellCommand {
  nodeId: string;
  command: string | null;
  timeoutS: number | null;
  conn: ConnectionFlags;
}


function parseShellArgs(cmd: string, argv: string[]): ShellCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { shell: { type: 'boolean' }, timeout: { type: 'string' }, server: { type: 'string' }, 'admin-token': { type: 'string' }, home: { type: 'string' } },
      strict: true,
      allowPositionals: true,
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values: v, positionals: p } = parsed;
  const nodeId = p[0];
  if (!nodeId) throw new UsageError(cmd === 'shell' ? 'missing node id: hydracluster shell <nodeId>' : 'missing node id: hydracluster exec --shell <nodeId> "<command>"');
  const command = p[1] ?? null;
  if (cmd === 'exec' && command === null) throw new UsageError('missing command: hydracluster exec --shell <nodeId> "<command>"');
  if (p.length > 2) throw new UsageError(`unexpected argument ${JSON.stringify(p[2])}`);
  if (cmd === 'shell' && v.shell) throw new UsageError('--shell goes with exec');
  const timeoutS = v.timeout !== undefined ? parseDuration(v.timeout) : cmd === 'exec' ? DEFAULT_SHELL_TIMEOUT_S : null;
  return { nodeId, command, timeoutS, conn: { server: v.server, adminToken: v['admin-token'], home: v.home } };
}

/** Runs `exec --shell` or `shell`; resolves with the exit code. */
export async function runShellCommand(cmd: string, argv: string[], io: ShellIo): Promise<number> {
  try {
    const c = parseShellArgs(cmd, argv);
    const conn = await resolveConnection(c.conn, io.env);
    if (!NODE_ID_PATTERN.test(c.nodeId)) {
      // A node name: looked up once over the admin API (docs/api.md#exec).
      const api = createApi(conn);
      try {
        c.nodeId = await resolveNode(api, c.nodeId);
      } finally {
        api.close();
      }
    }
    return cmd === 'shell' ? await interactive(c, conn, io) : await execShell(c, conn, io);
  } catch (e) {
    return reportFailure(cmd, e, io.stderr);
  }
}

const toBuffer = (d: RawData): Buffer => (Buffer.isBuffer(d) ? d : Array.isArray(d) ? Buffer.concat(d) : Buffer.from(d));

/**
 * Pipes the session's output to `out` (pausing the socket while `out` is full) until the session
 * ends; resolves with the exit code, or throws the CliError of an error frame or a cut session.
 */
function pump(ws: WebSocket, out: NodeJS.WriteStream, transform: (b: Buffer) => Buffer): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let code: number | null = null;
    let error: CliError | null = null;
    ws.on('message', (data, isBinary) => {
      const buf = toBuffer(data);
      if (isBinary) {
        if (!out.write(transform(buf))) {
          ws.pause();
          out.once('drain', () => ws.resume());
        }
        return;
      }
      const f = parseControl(buf.toString('utf8'));
      if (f?.type === 'exit') code = f.code;
      else if (f?.type === 'error') {
        const why = f.error === 'agent_unavailable' ? 'the node\'s agent did not attach (agent_unavailable): is hydranode running there?' : `the session ended: ${f.error}${f.message ? ` (${f.message})` : ''}`;
        error = new CliError(f.error === 'spawn_failed' ? EX_SOFTWARE : EX_UNAVAILABLE, why);
      }
    });
    ws.on('close', (wsCode) => {
      if (code !== null) return resolve(code);
      if (error) return reject(error);
      if (wsCode === CLOSE_TOO_BIG) return reject(new CliError(EX_SOFTWARE, 'the server closed the session: a frame was too large (1009)'));
      reject(new CliError(EX_UNAVAILABLE, `the session ended without an exit code (close ${wsCode})`));
    });
    ws.on('error', () => {});
  });
}

async function execShell(c: ShellCommand, conn: { server: string; token: string }, io: ShellIo): Promise<number> {
  const out = io.stdout;
  const cols = out.isTTY ? out.columns : PIPE_COLS;
  const rows = out.isTTY ? out.rows : PIPE_ROWS;
  const ws = await openShell(conn, { nodeId: c.nodeId, cols, rows, command: c.command });
  const crlf = new CrLfToLf();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<number>((resolve) => {
    timer = setTimeout(() => {
      io.stderr.write(`hydracluster: the command did not finish within ${c.timeoutS} s; the session was closed (its processes are killed)\n`);
      ws.close(CLOSE_NORMAL, 'timeout');
      resolve(EX_TIMEOUT);
    }, (c.timeoutS ?? DEFAULT_SHELL_TIMEOUT_S) * 1000);
  });
  try {
    return await Promise.race([pump(ws, out, (b) => crlf.push(b)), timedOut]);
  } finally {
    clearTimeout(timer);
    out.write(crlf.end());
  }
}

async function interactive(c: ShellCommand, conn: { server: string; token: string }, io: ShellIo): Promise<number> {
  const { stdin, stdout } = io;
  const ws = await openShell(conn, { nodeId: c.nodeId, cols: stdout.columns || 80, rows: stdout.rows || 24, command: c.command });
  const wasRaw = stdin.isTTY ? stdin.isRaw : false;
  const restore = () => {
    if (stdin.isTTY) stdin.setRawMode(wasRaw);
    stdin.pause();
  };
  const onInput = (d: Buffer) => sendBytes(ws, d);
  const onResize = () => ws.send(JSON.stringify({ type: 'resize', cols: stdout.columns, rows: stdout.rows }));
  const onSignal = () => ws.close(CLOSE_NORMAL, 'signal');
  if (stdin.isTTY) stdin.setRawMode(true);
  stdin.on('data', onInput);
  stdin.resume();
  stdout.on('resize', onResize);
  process.once('exit', restore);
  for (const s of ['SIGTERM', 'SIGHUP'] as const) process.once(s, onSignal);
  try {
    return await pump(ws, stdout, (b) => b);
  } finally {
    stdin.off('data', onInput);
    stdout.off('resize', onResize);
    for (const s of ['SIGTERM', 'SIGHUP'] as const) process.off(s, onSignal);
    process.off('exit', restore);
    restore();
  }
}

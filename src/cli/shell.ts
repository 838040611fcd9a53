/**
 * The CLI's end of a shell session (docs/api.md#shell-sessions, docs/operations.md#the-cli): opens `GET /nodes/{id}/shell` as a WebSocket
 * with the admin token and turns the server's refusals into the CLI's exit codes. `ws` is loaded
 * here, on first use, so commands that do not need it never load it.
 */
import type { WebSocket } from 'ws';
import { seg } from './client.js';
import type { Connection } from './connection.js';
import { CliError } from './errors.js';
import { EX_NOINPUT, EX_NOPERM, EX_SOFTWARE, EX_UNAVAILABLE, EX_USAGE } from '../sysexits.js';

/** Largest binary frame the CLI sends (the server's default max_frame_bytes is 64 KiB). */
export const MAX_SEND_BYTES = 16 * 1024;
const HANDSHAKE_TIMEOUT_MS = 10_000;

export interface OpenShell {
  nodeId: string;
  cols: number;
  rows: number;
  command: string | null;
}

/** The session's URL: the server URL with ws(s), the node, and the PTY's size and command. */
export function shellUrl(server: string, o: OpenShell): string {
  const q = new URLSearchParams({ cols: String(o.cols), rows: String(o.rows) });
  if (o.command !== null) q.set('command', o.command);
  return `${server.replace(/^http/, 'ws')}/api/v1/nodes/${seg(o.nodeId)}/shell?${q}`;
}

/** What an HTTP refusal of the upgrade means for the operator. */
export function refusal(status: number, body: string, nodeId: string): CliError {
  let message = body.slice(0, 300);
  try {
    const b = JSON.parse(body) as { message?: unknown };
    if (typeof b.message === 'string') message = b.message;
  } catch {
    // not JSON
  }
  if (status === 401 || status === 403) return new CliError(EX_NOPERM, `the server refused the admin token: ${message || status}`);
  if (status === 404) return new CliError(EX_NOINPUT, message || `no node ${nodeId}`);
  if (status === 400) return new CliError(EX_USAGE, message || 'bad request');
  if (status === 429 || status === 503) return new CliError(EX_UNAVAILABLE, message || `refused (${status})`);
  return new CliError(EX_SOFTWARE, `the server answered ${status} ${message}`);
}

/** Opens the session's WebSocket; rejects with a CliError when it is refused or unreachable. */
export async function openShell(conn: Connection, o: OpenShell): Promise<WebSocket> {
  const { WebSocket } = await import('ws');
  const ws = new WebSocket(shellUrl(conn.server, o), { headers: { authorization: `Bearer ${conn.token}` }, handshakeTimeout: HANDSHAKE_TIMEOUT_MS });
  return new Promise<WebSocket>((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body = (body + d).slice(0, 4096)));
      res.on('end', () => reject(refusal(res.statusCode ?? 0, body, o.nodeId)));
      res.on('error', () => reject(refusal(res.statusCode ?? 0, body, o.nodeId)));
    });
    ws.once('error', (e: NodeJS.ErrnoException) => reject(new CliError(EX_UNAVAILABLE, `cannot reach ${conn.server}: ${e.code ?? e.message}`)));
  });
}

/** Sends bytes as binary frames no larger than {@link MAX_SEND_BYTES}. */
export function sendBytes(ws: WebSocket, buf: Buffer): void {
  for (let i = 0; i < buf.length; i += MAX_SEND_BYTES) ws.send(buf.subarray(i, i + MAX_SEND_BYTES), { binary: true });
}

/**
 * Turns a PTY's CR LF line ends back into LF, across chunk boundaries (a CR at the end of a chunk
 * waits for the next one). Lone CRs (progress bars) pass through.
 */
export class CrLfToLf {
  private heldCr = false;

  push(chunk: Buffer): Buffer {
    const out = Buffer.allocUnsafe(chunk.length + 1);
    let n = 0;
    let i = 0;
    if (this.heldCr) {
      this.heldCr = false;
      if (chunk[0] !== 0x0a) out[n++] = 0x0d;
    }
    for (; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (b === 0x0d) {
        if (i + 1 === chunk.length) {
          this.heldCr = true;
          break;
        }
        if (chunk[i + 1] === 0x0a) continue;
      }
      out[n++] = b;
    }
    return out.subarray(0, n);
  }

  /** What is still held at the end of the stream. */
  end(): Buffer {
    const rest = this.heldCr ? Buffer.from([0x0d]) : Buffer.alloc(0);
    this.heldCr = false;
    return rest;
  }
}

/**
 * Keys an operator types before the agent attaches reach the agent in the same read as the
 * upgrade's answer (the server's bridge resumes the operator's paused socket at attach). ws emits
 * those frames right after 'open', before any await in the agent resumes: the agent must be
 * listening already, or the keys are lost (the shell bench hung on its first echo about one run
 * in ten). Here a server writes the 101 answer and a binary frame in one write, deterministically.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runShellPty } from '../../src/agent/shell-pty.js';
import { memoryLogger } from '../../src/log.js';

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Binary payloads of the (masked) client frames in `buf`; stops at a partial frame. */
function clientFrames(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  while (i + 2 <= buf.length) {
    const opcode = buf[i]! & 0x0f;
    let len = buf[i + 1]! & 0x7f;
    let at = i + 2;
    if (len === 126) {
      len = buf.readUInt16BE(at);
      at += 2;
    } else if (len === 127) break;
    if (at + 4 + len > buf.length) break;
    const mask = buf.subarray(at, at + 4);
    const payload = Buffer.from(buf.subarray(at + 4, at + 4 + len));
    for (let k = 0; k < payload.length; k++) payload[k]! ^= mask[k % 4]!;
    if (opcode === 2) out.push(payload);
    i = at + 4 + len;
  }
  return out;
}

let server: Server | null = null;
afterEach(() => server?.close());

describe('agent shell attach', () => {
  it('when a key arrives in the same read as the upgrade answer, then it reaches the PTY (echoed back by cat)', async () => {
    let received = Buffer.alloc(0);
    let sock: Socket | null = null;
    server = createServer();
    server.on('upgrade', (req, socket: Socket) => {
      sock = socket;
      const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}${WS_GUID}`).digest('base64');
      const head = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`;
      // The answer and the operator's early key "q", in one write (one read for the agent).
      socket.write(Buffer.concat([Buffer.from(head), Buffer.from([0x82, 1, 0x71])]));
      socket.on('data', (d: Buffer) => (received = Buffer.concat([received, d])));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const stop = new AbortController();
    const run = runShellPty({ serverUrl: url, token: 'hcn_test', session: { id: 'shell-early', cols: 80, rows: 24, command: 'cat' }, env: process.env, log: memoryLogger(), signal: stop.signal });
    await expect.poll(() => Buffer.concat(clientFrames(received)).includes('q'), { timeout: 10_000 }).toBe(true);
    stop.abort();
    (sock as Socket | null)?.destroy();
    await run;
  });
});

/**
 * Shell test helpers: the real server in-process on 127.0.0.1:0 (real sockets, a FakeClock for
 * the attach and idle timeouts), nodes registered through the API, and a WebSocket client that
 * records what it receives.
 */
import { WebSocket } from 'ws';
import { FakeClock } from '../../src/clock.js';
import { memoryLogger } from '../../src/log.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { ADMIN } from '../support/harness.js';
import { call, makeHome } from '../support/process.js';

export interface ShellServer {
  running: RunningServer;
  url: string;
  clock: FakeClock;
  addNode(name?: string): Promise<{ id: string; token: string }>;
  stop(): Promise<void>;
}

export async function shellServer(overrides: (doc: any) => void = () => {}): Promise<ShellServer> {
  const home = makeHome(overrides);
  const clock = new FakeClock();
  const running = await startServer({ home, listen: '127.0.0.1:0', clock, log: memoryLogger() });
  const url = running.url;
  return {
    running,
    url,
    clock,
    async addNode(name = 'n1') {
      const e = await call(url, 'POST', '/enrollments', { name, os: 'linux' });
      const r = await call(url, 'POST', '/register', {}, e.body.enrollment_token);
      return { id: r.body.node_id, token: r.body.token };
    },
    stop: () => running.stop(),
  };
}

/** A WebSocket that records its frames, its close code and its HTTP refusal. */
export interface Peer {
  ws: WebSocket;
  bytes(): Buffer;
  texts: any[];
  /** Resolves with the HTTP status when the upgrade was refused, or 101 once open. */
  opened: Promise<number>;
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves when the received bytes include `text`. */
  sees(text: string): Promise<void>;
  /** Resolves when a text frame matching `pred` arrived. */
  control(pred: (f: any) => boolean): Promise<any>;
}

export function connect(base: string, path: string, token: string | null = ADMIN, extra: Record<string, string> = {}): Peer {
  const headers: Record<string, string> = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...extra };
  const ws = new WebSocket(base.replace(/^http/, 'ws') + '/api/v1' + path, { headers });
  const chunks: Buffer[] = [];
  const texts: any[] = [];
  const waiters: Array<() => void> = [];
  const wake = () => waiters.splice(0).forEach((w) => w());
  ws.on('message', (data, isBinary) => {
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
    if (isBinary) chunks.push(buf);
    else texts.push(JSON.parse(buf.toString('utf8')));
    wake();
  });
  const until = <T>(probe: () => T | undefined): Promise<T> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const v = probe();
        if (v !== undefined) return resolve(v);
        if (ws.readyState === WebSocket.CLOSED) return reject(new Error(`closed before: ${Buffer.concat(chunks).toString()} ${JSON.stringify(texts)}`));
        waiters.push(check);
      };
      check();
    });
  const opened = new Promise<number>((resolve) => {
    ws.once('open', () => resolve(101));
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.once('error', () => resolve(0));
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
      wake();
    }),
  );
  return {
    ws,
    texts,
    bytes: () => Buffer.concat(chunks),
    opened,
    closed,
    sees: (text) => until(() => (Buffer.concat(chunks).includes(text) ? true : undefined)).then(() => {}),
    control: (pred) => until(() => texts.find(pred)),
  };
}

/** The actor listing, filtered to shell sessions. */
export async function shellActors(url: string): Promise<any[]> {
  const r = await call(url, 'GET', '/debug/actors?kind=shell');
  return (r.body.actors ?? r.body) as any[];
}

/**
 * One HTTP exchange at a time for a one-shot CLI, over node:http (or node:https) with a keep-alive
 * agent: the submit and the result long-poll share one connection. node:http loads in ~4 ms here;
 * global fetch (undici) costs ~27 ms of start-up on its first use, a fifth of the whole budget.
 */
import type { Agent, IncomingMessage, RequestOptions } from 'node:http';

/** What the client sends: method, URL, headers, an optional body, and a deadline for the answer. */
export interface HttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

export interface HttpResponse {
  status: number;
  text: string;
}

/** Sends requests; rejects with a TimeoutError (name) or the socket's error (with its `code`). */
export interface Transport {
  send(req: HttpRequest): Promise<HttpResponse>;
  /** Closes idle connections so the process can exit at once. */
  close(): void;
}

type RequestFn = (options: RequestOptions, callback: (res: IncomingMessage) => void) => import('node:http').ClientRequest;

class TimeoutError extends Error {
  override name = 'TimeoutError';
}

function exchange(request: RequestFn, agent: Agent, req: HttpRequest): Promise<HttpResponse> {
  const u = new URL(req.url);
  const headers = { ...req.headers };
  if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
  return new Promise((resolve, reject) => {
    const r = request(
      { agent, method: req.method, hostname: u.hostname.replace(/^\[|\]$/g, ''), port: u.port, path: u.pathname + u.search, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', fail);
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    function fail(e: Error): void {
      clearTimeout(timer);
      reject(e);
    }
    const timer = setTimeout(() => r.destroy(new TimeoutError(`no answer within ${req.timeoutMs} ms`)), req.timeoutMs);
    r.on('error', fail);
    r.end(req.body);
  });
}

/** A transport for `server` (http: or https:); its module is loaded on the first request. */
export function httpTransport(server: string): Transport {
  let ready: Promise<{ request: RequestFn; agent: Agent }> | undefined;
  const load = () =>
    (ready ??= (new URL(server).protocol === 'https:' ? import('node:https') : import('node:http')).then((m) => ({
      request: m.request as RequestFn,
      agent: new m.Agent({ keepAlive: true, maxSockets: 1 }),
    })));
  return {
    async send(req) {
      const { request, agent } = await load();
      return exchange(request, agent, req);
    },
    close() {
      void ready?.then(({ agent }) => agent.destroy());
    },
  };
}

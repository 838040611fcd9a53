/**
 * The agent's side of the wire (docs/api.md#agents-heartbeat-flags-and-the-provision-poll): one small HTTP client over node:http(s) with a shared
 * keep-alive connection pool, a per-request timeout, and every reply validated before use. A
 * failure is one {@link ApiError} whose `status` tells the caller what to do (null: the server
 * could not be reached or did not answer in time).
 */
import http from 'node:http';
import https from 'node:https';
import type { z } from 'zod';
import type { enrollmentBody, EnrollmentReply, HeartbeatBody, HeartbeatReply, ProvisionReply, RegisterBody, RegisterReply } from '../wire/agent.js';
import { readExecDelivery, readHeartbeatReply, readNoShellSessions, readProvisionReply } from '../wire/agent-replies.js';
import type { ExecDelivery, ExecResultBody } from '../wire/exec.js';
import type { ShellSession } from '../wire/shell.js';

/** A reply's reader: the zod-free shortcut for the common case, else the wire schema, loaded on first need. */
interface Reader<T> {
  fast?: (data: unknown) => T | null;
  schema: () => Promise<z.ZodType<T, unknown>>;
}

// Loaded only when a reply is not the common case (and by install and sim): zod is ~10 MiB of an idle agent.
const agentWire = () => import('../wire/agent.js');
const READ = {
  register: { schema: async () => (await agentWire()).registerReply } as Reader<RegisterReply>,
  enroll: { schema: async () => (await agentWire()).enrollmentReply } as Reader<EnrollmentReply>,
  heartbeat: { fast: readHeartbeatReply, schema: async () => (await agentWire()).heartbeatReply } as Reader<HeartbeatReply>,
  provision: { fast: readProvisionReply, schema: async () => (await agentWire()).provisionReply } as Reader<ProvisionReply>,
  exec: { fast: readExecDelivery, schema: async () => (await import('../wire/exec.js')).execDelivery } as Reader<ExecDelivery>,
  shellCheck: { fast: (d) => (readNoShellSessions(d) ? { sessions: [] } : null), schema: async () => (await import('../wire/shell.js')).shellCheckReply } as Reader<{ sessions: ShellSession[] }>,
  cancelWatch: {
    fast: (d) => (typeof (d as { cancelled?: unknown } | null)?.cancelled === 'boolean' ? { cancelled: (d as { cancelled: boolean }).cancelled } : null),
    schema: async () => (await import('../wire/exec-control.js')).cancelWatchReply,
  } as Reader<{ cancelled: boolean }>,
};

/** Default time a request may take before it counts as "server away". */
export const REQUEST_TIMEOUT_MS = 15_000;
/** A long-poll gets its own wait plus this much before the client gives up on it. */
export const LONG_POLL_MARGIN_MS = 10_000;
/** Replies larger than this are refused: nothing the agent reads is anywhere near it. */
export const MAX_REPLY_BYTES = 8 * 1024 * 1024;
const API_PREFIX = '/api/v1';
const HTTP_NO_CONTENT = 204;

/** A request that did not get a 2xx: `status` null means unreachable, timed out or cut. */
export class ApiError extends Error {
  constructor(
    readonly status: number | null,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }

  /** Worth trying again later: the server is away, slow, overloaded or restarting. */
  get transient(): boolean {
    return this.status === null || this.status >= 500 || this.status === 429 || this.status === 408;
  }
}

/** Per-request settings: another token, a JSON body, a timeout, a cancel signal. */
export interface RequestOptions {
  token?: string;
  body?: unknown;
  timeoutMs?: number;
  signal?: AbortSignal;
}

interface RawReply {
  status: number;
  text: string;
}

/** Builds a keep-alive pool; the simulator shares one across thousands of simulated nodes. */
export function keepAliveAgent(url: string, maxSockets: number): http.Agent {
  const opts = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets };
  return url.startsWith('https:') ? new https.Agent(opts) : new http.Agent(opts);
}

/** Client for one server URL; {@link withToken} gives a client for another credential, same pool. */
export class ApiClient {
  private readonly base: URL;
  private readonly transport: typeof http | typeof https;

  constructor(
    serverUrl: string,
    private readonly token: string | undefined,
    private readonly pool: http.Agent = keepAliveAgent(serverUrl, Infinity),
  ) {
    this.base = new URL(serverUrl);
    this.transport = this.base.protocol === 'https:' ? https : http;
  }

  withToken(token: string): ApiClient {
    return new ApiClient(this.base.toString(), token, this.pool);
  }

  /** `POST /register` with the enrollment token this client was built with. */
  register(body: RegisterBody): Promise<RegisterReply> {
    return this.json('POST', '/register', READ.register, { body });
  }

  heartbeat(body: HeartbeatBody, signal?: AbortSignal): Promise<HeartbeatReply> {
    return this.json('POST', '/body/heartbeat', READ.heartbeat, { body, signal });
  }

  provision(signal?: AbortSignal): Promise<ProvisionReply> {
    return this.json('GET', '/body/provision', READ.provision, { signal });
  }

  /** The next exec, waiting up to `waitS` for one; null when none arrived. */
  async nextExec(waitS: number, signal?: AbortSignal): Promise<ExecDelivery | null> {
    const timeoutMs = waitS * 1000 + LONG_POLL_MARGIN_MS;
    const r = await this.send('GET', `/body/exec?wait=${waitS}`, { signal, timeoutMs });
    return r.status === HTTP_NO_CONTENT ? null : parseReply(r, READ.exec, 'GET /body/exec');
  }

  /** Shell sessions waiting for this node, waiting up to `waitS` for one (docs/api.md#agents-heartbeat-flags-and-the-provision-poll). */
  async shellCheck(waitS: number, signal?: AbortSignal): Promise<ShellSession[]> {
    const timeoutMs = waitS * 1000 + LONG_POLL_MARGIN_MS;
    const r = await this.send('GET', `/body/shell/check?wait=${waitS}`, { signal, timeoutMs });
    return (await parseReply(r, READ.shellCheck, 'GET /body/shell/check')).sessions;
  }

  /**
   * docs/api.md#exec: the cancel channel of the exec this agent runs, waiting up to `waitS`: null while
   * it runs on (204), else whether it ended by a cancel.
   */
  async cancelWatch(execId: string, waitS: number, signal?: AbortSignal): Promise<{ cancelled: boolean } | null> {
    const timeoutMs = waitS * 1000 + LONG_POLL_MARGIN_MS;
    const path = `/body/exec/${encodeURIComponent(execId)}/cancel?wait=${waitS}`;
    const r = await this.send('GET', path, { signal, timeoutMs });
    return r.status === HTTP_NO_CONTENT ? null : parseReply(r, READ.cancelWatch, 'GET /body/exec/{id}/cancel');
  }

  async postExecResult(body: ExecResultBody, signal?: AbortSignal): Promise<void> {
    await this.send('POST', '/body/exec/result', { body, signal });
  }

  /** Admin `POST /enrollments` (the simulator enrolls its nodes with the admin token). */
  enroll(body: z.input<typeof enrollmentBody>): Promise<EnrollmentReply> {
    return this.json('POST', '/enrollments', READ.enroll, { body });
  }

  private async json<T>(method: string, path: string, reader: Reader<T>, opts: RequestOptions): Promise<T> {
    return parseReply(await this.send(method, path, opts), reader, `${method} ${path}`);
  }

  /** One request; resolves with a 2xx reply, rejects with an ApiError otherwise. */
  send(method: string, path: string, opts: RequestOptions = {}): Promise<RawReply> {
    // Keeps a path prefix of the server URL (a server behind https://host/hydra/).
    const url = new URL(this.base.pathname.replace(/\/+$/, '') + API_PREFIX + path, this.base);
    const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    const headers: Record<string, string | number> = { accept: 'application/json' };
    const token = opts.token ?? this.token;
    if (token) headers.authorization = `Bearer ${token}`;
    if (payload) Object.assign(headers, { 'content-type': 'application/json', 'content-length': payload.length });
    const timeoutMs = opts.timeoutMs ?? REQUEST_TIMEOUT_MS;
    const signal = opts.signal ? AbortSignal.any([opts.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
    const what = `${method} ${url.pathname}`;
    return new Promise<RawReply>((resolve, reject) => {
      const req = this.transport.request(url, { method, headers, agent: this.pool, signal }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_REPLY_BYTES) res.destroy(new Error(`reply larger than ${MAX_REPLY_BYTES} bytes`));
          else chunks.push(c);
        });
        res.on('error', (e) => reject(unreachable(what, e, signal)));
        // A connection cut mid-reply ends without 'end'; the promise settles once either way.
        res.on('close', () => {
          if (!res.complete) reject(unreachable(what, new Error('connection closed before the reply ended'), signal));
        });
        res.on('end', () => {
          const reply = { status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') };
          if (reply.status >= 200 && reply.status < 300) resolve(reply);
          else reject(httpError(what, reply));
        });
      });
      req.on('error', (e) => reject(unreachable(what, e, signal)));
      req.end(payload);
    });
  }
}

function unreachable(what: string, e: Error, signal: AbortSignal): ApiError {
  const code = (e as NodeJS.ErrnoException).code ?? (signal.aborted ? 'timeout' : 'network');
  const reason = signal.aborted ? 'no answer in time (or cancelled)' : e.message;
  return new ApiError(null, signal.aborted ? 'timeout' : code, `${what}: ${reason}`);
}

/** The server's `{"error","message"}` body, or a generic line when it sent something else. */
function httpError(what: string, r: RawReply): ApiError {
  let code = `http_${r.status}`;
  let message = r.text.slice(0, 200);
  try {
    const body: unknown = JSON.parse(r.text);
    if (body && typeof body === 'object') {
      const b = body as { error?: unknown; message?: unknown };
      if (typeof b.error === 'string') code = b.error;
      if (typeof b.message === 'string') message = b.message;
    }
  } catch {
    // not JSON: keep the text
  }
  return new ApiError(r.status, code, `${what}: ${r.status} ${message}`);
}

async function parseReply<T>(r: RawReply, reader: Reader<T>, what: string): Promise<T> {
  let data: unknown;
  try {
    data = JSON.parse(r.text);
  } catch {
    throw new ApiError(r.status, 'bad_reply', `${what}: the reply is not JSON`);
  }
  const fast = reader.fast?.(data);
  if (fast) return fast;
  const parsed = (await reader.schema()).safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ApiError(r.status, 'bad_reply', `${what}: unexpected reply at ${issue?.path.join('.') || 'top level'}: ${issue?.message}`);
  }
  return parsed.data;
}

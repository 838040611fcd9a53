/**
 * The operator CLI's way to the server: which server and admin token to use (flags, else
 * HC_SERVER / HC_TOKEN, else the local config.yaml, never created from here), and one `call()`
 * over global fetch with a per-request timeout that turns every failure into a sysexits code.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { resolveHome } from '../config.js';
import { UsageError, type ConnectionFlags } from './args.js';

export { EX_NOINPUT, EX_NOPERM, EX_SOFTWARE, EX_TIMEOUT, EX_UNAVAILABLE, EX_USAGE } from '../sysexits.js';
import { EX_NOINPUT, EX_NOPERM, EX_SOFTWARE, EX_TIMEOUT, EX_UNAVAILABLE, EX_USAGE } from '../sysexits.js';

/** The server an embedded-default install listens on (SPEC §3). */
export const DEFAULT_SERVER = 'http://127.0.0.1:8080';
export const REQUEST_TIMEOUT_MS = 10_000;

/** A failure of the CLI itself: one line on stderr, and its exit code. */
export class CliError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

export type Env = Record<string, string | undefined>;

/** The server URL (no trailing slash) and the admin token to send. */
export interface Connection {
  server: string;
  token: string;
}

/** Only what the client needs from config.yaml; the server validates the rest. */
const clientConfig = z.object({
  server: z.object({ public_url: z.string().optional(), admin_token: z.string().optional() }).optional(),
});

function readLocalConfig(home: string): z.infer<typeof clientConfig> {
  const path = join(home, 'config.yaml');
  if (!existsSync(path)) return {};
  let doc: unknown;
  try {
    doc = parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new CliError(EX_SOFTWARE, `cannot read ${path}: ${(e as Error).message}`);
  }
  const r = clientConfig.safeParse(doc ?? {});
  if (!r.success) throw new CliError(EX_SOFTWARE, `${path}: server.public_url and server.admin_token must be strings`);
  return r.data;
}

/** Flags win, then HC_SERVER / HC_TOKEN, then config.yaml in the home folder. */
export function resolveConnection(flags: ConnectionFlags, env: Env): Connection {
  let local: z.infer<typeof clientConfig> | undefined;
  const config = () => (local ??= readLocalConfig(resolveHome(flags.home, env)));
  const server = flags.server ?? env.HC_SERVER ?? config().server?.public_url ?? DEFAULT_SERVER;
  const token = flags.adminToken ?? env.HC_TOKEN ?? config().server?.admin_token;
  if (!URL.canParse(server) || !/^https?:$/.test(new URL(server).protocol)) {
    throw new UsageError(`bad server URL ${JSON.stringify(server)}: use e.g. http://127.0.0.1:8080`);
  }
  if (!token) throw new UsageError('no admin token: pass --admin-token, set HC_TOKEN, or run where config.yaml is');
  return { server: server.replace(/\/+$/, ''), token };
}

export interface Reply {
  status: number;
  body: unknown;
}

const errorBody = z.object({ error: z.string(), message: z.string() });

function explain(status: number, body: unknown): string {
  const e = errorBody.safeParse(body);
  return e.success ? `${e.data.message} (${status} ${e.data.error})` : `the server answered ${status}`;
}

function unreachable(server: string, e: unknown): CliError {
  const err = e instanceof Error ? e : new Error(String(e));
  if (err.name === 'TimeoutError' || err.name === 'AbortError') {
    return new CliError(EX_UNAVAILABLE, `no answer from ${server} within ${REQUEST_TIMEOUT_MS / 1000} s`);
  }
  const cause = err.cause instanceof Error ? err.cause : null;
  const code = cause && 'code' in cause ? String(cause.code) : null;
  return new CliError(EX_UNAVAILABLE, `cannot reach ${server}: ${code ?? cause?.message ?? err.message}`);
}

/** The server's admin API, as the CLI sees it. */
export interface Api {
  /** One request; resolves with 2xx replies, throws CliError with the exit code for the rest. */
  call(method: string, path: string, body?: unknown): Promise<Reply>;
}

/** An {@link Api} over global fetch with the admin token and a per-request timeout. */
export function createApi(conn: Connection, fetchFn: typeof fetch = fetch): Api {
  return {
    async call(method, path, body) {
      const headers: Record<string, string> = { authorization: `Bearer ${conn.token}` };
      if (body !== undefined) headers['content-type'] = 'application/json';
      let res: Response;
      let text: string;
      try {
        res = await fetchFn(`${conn.server}/api/v1${path}`, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        text = await res.text();
      } catch (e) {
        throw unreachable(conn.server, e);
      }
      let parsed: unknown = null;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        parsed = text;
      }
      if (res.ok) return { status: res.status, body: parsed };
      const what = explain(res.status, parsed);
      if (res.status === 401 || res.status === 403) throw new CliError(EX_NOPERM, `the server refused the admin token: ${what}`);
      if (res.status === 404) throw new CliError(EX_NOINPUT, what);
      throw new CliError(EX_SOFTWARE, what);
    },
  };
}

/** Node ids and actor ids go into paths one segment at a time (actor ids contain `/`). */
export const seg = (id: string): string => id.split('/').map(encodeURIComponent).join('/');

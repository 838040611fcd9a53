/**
 * The server's admin API as the CLI sees it: one `call()` with the admin token and a per-request
 * timeout, which resolves with 2xx replies and turns every other outcome into a CliError carrying
 * its sysexits code (docs/operations.md#the-cli): 77 token refused, 66 unknown node or exec, 69 unreachable, 70 else.
 */
import { CliError } from './errors.js';
import { httpTransport, type Transport } from './http.js';
import type { Connection } from './connection.js';
import { EX_NOINPUT, EX_NOPERM, EX_SOFTWARE, EX_UNAVAILABLE } from '../sysexits.js';

export { CliError };
/** How long one ordinary request may take; a long-poll passes its own (its wait plus a margin). */
export const REQUEST_TIMEOUT_MS = 10_000;

export interface Reply {
  status: number;
  body: unknown;
}

export interface CallOptions {
  /** The whole exchange's deadline, default REQUEST_TIMEOUT_MS. */
  timeoutMs?: number;
  /** `path` is from the server's root (`/downloads/…`), not under `/api/v1`. */
  root?: boolean;
  /** Statuses answered as replies, not thrown (e.g. 409 `already_finished` where the caller reads the result instead). */
  allow?: readonly number[];
}

/** The server's admin API, as the CLI sees it. */
export interface Api {
  /** One request; resolves with 2xx replies, throws CliError with the exit code for the rest. */
  call(method: string, path: string, body?: unknown, opts?: CallOptions): Promise<Reply>;
  /** Lets the process exit: closes the idle keep-alive connection. */
  close(): void;
}

/** "<message> (<status> <code>)" from an error body (docs/api.md#conventions), read with the wire schema. */
async function explain(status: number, body: unknown): Promise<string> {
  // Only failures need the schema, so zod is loaded on this path alone.
  const { errorBody } = await import('../wire/common.js');
  const e = errorBody.safeParse(body);
  return e.success ? `${e.data.message} (${status} ${e.data.error})` : `the server answered ${status}`;
}

function unreachable(server: string, e: unknown, timeoutMs: number): CliError {
  const err = e instanceof Error ? e : new Error(String(e));
  if (err.name === 'TimeoutError' || err.name === 'AbortError') {
    return new CliError(EX_UNAVAILABLE, `no answer from ${server} within ${Math.round(timeoutMs / 1000)} s`);
  }
  const code = 'code' in err ? String(err.code) : null;
  return new CliError(EX_UNAVAILABLE, `cannot reach ${server}: ${code ?? err.message}`);
}

/** An {@link Api} for `conn`, over node:http by default. */
export function createApi(conn: Connection, transport: Transport = httpTransport(conn.server)): Api {
  return {
    async call(method, path, body, opts) {
      const timeoutMs = opts?.timeoutMs ?? REQUEST_TIMEOUT_MS;
      const headers: Record<string, string> = { authorization: `Bearer ${conn.token}` };
      if (body !== undefined) headers['content-type'] = 'application/json';
      let res;
      try {
        res = await transport.send({ method, url: `${conn.server}${opts?.root ? '' : '/api/v1'}${path}`, headers, body: body === undefined ? undefined : JSON.stringify(body), timeoutMs });
      } catch (e) {
        throw unreachable(conn.server, e, timeoutMs);
      }
      let parsed: unknown = null;
      try {
        parsed = res.text ? JSON.parse(res.text) : null;
      } catch {
        parsed = res.text;
      }
      if ((res.status >= 200 && res.status < 300) || opts?.allow?.includes(res.status)) return { status: res.status, body: parsed };
      const what = await explain(res.status, parsed);
      if (res.status === 401 || res.status === 403) throw new CliError(EX_NOPERM, `the server refused the admin token: ${what}`);
      if (res.status === 404) throw new CliError(EX_NOINPUT, what);
      throw new CliError(EX_SOFTWARE, what);
    },
    close() {
      transport.close();
    },
  };
}

/** Node ids and actor ids go into paths one segment at a time (actor ids contain `/`). */
export const seg = (id: string): string => id.split('/').map(encodeURIComponent).join('/');

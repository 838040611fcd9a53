/**
 * `hydranode install --server URL --enroll-token T`: redeems a single-use enrollment token for this
 * node's identity (SPEC §5 `POST /register`) and writes it to `<home>/config.yaml` (mode 0600).
 * Failures are one line on stderr and a sysexits code: 77 token refused, 69 server unreachable.
 */
import { VERSION } from '../version.js';
import { ApiClient, ApiError } from './api-client.js';
import { writeAgentConfig } from './config.js';
import { hostFacts } from './host-info.js';

export { EX_CANTCREAT, EX_CONFIG, EX_NOPERM, EX_OK, EX_PROTOCOL, EX_SOFTWARE, EX_UNAVAILABLE, EX_USAGE } from '../sysexits.js';
import { EX_CANTCREAT, EX_CONFIG, EX_NOPERM, EX_OK, EX_PROTOCOL, EX_SOFTWARE, EX_UNAVAILABLE, EX_USAGE } from '../sysexits.js';

/** The options of `hydranode install`; `out`/`err` default to stdout/stderr. */
export interface InstallOptions {
  server: string;
  enrollToken: string;
  home: string;
  out?: (line: string) => void;
  err?: (line: string) => void;
}

const write = (stream: NodeJS.WriteStream) => (line: string) => void stream.write(`${line}\n`);

/** Registers the node and writes its config; returns the process exit code. */
export async function install(opts: InstallOptions): Promise<number> {
  const out = opts.out ?? write(process.stdout);
  const err = opts.err ?? write(process.stderr);
  let server: URL;
  try {
    server = new URL(opts.server);
    if (server.protocol !== 'http:' && server.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    err(`hydranode: --server must be an http(s) URL, got ${JSON.stringify(opts.server)}`);
    return EX_USAGE;
  }
  const serverUrl = server.toString().replace(/\/+$/, '');
  let reply;
  try {
    reply = await new ApiClient(serverUrl, opts.enrollToken).register({ ...hostFacts(), agent_version: VERSION });
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    if (e.status === 401 || e.status === 403) {
      err(`hydranode: the server refused the enrollment token (already used, expired or unknown): ask for a new enrollment`);
      return EX_NOPERM;
    }
    if (e.transient) {
      err(`hydranode: cannot reach the server at ${serverUrl}: ${e.message}`);
      return EX_UNAVAILABLE;
    }
    err(`hydranode: registration failed: ${e.message}`);
    return EX_PROTOCOL;
  }
  let path: string;
  try {
    // The URL this agent just reached is kept; the server's public_url is only reported.
    path = writeAgentConfig(opts.home, { server_url: serverUrl, node_id: reply.node_id, token: reply.token });
  } catch (e) {
    err(`hydranode: registered as ${reply.node_id}, but cannot write the config in ${opts.home}: ${(e as Error).message}`);
    return EX_CANTCREAT;
  }
  out(`hydranode: registered as ${reply.node_id}; wrote ${path} (mode 0600)`);
  if (reply.server_url && reply.server_url.replace(/\/+$/, '') !== serverUrl) {
    out(`hydranode: note: the server's public_url is ${reply.server_url}; this node keeps using ${serverUrl}`);
  }
  out('hydranode: start the agent with `hydranode run` (or its service)');
  return EX_OK;
}

/**
 * `hydranode install` (docs/operations.md#the-agent, docs/operations.md#agent-distribution): redeems a single-use enrollment token for this node's
 * identity (`POST /register`), writes it to `<home>/config.yaml` (mode 0600), then installs and
 * starts the service (service.ts) unless `--no-service`. With no token: an existing config only
 * (re)installs the service (the manual update); with no config, `enroll.yaml` beside the program
 * (`server:` and `token:`) is enrolled from. Failures are one line on stderr and a sysexits code:
 * 64 usage, 69 server unreachable, 77 token refused, 71 the service could not be installed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VERSION } from '../version.js';
import { ApiClient, ApiError } from './api-client.js';
import { CONFIG_FILE, writeAgentConfig } from './config.js';
import { hostFacts } from './host-info.js';
import { installService, type ServiceCommand, type ServiceDeps } from './service.js';

export { EX_CANTCREAT, EX_CONFIG, EX_NOPERM, EX_OK, EX_OSERR, EX_PROTOCOL, EX_SOFTWARE, EX_UNAVAILABLE, EX_USAGE } from '../sysexits.js';
import { EX_CANTCREAT, EX_NOPERM, EX_OK, EX_OSERR, EX_PROTOCOL, EX_UNAVAILABLE, EX_USAGE } from '../sysexits.js';

/** The file an operator may leave beside the program instead of passing --server and --enroll-token. */
export const ENROLL_FILE = 'enroll.yaml';

/** The options of `hydranode install`; `out`/`err` default to stdout/stderr. */
export interface InstallOptions {
  server?: string;
  enrollToken?: string;
  home: string;
  /** How the service starts the agent; null with --no-service. */
  service: ServiceCommand | null;
  /** Folders searched for enroll.yaml (beside the program). */
  enrollDirs?: string[];
  /** Overrides of how the service is installed (tests; %SystemRoot% from main). */
  serviceDeps?: Partial<ServiceDeps>;
  out?: (line: string) => void;
  err?: (line: string) => void;
}

const write = (stream: NodeJS.WriteStream) => (line: string) => void stream.write(`${line}\n`);

/** `server` and `token` from the first enroll.yaml found, or null. */
async function enrollFile(dirs: string[]): Promise<{ server: string; token: string; path: string } | null> {
  for (const dir of dirs) {
    const path = join(dir, ENROLL_FILE);
    if (!existsSync(path)) continue;
    const { parse } = await import('yaml');
    const doc = parse(readFileSync(path, 'utf8')) as { server?: unknown; token?: unknown; enroll_token?: unknown } | null;
    const token = doc?.token ?? doc?.enroll_token;
    if (typeof doc?.server !== 'string' || typeof token !== 'string') throw new Error(`${path} must set server: and token:`);
    return { server: doc.server, token, path };
  }
  return null;
}

/** Registers with the server and writes the config; returns an exit code (0: registered). */
async function register(server: string, token: string, home: string, out: (l: string) => void, err: (l: string) => void): Promise<number> {
  let url: URL;
  try {
    url = new URL(server);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    err(`hydranode: --server must be an http(s) URL, got ${JSON.stringify(server)}`);
    return EX_USAGE;
  }
  const serverUrl = url.toString().replace(/\/+$/, '');
  let reply;
  try {
    reply = await new ApiClient(serverUrl, token).register({ ...hostFacts(), agent_version: VERSION });
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
    path = writeAgentConfig(home, { server_url: serverUrl, node_id: reply.node_id, token: reply.token });
  } catch (e) {
    err(`hydranode: registered as ${reply.node_id}, but cannot write the config in ${home}: ${(e as Error).message}`);
    return EX_CANTCREAT;
  }
  out(`hydranode: registered as ${reply.node_id}; wrote ${path} (mode 0600)`);
  if (reply.server_url && reply.server_url.replace(/\/+$/, '') !== serverUrl) {
    out(`hydranode: note: the server's public_url is ${reply.server_url}; this node keeps using ${serverUrl}`);
  }
  return EX_OK;
}

/** Registers the node (when a token is given or found) and installs the service; returns the process exit code. */
export async function install(opts: InstallOptions): Promise<number> {
  const out = opts.out ?? write(process.stdout);
  const err = opts.err ?? write(process.stderr);
  if ((opts.server === undefined) !== (opts.enrollToken === undefined)) {
    err('hydranode: --server and --enroll-token go together (neither: reinstall the service of an existing config)');
    return EX_USAGE;
  }
  let enroll = opts.server !== undefined ? { server: opts.server, token: opts.enrollToken!, path: null as string | null } : null;
  if (!enroll && !existsSync(join(opts.home, CONFIG_FILE))) {
    enroll = await enrollFile(opts.enrollDirs ?? []);
    if (!enroll) {
      err(`hydranode: --server and --enroll-token are required: ${join(opts.home, CONFIG_FILE)} does not exist and no ${ENROLL_FILE} was found`);
      return EX_USAGE;
    }
    out(`hydranode: enrolling from ${enroll.path}`);
  }
  if (enroll) {
    const code = await register(enroll.server, enroll.token, opts.home, out, err);
    if (code !== EX_OK) return code;
  } else {
    out(`hydranode: ${join(opts.home, CONFIG_FILE)} exists: keeping this node's identity`);
  }
  if (!opts.service) {
    out('hydranode: no service installed (--no-service): start the agent with `hydranode run`');
    return EX_OK;
  }
  const failed = await installService(opts.service, {
    platform: process.platform,
    run: (await import('./run-program.js')).runProgram,
    out,
    scratchDir: opts.home,
    ...opts.serviceDeps,
  });
  if (failed) {
    err(`hydranode: the service could not be installed: ${failed}; fix that and run \`hydranode install\` again (no token needed)`);
    return EX_OSERR;
  }
  return EX_OK;
}

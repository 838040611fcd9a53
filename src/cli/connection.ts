/**
 * Which server and admin token the CLI uses (docs/operations.md#the-cli): `--server` / `--admin-token`, else
 * HC_SERVER / HC_TOKEN, else the local config.yaml (`server.public_url`, `server.admin_token`),
 * which a client never creates. config.yaml (and the yaml parser) is read only when a flag or
 * variable is missing, so the usual `HC_SERVER=… HC_TOKEN=… hydracluster exec` loads neither.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError, type ConnectionFlags } from './args.js';
import { CliError } from './errors.js';
import { resolveHome } from '../home.js';
import { EX_SOFTWARE } from '../sysexits.js';

/** The server an embedded-default install listens on (docs/operations.md#the-home-folder). */
export const DEFAULT_SERVER = 'http://127.0.0.1:8080';

export type Env = Record<string, string | undefined>;

/** The server URL (no trailing slash) and the admin token to send. */
export interface Connection {
  server: string;
  token: string;
}

/** Only what the client needs from config.yaml; the server validates the rest. */
interface ClientConfig {
  public_url?: string;
  admin_token?: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const optionalString = (v: unknown): v is string | undefined => v === undefined || typeof v === 'string';

async function readLocalConfig(home: string): Promise<ClientConfig> {
  const path = join(home, 'config.yaml');
  if (!existsSync(path)) return {};
  let doc: unknown;
  try {
    const { parse } = await import('yaml');
    doc = parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new CliError(EX_SOFTWARE, `cannot read ${path}: ${(e as Error).message}`);
  }
  const server = isRecord(doc) ? doc.server : undefined;
  if (doc == null || server === undefined) return {};
  if (!isRecord(server) || !optionalString(server.public_url) || !optionalString(server.admin_token)) {
    throw new CliError(EX_SOFTWARE, `${path}: server.public_url and server.admin_token must be strings`);
  }
  return { public_url: server.public_url, admin_token: server.admin_token };
}

/** Flags win, then HC_SERVER / HC_TOKEN, then config.yaml in the home folder. */
export async function resolveConnection(flags: ConnectionFlags, env: Env): Promise<Connection> {
  let server = flags.server ?? env.HC_SERVER;
  let token = flags.adminToken ?? env.HC_TOKEN;
  if (server === undefined || token === undefined) {
    const local = await readLocalConfig(resolveHome(flags.home, env));
    server ??= local.public_url ?? DEFAULT_SERVER;
    token ??= local.admin_token;
  }
  if (!URL.canParse(server) || !/^https?:$/.test(new URL(server).protocol)) {
    throw new UsageError(`bad server URL ${JSON.stringify(server)}: use e.g. http://127.0.0.1:8080`);
  }
  if (!token) throw new UsageError('no admin token: pass --admin-token, set HC_TOKEN, or run where config.yaml is');
  return { server: server.replace(/\/+$/, ''), token };
}

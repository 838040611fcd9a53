/**
 * The agent's home folder and its `config.yaml`: read and validated once at start-up, written by
 * `hydranode install` with mode 0600 (it holds the node token). The agent's only reader of the
 * environment (`HYDRANODE_HOME`) besides the PATH lookup the caller passes in.
 *
 * ```yaml
 * server_url: http://127.0.0.1:8080   # written by install (the --server it registered with)
 * node_id: node-01J...                # written by install
 * token: hcn_...                      # written by install; the node token (never logged)
 * update_command: ""                  # optional: a hook run on the update_node flag instead of the
 *                                     #   self-update to the server's release (./self-update.ts)
 * log_level: info                     # optional: debug | info | warn | error
 * script_timeout_s: 1800              # optional: limit for each role script and the update hook
 * provider_start_timeout_s: 300       # optional: a started provider must be healthy this soon
 * provider_restart_s: 10              # optional: first pause before a stopped provider is restarted
 *                                     #   (doubling up to provider_restart_max_s, default 600)
 * ```
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve, win32 } from 'node:path';
import { parse, stringify } from 'yaml';

/** The agent's config file in its home folder. */
export const CONFIG_FILE = 'config.yaml';
/** The agent's log file in its home folder (rotated to `.1`). */
export const LOG_FILE = 'hydranode.log';
/** Role scripts and the update hook get this long by default (30 min). */
export const DEFAULT_SCRIPT_TIMEOUT_S = 1800;
const PRIVATE_FILE_MODE = 0o600;
const PRIVATE_DIR_MODE = 0o700;

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
const MAX_SCRIPT_TIMEOUT_S = 86_400;

/** config.yaml as validated at start-up; optional keys get their defaults. */
export interface AgentConfig {
  server_url: string;
  node_id: string;
  token: string;
  update_command: string;
  log_level: (typeof LOG_LEVELS)[number];
  script_timeout_s: number;
  /** docs/api.md#providers: a started provider must be healthy this soon, else the start failed. */
  provider_start_timeout_s: number;
  /** First pause before a stopped provider is restarted, doubling up to provider_restart_max_s. */
  provider_restart_s: number;
  provider_restart_max_s: number;
}

/**
 * Checks config.yaml's document (by hand, not zod: an idle agent does without it, see
 * src/wire/agent-replies.ts); returns the config or `key: why`. Unknown keys are kept for later
 * versions and ignored here.
 */
export function validateAgentConfig(doc: unknown): AgentConfig | string {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return '(top level): must be a mapping of keys';
  const d = doc as Record<string, unknown>;
  const text = (k: string) => (typeof d[k] === 'string' && d[k] !== '' ? null : `${k}: must be a non-empty string`);
  for (const k of ['server_url', 'node_id', 'token']) {
    const bad = text(k);
    if (bad) return bad;
  }
  try {
    if (!/^https?:$/.test(new URL(d.server_url as string).protocol)) return 'server_url: must be an http(s) URL';
  } catch {
    return 'server_url: must be a URL';
  }
  if (d.update_command !== undefined && typeof d.update_command !== 'string') return 'update_command: must be a string';
  if (d.log_level !== undefined && !(LOG_LEVELS as readonly unknown[]).includes(d.log_level)) return `log_level: must be one of ${LOG_LEVELS.join(', ')}`;
  const t = d.script_timeout_s;
  if (t !== undefined && !(Number.isInteger(t) && (t as number) >= 1 && (t as number) <= MAX_SCRIPT_TIMEOUT_S)) return `script_timeout_s: must be a whole number of seconds from 1 to ${MAX_SCRIPT_TIMEOUT_S}`;
  const seconds = (k: string, min: number, max: number, whole: boolean, dflt: number): number | string => {
    const v = d[k];
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !(v >= min && v <= max) || (whole && !Number.isInteger(v))) return `${k}: must be ${whole ? 'a whole number of seconds' : 'seconds'} from ${min} to ${max}`;
    return v;
  };
  const startTimeout = seconds('provider_start_timeout_s', 1, 86_400, true, 300);
  const restart = seconds('provider_restart_s', 0.1, 86_400, false, 10);
  const restartMax = seconds('provider_restart_max_s', 0.1, 86_400, false, 600);
  for (const v of [startTimeout, restart, restartMax]) if (typeof v === 'string') return v;
  return {
    provider_start_timeout_s: startTimeout as number,
    provider_restart_s: restart as number,
    provider_restart_max_s: restartMax as number,
    server_url: d.server_url as string,
    node_id: d.node_id as string,
    token: d.token as string,
    update_command: (d.update_command as string | undefined) ?? '',
    log_level: (d.log_level as AgentConfig['log_level'] | undefined) ?? 'info',
    script_timeout_s: (t as number | undefined) ?? DEFAULT_SCRIPT_TIMEOUT_S,
  };
}

/** A config.yaml that is missing or does not validate; the message names the file and the key. */
export class AgentConfigError extends Error {}

/**
 * Home folder: `--home`, else `HYDRANODE_HOME`, else `~/.hydranode`; on Windows the SYSTEM
 * profile's `.hydranode` whoever runs it, so an Administrator's `install` and the SYSTEM task share it.
 */
export function resolveAgentHome(flag: string | undefined, env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string {
  if (flag ?? env.HYDRANODE_HOME) return resolve((flag ?? env.HYDRANODE_HOME)!);
  if (platform === 'win32') return win32.join(env.SystemRoot ?? env.SYSTEMROOT ?? 'C:\\Windows', 'System32', 'config', 'systemprofile', '.hydranode');
  return join(homedir(), '.hydranode');
}

function readDocument(path: string): unknown {
  try {
    return parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new AgentConfigError(`${path}: not valid YAML: ${(e as Error).message}`);
  }
}

/** Loads `<home>/config.yaml`; tells the operator to run `hydranode install` when it is absent. */
export function loadAgentConfig(home: string): AgentConfig {
  const path = join(home, CONFIG_FILE);
  if (!existsSync(path)) throw new AgentConfigError(`${path} does not exist: run \`hydranode install --server URL --enroll-token T\` first`);
  const r = validateAgentConfig(readDocument(path) ?? {});
  if (typeof r === 'string') throw new AgentConfigError(`${path}: ${r}`);
  return r;
}

/**
 * Writes the identity from a registration into `<home>/config.yaml` (mode 0600, atomically),
 * keeping any other keys an operator set there (`update_command`, …) from an earlier install.
 */
export function writeAgentConfig(home: string, identity: { server_url: string; node_id: string; token: string }): string {
  mkdirSync(home, { recursive: true, mode: PRIVATE_DIR_MODE });
  const path = join(home, CONFIG_FILE);
  let kept: Record<string, unknown> = {};
  if (existsSync(path)) {
    try {
      const doc = readDocument(path);
      if (doc && typeof doc === 'object' && !Array.isArray(doc)) kept = doc as Record<string, unknown>;
    } catch {
      // an unreadable old file is replaced
    }
  }
  const text = '# hydranode agent configuration, written by `hydranode install`. Keep it private (mode 0600).\n' + stringify({ ...kept, ...identity });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: PRIVATE_FILE_MODE });
  chmodSync(tmp, PRIVATE_FILE_MODE);
  renameSync(tmp, path);
  return path;
}

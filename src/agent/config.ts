/**
 * The agent's home folder and its `config.yaml`: read and validated once at start-up, written by
 * `hydranode install` with mode 0600 (it holds the node token). The agent's only reader of the
 * environment (`HYDRANODE_HOME`) besides the PATH lookup the caller passes in.
 *
 * ```yaml
 * server_url: http://127.0.0.1:8080   # written by install (the --server it registered with)
 * node_id: node-01J...                # written by install
 * token: hcn_...                      # written by install; the node token (never logged)
 * update_command: ""                  # optional: the update hook run on the update_node flag, e.g.
 *                                     #   "curl -fsSL https://.../hydranode -o /usr/local/bin/hydranode.new
 *                                     #    && mv /usr/local/bin/hydranode.new /usr/local/bin/hydranode
 *                                     #    && systemctl restart hydranode"
 *                                     # unset: the flag is acknowledged and logged as "no update hook"
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
import { z } from 'zod';

/** The agent's config file in its home folder. */
export const CONFIG_FILE = 'config.yaml';
/** The agent's log file in its home folder (rotated to `.1`). */
export const LOG_FILE = 'hydranode.log';
/** Role scripts and the update hook get this long by default (30 min). */
export const DEFAULT_SCRIPT_TIMEOUT_S = 1800;
const PRIVATE_FILE_MODE = 0o600;
const PRIVATE_DIR_MODE = 0o700;

/** config.yaml as validated at start-up; optional keys get their defaults. */
export const agentConfigSchema = z.object({
  server_url: z.string().url(),
  node_id: z.string().min(1),
  token: z.string().min(1),
  update_command: z.string().default(''),
  log_level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  script_timeout_s: z.number().int().min(1).max(86_400).default(DEFAULT_SCRIPT_TIMEOUT_S),
  /** SPEC §16.4: a started provider must be healthy this soon, else the start failed. */
  provider_start_timeout_s: z.number().int().min(1).max(86_400).default(300),
  /** First pause before a stopped provider is restarted, doubling up to provider_restart_max_s. */
  provider_restart_s: z.number().min(0.1).max(86_400).default(10),
  provider_restart_max_s: z.number().min(0.1).max(86_400).default(600),
});
/** The validated agent config. */
export type AgentConfig = z.output<typeof agentConfigSchema>;

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
  const r = agentConfigSchema.safeParse(readDocument(path) ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw new AgentConfigError(`${path}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
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

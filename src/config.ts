/**
 * config.yaml: read and validated once at start-up; nothing else reads the file or process.env.
 * On first start (no file) the server runs on a fresh in-memory config (random tokens) and, once
 * it is listening, writes it with mode 0600 holding the address actually served.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { recipeSchema } from './wire/agent.js';
import { checkProviderFields, providerFields } from './config-provider.js';
import { newToken } from './ids.js';
import { fieldPath, issueText } from './issues.js';
import { listenProblem, publicUrlFor } from './listen.js';

const roleSchema = z
  .object({
    description: z.string().default(''),
    provider: z.string().min(1).optional(),
    recipe: recipeSchema.default({}),
    ...providerFields,
  })
  .strict()
  .superRefine(checkProviderFields);

const listenSchema = z.string().superRefine((value, ctx) => {
  const problem = listenProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** Agents are told heartbeat_interval_s; offline_after_s must leave room for a late or lost beat. */
export const MIN_OFFLINE_HEARTBEATS = 2;

const agentSource = z
  .string()
  .refine((v) => v === '' || v === 'none' || /^https?:\/\/\S+$/.test(v), 'must be "" (this server\'s /downloads/), "none" (already installed) or an http(s) URL')
  .default('');

const serverSchema = z
  .object({
    listen: listenSchema.default('127.0.0.1:8080'),
    /** Absent: the URL of the address served (see {@link servedPublicUrl}). */
    public_url: z.string().url().optional(),
    admin_token: z.string().min(16, 'must be at least 16 characters'),
    fleet_enrollment_token: z.string().min(16, 'must be at least 16 characters'),
    experience_library_url: z.string().default(''),
    heartbeat_interval_s: z.number().int().min(1).max(3600).default(30),
    offline_after_s: z.number().int().min(2).max(86_400).default(90),
    enrollment_ttl_s: z.number().int().min(1).max(30 * 86_400).default(86_400),
    max_body_bytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(1_048_576),
    max_connections: z.number().int().min(16).max(1_000_000).default(50_000),
    /** Open connections from one address (an IPv6 /64) at most; more are closed at accept. */
    max_connections_per_address: z.number().int().min(1).max(1_000_000).default(1000),
    log_format: z.enum(['auto', 'json', 'pretty']).default('auto'),
    log_level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    exec: z
      .object({
        max_queue: z.number().int().min(1).max(100_000).default(100),
        default_timeout_s: z.number().int().min(1).max(86_400).default(60),
        result_ttl_s: z.number().int().min(1).max(30 * 86_400).default(3600),
        max_output_bytes: z.number().int().min(16).max(64 * 1024 * 1024).default(1_048_576),
      })
      .strict()
      .default({ max_queue: 100, default_timeout_s: 60, result_ttl_s: 3600, max_output_bytes: 1_048_576 }),
    shell: z
      .object({
        /** Open shell sessions per node at most; one more is refused (429 too_many_sessions). */
        max_sessions_per_node: z.number().int().min(1).max(1000).default(4),
        /** The agent must attach this soon, else the client gets agent_unavailable. */
        attach_timeout_s: z.number().int().min(1).max(600).default(10),
        /** A session with no byte either way for this long is closed. */
        idle_timeout_s: z.number().int().min(1).max(7 * 86_400).default(1800),
        /** Largest WebSocket frame accepted from a client or an agent; larger: closed with 1009. */
        max_frame_bytes: z.number().int().min(1024).max(16 * 1024 * 1024).default(65_536),
      })
      .strict()
      .default({ max_sessions_per_node: 4, attach_timeout_s: 10, idle_timeout_s: 1800, max_frame_bytes: 65_536 }),
    screenshot: z
      .object({
        path: z.string().default('/tmp/hydra-live-screenshot.jpg'),
        max_age_s: z.number().int().min(1).default(60),
      })
      .strict()
      .default({ path: '/tmp/hydra-live-screenshot.jpg', max_age_s: 60 }),
    heads: z
      .object({
        log_path: z.string().default('~/.hydranode/hydraheadflatscreen.log'),
        /** How long /heads/{id}/screenshot and /logs wait on the head's exec channel (runbook: 20 s, 15 s). */
        screenshot_timeout_s: z.number().int().min(1).max(300).default(20),
        logs_timeout_s: z.number().int().min(1).max(300).default(15),
      })
      .strict()
      .default({ log_path: '~/.hydranode/hydraheadflatscreen.log', screenshot_timeout_s: 20, logs_timeout_s: 15 }),
    rate_limit_per_min: z.number().int().min(1).max(1_000_000).default(60),
    /** Anonymous enrollments are refused (429) while this many nodes wait in `enrolling`. */
    max_pending_enrollments: z.number().int().min(1).max(1_000_000).default(1000),
    /** POST /heads (fleet token) is refused (429) while this many heads it registered never reported back. */
    max_pending_heads: z.number().int().min(1).max(1_000_000).default(1000),
    /** Install commands' source of the agent (docs/operations.md#agent-distribution): "" = this server's /downloads/, "none" = installed already, or a URL. */
    agent_downloads: z
      .object({ windows: agentSource, linux: agentSource })
      .strict()
      .default({ windows: '', linux: '' }),
    /** docs/api.md#accountability: a token that may read /metrics only; "" = admin tokens only. */
    metrics_token: z.string().refine((t) => t === '' || t.length >= 16, 'must be empty or at least 16 characters').default(''),
    /** false: no /metrics and no per-request measurement (the bench's baseline). */
    metrics_enabled: z.boolean().default(true),
    /** docs/architecture.md#nodesyaml-and-its-journal: compact once nodes.journal holds this many bytes; 0 = max(1 MiB, half of nodes.yaml). */
    journal_compact_bytes: z.number().int().min(0).max(2 ** 40).default(0),
  })
  .strict()
  .superRefine((s, ctx) => {
    const minOffline = MIN_OFFLINE_HEARTBEATS * s.heartbeat_interval_s;
    if (s.offline_after_s < minOffline) {
      ctx.addIssue({
        code: 'custom',
        path: ['offline_after_s'],
        message: `must be at least ${MIN_OFFLINE_HEARTBEATS} × heartbeat_interval_s (${minOffline}), or every node flaps offline between heartbeats`,
      });
    }
    if (s.fleet_enrollment_token === s.admin_token) {
      ctx.addIssue({ code: 'custom', path: ['fleet_enrollment_token'], message: 'must differ from server.admin_token (an iPad holding it would be an admin)' });
    }
  })
  .transform((s) => ({ ...s, public_url: s.public_url ?? publicUrlFor(s.listen)}));

/** Operator names: `admin` is server.admin_token's own name. */
const operatorsSchema = z.record(
  z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'operator names are lower-case, digits, . _ -').refine((n) => n !== 'admin', '`admin` is the name of server.admin_token'),
  z.string().min(16, 'must be at least 16 characters'),
);

export const configSchema = z
  .object({
    server: serverSchema,
    roles: z.record(z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'role names are lower-case, digits, . _ -'), roleSchema).default({}),
    /** docs/api.md#accountability: named admin tokens, recorded in the audit log under their name. */
    operators: operatorsSchema.default({}),
  })
  .strict()
  .superRefine((doc, ctx) => {
    const s = doc.server;
    const taken = new Map<string, string>([[s.admin_token, 'server.admin_token'], [s.fleet_enrollment_token, 'server.fleet_enrollment_token']]);
    if (s.metrics_token !== '') {
      if (taken.has(s.metrics_token)) ctx.addIssue({ code: 'custom', path: ['server', 'metrics_token'], message: `must differ from ${taken.get(s.metrics_token)}` });
      taken.set(s.metrics_token, 'server.metrics_token');
    }
    for (const [name, token] of Object.entries(doc.operators)) {
      const other = taken.get(token);
      if (other) ctx.addIssue({ code: 'custom', path: ['operators', name], message: `must differ from ${other} (each token names one holder)` });
      taken.set(token, `operators.${name}`);
    }
  });

export type Config = z.infer<typeof configSchema>;
export type ServerConfig = Config['server'];
export type RoleCatalog = Config['roles'];
export type Role = RoleCatalog[string];

export { resolveHome } from './home.js';

/**
 * The RoleCatalog written into a new config.yaml: the runbook's roles with nothing configured yet.
 * Assigned as they are, each shows `provision_errors` "not configured: set … in config.yaml" on the
 * node (README "Providers" has the runbook's render-node entry to fill in).
 */
const DEFAULT_ROLES = {
  'render-node': { description: 'LarkXR Standalone render node', provider: 'larkxr' },
  'hydraguard-air': { description: 'HydraGuard Air service' },
  hydraheadflatscreen: { description: 'Kiosk head agent (hydraheadflatscreen)' },
};

/** Where the server listens unless told otherwise (docs/operations.md#the-home-folder: everything local). */
export const DEFAULT_LISTEN = '127.0.0.1:8080';

/** The document a first start runs on (and writes, once listening): fresh random tokens. */
export function defaultConfigDocument(): Record<string, unknown> & { server: Record<string, unknown> } {
  return {
    server: {
      listen: DEFAULT_LISTEN,
      public_url: `http://${DEFAULT_LISTEN}`,
      admin_token: newToken('hca'),
      fleet_enrollment_token: newToken('hcf'),
      experience_library_url: '',
      heartbeat_interval_s: 30,
      offline_after_s: 90,
      enrollment_ttl_s: 86_400,
      max_body_bytes: 1_048_576,
      exec: { max_queue: 100, default_timeout_s: 60, result_ttl_s: 3600, max_output_bytes: 1_048_576 },
      rate_limit_per_min: 60,
      agent_downloads: { windows: '', linux: '' },
    },
    roles: DEFAULT_ROLES,
  };
}

export class ConfigError extends Error {}

/** Validates a parsed config document; the error names the offending key path. */
export function parseConfig(doc: unknown, where = 'config.yaml'): Config {
  const r = configSchema.safeParse(doc ?? {});
  if (r.success) return r.data;
  const first = r.error.issues[0]!;
  const path = fieldPath(first.path) || '(top level)';
  throw new ConfigError(`${where}: ${path}: ${issueText(first)}`);
}

/** config.yaml as found at start: read and valid, or absent (a first start). */
export type LoadedConfig =
  | { created: false; config: Config; path: string; /** permission bits of the file */ mode: number; explicitPublicUrl: boolean }
  | { created: true; config: Config; path: string; /** what {@link writeFirstConfig} writes */ document: ReturnType<typeof defaultConfigDocument> };

/**
 * Loads `<home>/config.yaml`. When there is none, returns a fresh config (random tokens, listening
 * on `listen` when given) that is not written yet: see {@link writeFirstConfig}.
 */
export function loadConfig(home: string, listen?: string): LoadedConfig {
  const path = join(home, 'config.yaml');
  if (!existsSync(path)) {
    const document = defaultConfigDocument();
    if (listen !== undefined) {
      document.server.listen = listen;
      document.server.public_url = publicUrlFor(listen);
    }
    return { created: true, config: parseConfig(document, path), path, document };
  }
  let doc: unknown;
  try {
    doc = parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`${path}: not valid YAML: ${(e as Error).message}`);
  }
  const config = parseConfig(doc, path);
  const explicitPublicUrl = (doc as { server?: { public_url?: unknown } }).server?.public_url !== undefined;
  return { created: false, config, path, mode: statSync(path).mode & 0o777, explicitPublicUrl };
}

/**
 * First start: records the address actually served (`listen` with the bound port, and the
 * matching `public_url`) in the config in use and writes it to config.yaml, mode 0600. Refuses to
 * overwrite a config.yaml that appeared meanwhile.
 */
export function writeFirstConfig(loaded: Extract<LoadedConfig, { created: true }>, served: string): Config {
  const { path } = loaded;
  const config = servedConfig(loaded, served);
  const document = { ...loaded.document, server: { ...loaded.document.server, listen: config.server.listen, public_url: config.server.public_url } };
  mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
  const text =
    '# HydraCluster server configuration (see README "Configuration").\n' +
    '# Written on first start with fresh random tokens. Keep this file private (mode 0600).\n' +
    stringify(document);
  writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return config;
}

/**
 * Once listening, the config as served: a new value (the loaded one is never changed). A first
 * start's config holds the address actually served (the bound port for port 0) and its URL; a
 * config.yaml that names no `public_url` advertises the address served.
 */
export function servedConfig(loaded: LoadedConfig, served: string): Config {
  const c = loaded.config;
  if (loaded.created) return { ...c, server: { ...c.server, listen: served, public_url: publicUrlFor(served) } };
  return loaded.explicitPublicUrl ? c : { ...c, server: { ...c.server, public_url: publicUrlFor(served) } };
}

/** A config file that group or others may read or write: a warning is due (it holds the admin token). */
export const looseMode = (mode: number): boolean => (mode & 0o077) !== 0;

export { parseListen, formatListen, publicUrlFor, listenProblem } from './listen.js';

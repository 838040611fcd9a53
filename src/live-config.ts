/**
 * The running config and its reload (SIGHUP, `POST /api/v1/config/reload`): config.yaml is read
 * again, validated as a whole and swapped in one step, or refused with the offending key and the
 * running config kept. Subsystems that keep settings of their own subscribe and are told, in the
 * same turn, what changed; everything else reads `current` when it needs a value.
 *
 * Some keys only take effect at the next start (the socket is bound, the log format chosen, the
 * middleware stack built): a reload still swaps them into `current` (so a later reload does not
 * report them again) but lists them as `restart_required`.
 */
import { isDeepStrictEqual } from 'node:util';
import { ConfigError, loadConfig, publicUrlFor, type Config } from './config.js';

/** Keys (or key prefixes, ending in `.`) that a running server cannot apply. */
export const RESTART_REQUIRED: readonly string[] = [
  'server.listen',
  'server.max_connections',
  'server.max_connections_per_address',
  'server.shell.max_frame_bytes',
  'server.log_format',
  'server.metrics_enabled',
];

export interface ReloadReport {
  /** Changed keys now in force. */
  applied: string[];
  /** Changed keys that take effect at the next start. */
  restart_required: string[];
}

/** Told of each swap, with the changed keys (dotted paths: `server.exec.max_queue`, `roles.render-node`). */
export type ConfigListener = (next: Config, prev: Config, changed: readonly string[]) => void;

export class LiveConfig {
  private value: Config;
  private readonly listeners: ConfigListener[] = [];
  /** The address actually served, for a config.yaml that names no public_url. */
  private served: string | null = null;

  /**
   * `home`: where config.yaml is (null: a config that cannot be reloaded, e.g. a test's).
   * `listen`: the --listen override, which a reload keeps.
   */
  constructor(
    initial: Config,
    private readonly source: { home: string | null; listen?: string } = { home: null },
  ) {
    this.value = initial;
  }

  get current(): Config {
    return this.value;
  }

  /**
   * Once listening: `config` is the running config as served (a new value, replacing the one
   * built before the bind whole; nothing to tell: config.yaml did not change), and a file without
   * public_url advertises the address served, now and after reloads.
   */
  setServed(served: string, config: Config): void {
    this.served = served;
    this.value = config;
  }

  subscribe(fn: ConfigListener): void {
    this.listeners.push(fn);
  }

  /** Re-reads config.yaml; throws ConfigError (naming the key) and keeps the running config when it is invalid. */
  reload(): ReloadReport {
    if (this.source.home === null) throw new ConfigError('this server was not started from a config.yaml: nothing to reload');
    const loaded = loadConfig(this.source.home, this.source.listen);
    if (loaded.created) throw new ConfigError(`${loaded.path}: no such file (the running config is kept)`);
    const read = loaded.config;
    // The final value, built before use (never patched after): --listen is kept, and a file without
    // public_url advertises the address served.
    const listen = this.source.listen !== undefined ? this.value.server.listen : read.server.listen;
    const publicUrl = !loaded.explicitPublicUrl && this.served !== null ? publicUrlFor(this.served) : read.server.public_url;
    return this.swap({ ...read, server: { ...read.server, listen, public_url: publicUrl } });
  }

  /** Swaps `next` in and tells every subscriber; returns what changed. */
  swap(next: Config): ReloadReport {
    const prev = this.value;
    const changed = changedKeys(prev, next);
    this.value = next;
    for (const fn of this.listeners) fn(next, prev, changed);
    const restart = changed.filter(needsRestart);
    return { applied: changed.filter((k) => !needsRestart(k)), restart_required: restart };
  }
}

const needsRestart = (key: string): boolean => RESTART_REQUIRED.some((p) => key === p || key.startsWith(`${p}.`));

/** Units compared as a whole: one role, one operator. */
const WHOLE = new Set(['roles', 'operators']);

/** The dotted paths whose values differ between two configs (each role and operator as one key). */
export function changedKeys(a: unknown, b: unknown, prefix = ''): string[] {
  const out: string[] = [];
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObj(a) || !isObj(b)) return isDeepStrictEqual(a, b) ? [] : [prefix];
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of [...keys].sort()) {
    const path = prefix === '' ? k : `${prefix}.${k}`;
    if (WHOLE.has(prefix)) {
      if (!isDeepStrictEqual(a[k], b[k])) out.push(path);
    } else out.push(...changedKeys(a[k], b[k], path));
  }
  return out;
}

/**
 * What the agent keeps about providers in its home (runbook "Key Paths"): `provider_version.txt`,
 * `config_cache.yaml` (the last provision poll, for the operator) and `downloads/` — and removing
 * them, as the runbook's clean reinstall does.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Logger } from '../../log.js';
import { DOWNLOADS_DIR, PROVIDER_VERSION_FILE } from './provider-role.js';

/** Runbook "Key Paths": the last provision poll, kept for the operator. */
export const CONFIG_CACHE_FILE = 'config_cache.yaml';
const MAX_PROVIDER_VERSION_CHARS = 64;

/** The installed provider's version from `provider_version.txt` (written by an install or a script). */
export function readProviderVersion(home: string): string | undefined {
  const path = join(home, PROVIDER_VERSION_FILE);
  if (!existsSync(path)) return undefined;
  try {
    return readFileSync(path, 'utf8').trim().slice(0, MAX_PROVIDER_VERSION_CHARS) || undefined;
  } catch {
    return undefined;
  }
}

/** `config_cache.yaml`, written only when the poll changed (no disk write per tick). */
export class ConfigCache {
  private written: string | null = null;

  constructor(
    private readonly home: string,
    private readonly log: Logger,
  ) {}

  write(plan: unknown): void {
    const text = stringify(plan);
    if (text === this.written) return;
    try {
      writeFileSync(join(this.home, CONFIG_CACHE_FILE), `# The last provision poll (hydranode keeps it for the operator).\n${text}`, { mode: 0o600 });
      this.written = text;
    } catch (e) {
      this.log.warn('cannot write the config cache', { error: (e as Error).message });
    }
  }

  /** The clean reinstall's second half: downloads, provider_version.txt and the cache removed. */
  removeCachedState(): void {
    rmSync(join(this.home, DOWNLOADS_DIR), { recursive: true, force: true });
    rmSync(join(this.home, PROVIDER_VERSION_FILE), { force: true });
    rmSync(join(this.home, CONFIG_CACHE_FILE), { force: true });
    this.written = null;
  }
}

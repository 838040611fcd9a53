import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's name in package.json: how the root is recognised (not the working directory). */
const PACKAGE_NAME = 'hydracluster';
/** Modules sit at most this deep below the root (dist/src/http/x.js). */
const MAX_DEPTH = 5;

/** The package root and its package.json, found from this module's own path (src/ or dist/src/). */
function findRoot(): { root: string; version: string } | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < MAX_DEPTH; i++) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === PACKAGE_NAME && pkg.version) return { root: dir, version: pkg.version };
    }
    dir = dirname(dir);
  }
  return null;
}

let found: ReturnType<typeof findRoot> | undefined;

/** The package root (the folder of package.json), or null when this module runs outside it. */
export function packageRoot(): string | null {
  found ??= findRoot();
  return found?.root ?? null;
}

/** package.json's version, or `0.0.0-unknown` outside the package. */
export function packageVersion(): string {
  found ??= findRoot();
  return found?.version ?? '0.0.0-unknown';
}

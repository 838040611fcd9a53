/**
 * `hydracluster backup` on the server's side (docs/architecture.md#nodesyaml-and-its-journal): where the file goes, and what may not be
 * replaced by it. The store writes it (one consistent, compacted snapshot; see NodesFile.backup).
 */
import { mkdir, stat, open } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { AppError } from '../errors.js';
import { journalPathOf } from './journal-load.js';
import type { NodeStore } from './nodes-store.js';

/** The first bytes of every nodes.yaml the server writes: an existing file is replaced only if it starts so. */
const OWN_FILE = '# HydraCluster durable state.';

const stamp = (ms: number): string => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');

const refuse = (message: string): never => {
  throw new AppError('invalid_request', `field \`out\`: ${message}`);
};

/** A free `<home>/backups/nodes-<UTC time>[-n].yaml` (the folder made 0700 when missing). */
async function defaultTarget(home: string, now: number): Promise<string> {
  const dir = join(home, 'backups');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  for (let n = 1; ; n++) {
    const path = join(dir, `nodes-${stamp(now)}${n === 1 ? '' : `-${n}`}.yaml`);
    if (!(await stat(path).catch(() => null))) return path;
  }
}

/** `out` checked: not the live state files, in a folder that exists, replacing only an earlier backup. */
async function checkedTarget(home: string, out: string): Promise<string> {
  const path = resolve(out);
  const live = join(resolve(home), 'nodes.yaml');
  if ([live, journalPathOf(live)].some((f) => path === f || path === `${f}.tmp`)) refuse(`${path} is the server's own state; write the backup elsewhere`);
  const dir = await stat(dirname(path)).catch(() => null);
  if (!dir?.isDirectory()) refuse(`the folder ${dirname(path)} does not exist on the server`);
  const existing = await stat(path).catch(() => null);
  if (existing && !(existing.isFile() && (await startsWith(path, OWN_FILE)))) refuse(`${path} exists and is not a hydracluster nodes file; it is not replaced`);
  return path;
}

async function startsWith(path: string, text: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(text.length);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.toString('utf8', 0, bytesRead) === text;
  } finally {
    await fh.close();
  }
}

/** Writes the backup; its path, size and SHA-256. A failed write is 503 `persist_failed`. */
export async function writeBackup(store: NodeStore, home: string, out: string | undefined, now: number): Promise<{ path: string; size: number; sha256: string }> {
  const path = out === undefined ? await defaultTarget(home, now) : await checkedTarget(home, out);
  const note = `Backup written by \`hydracluster backup\` at ${new Date(now).toISOString()}. Restore: stop the server, copy this file to <home>/nodes.yaml, remove <home>/nodes.journal if present, start.`;
  try {
    const w = await store.backup(path, note);
    return { path, size: w.bytes, sha256: w.sha256 };
  } catch (e) {
    throw new AppError('persist_failed', `the backup could not be written to ${path}: ${(e as Error).message}`);
  }
}

/**
 * Node single executable applications (Node 20 `--experimental-sea-config`): the bundled agent
 * becomes a blob (no code cache, no snapshot, so one blob serves Linux and Windows alike) that
 * postject injects into a copy of a Node binary, flipping the SEA fuse.
 */
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** The fuse Node 20 looks for to know a blob was injected (Node's SEA documentation). */
export const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
/** The resource / ELF note name Node reads the blob from. */
const SEA_RESOURCE = 'NODE_SEA_BLOB';
const BLOB_TIMEOUT_MS = 120_000;
const INJECT_TIMEOUT_MS = 300_000;

/** LIEF (inside postject) warns about Node's ELF notes on every Linux injection; harmless (Node's docs show them too). */
const HARMLESS = /^warning: Can't find string offset for section name/;
const postjectCli = (): string => createRequire(import.meta.url).resolve('postject/dist/cli.js');

/** Writes the SEA preparation blob for `bundle` (one .cjs file) with the running Node; returns its path. */
export async function seaBlob(bundle: string, workDir: string): Promise<string> {
  const output = join(workDir, 'sea-prep.blob');
  const config = join(workDir, 'sea-config.json');
  writeFileSync(config, JSON.stringify({ main: bundle, output, disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: false }));
  await run(process.execPath, ['--experimental-sea-config', config], { timeout: BLOB_TIMEOUT_MS });
  return output;
}

/**
 * Removes a PE file's Authenticode signature (its certificate table at the end of the file):
 * injecting a resource would leave it invalid, which is worse than none (Node's docs run
 * `signtool remove /s` here). Returns whether there was one.
 */
export function stripPeSignature(file: string): boolean {
  const buf = readFileSync(file);
  const pe = buf.readUInt32LE(0x3c);
  if (buf.toString('latin1', pe, pe + 4) !== 'PE\0\0') throw new Error(`${file} is not a PE file`);
  const optional = pe + 24;
  const magic = buf.readUInt16LE(optional);
  const dataDirs = optional + (magic === 0x20b ? 112 : 96);
  const security = dataDirs + 4 * 8;
  const offset = buf.readUInt32LE(security);
  const size = buf.readUInt32LE(security + 4);
  if (size === 0) return false;
  buf.writeUInt32LE(0, security);
  buf.writeUInt32LE(0, security + 4);
  buf.writeUInt32LE(0, optional + 64); // CheckSum: not checked for programs, and now stale
  writeFileSync(file, offset + size >= buf.length ? buf.subarray(0, offset) : buf);
  return true;
}

/** Copies `node` to `dest` with the blob injected; written beside and renamed, so `dest` is never half a file. */
export async function injectBlob(node: string, blob: string, dest: string, opts: { windows: boolean }): Promise<void> {
  const tmp = `${dest}.${process.pid}.tmp`;
  try {
    copyFileSync(node, tmp);
    chmodSync(tmp, 0o755);
    if (opts.windows) stripPeSignature(tmp);
    // postject in its own process: it holds the whole binary in memory several times over.
    const { stderr } = await run(process.execPath, [postjectCli(), tmp, SEA_RESOURCE, blob, '--sentinel-fuse', SEA_FUSE], { timeout: INJECT_TIMEOUT_MS, maxBuffer: 1 << 22 });
    for (const line of stderr.split('\n')) if (line.trim() && !HARMLESS.test(line)) process.stderr.write(`postject: ${line}\n`);
    renameSync(tmp, dest);
  } finally {
    rmSync(tmp, { force: true });
  }
}

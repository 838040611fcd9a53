/**
 * Downloading a provider package into `<home>/downloads/` (docs/api.md#providers): resumable — a cut
 * transfer leaves `<name>.part`, and the next try asks for the rest with `Range` — then checked
 * against the size the server announced and the SHA-256 config.yaml names. A file already there
 * with the right SHA-256 is used as it is (unless the caller removed it: a reprovision).
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { dirname } from 'node:path';
import { StepError } from './step-error.js';

/** A transfer that sends nothing for this long is cut (and resumed on the next try). */
export const DOWNLOAD_IDLE_MS = 60_000;
const MAX_REDIRECTS = 5;

export interface DownloadRequest {
  url: string;
  /** Lower-case hex. */
  sha256: string;
  /** The finished file; `<dest>.part` while it downloads. */
  dest: string;
  signal?: AbortSignal;
  idleMs?: number;
}

export interface Downloaded {
  bytes: number;
  /** The file was already there with the right SHA-256: nothing was fetched. */
  cached: boolean;
  /** The transfer went on from a `.part` left by an earlier try. */
  resumed: boolean;
}

async function hashFile(path: string, hash: Hash = createHash('sha256')): Promise<Hash> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash;
}

/** GET with redirects followed; resolves with the response (its body not read yet). */
function get(url: string, headers: Record<string, string>, signal: AbortSignal | undefined, redirects = 0): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const transport = url.startsWith('https:') ? https : http;
    const req = transport.get(url, { headers, signal }, (res) => {
      const location = res.headers.location;
      if (res.statusCode && res.statusCode >= 300 && res.statusCode < 400 && location) {
        res.resume();
        if (redirects >= MAX_REDIRECTS) return reject(new StepError('download', `too many redirects fetching ${url}`));
        return resolve(get(new URL(location, url).toString(), headers, signal, redirects + 1));
      }
      resolve(res);
    });
    req.on('error', (e) => reject(new StepError('download', `cannot fetch ${url}: ${e.message}`)));
  });
}

/** `bytes START-END/TOTAL` → START and TOTAL (TOTAL null when `*`). */
function contentRange(value: string | undefined): { start: number; total: number | null } | null {
  const m = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(value ?? '');
  return m ? { start: Number(m[1]), total: m[2] === '*' ? null : Number(m[2]) } : null;
}

/** Streams the body into `part` (appending from `offset`), feeding `hash`; cut when idle too long. */
function receive(res: IncomingMessage, part: string, offset: number, hash: Hash, idleMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(part, { flags: offset > 0 ? 'a' : 'w' });
    let received = 0;
    let timer = setTimeout(idle, idleMs);
    function idle(): void {
      res.destroy(new Error(`no data for ${Math.round(idleMs / 1000)} s`));
    }
    const fail = (e: Error) => {
      clearTimeout(timer);
      out.end(() => reject(new StepError('download', `download cut after ${offset + received} bytes (resumed on the next try): ${e.message}`)));
    };
    res.on('data', (chunk: Buffer) => {
      clearTimeout(timer);
      timer = setTimeout(idle, idleMs);
      received += chunk.length;
      hash.update(chunk);
      if (!out.write(chunk)) {
        res.pause();
        out.once('drain', () => res.resume());
      }
    });
    res.on('error', fail);
    res.on('aborted', () => fail(new Error('the server closed the connection')));
    res.on('end', () => {
      clearTimeout(timer);
      out.end(() => resolve(received));
    });
    out.on('error', (e) => {
      res.destroy();
      fail(e);
    });
  });
}

/** Fetches `url` into `dest` (see the module comment); throws a {@link StepError} saying what failed. */
export async function download(req: DownloadRequest): Promise<Downloaded> {
  const { url, dest } = req;
  mkdirSync(dirname(dest), { recursive: true });
  if (existsSync(dest)) {
    if ((await hashFile(dest)).digest('hex') === req.sha256) return { bytes: statSync(dest).size, cached: true, resumed: false };
    rmSync(dest, { force: true }); // another version, or damaged
  }
  const part = `${dest}.part`;
  let offset = existsSync(part) ? statSync(part).size : 0;
  let res = await get(url, offset > 0 ? { range: `bytes=${offset}-` } : {}, req.signal);
  if (offset > 0 && res.statusCode === 416) {
    res.resume(); // the part is no prefix of this file (or all of it): start again
    offset = 0;
    res = await get(url, {}, req.signal);
  }
  const range = res.statusCode === 206 ? contentRange(res.headers['content-range']) : null;
  if (res.statusCode === 206 && range?.start !== offset) {
    res.resume();
    rmSync(part, { force: true });
    throw new StepError('download', `${url} answered a range that does not continue the partial download; it is fetched whole next time`);
  }
  if (res.statusCode !== 200 && res.statusCode !== 206) {
    res.resume();
    throw new StepError('download', `GET ${url} answered HTTP ${res.statusCode}`);
  }
  const resumed = res.statusCode === 206;
  if (!resumed) offset = 0;
  const length = res.headers['content-length'] !== undefined ? Number(res.headers['content-length']) : null;
  const total = resumed ? (range?.total ?? null) : length;
  const hash = resumed ? await hashFile(part) : createHash('sha256');
  const received = await receive(res, part, offset, hash, req.idleMs ?? DOWNLOAD_IDLE_MS);
  const size = offset + received;
  if (total !== null && size !== total) {
    throw new StepError('download', `download incomplete: ${size} of ${total} bytes (resumed on the next try)`);
  }
  const got = hash.digest('hex');
  if (got !== req.sha256) {
    rmSync(part, { force: true });
    throw new StepError('verify', `SHA-256 mismatch: the package from ${url} (${size} bytes) has SHA-256 ${got}, but package.sha256 in config.yaml is ${req.sha256}; the download was deleted`);
  }
  renameSync(part, dest);
  return { bytes: size, cached: false, resumed };
}

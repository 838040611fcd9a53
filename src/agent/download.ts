/**
 * Plain GETs from the server's `/downloads/` (docs/operations.md#agent-distribution): no token (the files hold no secret), a
 * small reply read into memory (the manifest), or a large one streamed to a file while its size
 * and SHA-256 are counted, so a 100 MB agent build never sits in memory.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';

/** The manifest is small; anything larger is not one. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;
/** A download that sends nothing for this long is given up. */
export const DOWNLOAD_IDLE_MS = 60_000;

/** `<server>/downloads/<name>`, keeping a path prefix of the server URL (a server behind /hydra/). */
export function downloadUrl(serverUrl: string, name: string): URL {
  const base = new URL(serverUrl);
  return new URL(`${base.pathname.replace(/\/+$/, '')}/downloads/${encodeURIComponent(name)}`, base);
}

/** One GET; resolves with the response once its status is 200, rejects with a sentence otherwise. */
function get(url: URL, signal: AbortSignal): Promise<Readable> {
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.get(url, { signal, timeout: DOWNLOAD_IDLE_MS }, (res) => {
      if (res.statusCode === 200) return resolve(res);
      res.resume();
      reject(new Error(`GET ${url.pathname}: the server answered ${res.statusCode}`));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url.pathname}: no data for ${DOWNLOAD_IDLE_MS / 1000} s`)));
    req.on('error', (e) => reject(new Error(`GET ${url.pathname}: ${e.message}`)));
  });
}

/** A small reply as text (at most `maxBytes`). */
export async function fetchText(url: URL, signal: AbortSignal, maxBytes = MAX_MANIFEST_BYTES): Promise<string> {
  const res = await get(url, signal);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of res as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > maxBytes) {
      res.destroy();
      throw new Error(`GET ${url.pathname}: larger than ${maxBytes} bytes`);
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Streams `url` into `dest` (created or replaced), stopping past `maxBytes`; resolves with what was
 * written: its size and hex SHA-256. A failed download leaves no file behind.
 */
export async function downloadFile(url: URL, dest: string, signal: AbortSignal, maxBytes: number): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size > maxBytes) return done(new Error(`GET ${url.pathname}: more than the manifest's ${maxBytes} bytes`));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    const res = await get(url, signal);
    await pipeline(res, count, createWriteStream(dest, { mode: 0o700 }), { signal });
  } catch (e) {
    await rm(dest, { force: true });
    throw e;
  }
  return { size, sha256: hash.digest('hex') };
}

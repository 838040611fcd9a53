/**
 * Acceptance 2 (docs/operations.md#agent-distribution): a server on a fresh home serves dist/release's manifest and files
 * over a real socket; what it serves hashes to the manifest's SHA-256; Range and ETag work.
 */
import { createHash } from 'node:crypto';
import { openSync, readSync, closeSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stop } from '../agent/agent-process.js';
import { makeHome, startServerProcess, type ServerProcess } from '../support/process.js';
import { BUILD_TIMEOUT_MS, ensureRelease } from '../support/release.js';

let release: Awaited<ReturnType<typeof ensureRelease>>;
let server: ServerProcess;

async function streamSha(res: Response): Promise<{ sha: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    h.update(chunk);
    bytes += chunk.length;
  }
  return { sha: h.digest('hex'), bytes };
}

describe('a fresh server hands out the agent', () => {
  beforeAll(async () => {
    release = await ensureRelease();
    server = await startServerProcess(makeHome());
  }, BUILD_TIMEOUT_MS);
  afterAll(async () => {
    if (server) await stop(server.child);
  });

  it('when the manifest and each file are downloaded, then the files hash to the manifest SHA-256', async () => {
    const m = await fetch(`${server.url}/downloads/manifest.json`);
    expect(m.status).toBe(200);
    const manifest = (await m.json()) as typeof release.manifest;
    expect({ version: manifest.version, files: manifest.files }).toEqual({ version: release.manifest.version, files: release.manifest.files });
    for (const f of manifest.files) {
      const res = await fetch(`${server.url}/downloads/${f.name}`);
      expect(res.status, f.name).toBe(200);
      expect(await streamSha(res), f.name).toEqual({ sha: f.sha256, bytes: f.size });
    }
  });

  it('when a client resumes with a Range and revalidates with the ETag, then it gets 206 with those bytes, 416 past the end, 304 when unchanged', async () => {
    const f = release.manifest.files.find((x) => x.platform === 'linux-amd64')!;
    const url = `${server.url}/downloads/${f.name}`;
    const part = await fetch(url, { headers: { range: 'bytes=1000-1999' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 1000-1999/${f.size}`);
    const expected = Buffer.alloc(1000);
    const fd = openSync(release.file('linux-amd64'), 'r');
    readSync(fd, expected, 0, 1000, 1000);
    closeSync(fd);
    expect(Buffer.from(await part.arrayBuffer()).equals(expected)).toBe(true);
    expect((await fetch(url, { headers: { range: `bytes=${f.size}-` } })).status).toBe(416);
    const etag = part.headers.get('etag')!;
    const again = await fetch(url, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
  });
});

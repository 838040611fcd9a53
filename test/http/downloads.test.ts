import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { harness } from '../support/harness.js';

const BODY = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));

async function fixture() {
  const h = await harness();
  const dir = join(h.home, 'releases');
  mkdirSync(join(dir, 'sub'), { recursive: true });
  writeFileSync(join(dir, 'hydranode-9.0.0-linux-amd64'), BODY);
  writeFileSync(join(dir, 'sub', 'inner.bin'), 'inner');
  const manifest = { version: '9.0.0', files: [{ platform: 'linux-amd64', name: 'hydranode-9.0.0-linux-amd64', size: BODY.length, sha256: createHash('sha256').update(BODY).digest('hex') }] };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  const get = (path: string, headers: Record<string, string> = {}, method = 'GET') => Promise.resolve(h.handle.app.request(path, { method, headers }));
  return { h, dir, manifest, get };
}

describe('GET /downloads (docs/operations.md#agent-distribution)', () => {
  it('when <home>/releases holds a manifest and a file, then both are served without auth, the file byte for byte', async () => {
    const { get, manifest } = await fixture();
    const m = await get('/downloads/manifest.json');
    expect(m.status).toBe(200);
    expect(m.headers.get('content-type')).toContain('application/json');
    expect(await m.json()).toEqual(manifest);
    const f = await get('/downloads/hydranode-9.0.0-linux-amd64');
    expect(f.status).toBe(200);
    expect(f.headers.get('content-length')).toBe(String(BODY.length));
    expect(f.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.from(await f.arrayBuffer()).equals(BODY)).toBe(true);
  });

  it('when a file changes on disk, then the next request serves the new bytes under a new ETag (read at each request)', async () => {
    const { get, dir } = await fixture();
    const first = await get('/downloads/hydranode-9.0.0-linux-amd64');
    await first.arrayBuffer();
    writeFileSync(join(dir, 'hydranode-9.0.0-linux-amd64'), 'replaced');
    const second = await get('/downloads/hydranode-9.0.0-linux-amd64');
    expect(await second.text()).toBe('replaced');
    expect(second.headers.get('etag')).not.toBe(first.headers.get('etag'));
  });

  it('when the client sends the ETag it has, then the reply is 304 with no body', async () => {
    const { get } = await fixture();
    const etag = (await get('/downloads/hydranode-9.0.0-linux-amd64', {}, 'HEAD')).headers.get('etag')!;
    expect(etag).toMatch(/^".+"$/);
    const r = await get('/downloads/hydranode-9.0.0-linux-amd64', { 'if-none-match': etag });
    expect(r.status).toBe(304);
    expect(await r.text()).toBe('');
    expect((await get('/downloads/hydranode-9.0.0-linux-amd64', { 'if-none-match': '"other"' })).status).toBe(200);
  });

  it('when a Range is asked, then 206 carries exactly those bytes; past the end it is 416 with the size', async () => {
    const { get } = await fixture();
    const cases: Array<[string, number, number]> = [
      ['bytes=10-19', 10, 19],
      ['bytes=990-', 990, 999],
      ['bytes=-5', 995, 999],
      ['bytes=900-5000', 900, 999],
    ];
    for (const [range, start, end] of cases) {
      const r = await get('/downloads/hydranode-9.0.0-linux-amd64', { range });
      expect(r.status, range).toBe(206);
      expect(r.headers.get('content-range')).toBe(`bytes ${start}-${end}/1000`);
      expect(Buffer.from(await r.arrayBuffer()).equals(BODY.subarray(start, end + 1)), range).toBe(true);
    }
    const past = await get('/downloads/hydranode-9.0.0-linux-amd64', { range: 'bytes=1000-' });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe('bytes */1000');
    expect((await past.json()).error).toBe('range_not_satisfiable');
    // If-Range with another ETag: the file changed since the client's first part, so all of it comes back.
    const stale = await get('/downloads/hydranode-9.0.0-linux-amd64', { range: 'bytes=0-9', 'if-range': '"old"' });
    expect(stale.status).toBe(200);
    expect((await stale.arrayBuffer()).byteLength).toBe(1000);
  });

  it('when a name is unknown, hidden, in a subfolder or climbs out, then it is 404 and nothing else is read', async () => {
    const { get, h } = await fixture();
    writeFileSync(join(h.home, 'releases', '.hidden'), 'x');
    for (const path of ['/downloads/nope.exe', '/downloads/.hidden', '/downloads/sub/inner.bin', '/downloads/sub%2Finner.bin', '/downloads/..%2Fconfig.yaml', '/downloads/%2E%2E%2Fconfig.yaml', '/downloads/sub']) {
      const r = await get(path);
      expect(r.status, path).toBe(404);
      expect((await r.json()).error, path).toBe('not_found');
    }
  });
});

/**
 * Package downloads over loopback: checked against the SHA-256, reused when already there,
 * resumed with Range after a cut, refused (and deleted) when the checksum differs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { download } from '../../../src/agent/provider/download.js';
import { StepError } from '../../../src/agent/provider/step-error.js';
import { tempDir } from '../agent-process.js';
import { startPackageServer, type PackageServer } from './package-server.js';
import { sha256 } from './zip.js';

describe('provider package download', () => {
  let srv: PackageServer;
  const body = randomBytes(256 * 1024);
  const hash = sha256(body);

  beforeAll(async () => {
    srv = await startPackageServer();
    srv.put('/pkg.zip', body);
  });
  afterAll(() => srv.close());

  it('when the file downloads whole and matches, then it lands at dest; a second call uses it without a request', async () => {
    const dest = join(tempDir('hn-dl-'), 'downloads', 'a.zip');
    const before = srv.requests('/pkg.zip').length;
    expect(await download({ url: `${srv.url}/pkg.zip`, sha256: hash, dest })).toEqual({ bytes: body.length, cached: false, resumed: false });
    expect(readFileSync(dest).equals(body)).toBe(true);
    expect(await download({ url: `${srv.url}/pkg.zip`, sha256: hash, dest })).toMatchObject({ cached: true });
    expect(srv.requests('/pkg.zip').length).toBe(before + 1);
  });

  it('when a transfer is cut, then the part is kept and the next try asks only for the rest (Range) and completes', async () => {
    const dest = join(tempDir('hn-dl-'), 'b.zip');
    srv.cutNext('/pkg.zip', 100_000);
    const cut = await download({ url: `${srv.url}/pkg.zip`, sha256: hash, dest }).catch((e: unknown) => e);
    expect(cut).toBeInstanceOf(StepError);
    expect((cut as StepError).step).toBe('download');
    const kept = statSync(`${dest}.part`).size; // what was written before the cut (buffered bytes may be lost)
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(100_000);
    expect(await download({ url: `${srv.url}/pkg.zip`, sha256: hash, dest })).toMatchObject({ cached: false, resumed: true, bytes: body.length });
    expect(srv.requests('/pkg.zip').at(-1)!.range).toBe(`bytes=${kept}-`);
    expect(readFileSync(dest).equals(body)).toBe(true);
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it('when the SHA-256 differs, then the verify step fails naming both checksums and nothing is kept', async () => {
    const dest = join(tempDir('hn-dl-'), 'c.zip');
    const wrong = 'ab'.repeat(32);
    const e = (await download({ url: `${srv.url}/pkg.zip`, sha256: wrong, dest }).catch((x: unknown) => x)) as StepError;
    expect(e).toBeInstanceOf(StepError);
    expect(e.step).toBe('verify');
    expect(e.message).toContain(`SHA-256 mismatch`);
    expect(e.message).toContain(hash);
    expect(e.message).toContain(wrong);
    expect(existsSync(dest) || existsSync(`${dest}.part`)).toBe(false);
  });

  it('when a partial file is no prefix the server can continue (416), then the download starts over', async () => {
    const dest = join(tempDir('hn-dl-'), 'd.zip');
    writeFileSync(`${dest}.part`, Buffer.alloc(body.length + 10));
    expect(await download({ url: `${srv.url}/pkg.zip`, sha256: hash, dest })).toMatchObject({ resumed: false, bytes: body.length });
    expect(readFileSync(dest).equals(body)).toBe(true);
  });

  it('when the server answers 404, then the download step fails with the status', async () => {
    const e = (await download({ url: `${srv.url}/missing.zip`, sha256: hash, dest: join(tempDir('hn-dl-'), 'e.zip') }).catch((x: unknown) => x)) as StepError;
    expect(e.step).toBe('download');
    expect(e.message).toMatch(/answered HTTP 404/);
  });
});

/**
 * `hydracluster heads` and `hydracluster enroll-qr` (docs/operations.md#the-cli): the argument forms, and against
 * the real server with the real CLI as child processes — the PNG the CLI writes is decoded here
 * (pngjs + jsQR) back to exactly the JSON of GET /enroll-qr; the terminal QR; list and assign.
 */
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jsqr from 'jsqr';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/args.js';
import { parseHeadsArgs } from '../../src/cli/heads.js';
import { runNode, stop, tempDir } from '../agent/agent-process.js';
import { ADMIN, FLEET } from '../support/harness.js';
import { CLI, call, makeHome, startServerProcess, type ServerProcess } from '../support/process.js';

// jsqr is CommonJS typed as ESM: the default import is module.exports, whose `default` is the decoder.
const jsQR = jsqr.default;

describe('heads and enroll-qr arguments', () => {
  it('when the forms are valid, then they parse; when not, then a usage error', () => {
    expect(parseHeadsArgs('heads', []).command).toEqual({ cmd: 'heads', action: 'list', json: false });
    expect(parseHeadsArgs('heads', ['show', 'node-1', '--json']).command).toEqual({ cmd: 'heads', action: 'show', id: 'node-1', json: true });
    expect(parseHeadsArgs('heads', ['assign', 'h', 'b', '--app', 'Desktop']).command).toMatchObject({ action: 'assign', id: 'h', bodyId: 'b', app: 'Desktop' });
    expect(parseHeadsArgs('heads', ['assign', 'h', 'none']).command).toMatchObject({ action: 'assign', bodyId: null });
    expect(parseHeadsArgs('enroll-qr', ['--png', 'f.png']).command).toEqual({ cmd: 'enroll-qr', png: 'f.png', json: false });
    for (const bad of [['assign', 'h'], ['show'], ['frobnicate'], ['list', '--png', 'x'], ['show', 'h', '--app', 'x']]) {
      expect(() => parseHeadsArgs('heads', bad), bad.join(' ')).toThrow(UsageError);
    }
    expect(() => parseHeadsArgs('enroll-qr', ['extra'])).toThrow(UsageError);
  });
});

describe('hydracluster heads and enroll-qr against a real server', () => {
  let server: ServerProcess;
  const cli = (...args: string[]) => runNode([CLI, ...args, '--server', server.url, '--admin-token', ADMIN]);

  beforeAll(async () => {
    server = await startServerProcess(makeHome());
  });
  afterAll(async () => {
    if (server) await stop(server.child);
  });

  it('when enroll-qr --png writes a file, then a QR decoder reads back exactly the JSON of GET /enroll-qr, the file is 0600, and the loopback public_url is warned about', async () => {
    const file = join(tempDir('hc-qr-'), 'f.png');
    writeFileSync(file, 'an older file, world-readable', { mode: 0o644 });
    chmodSync(file, 0o644);
    const r = await cli('enroll-qr', '--png', file);
    expect(r.stderr).toMatch(/^hydracluster: warning: the server's public_url http:\/\/127\.0\.0\.1:\d+ is a loopback address/);
    expect(r.code).toBe(0);
    expect((statSync(file).mode & 0o777).toString(8)).toBe('600'); // it holds the fleet token
    const res = await fetch(`${server.url}/api/v1/enroll-qr`, { headers: { authorization: `Bearer ${ADMIN}` } });
    const served = await res.text();
    const png = PNG.sync.read(readFileSync(file));
    const decoded = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
    expect(decoded?.data).toBe(served);
    expect(JSON.parse(served)).toEqual({ server_url: expect.any(String), enrollment_token: FLEET });
  });

  it('when enroll-qr runs without --png, then the QR is drawn in the terminal and the token is not printed as text', async () => {
    const r = await cli('enroll-qr');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/[▀▄█]/);
    expect(r.stdout).not.toContain(FLEET);
  });

  it('when heads list and heads assign run, then they show the head and set (and clear) its body', async () => {
    const head = (await call(server.url, 'POST', '/heads', { name: 'ipad-cli', district: 'bxl1' }, FLEET)).body.head_id;
    const body = (await call(server.url, 'POST', '/enrollments', { name: 'render-cli' })).body.node_id;
    const list = await cli('heads', 'list');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`${head}\\s+ipad-cli\\s+ipad\\s+idle\\s+online`));
    const assigned = await cli('heads', 'assign', head, body, '--app', 'Desktop');
    expect(assigned.stdout).toBe(`${head} → render-cli (Desktop)\n`);
    expect((await call(server.url, 'GET', `/heads/${head}`)).body).toMatchObject({ body_id: body, app_id: 'Desktop' });
    expect((await cli('heads', 'assign', head, 'none')).stdout).toBe(`${head}: assignment cleared\n`);
    const shown = await cli('heads', 'show', head);
    expect(JSON.parse(shown.stdout)).toMatchObject({ id: head, body_id: null });
    const wrong = await cli('heads', 'assign', body, head);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/wrong_kind/);
  });
});

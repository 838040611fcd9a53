/**
 * The body limit over a real socket: a declared Content-Length over the limit is refused without
 * reading the body, and a chunked body is counted as it streams in.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryLogger } from '../../src/log.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { ADMIN } from '../support/harness.js';
import { makeHome } from '../support/process.js';

const LIMIT = 4096;

function post(url: string, body: string, chunked: boolean): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(`${url}/api/v1/enrollments`);
    const headers: Record<string, string> = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
    if (!chunked) headers['content-length'] = String(Buffer.byteLength(body));
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
    if (chunked) {
      // Two writes without a length: Node sends Transfer-Encoding: chunked.
      req.write(body.slice(0, 10));
      req.end(body.slice(10));
    } else req.end(body);
  });
}

describe('body limit over a socket', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer({ home: makeHome((d) => (d.server.max_body_bytes = LIMIT)), listen: '127.0.0.1:0', log: memoryLogger() });
  });
  afterAll(() => srv.stop());

  it.each([false, true])('chunked=%s: a body over max_body_bytes is 413, one under it is served', async (chunked) => {
    const big = JSON.stringify({ name: 'big', owner: 'o'.repeat(LIMIT) });
    const tooBig = await post(srv.url, big, chunked);
    expect(tooBig.status).toBe(413);
    expect(JSON.parse(tooBig.body).error).toBe('payload_too_large');
    const fine = await post(srv.url, JSON.stringify({ name: 'small', owner: 'me' }), chunked);
    expect(fine.status).toBe(201);
  });
});

/**
 * The bench's load generator (bench/load.ts): wrk sends exactly the requests makeRequests builds
 * (request i: token i with body i), and its results are read back (non-2xx, CPU). Loopback only;
 * skipped where Debian's wrk is not installed (.ci/run installs it).
 */
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { PATH, SkipPart, findWrk, makeRequests, requireWrk, runLoad, writeLoadScript } from '../../bench/load.js';
import { tempDir } from '../support/temp.js';

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

describe('bench load (wrk)', () => {
  it('requireWrk reports a missing wrk as a part to skip', () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      expect(() => requireWrk()).toThrow(SkipPart);
    } finally {
      process.env.PATH = path;
    }
  });

  it.skipIf(!findWrk())('sends token i with body i, rotating over all, and counts non-2xx answers', async () => {
    const tokens = ['hcn_a', 'hcn_b', 'hcn_c', 'hcn_d'];
    const reqs = makeRequests(tokens);
    // A body with a quote and a backslash checks the script's string escaping.
    reqs.bodies[3] = JSON.stringify({ hostname: 'odd"host\\name' });
    const seen = new Map<string, number>();
    const bad: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (s: string) => void (body += s));
      req.on('end', () => {
        const i = tokens.findIndex((t) => req.headers.authorization === `Bearer ${t}`);
        if (req.method !== 'POST' || req.url !== PATH || i < 0 || body !== reqs.bodies[i] || req.headers['content-type'] !== 'application/json') {
          bad.push(`${req.method} ${req.url} ${req.headers.authorization} ${body}`);
        }
        seen.set(tokens[i] ?? '?', (seen.get(tokens[i] ?? '?') ?? 0) + 1);
        res.writeHead(i === 2 ? 503 : 200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const dir = tempDir('hc-load-');

    const r = await runLoad('t', `http://127.0.0.1:${port}`, writeLoadScript(dir, 'load', reqs), 1, process.pid);

    expect(bad.slice(0, 3)).toEqual([]);
    expect([...seen.keys()].sort()).toEqual(tokens);
    const served = [...seen.values()].reduce((a, b) => a + b, 0);
    expect(r.total).toBeGreaterThan(0);
    expect(r.total).toBeLessThanOrEqual(served);
    // One thread rotates over the fleet: each token is sent within one of the others' count.
    for (const n of seen.values()) expect(Math.abs(n - served / tokens.length)).toBeLessThanOrEqual(1);
    expect(r.non2xx).toBeGreaterThan(0);
    expect(r.non2xx).toBeLessThanOrEqual(seen.get('hcn_c')!);
    expect(r.ok2xx + r.non2xx).toBe(r.total);
    expect(r.errors).toBe(0);
    expect(r.cpuPerReqUs).not.toBeNull();
    expect(r.p99).toBeGreaterThanOrEqual(r.p50);
  });
});

/**
 * The heartbeat tick against a local HTTP server: backoff while the server fails, slow retries
 * (never an exit) when the token is refused, and the interval the server asks for.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { memoryLogger } from '../../src/log.js';
import { ApiClient } from '../../src/agent/api-client.js';
import { HeartbeatLoop } from '../../src/agent/heartbeat.js';
import { sleep } from '../../src/agent/backoff.js';
import type { HeartbeatReply } from '../../src/wire/agent.js';
import { eventually, freePort } from './agent-process.js';

const reply = { node_id: 'node-X', state: 'online', roles: [], flags: { update_node: false, update_services: false, reprovision: false }, exec_pending: 0, heartbeat_interval_s: 1 };

/** Answers heartbeats with `answer(n)` (n counts from 1); records when each arrived. */
async function fakeServer(answer: (n: number) => number, intervalS = 1): Promise<{ url: string; server: Server; times: number[] }> {
  const times: number[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      times.push(Date.now());
      const status = answer(times.length);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(status === 200 ? JSON.stringify({ ...reply, heartbeat_interval_s: intervalS }) : JSON.stringify({ error: 'x', message: 'test' }));
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${port}`, server, times };
}

describe('heartbeat loop', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0)) await c();
  });

  /** The delays the loop asked for (what it would wait), each then waited for at most `capMs`. */
  function loop(url: string, onReply: (r: HeartbeatReply) => void = () => {}, capMs = 5) {
    const log = memoryLogger();
    const delays: number[] = [];
    const hb = new HeartbeatLoop({
      sleep: (ms, signal) => {
        delays.push(ms);
        return sleep(Math.min(ms, capMs), signal);
      },
      client: new ApiClient(url, 'hcn_test'),
      log,
      body: () => ({ hostname: 'h' }),
      onReply,
      intervalS: 60,
      backoff: { initialMs: 20, maxMs: 80 },
      unauthorizedRetryMs: 100,
    });
    hb.start();
    cleanup.push(() => hb.stop());
    return { hb, log, delays };
  }

  it('when the server answers 503 a few times, then the agent backs off and resumes at the interval the server gives', async () => {
    const fake = await fakeServer((n) => (n <= 3 ? 503 : 200));
    cleanup.push(() => void fake.server.close());
    const replies: HeartbeatReply[] = [];
    const { log, delays } = loop(fake.url, (r) => replies.push(r));
    await eventually('two accepted heartbeats', async () => (replies.length >= 2 ? true : undefined), 5000);
    const failures = log.lines.filter((l) => l.msg === 'heartbeat failed: server away or slow; backing off');
    expect(failures.map((l) => l.failures)).toEqual([1, 2, 3]);
    expect(log.lines.some((l) => l.msg === 'server reachable again' && l.after_failures === 3)).toBe(true);
    // Backoff between the failures (20 ms doubling to 80 ms, with jitter), then the server's 1 s interval, ±20 %.
    for (const d of delays.slice(0, 3)) expect(d).toBeLessThanOrEqual(80 * 1.2);
    expect(delays[3]).toBeGreaterThanOrEqual(800);
    expect(delays[3]).toBeLessThanOrEqual(1200);
  });

  it('when the server refuses the token (401), then the agent logs it clearly and keeps retrying slowly', async () => {
    const fake = await fakeServer(() => 401);
    cleanup.push(() => void fake.server.close());
    const { log, delays } = loop(fake.url);
    await eventually('three refused heartbeats', async () => (fake.times.length >= 3 ? true : undefined), 5000);
    const refused = log.lines.filter((l) => l.level === 'error' && /refuses this node's token/.test(l.msg));
    expect(refused.length).toBeGreaterThanOrEqual(2);
    // The slow retry (100 ms here, with jitter), not the fast backoff (20–80 ms).
    expect(delays[1]).toBeGreaterThanOrEqual(75);
  });

  it('when nudged, then the next heartbeat goes out at once instead of after the interval', async () => {
    const fake = await fakeServer(() => 200, 60);
    cleanup.push(() => void fake.server.close());
    const { hb, delays } = loop(fake.url, () => {}, Infinity); // the real 60 s interval: only a nudge ends it
    await eventually('first beat', async () => (fake.times.length >= 1 ? true : undefined));
    await eventually('waiting the interval', async () => (delays.length >= 1 ? true : undefined));
    hb.nudge();
    await eventually('nudged beat', async () => (fake.times.length >= 2 ? true : undefined), 500, 10);
  });
});

/**
 * GET /heads/{id}/screenshot and /logs through the head's exec channel (docs/api.md#heads-and-eligibility): with the real
 * server and the real agent on a flatscreen head, a fresh JPEG comes back byte for byte as
 * image/jpeg, a stale or absent one is 502, and the logs come from the head's `log_path`
 * diagnostic or else `heads.log_path`. Without an agent (in-process, on the fake clock): 504 when
 * the configured wait runs out, and the exec is cancelled so it never runs late.
 */
import { randomBytes } from 'node:crypto';
import { rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, harness, testConfig } from '../support/harness.js';
import { call, makeHome, startServerProcess, type ServerProcess } from '../support/process.js';
import { eventually, installAgent, nodeWhen, startAgent, stop, tempDir, type AgentProcess } from '../agent/agent-process.js';

async function fetchRaw(url: string, path: string): Promise<{ status: number; type: string | null; bytes: Buffer }> {
  const res = await fetch(`${url}/api/v1${path}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  return { status: res.status, type: res.headers.get('content-type'), bytes: Buffer.from(await res.arrayBuffer()) };
}

describe('screenshot and logs with the real agent', () => {
  const dir = tempDir('hc-head-');
  const shot = join(dir, 'live.jpg');
  const defaultLog = join(dir, 'default.log');
  let server: ServerProcess;
  let agent: AgentProcess;
  let id: string;

  beforeAll(async () => {
    server = await startServerProcess(
      makeHome((d) => {
        d.server.heartbeat_interval_s = 1;
        d.server.screenshot = { path: shot, max_age_s: 60 };
        d.server.heads = { log_path: defaultLog };
      }),
    );
    const e = await call(server.url, 'POST', '/enrollments', { name: 'kiosk-1', kind: 'flatscreen', os: 'linux' });
    id = e.body.node_id;
    const home = tempDir('hn-head-');
    const installed = await installAgent(server.url, e.body.enrollment_token, home);
    if (installed.code !== 0) throw new Error(`install exited ${installed.code}: ${installed.stderr}`);
    agent = startAgent(home);
    await eventually('head online', nodeWhen(server.url, id, (n) => n.state === 'online'), 10_000);
  });

  afterAll(async () => {
    if (agent) await stop(agent.child);
    if (server) await stop(server.child);
  });

  it('when the head has a fresh screenshot, then it comes back as image/jpeg, byte for byte', async () => {
    const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(50_000), Buffer.from([0xff, 0xd9])]);
    writeFileSync(shot, jpeg);
    const r = await fetchRaw(server.url, `/heads/${id}/screenshot`);
    expect(r.status).toBe(200);
    expect(r.type).toBe('image/jpeg');
    expect(r.bytes.equals(jpeg)).toBe(true);
  });

  it('when the screenshot is older than max_age_s, then 502', async () => {
    writeFileSync(shot, Buffer.from([0xff, 0xd8, 0xff, 0xd9]));
    const old = new Date(Date.now() - 600_000);
    utimesSync(shot, old, old);
    const r = await call(server.url, 'GET', `/heads/${id}/screenshot`);
    expect(r.status).toBe(502);
    expect(r.body.message).toMatch(/old/);
  });

  it('when there is no screenshot file, then 502', async () => {
    rmSync(shot, { force: true });
    const r = await call(server.url, 'GET', `/heads/${id}/screenshot`);
    expect(r).toMatchObject({ status: 502, body: { error: 'bad_gateway' } });
  });

  it('when the head reported no log_path, then the last 200 lines of heads.log_path come back', async () => {
    writeFileSync(defaultLog, Array.from({ length: 250 }, (_, i) => `line ${i + 1}`).join('\n') + '\n');
    const r = await call(server.url, 'GET', `/heads/${id}/logs`);
    expect(r.status).toBe(200);
    expect(r.body.log_path).toBe(defaultLog);
    expect(r.body.lines).toHaveLength(200);
    expect(r.body.lines[0]).toBe('line 51');
    expect(r.body.lines[199]).toBe('line 250');
  });

  it('when the head reported a log_path diagnostic, then that file is read', async () => {
    const own = join(dir, "own log's.log");
    writeFileSync(own, 'kiosk started\nstreaming\n');
    await call(server.url, 'PUT', `/heads/${id}`, { diagnostics: { log_path: own } });
    const r = await call(server.url, 'GET', `/heads/${id}/logs`);
    expect(r.body).toEqual({ log_path: own, lines: ['kiosk started', 'streaming'] });
  });
});

describe('screenshot and logs without an agent', () => {
  it('when no agent fetches the exec, then 504 once the configured wait runs out, and the exec is cancelled', async () => {
    const h = await harness({ config: testConfig((d) => (d.server.heads = { screenshot_timeout_s: 20, logs_timeout_s: 15 })) });
    // A flatscreen head whose agent is gone (an iPad has no exec channel at all: 409 at once, see no-exec-channel.test.ts).
    const head = (await h.addNode({ name: 'kiosk', kind: 'flatscreen' })).id;
    for (const [what, waitS] of [['screenshot', 20], ['logs', 15]] as const) {
      const pending = h.json('GET', `/heads/${head}/${what}`);
      const queue = await eventually('exec queued', async () => (h.core.execQueues.get(head)?.depth === 1 && h.core.execQueues.get(head)!.hasParked ? h.core.execQueues.get(head) : undefined), 5000, 5);
      h.clock.advance(waitS * 1000 - 1);
      await new Promise((r) => setImmediate(r));
      expect(queue.depth, what).toBe(1);
      h.clock.advance(1);
      const r = await pending;
      expect(r, what).toMatchObject({ status: 504, body: { error: 'gateway_timeout' } });
      expect(queue.depth, `${what}: exec cancelled`).toBe(0);
    }
  });
});

/**
 * `hydranode sim --long-poll` at scale against a real server on loopback: 2,000 simulated nodes,
 * each holding an exec long-poll, all register with the default `--max-sockets` (the long-polls
 * have a pool of their own, so they never starve registrations and heartbeats), every one is parked
 * and answers a fleet exec, and no MaxListenersExceededWarning reaches stderr (each node waits on
 * its own stop signal, not on one shared by all).
 */
import { spawn } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createApp } from '../../src/app.js';
import { memoryLogger } from '../../src/log.js';
import { buildCore } from '../../src/server.js';
import { ADMIN } from '../support/harness.js';
import { call, makeHome, startServerProcess, type ServerProcess } from '../support/process.js';
import { AGENT, assertAgentBuilt, eventually, runNode, stop } from './agent-process.js';

const COUNT = 2000;

describe('hydranode sim --long-poll at scale', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    assertAgentBuilt();
    // Every simulated node's long-poll, plus the short-request pool, from one loopback address.
    server = await startServerProcess(makeHome((doc) => void (doc.server.max_connections_per_address = 2 * COUNT)));
  });

  afterAll(async () => {
    if (server) await stop(server.child);
  });

  it(`when ${COUNT} simulated nodes long-poll with the default --max-sockets, then every node registers and answers a fleet exec, with no listener warning`, async () => {
    const args = [AGENT, 'sim', '--server', server.url, '--admin-token', ADMIN, '--count', String(COUNT), '--long-poll'];
    const sim = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    sim.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    sim.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => sim.once('exit', (code) => r(code)));
    try {
      const enrolled = await eventually('all simulated nodes enrolled', async () => {
        const line = stdout.split('\n').find((l) => l.includes('"type":"enrolled"'));
        return line ? JSON.parse(line) : undefined;
      }, 45_000, 200);
      expect(enrolled).toMatchObject({ nodes: COUNT, failed: 0 });
      expect((await call(server.url, 'GET', '/health', undefined, null)).body.nodes).toMatchObject({ total: COUNT, online: COUNT });
      await eventually('every node parked in its long-poll', async () => {
        const r = await call(server.url, 'GET', `/debug/actors?kind=exec-queue&limit=${COUNT + 10}`);
        return r.body.filter((a: { state: string }) => a.state === 'parked').length === COUNT ? true : undefined;
      }, 15_000, 200);
      const batch = await call(server.url, 'POST', '/exec', { command: 'true', target: { all: true }, timeout_s: 30 });
      expect(batch.status).toBe(202);
      expect(batch.body.execs).toHaveLength(COUNT);
      const done = await call(server.url, 'GET', `/exec/batches/${batch.body.batch_id}?wait=30`);
      expect(done.body).toMatchObject({ state: 'finished', counts: { ok: COUNT } });
    } finally {
      sim.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    const summary = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(summary).toMatchObject({ type: 'summary', nodes: COUNT, setup_failed: 0, execs_answered: COUNT });
    expect(stderr).not.toMatch(/MaxListenersExceededWarning|Warning/);
  }, 90_000);
});

describe('hydranode sim --long-poll when every long-poll fails', () => {
  it('when all nodes back off from a failing long-poll at once, then no MaxListenersExceededWarning (each waits on its own signal)', async () => {
    // The real app in-process, except that GET /body/exec answers 503: every node's poll fails and
    // every node sleeps before its retry, all at the same time.
    const home = makeHome();
    const core = await buildCore({ home, config: loadConfig(home).config, log: memoryLogger() });
    const { app } = createApp(core);
    let failedPolls = 0;
    const front = (req: Request): Response | Promise<Response> => {
      if (req.method === 'GET' && new URL(req.url).pathname === '/api/v1/body/exec') {
        failedPolls++;
        return Response.json({ error: 'shutting_down', message: 'test: long-polls fail' }, { status: 503 });
      }
      return app.fetch(req);
    };
    const server = await new Promise<Server>((resolve) => {
      const s = serve({ fetch: front, hostname: '127.0.0.1', port: 0 }, () => resolve(s as Server)) as Server;
    });
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const nodes = 40;
      const run = await runNode([AGENT, 'sim', '--server', url, '--admin-token', ADMIN, '--count', String(nodes), '--long-poll', '--duration', '3', '--interval', '30'], 30_000);
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout.trim().split('\n').at(-1)!)).toMatchObject({ type: 'summary', nodes, setup_failed: 0 });
      expect(failedPolls).toBeGreaterThanOrEqual(2 * nodes); // every node failed, slept and retried
      expect(run.stderr).not.toMatch(/MaxListenersExceededWarning|Warning/);
    } finally {
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
      core.fleet.stop();
      await core.store.close();
    }
  });
});

/**
 * The deadlock regression of the runbook (v2.0.33: an auth middleware took a lock its handler
 * took again, and every request queued forever). Here no request can wait on anything but the
 * one actor it addresses, and a request that waits is listed by GET /debug/requests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeStore } from '../../src/persist/nodes-store.js';
import { harness } from '../support/harness.js';
import { call, makeHome, startServerProcess, type ServerProcess } from '../support/process.js';

describe('concurrency over a real socket', () => {
  let srv: ServerProcess;
  beforeAll(async () => {
    srv = await startServerProcess(makeHome());
  });
  afterAll(async () => {
    srv.child.kill('SIGTERM');
    await srv.exited;
  });

  it('200 concurrent admin POSTs interleaved with GETs and heartbeats all complete', async () => {
    const nodes: Array<{ id: string; token: string }> = [];
    for (let i = 0; i < 20; i++) {
      const e = await call(srv.url, 'POST', '/enrollments', { name: `c${i}` });
      const r = await call(srv.url, 'POST', '/register', {}, e.body.enrollment_token);
      nodes.push({ id: r.body.node_id, token: r.body.token });
    }
    const jobs: Array<Promise<{ status: number; body: any }>> = [];
    for (let i = 0; i < 200; i++) {
      const n = nodes[i % nodes.length]!;
      const post = i % 4 === 0
        ? call(srv.url, 'POST', `/nodes/${n.id}/roles`, { roles: i % 8 === 0 ? ['plain-role'] : [] })
        : i % 4 === 1
          ? call(srv.url, 'PATCH', `/nodes/${n.id}`, { venue: `v${i}` })
          : i % 4 === 2
            ? call(srv.url, 'POST', `/nodes/${n.id}/update-services`)
            : call(srv.url, 'POST', '/enrollments', { name: `extra${i}` });
      jobs.push(post, call(srv.url, 'GET', `/nodes/${n.id}`), call(srv.url, 'POST', '/body/heartbeat', { hostname: `h${i}` }, n.token));
      if (i % 50 === 0) jobs.push(call(srv.url, 'GET', '/nodes'), call(srv.url, 'GET', '/debug/actors'));
    }
    const results = await Promise.all(jobs);
    const bad = results.filter((r) => r.status >= 400 && !(r.status === 400 && r.body?.error === 'unknown_role'));
    expect(bad).toEqual([]);
    expect(results.length).toBeGreaterThanOrEqual(600);
    expect((await call(srv.url, 'GET', '/debug/requests')).body).toHaveLength(1); // only itself
    expect((await call(srv.url, 'GET', '/health', undefined, null)).body.status).toBe('ok');
  });
});

/** Wraps a store so that the first commit waits until released: a node actor stuck on a slow disk. */
function holdFirstCommit(real: NodeStore): { store: NodeStore; release: () => void; held: Promise<void> } {
  let release!: () => void;
  let markHeld!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const held = new Promise<void>((r) => (markHeld = r));
  let first = true;
  const store: NodeStore = {
    put: (id, record) => real.put(id, record),
    remove: (id) => real.remove(id),
    close: () => real.close(),
    stats: () => real.stats(),
    backup: (path, note) => real.backup(path, note),
    commit: () => {
      if (!first) return real.commit();
      first = false;
      markHeld();
      return gate.then(() => real.commit());
    },
  };
  return { store, release, held };
}

describe('a request held on one actor', () => {
  it('does not delay requests for other actors, is listed by /debug/requests, and makes health degraded after 5 s', async () => {
    // Build a harness whose store holds the first commit after setup.
    const base = await harness();
    const a = await base.addNode({ name: 'a' });
    const b = await base.addNode({ name: 'b' });
    await base.core.store.close();
    base.core.fleet.stop();
    const { NodesFile } = await import('../../src/persist/nodes-file.js');
    const real = new NodesFile({ path: `${base.home}/nodes.yaml`, clock: base.clock, log: base.log });
    const gated = holdFirstCommit(real);
    const h = await harness({ home: base.home, clock: base.clock, store: gated.store });

    const heldReq = h.json('POST', `/nodes/${a.id}/roles`, { body: { roles: ['plain-role'] } });
    await gated.held;
    const queuedBehind = h.heartbeat(a.token, { hostname: 'a2' });

    // Other actors answer while A is held: heartbeat, reads, an admin change, health, debug.
    expect((await h.heartbeat(b.token, { hostname: 'b2' })).status).toBe(200);
    expect((await h.json('GET', `/nodes/${b.id}`)).body.hostname).toBe('b2');
    expect((await h.json('POST', `/nodes/${b.id}/roles`, { body: { roles: ['plain-role'] } })).status).toBe(200);
    expect((await h.json('GET', '/health', { token: null })).status).toBe(200);

    const inflight = (await h.json('GET', '/debug/requests')).body as Array<{ method: string; path: string; waiting_on: string | null }>;
    expect(inflight).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ method: 'POST', path: `/api/v1/nodes/${a.id}/roles`, waiting_on: a.id }),
        expect.objectContaining({ method: 'POST', path: '/api/v1/body/heartbeat', waiting_on: a.id }),
      ]),
    );
    // The journal fingerprint of the runbook: an arrival line, no completion line yet.
    const heldLines = h.log.lines.filter((l) => l.path === `/api/v1/nodes/${a.id}/roles`).map((l) => l.msg);
    expect(heldLines).toEqual(['request']);
    const actor = (await h.json('GET', `/debug/actors/${a.id}`)).body;
    expect(actor.mailbox).toBe(2);
    expect(actor.pending.map((p: { type: string }) => p.type)).toEqual(['set_roles', 'heartbeat']);

    h.clock.advance(6000);
    const health = await h.json('GET', '/health', { token: null });
    expect(health.status).toBe(503);
    expect(health.body.status).toBe('degraded');
    expect(health.body.stuck).toEqual([a.id]);

    gated.release();
    expect((await heldReq).status).toBe(200);
    expect((await queuedBehind).status).toBe(200);
    expect((await h.json('GET', '/health', { token: null })).status).toBe(200);
    expect((await h.json('GET', '/debug/requests')).body).toHaveLength(1);
  });
});

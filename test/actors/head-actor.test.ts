/**
 * The head actor on the kernel: the head statechart's rules, the durable side persisted through the
 * node actor (nothing adopted when the disk refuses it), nodes.yaml records without head fields for
 * bodies, the active-heads count, and the head actor's life following its node's.
 */
import { describe, expect, it } from 'vitest';
import { step } from '../../src/actors/kernel/machine.js';
import { headMachine, type HeadContext } from '../../src/actors/head/machine.js';
import { MemoryStore } from '../../src/persist/memory-store.js';
import { FLEET, harness } from '../support/harness.js';

const ctx: HeadContext = { diagnostics: {}, streamingBodyId: null, assignment: null, allowed: [] };

describe('head machine', () => {
  it('when the head reports a status, then that is its state; a report without one keeps it', () => {
    const s = step(headMachine, 'idle', ctx, { type: 'report', status: 'streaming', diagnostics: { app: 'moonlight' } });
    expect([s.value, s.context.diagnostics, s.persist]).toEqual(['streaming', { app: 'moonlight' }, null]);
    const t = step(headMachine, 'streaming', s.context, { type: 'report', diagnostics: { app: 'kiosk' } });
    expect([t.value, t.context.diagnostics]).toEqual(['streaming', { app: 'kiosk' }]);
    expect(step(headMachine, 'streaming', t.context, { type: 'report', status: 'error' }).value).toBe('error');
  });

  it('when an assignment names a body, a head or nothing known, then it is taken durably, refused wrong_kind, or refused not_found', () => {
    const ok = step(headMachine, 'idle', ctx, { type: 'assign', bodyId: 'node-b', bodyKind: 'body', appId: 'Desktop' });
    expect([ok.context.assignment, ok.persist]).toEqual([{ body_id: 'node-b', app_id: 'Desktop' }, 'durable']);
    expect(step(headMachine, 'idle', ctx, { type: 'assign', bodyId: 'node-h', bodyKind: 'head', appId: null }).rejected?.code).toBe('wrong_kind');
    expect(step(headMachine, 'idle', ctx, { type: 'assign', bodyId: 'node-x', bodyKind: 'unknown', appId: null }).rejected?.code).toBe('not_found');
    const cleared = step(headMachine, 'idle', ok.context, { type: 'assign', bodyId: null, bodyKind: 'unknown', appId: null });
    expect([cleared.context.assignment, cleared.persist]).toEqual([null, 'durable']);
  });
});

describe('head actor', () => {
  it('when nodes.yaml cannot be written, then an assignment is refused with 503 and the head keeps its old one', async () => {
    const store = new MemoryStore();
    const h = await harness({ store });
    const head = (await h.json('POST', '/heads', { token: FLEET, body: { name: 'ipad' } })).body.head_id;
    const body = (await h.addNode({ name: 'render' })).id;
    store.failWrites(new Error('ENOSPC'));
    const r = await h.json('POST', `/nodes/${head}/head-assignment`, { body: { body_id: body } });
    expect(r.status).toBe(503);
    expect((await h.json('GET', `/heads/${head}`)).body.body_id).toBeNull();
    expect((store.durable.get(head) as { assignment?: unknown }).assignment).toBeUndefined();
    store.failWrites(null);
    expect((await h.json('POST', `/nodes/${head}/head-assignment`, { body: { body_id: body } })).status).toBe(200);
    expect((store.durable.get(head) as { assignment?: unknown }).assignment).toEqual({ body_id: body, app_id: null });
  });

  it('when bodies are stored, then their nodes.yaml records carry no head fields; a head without assignment neither', async () => {
    const store = new MemoryStore();
    const h = await harness({ store });
    const body = (await h.addNode({ name: 'render' })).id;
    const head = (await h.json('POST', '/heads', { token: FLEET, body: { name: 'ipad' } })).body.head_id;
    await h.json('POST', `/nodes/${head}/allowed-experiences`, { body: { experiences: [] } });
    await store.commit();
    for (const id of [body, head]) {
      expect(Object.keys(store.durable.get(id)!)).not.toContain('assignment');
      expect(Object.keys(store.durable.get(id)!)).not.toContain('allowed_experiences');
    }
  });

  it('when a streaming head is deleted or stops streaming, then its body’s active heads go down; its head actor is gone with it', async () => {
    const h = await harness();
    const body = (await h.addNode({ name: 'render' })).id;
    const a = (await h.json('POST', '/heads', { token: FLEET, body: { name: 'a' } })).body;
    const b = (await h.json('POST', '/heads', { token: FLEET, body: { name: 'b' } })).body;
    await h.json('POST', `/nodes/${a.head_id}/head-assignment`, { body: { body_id: body } });
    await h.json('PUT', `/heads/${a.head_id}`, { token: a.token, body: { status: 'streaming' } });
    await h.json('PUT', `/heads/${b.head_id}`, { token: b.token, body: { status: 'streaming', streaming_body_id: body } });
    expect(h.core.heads.activeHeads(body)).toBe(2);
    await h.json('PUT', `/heads/${b.head_id}`, { token: b.token, body: { status: 'idle' } });
    expect(h.core.heads.activeHeads(body)).toBe(1);
    expect((await h.json('DELETE', `/nodes/${a.head_id}`)).status).toBe(204);
    await new Promise((r) => setImmediate(r));
    expect(h.core.heads.activeHeads(body)).toBe(0);
    expect(h.core.system.get(`${a.head_id}/head`)).toBeUndefined();
    expect((await h.json('GET', `/heads/${a.head_id}`)).status).toBe(404);
  });

  it('when a flatscreen head is enrolled through /enrollments, then it has a head actor from the start, and keeps it across a kind change', async () => {
    const h = await harness();
    const e = await h.enroll({ name: 'kiosk', kind: 'flatscreen' });
    expect(h.core.system.get(`${e.node_id}/head`)?.kind).toBe('head');
    expect((await h.json('GET', `/heads/${e.node_id}`)).body).toMatchObject({ kind: 'flatscreen', node_status: 'offline' });
    await h.json('PATCH', `/nodes/${e.node_id}`, { body: { kind: 'windows' } });
    expect((await h.json('GET', `/heads/${e.node_id}`)).body.kind).toBe('windows');
    expect(h.core.heads.size).toBe(1);
  });

  it('when a head’s assigned body is deleted, then the assignment is cleared and the head shows no body, name or stream URLs', async () => {
    const h = await harness();
    const body = await h.addNode({ name: 'render' });
    await h.heartbeat(body.token, { wg_ip: '10.8.0.2' });
    const head = (await h.json('POST', '/heads', { token: FLEET, body: { name: 'ipad' } })).body.head_id;
    await h.json('POST', `/nodes/${head}/head-assignment`, { body: { body_id: body.id } });
    await h.json('DELETE', `/nodes/${body.id}`);
    expect((await h.json('GET', `/heads/${head}`)).body).toMatchObject({ body_id: null, assigned_body_name: null, stream_url: null });
  });
});

/**
 * Issue 23, items 4 and 5, server side: an iPad has no exec channel. Its screenshot and logs, and
 * an exec sent to it, answer 409 `no_exec_channel` at once (on the fake clock: nothing waits for a
 * budget to run out); a fleet exec skips it with that reason; `audit?node=` shows the fleet exec
 * on each node it reached.
 */
import { describe, expect, it } from 'vitest';
import { FLEET, harness, type Harness } from '../support/harness.js';

async function ipad(h: Harness): Promise<string> {
  const r = await h.json('POST', '/heads', { token: FLEET, body: { name: 'lobby-ipad' } });
  expect(r.status).toBe(201);
  return r.body.head_id;
}

describe('no exec channel on an iPad', () => {
  it('when its screenshot, logs, an exec or a shell are asked for, then 409 no_exec_channel comes at once and nothing is queued', async () => {
    const h = await harness();
    const id = await ipad(h);
    for (const path of [`/heads/${id}/screenshot`, `/heads/${id}/logs`]) {
      const r = await h.json('GET', path);
      expect([r.status, r.body.error], path).toEqual([409, 'no_exec_channel']);
    }
    const exec = await h.json('POST', `/nodes/${id}/exec`, { body: { command: 'hostname' } });
    expect([exec.status, exec.body.error]).toEqual([409, 'no_exec_channel']);
    expect((await h.json('GET', `/nodes/${id}/exec`)).body.depth).toBe(0);
    const shell = await h.json('GET', `/nodes/${id}/shell`);
    expect([shell.status, shell.body.error]).toEqual([409, 'no_exec_channel']);
  });

  it('when a fleet exec selects bodies and an iPad, then the iPad is skipped with no_exec_channel and the audit of each body shows the fleet exec', async () => {
    const h = await harness();
    const a = await h.addNode({ name: 'a' });
    const b = await h.addNode({ name: 'b' });
    for (const n of [a, b]) await h.heartbeat(n.token);
    const pad = await ipad(h);
    const r = await h.json('POST', '/exec', { body: { command: 'hostname', target: { all: true } } });
    expect(r.status).toBe(202);
    expect(r.body.execs.map((e: { node_id: string }) => e.node_id).sort()).toEqual([a.id, b.id].sort());
    expect(r.body.skipped).toEqual([expect.objectContaining({ node_id: pad, name: 'lobby-ipad', reason: 'no_exec_channel' })]);
    const lines = (await h.json('GET', `/audit?node=${a.id}`)).body;
    expect(lines.map((e: { action: string }) => e.action)).toContain('exec.fleet');
    expect((await h.json('GET', `/audit?node=${pad}`)).body.map((e: { action: string }) => e.action)).not.toContain('exec.fleet');
  });
});

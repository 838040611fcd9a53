/**
 * Shell sessions on the real server (in-process, real sockets, FakeClock): the session actor's
 * life (waiting → attached → closed), the agent's check long-poll, the byte pipe and its control
 * frames, the attach and idle timeouts, and every refusal of bad input (docs/api.md#shell-sessions).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { call } from '../support/process.js';
import { connect, shellActors, shellServer, type ShellServer } from './shell-helpers.js';

let srv: ShellServer | null = null;
afterEach(async () => {
  await srv?.stop();
  srv = null;
});

/** A fake agent: checks for the node's sessions and attaches to the first one. */
async function attachAgent(s: ShellServer, token: string) {
  const check = await call(s.url, 'GET', '/body/shell/check?wait=5', undefined, token);
  expect(check.status).toBe(200);
  const session = check.body.sessions[0];
  const agent = connect(s.url, `/body/shell/${session.id}`, token);
  expect(await agent.opened).toBe(101);
  return { agent, session };
}

describe('shell sessions', () => {
  it('when an admin opens a shell, then a parked check answers at once, the session is a listed actor of its node, and bytes, resize and exit pass between the sockets', async () => {
    srv = await shellServer();
    const node = await srv.addNode();
    const parked = call(srv.url, 'GET', '/body/shell/check?wait=30', undefined, node.token);
    const client = connect(srv.url, `/nodes/${node.id}/shell?cols=100&rows=30&command=${encodeURIComponent('echo hi')}`);
    expect(await client.opened).toBe(101);
    const check = await parked; // answered by the open, not by the 30 s wait (the FakeClock never moves)
    expect(check.body.sessions).toEqual([{ id: expect.stringMatching(/^shell-/), cols: 100, rows: 30, command: 'echo hi' }]);
    const id = check.body.sessions[0].id;
    expect(await shellActors(srv.url)).toEqual([expect.objectContaining({ id, kind: 'shell', state: 'waiting', node_id: node.id })]);
    expect((await call(srv.url, 'POST', '/body/heartbeat', {}, node.token)).body.shell_pending).toBe(1);
    const detail = await call(srv.url, 'GET', `/debug/actors/${id}`);
    expect(detail.body.context).toMatchObject({ node_id: node.id, cols: 100, rows: 30, agent_connected: false });

    const agent = connect(srv.url, `/body/shell/${id}`, node.token);
    expect(await agent.opened).toBe(101);
    client.ws.send(Buffer.from('ls\r'), { binary: true });
    await agent.sees('ls\r');
    client.ws.send(JSON.stringify({ type: 'resize', cols: 120, rows: 50 }));
    expect(await agent.control((f) => f.type === 'resize')).toEqual({ type: 'resize', cols: 120, rows: 50 });
    agent.ws.send(Buffer.from('output\r\n'), { binary: true });
    await client.sees('output');
    expect((await shellActors(srv.url))[0].state).toBe('attached');
    expect((await call(srv.url, 'POST', '/body/heartbeat', {}, node.token)).body.shell_pending).toBe(0);

    agent.ws.send(JSON.stringify({ type: 'exit', code: 5 }));
    agent.ws.close();
    expect(await client.control((f) => f.type === 'exit')).toEqual({ type: 'exit', code: 5 });
    expect((await client.closed).code).toBe(1000);
    expect(client.texts.filter((f) => f.type === 'error')).toEqual([]);
    expect(await shellActors(srv.url)).toEqual([]);
  });

  it('when no agent attaches within attach_timeout_s, then the client gets agent_unavailable and a close, and the actor is gone', async () => {
    srv = await shellServer();
    const node = await srv.addNode();
    const client = connect(srv.url, `/nodes/${node.id}/shell`);
    expect(await client.opened).toBe(101);
    await expect.poll(() => shellActors(srv!.url)).toHaveLength(1);
    srv.clock.advance(9_999);
    expect(client.texts).toEqual([]);
    srv.clock.advance(1);
    expect(await client.control((f) => f.type === 'error')).toEqual({ type: 'error', error: 'agent_unavailable' });
    await client.closed;
    expect(await shellActors(srv.url)).toEqual([]);
  });

  it('when the client disconnects, then the agent socket is closed and the session ends', async () => {
    srv = await shellServer();
    const node = await srv.addNode();
    const client = connect(srv.url, `/nodes/${node.id}/shell`);
    await client.opened;
    const { agent } = await attachAgent(srv, node.token);
    client.ws.close();
    await agent.closed;
    await expect.poll(() => shellActors(srv!.url)).toEqual([]);
  });

  it('when nothing passes for idle_timeout_s, then the session closes with idle_timeout', async () => {
    srv = await shellServer((doc) => (doc.server.shell = { idle_timeout_s: 60 }));
    const node = await srv.addNode();
    const client = connect(srv.url, `/nodes/${node.id}/shell`);
    await client.opened;
    const { agent } = await attachAgent(srv, node.token);
    srv.clock.advance(30_000);
    agent.ws.send(Buffer.from('tick'), { binary: true });
    await client.sees('tick');
    srv.clock.advance(59_000); // 59 s after the last byte: still open
    expect(client.ws.readyState).toBe(client.ws.OPEN);
    srv.clock.advance(1_000);
    expect(await client.control((f) => f.type === 'error')).toEqual({ type: 'error', error: 'idle_timeout' });
    await agent.closed;
  });
});

describe('shell sessions ending with the server or the node', () => {
  it('when the server shuts down, then every session\'s client is told shutting_down and closed', async () => {
    srv = await shellServer();
    const node = await srv.addNode();
    const client = connect(srv.url, `/nodes/${node.id}/shell`);
    await client.opened;
    const { agent } = await attachAgent(srv, node.token);
    await srv.stop();
    srv = null;
    expect(await client.control((f) => f.type === 'error')).toEqual({ type: 'error', error: 'shutting_down' });
    await Promise.all([client.closed, agent.closed]);
  });

  it('when the node is deleted, then its sessions end', async () => {
    srv = await shellServer();
    const node = await srv.addNode();
    const client = connect(srv.url, `/nodes/${node.id}/shell`);
    await client.opened;
    await expect.poll(() => shellActors(srv!.url)).toHaveLength(1);
    expect((await call(srv.url, 'DELETE', `/nodes/${node.id}`)).status).toBe(204);
    await client.closed;
    expect(await shellActors(srv.url)).toEqual([]);
  });
});

describe('shell bad input', () => {
  it('when a node token opens a session, an admin or another node attaches, or the session is unknown, then 403, 403 and 404', async () => {
    srv = await shellServer();
    const a = await srv.addNode('a');
    const b = await srv.addNode('b');
    expect(await connect(srv.url, `/nodes/${a.id}/shell`, a.token).opened).toBe(403);
    expect(await connect(srv.url, `/nodes/${a.id}/shell`, null).opened).toBe(401);
    expect(await connect(srv.url, `/nodes/node-nope/shell`).opened).toBe(404);
    expect(await connect(srv.url, `/nodes/${a.id}/shell?cols=0`).opened).toBe(400);
    const client = connect(srv.url, `/nodes/${b.id}/shell`);
    await client.opened;
    const id = (await call(srv.url, 'GET', '/body/shell/check', undefined, b.token)).body.sessions[0].id;
    expect(await connect(srv.url, `/body/shell/${id}`, a.token).opened).toBe(403);
    expect(await connect(srv.url, `/body/shell/${id}`).opened).toBe(403);
    expect(await connect(srv.url, `/body/shell/shell-01JUNKUNKNOWN`, b.token).opened).toBe(404);
    expect((await call(srv.url, 'GET', '/body/shell/check', undefined, a.token)).body.sessions).toEqual([]);
    // The rightful agent still attaches, once.
    const agent = connect(srv.url, `/body/shell/${id}`, b.token);
    expect(await agent.opened).toBe(101);
    expect(await connect(srv.url, `/body/shell/${id}`, b.token).opened).toBe(409);
  });

  it('when a node has max_sessions_per_node sessions, then one more is refused with 429 too_many_sessions', async () => {
    srv = await shellServer((doc) => (doc.server.shell = { max_sessions_per_node: 2 }));
    const node = await srv.addNode();
    for (let i = 0; i < 2; i++) expect(await connect(srv.url, `/nodes/${node.id}/shell`).opened).toBe(101);
    await expect.poll(() => shellActors(srv!.url)).toHaveLength(2);
    expect(await connect(srv.url, `/nodes/${node.id}/shell`).opened).toBe(429);
  });

  it('when a frame exceeds max_frame_bytes, then that socket is closed with 1009, and malformed control JSON is ignored', async () => {
    srv = await shellServer((doc) => (doc.server.shell = { max_frame_bytes: 4096 }));
    const node = await srv.addNode();
    const client = connect(srv.url, `/nodes/${node.id}/shell`);
    await client.opened;
    const { agent } = await attachAgent(srv, node.token);
    for (const junk of ['{', 'null', '[]', '{"type":"resize","cols":-1,"rows":2}', '{"type":"nope"}', '"x"']) client.ws.send(junk);
    client.ws.send(Buffer.from('after'), { binary: true });
    await agent.sees('after');
    expect(agent.texts).toEqual([]);
    client.ws.send(Buffer.alloc(8192), { binary: true });
    expect((await client.closed).code).toBe(1009);
    await agent.closed;
    expect((await call(srv.url, 'GET', '/health', undefined, null)).status).toBe(200);
  });
});

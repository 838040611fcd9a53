/**
 * Request logs proportional to events (docs/operations.md#logs, issue [scale] 3): at info, agent traffic writes no
 * line per request, only when it fails beyond the expected or is slow; operators' requests keep
 * both lines; `debug` brings every line back; state changes and flag acks are one line each.
 */
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { notableAgentRequest, SLOW_AGENT_REQUEST_MS } from '../../src/http/requests.js';
import { FLEET, harness, type Harness } from '../support/harness.js';

/** The request log's lines (arrival and completion) for paths under `prefix`. */
const requestLines = (h: Harness, prefix = '/api/v1/') =>
  h.log.lines.filter((l) => (l.msg === 'request' || l.msg === 'response') && String(l.path).startsWith(prefix));

/** One of each kind of agent request, all answered as expected. */
async function agentBurst(h: Harness, node: { id: string; token: string }, head: { head_id: string; token: string }) {
  for (let i = 0; i < 20; i++) expect((await h.heartbeat(node.token)).status).toBe(200);
  expect((await h.json('GET', '/body/exec?wait=0', { token: node.token })).status).toBe(204);
  const parked = h.json('GET', '/body/exec?wait=30', { token: node.token });
  const id = (await h.json('POST', `/nodes/${node.id}/exec`, { body: { command: 'true' } })).body.id;
  expect((await parked).status).toBe(200);
  expect((await h.json('POST', '/body/exec/result', { token: node.token, body: { id, exit_code: 0 } })).status).toBe(200);
  expect((await h.json('GET', '/body/shell/check?wait=0', { token: node.token })).status).toBe(200);
  expect((await h.json('GET', '/body/provision', { token: node.token })).status).toBe(200);
  expect((await h.json('PUT', `/heads/${head.head_id}`, { token: head.token, body: { status: 'idle' } })).status).toBe(200);
  expect((await h.json('GET', `/heads/${head.head_id}`, { token: head.token })).status).toBe(200);
}

async function fleet(logLevel: 'info' | 'debug') {
  const h = await harness({ logLevel });
  const node = await h.addNode({ name: 'b1' });
  const head = (await h.json('POST', '/heads', { token: FLEET, body: { name: 'kiosk', district: 'bxl1' } })).body;
  return { h, node, head };
}

describe('request log at info', () => {
  it('when agents heartbeat, long-poll, report and a head reports, then no request line is written for them, and they are counted', async () => {
    const { h, node, head } = await fleet('info');
    const before = { ...h.core.requests.answered };
    await agentBurst(h, node, head);
    expect(requestLines(h, '/api/v1/body/')).toEqual([]);
    expect(requestLines(h, '/api/v1/heads/')).toEqual([]);
    const a = h.core.requests.answered;
    expect(a.heartbeat - before.heartbeat).toBe(21); // 20 heartbeats and the head's report
    expect(a.agent - before.agent).toBe(6);
    // The operator's own request in the burst (the exec submit) kept both of its lines.
    expect(requestLines(h, `/api/v1/nodes/${node.id}/exec`).map((l) => [l.level, l.msg])).toEqual([['info', 'request'], ['info', 'response']]);
  });

  it('when an operator reads a head, then both lines are written; when the head reads itself, none', async () => {
    const { h, head } = await fleet('info');
    await h.json('GET', `/heads/${head.head_id}`, { token: head.token });
    expect(requestLines(h, '/api/v1/heads/')).toEqual([]);
    await h.json('GET', `/heads/${head.head_id}`);
    expect(requestLines(h, '/api/v1/heads/').map((l) => l.msg)).toEqual(['request', 'response']);
  });

  it('when a heartbeat is refused (401) or too large (413), then its completion line is written at info', async () => {
    const { h } = await fleet('info');
    expect((await h.heartbeat('hcn_not-a-real-token-000000000000')).status).toBe(401);
    expect((await h.req('POST', '/body/heartbeat', { token: 'x', raw: '{}', headers: { 'content-length': String(10 * 1024 * 1024) } })).status).toBe(413);
    const lines = requestLines(h, '/api/v1/body/');
    expect(lines.map((l) => [l.level, l.msg, l.status])).toEqual([['info', 'response', 401], ['info', 'response', 413]]);
    expect(typeof lines[0]!.duration_ms).toBe('number');
  });

  it('when a long-poll answers slower than its own wait plus the threshold, then it is notable; within its wait, not', async () => {
    const app = new Hono();
    app.get('/p', (c) => c.json([notableAgentRequest(c, 204, 5_000), notableAgentRequest(c, 200, SLOW_AGENT_REQUEST_MS + 5_001), notableAgentRequest(c, 404, 1), notableAgentRequest(c, 503, 1)]));
    expect(await (await app.request('/p?wait=5')).json()).toEqual([false, true, false, true]);
    expect(await (await app.request('/p')).json()).toEqual([true, true, false, true]);
  });
});

describe('request log at debug', () => {
  it('when log_level is debug, then every agent request has its arrival and completion lines, at debug', async () => {
    const { h, node, head } = await fleet('debug');
    await agentBurst(h, node, head);
    const lines = requestLines(h, '/api/v1/body/');
    expect(lines.filter((l) => l.msg === 'request')).toHaveLength(25);
    expect(lines.filter((l) => l.msg === 'response')).toHaveLength(25);
    expect(new Set(lines.map((l) => l.level))).toEqual(new Set(['debug']));
    expect(requestLines(h, '/api/v1/heads/').filter((l) => l.msg === 'response' && l.level === 'debug')).toHaveLength(2);
  });

  it('when a reload sets debug on a server at info, then the next heartbeat is logged', async () => {
    const { h, node } = await fleet('info');
    await h.heartbeat(node.token);
    expect(requestLines(h, '/api/v1/body/')).toEqual([]);
    h.log.setLevel('debug');
    await h.heartbeat(node.token);
    expect(requestLines(h, '/api/v1/body/').map((l) => l.msg)).toEqual(['request', 'response']);
  });
});

describe('node changes in the log', () => {
  it('when a node registers, comes online, acks a flag and goes silent, then each is one info line and steady heartbeats add none', async () => {
    const h = await harness({ logLevel: 'info' });
    const node = await h.addNode({ name: 'b1' });
    const told = () => h.log.lines.filter((l) => l.node_id === node.id && l.msg !== 'enrollment issued').map((l) => [l.msg, l.from ?? l.flag ?? null]);
    expect(told()).toEqual([['node registered', null]]);
    for (let i = 0; i < 5; i++) await h.heartbeat(node.token);
    expect(told()).toEqual([['node registered', null], ['node online', 'provisioning']]);
    await h.json('POST', `/nodes/${node.id}/update-node`);
    await h.heartbeat(node.token); // carries the flag
    await h.heartbeat(node.token, { ack_flags: ['update_node'] });
    await h.heartbeat(node.token);
    h.clock.advance(h.core.config.server.offline_after_s * 1000 + 2_000);
    expect(told()).toEqual([['node registered', null], ['node online', 'provisioning'], ['node flag acked', 'update_node'], ['node offline', null]]);
    expect(h.log.lines.filter((l) => l.node_id === node.id).every((l) => l.level === 'info')).toBe(true);
  });
});

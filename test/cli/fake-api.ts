/**
 * A fake admin API on a real loopback socket (port 0), for running the built CLI as a child
 * process without a server or an agent: it answers an exec submit, its result (finished at once)
 * and the node list, built with the wire's types.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ExecResultView } from '../../src/wire/exec.js';
import type { NodeView } from '../../src/wire/nodes.js';

export const FAKE_TOKEN = 'hca_fake-admin-token-0123456789abcdef';
export const FAKE_EXEC_ID = 'exec-01J00000000000000000000000';

export interface FakeApi {
  url: string;
  /** Every request, as "METHOD /path?query". */
  requests: string[];
  close(): Promise<void>;
}

export interface FakeApiOptions {
  /** The finished exec the result endpoint answers with. */
  result?: Partial<ExecResultView>;
  /** How many nodes `GET /nodes` lists. */
  nodes?: number;
}

export function resultView(over: Partial<ExecResultView> = {}): ExecResultView {
  const at = '2026-01-01T00:00:00.000Z';
  return {
    id: FAKE_EXEC_ID, status: 'done', exit_code: 0, stdout: '', stderr: '', stdout_truncated: false, stderr_truncated: false,
    queued_at: at, delivered_at: at, finished_at: at, duration_ms: 1, ...over,
  };
}

export function nodeView(i: number): NodeView {
  const id = `node-01J${String(i).padStart(23, '0')}`;
  return {
    id, name: `render node number ${i}`, kind: 'body', state: 'online', owner: 'ops', district: 'bxl1', venue: 'hall', roles: [], roles_applied: [],
    drain: false, drain_reason: null, provider_status: null, provider_version: null, agent_version: '1.0.0', agent_update: null, hostname: `render-${i}`,
    os: 'linux', arch: 'amd64', lan_ip: null, wg_ip: null, last_seen: '2026-01-01T00:00:00.000Z', created_at: '2026-01-01T00:00:00.000Z',
    flags: { update_node: false, update_services: false, reprovision: false }, exec_depth: 0, exec_stalled: false, carried_over: false, provision_errors: {}, diagnostics: {}, enrollment_id: null, enrollment_expires_at: null,
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function startFakeApi(opts: FakeApiOptions = {}): Promise<FakeApi> {
  const requests: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => {
      if (req.headers.authorization !== `Bearer ${FAKE_TOKEN}`) return send(res, 401, { error: 'unauthorized', message: 'bad token' });
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (req.method === 'GET' && path === '/api/v1/nodes') {
        const name = new URL(req.url ?? '/', 'http://x').searchParams.get('name');
        return send(res, 200, Array.from({ length: opts.nodes ?? 1 }, (_, i) => nodeView(i)).filter((n) => name === null || n.name === name));
      }
      if (req.method === 'POST' && /^\/api\/v1\/nodes\/[^/]+\/exec$/.test(path)) return send(res, 202, { id: FAKE_EXEC_ID });
      if (req.method === 'GET' && path.endsWith(`/exec/${FAKE_EXEC_ID}/result`)) return send(res, 200, resultView(opts.result));
      send(res, 404, { error: 'not_found', message: `no route ${req.method} ${path}` });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

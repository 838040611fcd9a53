/**
 * Test harness: the real app (createApp) over a temp home folder, a FakeClock and an in-memory
 * logger, driven with app.request(). Helpers enroll and register nodes through the real API.
 */
import { FakeClock } from '../../src/clock.js';
import { parseConfig, defaultConfigDocument, type Config } from '../../src/config.js';
import { createApp, type AppHandle } from '../../src/app.js';
import { memoryLogger, type Level } from '../../src/log.js';
import type { LiveConfig } from '../../src/live-config.js';
import type { NodeStore } from '../../src/persist/nodes-store.js';
import { buildCore, type Core } from '../../src/server.js';
import type { EnrollmentReply } from '../../src/wire/agent.js';
import { tempDir } from './temp.js';

export const ADMIN = 'hca_test-admin-token-0123456789abcdef';
export const FLEET = 'hcf_test-fleet-token-0123456789abcdef';

export interface Harness {
  core: Core;
  handle: AppHandle;
  clock: FakeClock;
  log: ReturnType<typeof memoryLogger>;
  home: string;
  req(method: string, path: string, opts?: { token?: string | null; body?: unknown; raw?: string; headers?: Record<string, string> }): Promise<Response>;
  json<T = any>(method: string, path: string, opts?: { token?: string | null; body?: unknown }): Promise<{ status: number; body: T }>;
  enroll(body?: Record<string, unknown>): Promise<EnrollmentReply>;
  register(enrollmentToken: string, body?: Record<string, unknown>): Promise<{ node_id: string; token: string }>;
  /** Enrolls and registers a node; returns its id and node token. */
  addNode(body?: Record<string, unknown>): Promise<{ id: string; token: string }>;
  heartbeat(token: string, body?: Record<string, unknown>): Promise<{ status: number; body: any }>;
}

export function testConfig(overrides: (doc: any) => void = () => {}): Config {
  const doc: any = defaultConfigDocument();
  doc.server.admin_token = ADMIN;
  doc.server.fleet_enrollment_token = FLEET;
  doc.server.rate_limit_per_min = 1000;
  doc.roles['plain-role'] = { description: 'role without provider', recipe: { bash: 'true', check_bash: 'true' } };
  overrides(doc);
  return parseConfig(doc);
}

/** Told of every reply `req` gets (a clone: the caller still reads its own), e.g. to check it against the OpenAPI document. */
export type ReplyHook = (method: string, path: string, res: Response) => void;

/** `logLevel`: the log keeps only what a server at that level writes (default: every line). */
export async function harness(opts: { config?: Config; live?: LiveConfig; home?: string; clock?: FakeClock; store?: NodeStore; logLevel?: Level; onReply?: ReplyHook } = {}): Promise<Harness> {
  const home = opts.home ?? tempDir('hc-test-');
  const clock = opts.clock ?? new FakeClock();
  const log = memoryLogger(opts.logLevel);
  const config = opts.live?.current ?? opts.config ?? testConfig();
  const core = await buildCore({ home, config, live: opts.live, clock, log, store: opts.store });
  const handle = createApp(core);

  const req: Harness['req'] = (method, path, o = {}) => {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    const token = o.token === undefined ? ADMIN : o.token;
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | undefined = o.raw;
    if (o.body !== undefined) body = JSON.stringify(o.body);
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    const res = Promise.resolve(handle.app.request(`/api/v1${path}`, { method, headers, body }));
    const hook = opts.onReply;
    return hook ? res.then((r) => (hook(method, `/api/v1${path}`, r.clone()), r)) : res;
  };
  const json: Harness['json'] = async (method, path, o) => {
    const res = await req(method, path, o);
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  const h: Harness = {
    core, handle, clock, log, home, req, json,
    async enroll(body = {}) {
      const r = await json('POST', '/enrollments', { body: { name: 'n1', ...body } });
      if (r.status !== 201) throw new Error(`enroll: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    },
    async register(enrollmentToken, body = {}) {
      const r = await json('POST', '/register', { token: enrollmentToken, body });
      if (r.status !== 200) throw new Error(`register: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    },
    async addNode(body = {}) {
      const e = await h.enroll(body);
      const r = await h.register(e.enrollment_token);
      return { id: r.node_id, token: r.token };
    },
    heartbeat: (token, body = {}) => json('POST', '/body/heartbeat', { token, body }),
  };
  return h;
}

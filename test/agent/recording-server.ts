/**
 * The real server in-process (buildCore + createApp) on a loopback port chosen by the OS, behind a
 * thin front that records what agents send (heartbeats, exec results) and counts provision polls —
 * so a test can check both what the agent sent and what the operator sees, and wait for a
 * condition on them without polling.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { loadConfig } from '../../src/config.js';
import { createApp } from '../../src/app.js';
import { memoryLogger } from '../../src/log.js';
import { buildCore } from '../../src/server.js';
import type { HeartbeatBody } from '../../src/wire/agent.js';
import type { ExecResultBody } from '../../src/wire/exec.js';
import { makeHome } from '../support/process.js';

/** One `POST /body/exec/result` as the agent sent it, with the server's answer. */
export interface PostedResult {
  status: number;
  body: ExecResultBody;
}

export interface RecordingServer {
  url: string;
  /** Exec results as posted, with the server's status. */
  posted: PostedResult[];
  /** Heartbeat bodies the server accepted (200), in order. */
  beats: HeartbeatBody[];
  /** Provision polls the server answered with 200. */
  readonly provisionPolls: number;
  /** Resolves once `cond` holds, checked now and after every recorded request. */
  until(cond: () => boolean): Promise<void>;
  close(): Promise<void>;
}

/** Starts the server on a fresh home whose config.yaml `configure` adjusts. */
export async function recordingServer(configure: (doc: any) => void = () => {}): Promise<RecordingServer> {
  const home = makeHome(configure);
  const core = await buildCore({ home, config: loadConfig(home).config, log: memoryLogger() });
  const { app } = createApp(core);
  const posted: PostedResult[] = [];
  const beats: HeartbeatBody[] = [];
  let polls = 0;
  let waiting: Array<{ cond: () => boolean; done: () => void }> = [];
  const recorded = (): void => {
    const still = waiting.filter((w) => !w.cond());
    for (const w of waiting) if (!still.includes(w)) w.done();
    waiting = still;
  };

  const front = async (req: Request): Promise<Response> => {
    const path = new URL(req.url).pathname;
    const recording = req.method === 'POST' && (path === '/api/v1/body/exec/result' || path === '/api/v1/body/heartbeat');
    const copy = recording ? req.clone() : null;
    const res = await app.fetch(req);
    if (copy && path.endsWith('/heartbeat')) {
      if (res.ok) beats.push((await copy.json()) as HeartbeatBody);
    } else if (copy) {
      posted.push({ status: res.status, body: (await copy.json()) as ExecResultBody });
    } else if (req.method === 'GET' && path === '/api/v1/body/provision' && res.ok) {
      polls++;
    }
    recorded();
    return res;
  };

  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: front, hostname: '127.0.0.1', port: 0 }, () => resolve(s as Server)) as Server;
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    posted,
    beats,
    get provisionPolls() {
      return polls;
    },
    until: (cond) => (cond() ? Promise.resolve() : new Promise((done) => waiting.push({ cond, done }))),
    async close() {
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
      core.fleet.stop();
      await core.store.close();
    },
  };
}

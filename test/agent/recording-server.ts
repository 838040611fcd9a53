/**
 * The real server in-process (buildCore + createApp) on a loopback port chosen by the OS, behind a
 * thin front that records what agents post as exec results and signals provision polls — so a
 * test can check both what the agent sent and what the operator sees.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { loadOrCreateConfig } from '../../src/config.js';
import { createApp } from '../../src/http/app.js';
import { memoryLogger } from '../../src/log.js';
import { buildCore } from '../../src/server.js';
import type { ExecResultBody } from '../../src/wire/exec.js';
import { makeHome } from '../support/process.js';

/** One `POST /body/exec/result` as the agent sent it, with the server's answer. */
export interface PostedResult {
  status: number;
  body: ExecResultBody;
}

export interface RecordingServer {
  url: string;
  posted: PostedResult[];
  /** Resolves once the server has answered `n` provision polls in all. */
  provisionPolls(n: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts the server on a fresh home whose config.yaml `configure` adjusts. */
export async function recordingServer(configure: (doc: any) => void = () => {}): Promise<RecordingServer> {
  const home = makeHome(configure);
  const core = await buildCore({ home, config: loadOrCreateConfig(home).config, log: memoryLogger() });
  const { app } = createApp(core);
  const posted: PostedResult[] = [];
  let polls = 0;
  const waiting: Array<{ n: number; done: () => void }> = [];

  const front = async (req: Request): Promise<Response> => {
    const path = new URL(req.url).pathname;
    const copy = req.method === 'POST' && path === '/api/v1/body/exec/result' ? req.clone() : null;
    const res = await app.fetch(req);
    if (copy) posted.push({ status: res.status, body: (await copy.json()) as ExecResultBody });
    if (req.method === 'GET' && path === '/api/v1/body/provision' && res.ok) {
      polls++;
      for (const w of waiting.splice(0)) if (polls >= w.n) w.done();
      else waiting.push(w);
    }
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
    provisionPolls: (n) => (polls >= n ? Promise.resolve() : new Promise((done) => waiting.push({ n, done }))),
    async close() {
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
      core.fleet.stop();
      await core.store.close();
    },
  };
}

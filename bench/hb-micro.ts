/**
 * In-process heartbeat cost (not part of `npm run bench`'s targets; a tool for profiling the route's
 * steps): the real app over 10,000 nodes in memory, driven with app.request(), JSON logs to a sink
 * that discards. Prints µs per heartbeat (least of the rounds). Usage: node dist/bench/hb-micro.js
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../src/http/app.js';
import { createLogger } from '../src/log.js';
import { MemoryStore } from '../src/persist/memory-store.js';
import { buildCore } from '../src/server.js';
import { benchConfig, heartbeatBody, makeFleet, writeNodesYaml } from './fixtures.js';

const NODES = 10_000;
const PER_ROUND = 20_000;
const ROUNDS = Number(process.env.ROUNDS ?? 8);

async function main(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'hb-micro-'));
  const fleet = makeFleet(NODES);
  await writeNodesYaml(home, fleet.records);
  const log = createLogger({ format: 'json', sink: { write: () => {} } });
  const core = await buildCore({ home, config: benchConfig(), log, store: new MemoryStore() });
  const { app } = createApp(core);
  const headers = fleet.tokens.map((t) => ({ authorization: `Bearer ${t}`, 'content-type': 'application/json' }));
  const bodies = fleet.tokens.map((_, i) => heartbeatBody(i));
  const url = 'http://127.0.0.1/api/v1/body/heartbeat';
  let best = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < PER_ROUND; i++) {
      const k = i % NODES;
      const res = await app.request(url, { method: 'POST', headers: headers[k], body: bodies[k] });
      if (res.status !== 200) throw new Error(`status ${res.status}: ${await res.text()}`);
      await res.text();
    }
    const us = ((performance.now() - t0) * 1000) / PER_ROUND;
    best = Math.min(best, us);
    process.stdout.write(`round ${r + 1}: ${us.toFixed(1)} µs/heartbeat\n`);
  }
  process.stdout.write(`least: ${best.toFixed(1)} µs/heartbeat\n`);
  core.fleet.stop();
}

void main();

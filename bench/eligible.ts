/**
 * Bench part: `GET /bodies/eligible` with 10,000 eligible bodies in the head's district (the worst
 * case: every body of the fleet in one district), through the real app in-process — the index the
 * body actors published at boot, the sort, and the JSON. Target: under 50 ms per answer.
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { FakeClock } from '../src/clock.js';
import { createApp } from '../src/app.js';
import { hashToken, newNodeId, newToken } from '../src/ids.js';
import { memoryLogger } from '../src/log.js';
import { nodeRecordSchema, type NodeRecord } from '../src/actors/node/record.js';
import { MemoryStore } from '../src/persist/memory-store.js';
import { buildCore } from '../src/server.js';
import { benchConfig, makeFleet, writeNodesYaml } from './fixtures.js';

export const ELIGIBLE_BODIES = 10_000;
/** Answers timed, after one untimed warm-up (the name order is computed once, the code is compiled). */
const ROUNDS = 30;

export interface EligibleResult {
  bodies: number;
  eligible: number;
  medianMs: number;
  p95Ms: number;
  maxMs: number;
  bootMs: number;
}

export async function eligibleBench(tmp: string): Promise<EligibleResult> {
  const home = mkdtempSync(join(tmp, 'eligible-'));
  const now = Date.now();
  const records: NodeRecord[] = makeFleet(ELIGIBLE_BODIES, now).records.map((r, i) => ({
    ...r,
    district: 'bxl1',
    owner: `owner-${i % 7}`,
    roles: ['render-node'],
    reported: { ...r.reported, roles_applied: ['render-node'] },
  }));
  const headToken = newToken('hcn');
  const head = nodeRecordSchema.parse({
    id: newNodeId(),
    name: 'ipad-bench',
    kind: 'ipad',
    state: 'online',
    owner: 'owner-3',
    district: 'bxl1',
    venue: 'venue-17',
    created_at: new Date(now).toISOString(),
    last_seen: new Date(now).toISOString(),
    token_hash: hashToken(headToken),
    assignment: { body_id: records[ELIGIBLE_BODIES - 1]!.id, app_id: 'Desktop' },
  });
  await writeNodesYaml(home, [...records, head]);
  const t0 = performance.now();
  const core = await buildCore({ home, config: benchConfig(), clock: new FakeClock(now), log: memoryLogger(), store: new MemoryStore() });
  const bootMs = performance.now() - t0;
  const app = createApp(core).app;
  const times: number[] = [];
  let eligible = 0;
  for (let i = -1; i < ROUNDS; i++) {
    const s = performance.now();
    const res = await app.request('/api/v1/bodies/eligible', { headers: { authorization: `Bearer ${headToken}` } });
    const text = await res.text(); // the answer as the client receives it; its parsing is the client's
    if (i >= 0) times.push(performance.now() - s);
    if (res.status !== 200) throw new Error(`eligible: ${res.status}`);
    eligible = (JSON.parse(text) as unknown[]).length;
  }
  core.fleet.stop();
  times.sort((a, b) => a - b);
  return { bodies: ELIGIBLE_BODIES, eligible, medianMs: times[Math.floor(times.length / 2)]!, p95Ms: times[Math.floor(times.length * 0.95)]!, maxMs: times[times.length - 1]!, bootMs };
}

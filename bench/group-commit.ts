/**
 * Bench part (docs/api.md#accountability, issue [ops]): what an audited durable change costs on a real disk. The
 * real app in-process over a real nodes.yaml (1,000 nodes) and audit.log in the bench's temp
 * folder. Timed, each the median of ROUNDS in turn:
 * - `POST /nodes/{id}/drain` through the app (HTTP layer, actor, nodes.yaml rewrite and audit
 *   line, the two writes in one fsync round by design);
 * - the same drain asked of the node actor directly (actor and nodes.yaml only: no HTTP, no audit);
 * - an audit line alone (append()).
 * What the HTTP layer and the audit add to the change is the first minus the second; written in a
 * row, the audit alone would add the third.
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { askNode } from '../src/actors/node/actor.js';
import { createApp } from '../src/app.js';
import { memoryLogger } from '../src/log.js';
import { buildCore } from '../src/server.js';
import type { AuditEntry } from '../src/wire/audit.js';
import { benchConfig, makeFleet, writeNodesYaml } from './fixtures.js';
import { median } from './report.js';

const NODES = 1_000;
const ROUNDS = 60;

export interface GroupCommitResult {
  /** Through the app: HTTP, actor, nodes.yaml and the audit line. */
  drainMs: number;
  /** The node actor alone: actor and nodes.yaml. */
  actorMs: number;
  auditMs: number;
}

export async function groupCommitBench(tmp: string): Promise<GroupCommitResult> {
  const home = mkdtempSync(join(tmp, 'group-commit-'));
  const fleet = makeFleet(NODES);
  await writeNodesYaml(home, fleet.records);
  const config = benchConfig();
  const core = await buildCore({ home, config, log: memoryLogger() });
  const { app } = createApp(core);
  const id = fleet.records[0]!.id;
  const headers = { authorization: `Bearer ${config.server.admin_token}`, 'content-type': 'application/json' };
  const entry: AuditEntry = { time: new Date().toISOString(), operator: 'bench', address: '127.0.0.1', action: 'bench.line', target: id, detail: { drain: true }, status: 200 };
  const drain: number[] = [];
  const actor: number[] = [];
  const audit: number[] = [];
  try {
    for (let i = 0; i < ROUNDS + 3; i++) {
      let t = performance.now();
      const res = await app.request(`/api/v1/nodes/${id}/drain`, { method: 'POST', headers, body: JSON.stringify({ drain: i % 2 === 0 }) });
      if (res.status !== 200) throw new Error(`drain answered ${res.status}: ${await res.text()}`);
      const d = performance.now() - t;
      t = performance.now();
      await askNode(core.fleet.get(id)!, { type: 'drain', drain: i % 2 !== 0, reason: null });
      const n = performance.now() - t;
      t = performance.now();
      await core.audit.append(entry);
      const a = performance.now() - t;
      if (i >= 3) [drain.push(d), actor.push(n), audit.push(a)]; // the first rounds compile and open files
    }
  } finally {
    core.fleet.stop();
    await core.store.close();
    await core.audit.close();
  }
  return { drainMs: median(drain), actorMs: median(actor), auditMs: median(audit) };
}

/**
 * kill -9 in the middle of a stream of admin changes, 20 rounds: every change that got a 2xx is
 * there after restart, and nodes.yaml always parses (also while it is being replaced). The kill
 * point is an event, not a delay: the server dies right after a random number of acknowledged
 * changes (seeded: test/support/random.ts), while the other workers' changes are in flight; the file is read at every
 * acknowledgment, i.e. while the server is writing the next ones.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { call, makeHome, startServerProcess } from '../support/process.js';
import { testRandom } from '../support/random.js';

const ROUNDS = 20;
const WORKERS = 6;
/** The server is killed after this many acknowledged changes in a round, at least. */
const MIN_ACKS_BEFORE_KILL = 3;
/** … plus a random number below this. */
const ACKS_BEFORE_KILL_SPREAD = 60;

interface Worker {
  id: string;
  acked: number;
  inflight: number | null;
}

describe('crash safety', () => {
  it(`when the server is killed with SIGKILL during admin changes, ${ROUNDS} rounds, then no acknowledged change is lost and nodes.yaml always parses`, async () => {
    const random = testRandom();
    const seed = `seed ${random.seed}`;
    const home = makeHome();
    const path = join(home, 'nodes.yaml');
    const enrolled = new Set<string>();
    const deleted = new Set<string>();
    /** A DELETE was sent but its 204 may have been cut by the kill: either outcome is right. */
    const deleting = new Set<string>();
    let workers: Worker[] = [];
    /** Reads of nodes.yaml while changes were being written. */
    let reads = 0;

    for (let round = 0; round < ROUNDS; round++) {
      const srv = await startServerProcess(home);
      // Verify everything acknowledged before the last kill.
      const listed = (await call(srv.url, 'GET', '/nodes')).body as Array<{ id: string; venue: string }>;
      const byId = new Map(listed.map((n) => [n.id, n]));
      for (const id of enrolled) if (!deleted.has(id) && !deleting.has(id)) expect(byId.has(id), `enrolled ${id} lost in round ${round}, ${seed}`).toBe(true);
      for (const id of deleted) expect(byId.has(id), `deleted ${id} came back in round ${round}, ${seed}`).toBe(false);
      for (const w of workers) {
        const venue = byId.get(w.id)?.venue;
        const allowed = [`v${w.acked}`, ...(w.inflight !== null ? [`v${w.inflight}`] : [])];
        expect(allowed, `node ${w.id} venue after round ${round}, ${seed}`).toContain(venue);
      }

      // A fresh set of nodes to change in this round.
      workers = [];
      for (let i = 0; i < WORKERS; i++) {
        const e = await call(srv.url, 'POST', '/enrollments', { name: `r${round}w${i}` });
        enrolled.add(e.body.node_id);
        await call(srv.url, 'PATCH', `/nodes/${e.body.node_id}`, { venue: 'v0' });
        workers.push({ id: e.body.node_id, acked: 0, inflight: null });
      }

      let killed = false;
      let acks = 0;
      const killAt = MIN_ACKS_BEFORE_KILL + random.below(ACKS_BEFORE_KILL_SPREAD);
      /** The file as read at each acknowledgment (parsed after the round: parsing is slow). */
      const seen = new Set<string>();
      /** One more change acknowledged: the file is read now; the kill comes at the chosen one. */
      const acknowledged = () => {
        if (existsSync(path)) seen.add(readFileSync(path, 'utf8')); // absent until the first compaction (docs/architecture.md#nodesyaml-and-its-journal)
        reads++;
        if (++acks < killAt || killed) return;
        killed = true;
        srv.child.kill('SIGKILL');
      };
      const streams = workers.map(async (w) => {
        for (let i = 1; !killed; i++) {
          w.inflight = i;
          try {
            const r = await call(srv.url, 'PATCH', `/nodes/${w.id}`, { venue: `v${i}` });
            if (r.status === 200) {
              w.acked = i;
              acknowledged();
            }
          } catch {
            return; // connection cut by the kill
          }
        }
      });
      const enrollStream = (async () => {
        for (let i = 0; !killed; i++) {
          try {
            const r = await call(srv.url, 'POST', '/enrollments', { name: `extra${round}-${i}` });
            if (r.status === 201) {
              enrolled.add(r.body.node_id);
              acknowledged();
            }
            if (i % 3 === 2 && r.status === 201) {
              deleting.add(r.body.node_id);
              const d = await call(srv.url, 'DELETE', `/nodes/${r.body.node_id}`);
              if (d.status === 204) deleted.add(r.body.node_id);
            }
          } catch {
            return;
          }
        }
      })();
      await srv.exited;
      await Promise.all([...streams, enrollStream]);
      for (const text of seen) {
        expect(() => parse(text), `nodes.yaml as read during round ${round}, ${seed}`).not.toThrow(); // never observed half-written
      }
      if (existsSync(path)) expect(Array.isArray(parse(readFileSync(path, 'utf8')).nodes), seed).toBe(true);
      for (const w of workers) if (w.inflight === w.acked) w.inflight = null;
    }
    expect(reads).toBeGreaterThanOrEqual(ROUNDS * MIN_ACKS_BEFORE_KILL);
    expect(enrolled.size).toBeGreaterThan(ROUNDS * WORKERS);
  }, 180_000);
});

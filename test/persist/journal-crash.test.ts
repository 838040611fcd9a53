/**
 * kill -9 during journal appends and during compactions (docs/architecture.md#nodesyaml-and-its-journal), 20 rounds, seeded (the seed
 * is printed; HC_CRASH_SEED=<n> replays one run): every acknowledged admin change and every
 * acknowledged flag survives, and nodes.yaml always parses as YAML, by the `yaml` package and by
 * PyYAML. The server compacts every 1 KiB of journal (`server.journal_compact_bytes`), so
 * compactions run all the time; even rounds kill after a random number of acknowledgments (plus
 * a random delay), odd rounds the moment a compaction's temp file appears (plus a random delay).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { call, makeHome, startServerProcess } from '../support/process.js';
import { testSeed } from '../support/random.js';
import { tempDir } from '../support/temp.js';

const ROUNDS = 20;
const WORKERS = 4;
const SEED = process.env.HC_CRASH_SEED ? Number(process.env.HC_CRASH_SEED) : testSeed();

/** mulberry32: a small seeded generator, so a failing run can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** PyYAML (Debian's python3-yaml) loads every file, or the test fails with its message. */
function pyyamlLoads(files: string[]): void {
  if (files.length === 0) return;
  execFileSync('python3', ['-c', 'import sys, yaml\nfor f in sys.argv[1:]:\n    yaml.safe_load(open(f, encoding="utf-8"))', ...files], { stdio: ['ignore', 'ignore', 'pipe'] });
}

interface Flagged {
  id: string;
  token: string;
  /** The last acknowledged value of update_node (set by an admin 202, cleared by an ack heartbeat's 200). */
  acked: boolean;
  /** An operation that may or may not have been applied when the kill came. */
  inflight: boolean | null;
}

describe('crash safety with the journal', () => {
  it(`when the server is killed with SIGKILL during appends and compactions, ${ROUNDS} rounds, then no acknowledged change or flag is lost and nodes.yaml always parses (also by PyYAML)`, async () => {
    console.log(`journal crash test seed: ${SEED} (replay with HC_CRASH_SEED=${SEED})`);
    const rand = rng(SEED);
    const home = makeHome((d) => (d.server.journal_compact_bytes = 1024));
    const path = join(home, 'nodes.yaml');
    const texts = tempDir('hc-crash-texts-');
    const enrolled = new Set<string>();
    let venues: Array<{ id: string; acked: number; inflight: number | null }> = [];
    let flagged: Flagged | null = null;
    let killedInCompaction = 0;
    let seen = 0;
    /** Every distinct nodes.yaml read while changes were being written (parsed after the rounds: parsing is slow). */
    const distinct = new Set<string>();

    for (let round = 0; round < ROUNDS; round++) {
      const ts = Date.now();
      const srv = await startServerProcess(home);
      if (process.env.HC_CRASH_DEBUG) console.log(`round ${round}: start ${Date.now() - ts} ms`);
      const listed = (await call(srv.url, 'GET', '/nodes')).body as Array<{ id: string; venue: string; flags: { update_node: boolean } }>;
      const byId = new Map(listed.map((n) => [n.id, n]));
      for (const id of enrolled) expect(byId.has(id), `enrolled ${id} lost (round ${round}, seed ${SEED})`).toBe(true);
      const venue = (n: number) => (n === 0 ? '' : `v${n}`); // 0: as enrolled
      for (const w of venues) expect([venue(w.acked), ...(w.inflight === null ? [] : [venue(w.inflight)])], `venue of ${w.id} (round ${round}, seed ${SEED})`).toContain(byId.get(w.id)?.venue);
      if (flagged) {
        const allowed = [flagged.acked, ...(flagged.inflight === null ? [] : [flagged.inflight])];
        expect(allowed, `update_node of ${flagged.id} (round ${round}, seed ${SEED})`).toContain(byId.get(flagged.id)?.flags.update_node);
      }

      venues = [];
      for (let i = 0; i < WORKERS; i++) {
        const e = await call(srv.url, 'POST', '/enrollments', { name: `r${round}w${i}` });
        enrolled.add(e.body.node_id);
        venues.push({ id: e.body.node_id, acked: 0, inflight: null });
      }
      const e = await call(srv.url, 'POST', '/enrollments', { name: `flag${round}` });
      const reg = await call(srv.url, 'POST', '/register', {}, e.body.enrollment_token);
      enrolled.add(reg.body.node_id);
      flagged = { id: reg.body.node_id, token: reg.body.token, acked: false, inflight: null };
      const f = flagged;

      let killed = false;
      const kill = () => {
        if (killed) return;
        killed = true;
        if (existsSync(`${path}.tmp`) || existsSync(join(home, 'nodes.journal.tmp'))) killedInCompaction++;
        srv.child.kill('SIGKILL');
      };
      const delay = () => new Promise((r) => setTimeout(r, Math.floor(rand() * 8)));
      const byAcks = round % 2 === 0;
      const killAt = 3 + Math.floor(rand() * 40);
      const killAtCompaction = 1 + Math.floor(rand() * 3);
      const minAcks = 2 + Math.floor(rand() * 10); // odd rounds: compactions count once this many changes are acknowledged
      let acks = 0;
      let compactions = 0;
      const watcher = watch(home, (_ev, name) => {
        if (byAcks || acks < minAcks || !(name === 'nodes.yaml.tmp' || name === 'nodes.journal.tmp')) return;
        if (++compactions === killAtCompaction) void delay().then(kill);
      });
      if (process.env.HC_CRASH_DEBUG) console.log(`round ${round}: set up ${Date.now() - ts} ms`);
      const fallback = setTimeout(kill, 3000);
      const t0 = Date.now();
      const acknowledged = () => {
        if (existsSync(path)) {
          const text = readFileSync(path, 'utf8');
          if (!distinct.has(text)) [distinct.add(text), writeFileSync(join(texts, `seen-${seen++}.yaml`), text)];
        }
        if (++acks === killAt && byAcks) void delay().then(kill);
      };
      const streams = venues.map(async (w) => {
        for (let i = 1; !killed; i++) {
          w.inflight = i;
          const r = await call(srv.url, 'PATCH', `/nodes/${w.id}`, { venue: `v${i}` }).catch(() => null);
          if (r?.status !== 200) return;
          [w.acked, w.inflight] = [i, null];
          acknowledged();
        }
      });
      const flagStream = (async () => {
        while (!killed) {
          f.inflight = true;
          const set = await call(srv.url, 'POST', `/nodes/${f.id}/update-node`).catch(() => null);
          if (set?.status !== 202) return;
          [f.acked, f.inflight] = [true, false];
          const delivered = await call(srv.url, 'POST', '/body/heartbeat', {}, f.token).catch(() => null); // the flag reaches the agent…
          if (delivered?.status !== 200) return;
          expect(delivered.body.flags.update_node).toBe(true);
          const hb = await call(srv.url, 'POST', '/body/heartbeat', { ack_flags: ['update_node'] }, f.token).catch(() => null);
          if (hb?.status !== 200) return;
          expect(hb.body.flags.update_node).toBe(false); // …which acknowledges it
          [f.acked, f.inflight] = [false, null];
          acknowledged();
        }
      })();
      await srv.exited;
      if (process.env.HC_CRASH_DEBUG) console.log(`round ${round}: ${Date.now() - t0} ms, acks ${acks}, compaction events ${compactions}`);
      clearTimeout(fallback);
      watcher.close();
      await Promise.all([...streams, flagStream]);
      if (process.env.HC_CRASH_DEBUG) console.log(`round ${round}: streams ended ${Date.now() - ts} ms`);
      for (const w of venues) if (w.inflight === w.acked) w.inflight = null;
      if (existsSync(path)) {
        const final = join(texts, `final-${round}.yaml`);
        writeFileSync(final, readFileSync(path));
        expect(Array.isArray(parse(readFileSync(final, 'utf8')).nodes)).toBe(true);
      }
    }
    const files = [...Array.from({ length: seen }, (_, i) => join(texts, `seen-${i}.yaml`)), ...Array.from({ length: ROUNDS }, (_, i) => join(texts, `final-${i}.yaml`)).filter(existsSync)];
    for (const file of files) expect(() => parse(readFileSync(file, 'utf8')), file).not.toThrow(); // never observed half-written
    pyyamlLoads(files);
    console.log(`journal crash test: ${ROUNDS} rounds, ${killedInCompaction} killed while a compaction's temp file existed, ${files.length} nodes.yaml texts checked by yaml and PyYAML`);
    expect(killedInCompaction).toBeGreaterThan(0);
  }, 240_000);
});

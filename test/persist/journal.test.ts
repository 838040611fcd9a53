/**
 * nodes.journal (docs/architecture.md#nodesyaml-and-its-journal): changes are appended between compactions, the boot replays them, a
 * compaction leaves a pair that boots at every step, a clean stop leaves no journal, and a
 * nodes.yaml changed after a crash while a journal remains stops the start naming both files.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { memoryLogger } from '../../src/log.js';
import { JournalMismatchError, loadState, NodesFile, type CompactionStep, type NodesFileOptions } from '../../src/persist/nodes-file.js';
import { tempDir } from '../support/temp.js';

type Rec = { id: string } & Record<string, unknown>;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function home(): { dir: string; file: string; journal: string } {
  const dir = tempDir('hc-journal-');
  dirs.push(dir);
  return { dir, file: path.join(dir, 'nodes.yaml'), journal: path.join(dir, 'nodes.journal') };
}

const stores: NodesFile[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => {}); // a "crashed" store's open journal
});

/** A store over what the boot finds in `file`'s folder, as buildCore makes it. */
async function boot(file: string, extra: Partial<NodesFileOptions> = {}): Promise<NodesFile> {
  const s = new NodesFile({ path: file, clock: new FakeClock(), log: memoryLogger(), loaded: await loadState(file), ...extra });
  stores.push(s);
  return s;
}

const node = (i: number, extra: Record<string, unknown> = {}): Rec => ({ id: `node-${i}`, name: `n${i}`, roles: ['r'], flags: { update_node: false }, last_seen: null, ...extra });
const records = async (file: string): Promise<unknown[]> => (await loadState(file)).records;
const journalLines = (journal: string): string[] => fs.readFileSync(journal, 'utf8').trimEnd().split('\n');

/** A home whose nodes.yaml holds `n` nodes, written by a clean stop (no journal). */
async function seeded(n: number): Promise<ReturnType<typeof home>> {
  const h = home();
  const s = await boot(h.file);
  for (let i = 0; i < n; i++) s.put(`node-${i}`, node(i));
  await s.close();
  return h;
}

describe('nodes.journal', () => {
  it('when a record changes only its last_seen, then one short line is appended and nodes.yaml is not rewritten', async () => {
    const h = await seeded(3);
    const before = fs.readFileSync(h.file);
    const s = await boot(h.file);
    s.put('node-1', node(1, { last_seen: '2026-01-01T00:00:00.000Z' }));
    await s.commit();
    expect(fs.readFileSync(h.file)).toEqual(before);
    const lines = journalLines(h.journal);
    expect(JSON.parse(lines[0]!)).toMatchObject({ journal: 'hydracluster-journal/1', follows: { snapshot: expect.stringMatching(/^snap-/), sha256: expect.any(String) } });
    expect(lines.slice(1)).toEqual(['{"seq":1,"id":"node-1","set":{"last_seen":"2026-01-01T00:00:00.000Z"}}']);
    expect(fs.statSync(h.journal).mode & 0o777).toBe(0o600);
    expect(await records(h.file)).toEqual([node(0), node(1, { last_seen: '2026-01-01T00:00:00.000Z' }), node(2)]);
  });

  it('when the server is restarted without a clean stop, then the boot replays puts, field changes, removed fields and deletes in order', async () => {
    const h = await seeded(3);
    const s = await boot(h.file);
    s.put('node-0', node(0, { flags: { update_node: true } }));
    await s.commit();
    s.put('node-0', node(0, { flags: { update_node: true } })); // the same content again: no line
    s.remove('node-1');
    s.put('node-9', node(9));
    const { name: _gone, ...noName } = node(2);
    s.put('node-2', noName);
    await s.commit();
    // No close: what a kill -9 leaves.
    const s2 = await boot(h.file);
    expect(await records(h.file)).toEqual([node(0, { flags: { update_node: true } }), noName, node(9)]);
    s2.put('node-9', node(9, { name: 'renamed' })); // appends after the replayed lines
    await s2.commit();
    expect((await loadState(h.file)).journal).toMatchObject({ lastSeq: 5, replayed: 5 });
    await s2.close();
    expect(fs.existsSync(h.journal)).toBe(false);
    expect((await loadState(h.file)).records).toEqual([node(0, { flags: { update_node: true } }), noName, node(9, { name: 'renamed' })]);
  });

  it('when the journal outgrows its threshold, then a compaction folds it into nodes.yaml and starts a journal that follows the new snapshot', async () => {
    const h = await seeded(20);
    const s = await boot(h.file, { compactMinBytes: 2000, compactRatio: 0 });
    for (let round = 1; round <= 40; round++) {
      s.put(`node-${round % 20}`, node(round % 20, { name: `round ${round}` }));
      await s.commit();
    }
    await new Promise((r) => setTimeout(r, 50)); // the compaction runs after the append that crossed the threshold
    expect(s.stats().compactions).toBeGreaterThan(0);
    expect(s.stats().journalBytes).toBeLessThan(2000 + 200);
    const loaded = await loadState(h.file);
    expect(loaded.journal?.follows.sha256 ?? loaded.sha256).toBe(loaded.sha256);
    expect(loaded.records).toHaveLength(20);
    expect(loaded.records[0]).toMatchObject({ name: 'round 40' });
    await s.close();
  });

  it('when a compaction is interrupted at any step (a crash there), then the files boot to every change made, including those appended during it', async () => {
    const h = await seeded(50);
    const copies = new Map<string, string>();
    let s!: NodesFile;
    let during = 0;
    let watching = true;
    const onStep = async (step: CompactionStep) => {
      if (!watching) return;
      if (step === 'snapshot-written') {
        // Appends go on while the snapshot was being written: they must survive every crash point.
        s.put('node-7', node(7, { name: `during ${++during}` }));
        await Promise.race([s.commit(), new Promise((r) => setTimeout(r, 20))]); // waits behind this step: not durable yet
      }
      const copy = path.join(h.dir, `crash-${step}`);
      fs.mkdirSync(copy);
      for (const f of fs.readdirSync(h.dir)) if (f.startsWith('nodes.')) fs.copyFileSync(path.join(h.dir, f), path.join(copy, f));
      copies.set(step, copy);
    };
    s = await boot(h.file, { onStep });
    for (let i = 0; i < 10; i++) s.put(`node-${i}`, node(i, { name: `changed ${i}` }));
    await s.commit();
    const expected = async () => (await records(h.file)) as Rec[];
    await s.compact();
    watching = false;
    await s.commit(); // the change made during the compaction is now durable
    expect(Object.keys(Object.fromEntries(copies))).toEqual(['snapshot-written', 'marked', 'renamed', 'journal-replaced']);
    const want = await expected();
    expect(want[7]).toMatchObject({ name: 'during 1' });
    for (const [step, dir] of copies) {
      const got = (await records(path.join(dir, 'nodes.yaml'))) as Rec[];
      // Before the change made during the compaction was appended, a crash may lose it (it was
      // never acknowledged): every other record is as it is now.
      const unacked = (r: Rec[]) => r.map((x) => (x.id === 'node-7' ? { id: 'node-7' } : x));
      expect(unacked(got), step).toEqual(unacked(want));
      expect((got[7]!.name as string).startsWith('changed') || got[7]!.name === 'during 1', step).toBe(true);
    }
    await s.close();
  });

  it('when nodes.yaml is edited after a crash while the journal holds changes, then the boot refuses naming both files; a journal holding no change is no obstacle', async () => {
    const h = await seeded(2);
    const s = await boot(h.file);
    s.put('node-1', node(1, { name: 'acknowledged' }));
    await s.commit();
    const good = fs.readFileSync(h.file, 'utf8');
    fs.writeFileSync(h.file, good.replace('"n0"', '"hand-edited"'));
    const err = await loadState(h.file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JournalMismatchError);
    expect((err as Error).message).toContain(h.file);
    expect((err as Error).message).toContain(h.journal);
    fs.writeFileSync(h.file, good); // put back: boots, with the change
    expect(await records(h.file)).toEqual([node(0), node(1, { name: 'acknowledged' })]);
    const lines = journalLines(h.journal);
    fs.writeFileSync(h.journal, lines[0] + '\n'); // only the header
    fs.writeFileSync(h.file, good.replace('"n0"', '"hand-edited"'));
    expect(await records(h.file)).toEqual([node(0, { name: 'hand-edited' }), node(1)]);
  });

  it('when the last line was torn by a crash, then it is not applied and the next append cuts it off; a damaged line before good ones stops the boot', async () => {
    const h = await seeded(2);
    const s = await boot(h.file);
    s.put('node-0', node(0, { name: 'kept' }));
    await s.commit();
    fs.appendFileSync(h.journal, '{"seq":2,"id":"node-1","set":{"name":"to'); // cut mid-line
    expect(await records(h.file)).toEqual([node(0, { name: 'kept' }), node(1)]);
    const s2 = await boot(h.file);
    s2.put('node-1', node(1, { name: 'after' }));
    await s2.commit();
    expect(journalLines(h.journal).slice(1)).toEqual(['{"seq":1,"id":"node-0","set":{"name":"kept"}}', '{"seq":2,"id":"node-1","set":{"name":"after"}}']);
    const lines = journalLines(h.journal);
    fs.writeFileSync(h.journal, [lines[0], '{"seq":1,"id":"node-0","set":{"na', lines[2]].join('\n') + '\n');
    await expect(loadState(h.file)).rejects.toThrow(`${h.journal}: line 2`);
  });

  it('when backup is asked while changes are only in the journal, then one compacted, consistent file holds them, 0600, and the journal stays', async () => {
    const h = await seeded(3);
    const s = await boot(h.file);
    s.put('node-2', node(2, { name: 'in the journal' }));
    await s.commit();
    s.put('node-0', node(0, { name: 'pending' })); // put, not yet committed: the backup commits it first
    const out = path.join(h.dir, 'backup.yaml');
    const w = await s.backup(out, 'a backup');
    expect(fs.statSync(out).size).toBe(w.bytes);
    expect(fs.statSync(out).mode & 0o777).toBe(0o600);
    const b = home();
    fs.copyFileSync(out, b.file);
    expect(await records(b.file)).toEqual([node(0, { name: 'pending' }), node(1), node(2, { name: 'in the journal' })]);
    expect(fs.readFileSync(out, 'utf8')).toContain('# a backup\n');
    expect(fs.existsSync(h.journal)).toBe(true);
    await s.close();
  });
});

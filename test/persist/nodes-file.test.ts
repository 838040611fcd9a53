import { describe, it, expect } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse, stringify } from 'yaml';
import { FakeClock, type TimerHandle } from '../../src/clock.js';
import { memoryLogger } from '../../src/log.js';
import { NodesFile, loadNodesFile, loadState, type NodesFileOptions } from '../../src/persist/nodes-file.js';
import type { StoredRecord } from '../../src/persist/nodes-store.js';
import { tempDir } from '../support/temp.js';

type Rec = StoredRecord & Record<string, unknown>;

/** A FakeClock that records when each one-shot timer fired (monotonic ms). */
class WatchedClock extends FakeClock {
  readonly fired: number[] = [];
  override after(ms: number, fn: () => void): TimerHandle {
    return super.after(ms, () => {
      this.fired.push(this.mono());
      fn();
    });
  }
}

function setup(extra: Partial<NodesFileOptions> = {}) {
  const dir = tempDir('hc-nodes-');
  const file = path.join(dir, 'nodes.yaml');
  const clock = new WatchedClock();
  const log = memoryLogger();
  const store = new NodesFile({ path: file, clock, log, ...extra });
  return { dir, file, clock, log, store };
}

/** Puts every record, as actors push theirs. */
function putAll(store: NodesFile, recs: Rec[]): void {
  for (const r of recs) store.put(r.id, r);
}

/** A record whose every serialization runs `serialize` (JSON.stringify calls toJSON). */
const serializing = (id: string, serialize: () => Rec): StoredRecord & { toJSON(): Rec } => ({ id, toJSON: serialize });

/** The state as the next boot reads it: nodes.yaml with nodes.journal replayed. */
const state = async (file: string): Promise<unknown[]> => (await loadState(file)).records;

const yamlNodes = (file: string): unknown => (parse(fs.readFileSync(file, 'utf8')) as { nodes: unknown }).nodes;
/** One event-loop turn: pending callbacks run; no time is waited for. */
const turn = () => new Promise<void>((r) => setImmediate(r));
/** Waits for a condition on the store (an fs write completing), polling; fails after `ms`. */
async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('NodesFile and loadNodesFile', () => {
  it('when 3 records are committed, then both loaders return them in order and the file is 0600', async () => {
    const { file, store } = setup();
    const recs: Rec[] = [
      { id: 'node-b', n: 1, tags: ['gpu', 'a100'], nested: { ok: true, none: null } },
      { id: 'node-a', n: 2.5, tags: [], nested: {} },
      { id: 'node-c', n: -3, tags: ['x'], nested: { deep: [1, [2, 3]] } },
    ];
    putAll(store, recs);
    await store.commit();
    expect(await loadNodesFile(file)).toMatchObject({ records: recs, source: 'fast' });
    const doc = parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(doc).toMatchObject({ format: 'hydracluster-nodes/1', count: 3, nodes: recs });
    if (process.platform !== 'win32') expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.existsSync(`${file}.tmp`)).toBe(false);
  });

  it('when there are no records, then the file says nodes: [] and loads empty', async () => {
    const { file, store } = setup();
    await store.commit();
    expect(fs.readFileSync(file, 'utf8')).toMatch(/\ncount: 0\nnodes: \[\]\n$/);
    expect(yamlNodes(file)).toEqual([]);
    expect(await loadNodesFile(file)).toMatchObject({ records: [], source: 'fast' });
  });

  it('when the file is absent, then load returns no records', async () => {
    const { file } = setup();
    expect(await loadNodesFile(file)).toEqual({ records: [], source: 'absent', snapshot: null, sha256: null, bytes: 0 });
  });

  it('when strings hold quotes, newlines, unicode, # and YAML markers, then they round-trip through both loaders', async () => {
    const { file, store } = setup();
    const nasty = [
      `say "hi" and 'bye' \\ backslash`, 'line1\nline2\r\n\ttab', 'ünïcödé 日本語 😀 \u{1F680}', '# not a comment',
      'key: value', '- item', 'a #b', ': ', '- ', '\u2028\u2029\u0085\u007f\u009f\ufeff', '{x}, [y], &a *b !t |>',
      '---', '...', '', ' lead', 'trail ', 'null', 'true', '0x10', '1e3', '~', '@`%',
    ];
    const recs: Rec[] = nasty.map((s, i) => ({ id: `n${i}: #- ${s}`, s, [`k${i} ${s}`]: s }));
    putAll(store, recs);
    await store.commit();
    const text = fs.readFileSync(file, 'utf8');
    expect(text.split('\n')).toHaveLength(8 + recs.length + 1); // one line per record
    expect(await loadNodesFile(file)).toMatchObject({ records: recs, source: 'fast' });
    expect(yamlNodes(file)).toEqual(recs);
  });

  it('when a record is put again or removed, then the next write appends only what changed to the journal, and nodes.yaml stays', async () => {
    const { file, store } = setup();
    for (const id of ['a', 'b', 'c']) store.put(id, { id, v: 1, tags: ['x'] } as Rec);
    await store.commit();
    const snapshot = fs.readFileSync(file, 'utf8');
    store.put('a', { id: 'a', v: 1, tags: ['x'] } as Rec); // the same content again: nothing to write
    store.put('b', { id: 'b', v: 2, tags: ['x'] } as Rec);
    store.remove('c');
    await store.commit();
    expect(fs.readFileSync(file, 'utf8')).toBe(snapshot);
    const lines = fs.readFileSync(path.join(path.dirname(file), 'nodes.journal'), 'utf8').trimEnd().split('\n');
    expect(lines.slice(1)).toEqual(['{"seq":1,"id":"b","set":{"v":2}}', '{"seq":2,"del":"c"}']);
    expect(await state(file)).toEqual([{ id: 'a', v: 1, tags: ['x'] }, { id: 'b', v: 2, tags: ['x'] }]);
    expect(store.stats()).toMatchObject({ records: 2, dirty: 0, writes: 2, failedWrites: 0 });
  });

  it('when 50 commits arrive together, then at most 2 writes serve them', async () => {
    const { store } = setup();
    putAll(store, [{ id: 'a' }]);
    await Promise.all(Array.from({ length: 50 }, () => store.commit()));
    expect(store.stats().writes).toBeLessThanOrEqual(2);
  });

  it('when 50 commits arrive during a running write, then one following write serves them all', async () => {
    const { store } = setup();
    putAll(store, [{ id: 'a' }]);
    const first = store.commit();
    await turn(); // the first write has started
    putAll(store, [{ id: 'a', v: 2 }]);
    await Promise.all([first, ...Array.from({ length: 50 }, () => store.commit())]);
    expect(store.stats().writes).toBe(2);
  });

  it('when a record is put and committed after the running write serialized it, then the next write resolves that commit with the change', async () => {
    const { file, store } = setup();
    let second: Promise<void> | undefined;
    store.put(
      'a',
      serializing('a', () => {
        // Put anew while write 1 runs, just after it serialized the old record.
        putAll(store, [{ id: 'a', v: 'v2' }]);
        second = store.commit();
        return { id: 'a', v: 'v1' };
      }),
    );
    await store.commit();
    expect((await loadNodesFile(file)).records).toEqual([{ id: 'a', v: 'v1' }]);
    expect(second).toBeDefined();
    await second;
    expect(store.stats().writes).toBe(2);
    expect(await state(file)).toEqual([{ id: 'a', v: 'v2' }]);
  });

  it('when a chunked compaction runs, then readers of the path only ever see a complete file', async () => {
    const { file, store } = setup({ chunkRecords: 10 });
    putAll(store, Array.from({ length: 3000 }, (_, i) => ({ id: `n${i}`, gen: 1 })));
    await store.commit();
    putAll(store, Array.from({ length: 3000 }, (_, i) => ({ id: `n${i}`, gen: 2 })));
    await store.commit();
    const done = store.compact();
    let finished = false;
    void done.then(() => (finished = true));
    let reads = 0;
    while (!finished) {
      const { records } = await loadNodesFile(file); // throws on a partial file (count or JSON)
      expect(records).toHaveLength(3000);
      reads++;
    }
    await done;
    expect(reads).toBeGreaterThan(0);
    expect(new Set((await loadNodesFile(file)).records.map((r) => (r as Rec).gen))).toEqual(new Set([2]));
  });

  it('when the file is read in chunks of any size, then lines split across chunks (multi-byte, longer than a chunk, no final newline) load the same', async () => {
    const { file, store } = setup();
    const recs: Rec[] = [
      { id: 'a', s: '日本語 😀 ünï'.repeat(20) },
      { id: 'b', long: 'é'.repeat(5000) },
      ...Array.from({ length: 50 }, (_, i) => ({ id: `n${i}`, s: `€${'x'.repeat(i)}😀` })),
    ];
    putAll(store, recs);
    await store.commit();
    const good = fs.readFileSync(file, 'utf8');
    for (const readChunkBytes of [1, 3, 7, 64, 1000, 1 << 20]) {
      expect(await loadNodesFile(file, { readChunkBytes }), `chunk ${readChunkBytes}`).toMatchObject({ records: recs, source: 'fast' });
    }
    fs.writeFileSync(file, good.slice(0, -1)); // no newline at the end
    for (const readChunkBytes of [5, 1 << 20]) expect(await loadNodesFile(file, { readChunkBytes })).toMatchObject({ records: recs, source: 'fast' });
    // Not the fast layout only near the end: the YAML fallback still reads the whole file.
    fs.writeFileSync(file, good.replace('count: 52', 'count: 53') + '  - {id: hand, v: 1} # edited\n');
    for (const readChunkBytes of [7, 1 << 20]) {
      expect(await loadNodesFile(file, { readChunkBytes })).toMatchObject({ records: [...recs, { id: 'hand', v: 1 }], source: 'yaml' });
    }
    fs.writeFileSync(file, '\ufeff' + good); // a byte order mark, as some editors save: YAML allows it
    expect(await loadNodesFile(file)).toMatchObject({ records: recs, source: 'yaml' });
    fs.writeFileSync(file, good.replace('nodes:\n', 'nodes: []\n'));
    await expect(loadNodesFile(file, { readChunkBytes: 16 })).rejects.toThrow(file);
  });

  it('when an operator rewrote the file in block-style YAML, then it loads via the yaml parser', async () => {
    const { file } = setup();
    const nodes = [{ id: 'a', tags: ['x', 'y'], note: 'multi\nline' }, { id: 'b', gpu: { count: 2 } }];
    const text = stringify({ format: 'hydracluster-nodes/1', written_at: '2026-11-29T19:00:00.000Z', count: 2, nodes });
    expect(text).toContain('  - id: a'); // really block style
    fs.writeFileSync(file, text);
    expect(await loadNodesFile(file)).toMatchObject({ records: nodes, source: 'yaml', snapshot: null });
    fs.writeFileSync(file, 'format: hydracluster-nodes/1\ncount: 1\nnodes:\n  - {id: a, v: 1} # hand-edited\n');
    expect(await loadNodesFile(file)).toMatchObject({ records: [{ id: 'a', v: 1 }], source: 'yaml' });
  });

  it('when the file is corrupt, then load throws an error naming the file and the line', async () => {
    const { file, store } = setup();
    putAll(store, [{ id: 'a' }, { id: 'b' }]);
    await store.commit();
    const good = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, good.replace('{"id":"b"}', '{"id":"b",,}'));
    await expect(loadNodesFile(file)).rejects.toThrow(`${file}: line 10, column 15`);
    fs.writeFileSync(file, good.replace('  - {"id":"b"}\n', '')); // truncated at a line boundary
    await expect(loadNodesFile(file)).rejects.toThrow(`${file}: line 7: count is 2 but the file holds 1`);
    fs.writeFileSync(file, good.replace('hydracluster-nodes/1', 'hydracluster-nodes/9'));
    await expect(loadNodesFile(file)).rejects.toThrow(`${file}: line 4`);
  });

  it('when the folder disappears, then commit rejects without unhandled rejections, and succeeds once it is back', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => void unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const { dir, log } = setup();
      const sub = path.join(dir, 'state');
      fs.mkdirSync(sub);
      const store = new NodesFile({ path: path.join(sub, 'nodes.yaml'), clock: new FakeClock(), log });
      putAll(store, [{ id: 'a', v: 1 }]);
      await store.commit();
      fs.rmSync(sub, { recursive: true });
      putAll(store, [{ id: 'a', v: 2 }]);
      await expect(store.commit()).rejects.toThrow(/ENOENT/);
      expect(log.lines).toContainEqual(expect.objectContaining({ level: 'error', msg: 'nodes.yaml write failed' }));
      expect(store.stats()).toMatchObject({ writes: 1, failedWrites: 1, dirty: 1 });
      fs.mkdirSync(sub);
      await store.commit();
      await store.close(); // compacts: nodes.yaml again, and no journal
      expect(await state(path.join(sub, 'nodes.yaml'))).toEqual([{ id: 'a', v: 2 }]);
      expect(fs.readdirSync(sub)).toEqual(['nodes.yaml']);
      await turn(); // unhandled rejections are reported once the microtask queue has drained
      await turn();
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('when a record cannot be serialized, then commit rejects naming it and the previous file stays intact', async () => {
    const { file, store } = setup();
    putAll(store, [{ id: 'a' }]);
    await store.commit();
    const cyclic: Rec = { id: 'b' };
    cyclic.self = cyclic;
    putAll(store, [cyclic]);
    await expect(store.commit()).rejects.toThrow('record b cannot be serialized');
    expect(await state(file)).toEqual([{ id: 'a' }]);
    store.remove('b');
    await store.commit(); // b never reached the disk: nothing to write
    expect(store.stats()).toMatchObject({ records: 1, writes: 1, failedWrites: 1 });
  });

  it('when puts are not committed, then they are written lazyFlushMs after the first of them, and not before', async () => {
    const { file, clock, store } = setup({ lazyFlushMs: 2000 });
    const start = clock.mono();
    store.put('a', { id: 'a' });
    clock.advance(500);
    store.put('b', { id: 'b' }); // joins the pending lazy write, does not push it back
    clock.advance(1499);
    expect(clock.fired).toEqual([]); // no lazy flush yet: nothing could have started a write
    clock.advance(1);
    expect(clock.fired).toEqual([start + 2000]);
    await waitFor(() => store.stats().writes === 1);
    expect((await loadNodesFile(file)).records).toEqual([{ id: 'a' }, { id: 'b' }]);
  });

  it('when a lazy write has run and nothing changes, then no timer fires again; a later remove is written lazily too', async () => {
    const { file, clock, store } = setup({ lazyFlushMs: 2000 });
    putAll(store, [{ id: 'a' }, { id: 'b' }]);
    clock.advance(2000);
    await waitFor(() => store.stats().writes === 1);
    clock.advance(120_000); // no refresh timer: actors push their record when it changes
    expect(clock.fired).toHaveLength(1);
    store.remove('a');
    clock.advance(2000);
    expect(clock.fired).toHaveLength(2);
    await waitFor(() => store.stats().writes === 2);
    expect(await state(file)).toEqual([{ id: 'b' }]);
  });

  it('when closed, then pending changes are written and later commits reject', async () => {
    const { file, store } = setup();
    putAll(store, [{ id: 'a', v: 1 }]);
    await store.commit();
    putAll(store, [{ id: 'a', v: 2 }]);
    await store.close();
    expect((await loadNodesFile(file)).records).toEqual([{ id: 'a', v: 2 }]);
    await expect(store.commit()).rejects.toThrow('store closed');
    expect(store.stats().writes).toBe(2);
  });

  it('when nothing was ever committed, then close still writes the file', async () => {
    const { file, store } = setup();
    putAll(store, [{ id: 'a' }]);
    await store.close();
    expect(yamlNodes(file)).toEqual([{ id: 'a' }]);
  });

  it('when records are larger than the write buffer or multi-byte across its end, then the file holds them intact', async () => {
    const { file, store } = setup();
    const big = (id: string, n: number): Rec => ({ id, s: '日本'.repeat(n) });
    // 1 MiB buffer: a 1.5 MB and a 3 MB record (one after the header, one after others), and
    // 3-byte characters so that lines end near, and cross, the buffer's end.
    const recs: Rec[] = [big('first', 250_000), ...Array.from({ length: 4000 }, (_, i) => big(`n${i}`, 100 + (i % 97))), big('huge', 500_000), big('last', 3)];
    putAll(store, recs);
    await store.commit();
    expect(await loadNodesFile(file)).toMatchObject({ records: recs, source: 'fast' });
    expect(store.stats().lastWriteBytes).toBe(fs.statSync(file).size);
    putAll(store, recs.map((r) => ({ ...r, s: `${r.s}€` }))); // every one changed: the journal holds them
    await store.commit();
    await store.compact();
    expect(await loadNodesFile(file)).toMatchObject({ records: recs.map((r) => ({ ...r, s: `${r.s}€` })), source: 'fast' });
  });

  it('when serializing is slow, then a write is sliced by time, not only by record count', async () => {
    const { file, store } = setup({ chunkRecords: 1000, sliceMs: 5 });
    const recs: Rec[] = Array.from({ length: 30 }, (_, i) => ({ id: `n${i}` }));
    for (const r of recs) {
      store.put(
        r.id,
        serializing(r.id, () => {
          const until = performance.now() + 2; // 2 ms of CPU per record: at most 3 records fit a slice
          while (performance.now() < until);
          return r;
        }),
      );
    }
    let turns = 0;
    let spinning = true;
    const spin = () => {
      turns++;
      if (spinning) setImmediate(spin);
    };
    setImmediate(spin);
    await store.commit();
    spinning = false;
    expect(turns).toBeGreaterThanOrEqual(8);
    expect((await loadNodesFile(file)).records).toEqual(recs);
  });

  it('when 100,000 records of ~400 bytes are written, then the write yields to the event loop between slices and they load back', async () => {
    const { file, store } = setup();
    const recs: Rec[] = Array.from({ length: 100_000 }, (_, i) => ({
      id: `node-${String(i).padStart(6, '0')}`,
      hostname: `render-${i}.farm.example.com`,
      ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      state: 'online',
      labels: { rack: `r${i % 40}`, gpu: 'rtx-6000', pool: 'default' },
      last_seen: '2026-11-29T19:00:00.000Z',
      agent: { version: '1.4.2', os: 'linux', arch: 'x86_64', cpus: 64, mem_gb: 256 },
      note: 'x'.repeat(130),
    }));
    expect(JSON.stringify(recs[0]).length).toBeGreaterThan(380);
    // Wall-clock stalls are measured by `npm run bench`; here: the write really is sliced, i.e.
    // other work runs between its slices (counted in event-loop turns, not milliseconds).
    const turnsDuring = async (work: Promise<void>): Promise<number> => {
      let turns = 0;
      let running = true;
      const spin = () => {
        if (!running) return;
        turns++;
        setImmediate(spin);
      };
      setImmediate(spin);
      await work;
      running = false;
      return turns;
    };
    putAll(store, recs);
    const fullTurns = await turnsDuring(store.commit());
    const againTurns = await turnsDuring(store.compact()); // the same work again, as a compaction
    const loaded = await loadNodesFile(file);
    expect(fullTurns + againTurns).toBeGreaterThanOrEqual(2 * (100_000 / 1000));
    expect(store.stats()).toMatchObject({ writes: 1, dirty: 0, compactions: 1 });
    expect(loaded.source).toBe('fast');
    expect(loaded.records).toHaveLength(100_000);
    expect(loaded.records[99_999]).toEqual(recs[99_999]);
    await store.close();
  }, 60_000);
});

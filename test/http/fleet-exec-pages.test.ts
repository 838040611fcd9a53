/**
 * Fleet exec answers are pages (docs/api.md#fleet-exec, README "Fleet exec"): a batch whose members hold more
 * output than one answer can carry (300 × 1 MiB stdout + 1 MiB stderr: ~600 Mi characters, past
 * V8's longest string) is read completely through `?since=` and `?offset=` pages, each answer at
 * most BATCH_PAGE_OUTPUT_CHARS of output and always at least one member, `?wait` included.
 */
import { describe, expect, it } from 'vitest';
import { BATCH_PAGE_OUTPUT_CHARS } from '../../src/wire/batch.js';
import { harness, testConfig, type Harness } from '../support/harness.js';
import { poll, report, settlesAtOnce } from './exec-helpers.js';

const MIB = 1024 * 1024;
const MEMBERS = 300;
/** Exactly `size` characters, starting with what makes it this member's own. */
const output = (name: string, stream: string, size: number) => `${stream} of ${name}:`.padEnd(size, stream === 'stdout' ? 'o' : 'e');

/** GET of one batch answer: its status and body (the text's length kept to check the page's size). */
async function read(h: Harness, path: string): Promise<{ status: number; chars: number; body: any }> {
  const res = await h.req('GET', path);
  const text = await res.text();
  return { status: res.status, chars: text.length, body: res.status === 200 ? JSON.parse(text) : text.slice(0, 500) };
}

/** Online nodes named `names`, each with its id and token. */
async function onlineNodes(h: Harness, names: string[]): Promise<Map<string, { id: string; token: string }>> {
  const nodes = new Map<string, { id: string; token: string }>();
  for (const name of names) {
    const n = await h.addNode({ name });
    expect((await h.heartbeat(n.token, { roles_applied: [] })).body.state).toBe('online');
    nodes.set(name, n);
  }
  return nodes;
}

/** Each node takes its exec and reports `out(name)` as stdout and `err(name)` as stderr. */
async function answerAll(h: Harness, nodes: Map<string, { token: string }>, out: (n: string) => string, err: (n: string) => string): Promise<void> {
  for (const [name, n] of nodes) {
    const d = await poll(h, n.token);
    expect(d.status).toBe(200);
    expect((await report(h, n.token, { id: d.body.id, exit_code: 0, stdout: out(name), stderr: err(name) })).status).toBe(200);
  }
}

describe('fleet exec answers in pages', () => {
  it('when 300 members each return 1 MiB of stdout and 1 MiB of stderr, then every output is read whole through since and offset pages, ?wait included, and no answer is a 5xx', async () => {
    const h = await harness({ config: testConfig((doc) => void (doc.server.rate_limit_per_min = 100_000)) });
    const names = Array.from({ length: MEMBERS }, (_, i) => `pg-${String(i).padStart(3, '0')}`);
    const nodes = await onlineNodes(h, names);
    const sub = await h.json('POST', '/exec', { body: { command: 'big', target: { all: true } } });
    expect(sub.status).toBe(202);
    expect(sub.body.execs).toHaveLength(MEMBERS);
    expect(sub.body.execs.find((e: any) => e.node_id === nodes.get('pg-007')!.id).name).toBe('pg-007');
    const path = `/exec/batches/${sub.body.batch_id}`;
    const waitAll = read(h, `${path}?wait=60`);
    const waitNews = read(h, `${path}?wait=60&since=0`);
    expect(await settlesAtOnce(waitNews)).toBe(false);
    const out = (n: string) => output(n, 'stdout', MIB);
    const err = (n: string) => output(n, 'stderr', MIB);
    await answerAll(h, nodes, out, err);

    // The parked reads answer with a page, not with everything: the follower's at the first
    // member's end, the whole-batch wait at the last one's.
    const news = await waitNews;
    expect(news.status).toBe(200);
    expect(news.body).toMatchObject({ state: 'running', cursor: 1, more: false });
    expect(news.body.results.map((m: any) => m.name)).toEqual(['pg-000']);
    const all = await waitAll;
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ state: 'finished', total: MEMBERS, finished: MEMBERS, cursor: MEMBERS, more: true });
    expect(all.chars).toBeLessThanOrEqual(BATCH_PAGE_OUTPUT_CHARS + 64 * 1024);
    expect(all.body.next_offset).toBe(all.body.results.length);

    const checkMember = (m: any) => {
      expect(m.status, m.name).toBe('done');
      expect(m.stdout === out(m.name), `${m.name} stdout whole`).toBe(true);
      expect(m.stderr === err(m.name), `${m.name} stderr whole`).toBe(true);
    };
    const pageLimit = BATCH_PAGE_OUTPUT_CHARS + 64 * 1024;

    // Finish order, with ?since=: from 0 to the end, each page within the budget.
    let cursor = 0;
    let pages = 0;
    const seen = new Set<string>();
    for (let more = true; more; pages++) {
      const p = await read(h, `${path}?wait=5&since=${cursor}`);
      expect(p.status).toBe(200);
      expect(p.chars).toBeLessThanOrEqual(pageLimit);
      expect(p.body.results.length).toBeGreaterThan(0);
      for (const m of p.body.results) (checkMember(m), seen.add(m.name));
      expect(p.body.cursor).toBe(cursor + p.body.results.length);
      cursor = p.body.cursor;
      more = p.body.more;
      if (!more) expect(p.body).toMatchObject({ cursor: MEMBERS, finished: MEMBERS, state: 'finished', next_offset: null });
    }
    expect(seen.size).toBe(MEMBERS);
    expect(pages).toBeGreaterThanOrEqual(Math.ceil((MEMBERS * 2 * MIB) / BATCH_PAGE_OUTPUT_CHARS));

    // Node order, with ?offset=: every member once, in name order, each output whole.
    const inOrder: string[] = [];
    for (let offset: number | null = 0; offset !== null; ) {
      const p = await read(h, `${path}?offset=${offset}`);
      expect(p.status).toBe(200);
      expect(p.chars).toBeLessThanOrEqual(pageLimit);
      for (const m of p.body.results) (inOrder.push(m.name), checkMember(m));
      expect(p.body.more).toBe(p.body.next_offset !== null);
      offset = p.body.next_offset;
    }
    expect(inOrder).toEqual(names);
  }, 120_000);

  it('when one member alone holds more than a page, then it still comes (alone), and the next page holds the rest, by since and by offset', async () => {
    const h = await harness({ config: testConfig((doc) => void (doc.server.exec.max_output_bytes = 16 * MIB)) });
    const nodes = await onlineNodes(h, ['a-big', 'b-small', 'c-small']);
    const sub = await h.json('POST', '/exec', { body: { command: 'x', target: { all: true } } });
    const path = `/exec/batches/${sub.body.batch_id}`;
    const big = 9 * MIB; // stdout and stderr together: past the 16 Mi budget
    await answerAll(h, nodes, (n) => output(n, 'stdout', n === 'a-big' ? big : 10), (n) => output(n, 'stderr', n === 'a-big' ? big : 10));
    const names = (p: { body: any }) => p.body.results.map((m: any) => m.name);
    const first = await read(h, `${path}?since=0`);
    expect(first.status).toBe(200);
    expect(names(first)).toEqual(['a-big']);
    expect(first.body.results[0].stdout).toBe(output('a-big', 'stdout', big));
    expect(first.body).toMatchObject({ cursor: 1, finished: 3, more: true });
    const second = await read(h, `${path}?since=1`);
    expect(names(second)).toEqual(['b-small', 'c-small']);
    expect(second.body).toMatchObject({ cursor: 3, more: false });
    const byOffset = await read(h, `${path}`);
    expect(names(byOffset)).toEqual(['a-big']);
    expect(byOffset.body).toMatchObject({ more: true, next_offset: 1, cursor: 3 });
    const next = await read(h, `${path}?offset=1`);
    expect(names(next)).toEqual(['b-small', 'c-small']);
    expect(next.body).toMatchObject({ more: false, next_offset: null });
    expect(names(await read(h, `${path}?offset=2`))).toEqual(['c-small']);
    expect((await read(h, `${path}?offset=9`)).body).toMatchObject({ results: [], more: false, next_offset: null });
  });

  it('when offset comes with since, or is not a whole number from 0, then 400 naming offset', async () => {
    const h = await harness();
    const sub = await h.json('POST', '/exec', { body: { command: 'x', target: { all: true } } });
    for (const q of ['since=0&offset=1', 'offset=-1', 'offset=x']) {
      const r = await h.json('GET', `/exec/batches/${sub.body.batch_id}?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.message, q).toContain('offset');
    }
  });
});

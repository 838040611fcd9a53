import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/persist/audit-log.js';
import type { AuditEntry } from '../../src/wire/audit.js';
import { tempDir } from '../support/temp.js';

const entry = (i: number): AuditEntry => ({
  time: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
  operator: i % 2 ? 'alice' : 'bob',
  address: '127.0.0.1',
  action: 'exec.submit',
  target: `node-${i % 3}`,
  detail: { command: `echo ${i} ${'x'.repeat(100)}` },
  status: 202,
});

const linesOf = (path: string): AuditEntry[] =>
  existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditEntry) : [];

describe('audit log file', () => {
  it('when lines are written past max size, then the log rotates keeping at most 5 old files, each line whole, none lost at a boundary', async () => {
    const dir = tempDir('hc-audit-');
    const path = join(dir, 'audit.log');
    const log = new AuditLog(path, { maxBytes: 2000 });
    // One at a time, then in concurrent bursts (group commits that must not be split).
    for (let i = 0; i < 30; i++) await log.append(entry(i));
    for (let b = 0; b < 10; b++) await Promise.all(Array.from({ length: 7 }, (_, k) => log.append(entry(30 + b * 7 + k))));
    await log.close();

    const files = [path, ...[1, 2, 3, 4, 5].map((i) => `${path}.${i}`)];
    expect(existsSync(`${path}.6`)).toBe(false);
    expect(existsSync(`${path}.5`)).toBe(true);
    // Oldest file first: the kept lines are one unbroken run ending at the last line written.
    const kept = files.reverse().flatMap(linesOf).map((e) => Number(/echo (\d+)/.exec(String(e.detail.command))![1]));
    const last = 30 + 70 - 1;
    expect(kept.at(-1)).toBe(last);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => last - kept.length + 1 + i));
    // Each file stays within the size, unless a single burst alone was larger.
    for (const f of files.slice(0, -1)) expect(readFileSync(f).length).toBeLessThanOrEqual(2000);
  });

  it('when many changes append at once, then they share fsyncs (group commit) and all are readable newest first', async () => {
    const dir = tempDir('hc-audit-');
    const log = new AuditLog(join(dir, 'audit.log'));
    await Promise.all(Array.from({ length: 50 }, (_, i) => log.append(entry(i))));
    expect(log.commits).toBeLessThan(50);
    const newest = await log.query({ limit: 3 });
    expect(newest.map((e) => e.detail.command)).toEqual([49, 48, 47].map((i) => entry(i).detail.command));
    expect((await log.query({ limit: 100, operator: 'alice', node: 'node-1' })).every((e) => e.operator === 'alice' && e.target === 'node-1')).toBe(true);
    await log.close();
  });

  it('when rotated files exist, then a query reads through them in order', async () => {
    const dir = tempDir('hc-audit-');
    const log = new AuditLog(join(dir, 'audit.log'), { maxBytes: 1000 });
    for (let i = 0; i < 20; i++) await log.append(entry(i));
    const all = await log.query({ limit: 1000 });
    expect(all.length).toBeGreaterThan(10);
    expect(all.map((e) => e.time)).toEqual([...all.map((e) => e.time)].sort().reverse());
    const since = await log.query({ limit: 1000, since: Date.parse(entry(15).time) });
    expect(since).toHaveLength(5);
    await log.close();
  });
});

describe('auditEvent', () => {
  it('when a change outside a mutating request is recorded (a shell session), then its line carries the operator, address and no secret', async () => {
    const { Hono } = await import('hono');
    const { auditEvent } = await import('../../src/http/audit.js');
    const dir = tempDir('hc-audit-');
    const log = new AuditLog(join(dir, 'audit.log'));
    const app = new Hono<any>();
    app.get('/shell', async (c) => {
      c.set('operator', 'alice');
      await auditEvent(log, c, Date.UTC(2026, 0, 1), { action: 'shell.open', target: 'node-1', detail: { cols: 80, session_token: 'hcs_secret' }, status: 101 });
      return c.text('ok');
    });
    await app.request('/shell');
    expect(await log.query({ limit: 10 })).toEqual([
      { time: '2026-01-01T00:00:00.000Z', operator: 'alice', address: 'local', action: 'shell.open', target: 'node-1', detail: { cols: 80 }, status: 101 },
    ]);
    await log.close();
  });
});

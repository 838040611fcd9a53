/**
 * Issue 18, item 6: audit.log moved or deleted while the server runs. Before a batch is written,
 * the log notices that its path no longer names the open file and starts a new one there; SIGHUP
 * reopens at once; an outside copytruncate leaves no hole. The real server process shows it
 * through GET /api/v1/audit and `kill -HUP`.
 */
import { copyFileSync, existsSync, readFileSync, renameSync, rmSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/persist/audit-log.js';
import type { AuditEntry } from '../../src/wire/audit.js';
import { eventually, stop } from '../agent/agent-process.js';
import { call, makeHome, startServerProcess } from '../support/process.js';
import { tempDir } from '../support/temp.js';

const entry = (n: string): AuditEntry => ({ time: new Date(Date.UTC(2026, 0, 1)).toISOString(), operator: 'admin', address: '127.0.0.1', action: 'node.update', target: n, detail: {}, status: 200 });
const targets = (path: string): string[] => readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as AuditEntry).target!);
const tempLog = () => join(tempDir('hc-audit-reopen-'), 'audit.log');

describe('audit.log moved, deleted or rotated from outside', () => {
  it('when audit.log is moved, then the next append goes to a new audit.log (0600) and the moved file keeps only the earlier lines', async () => {
    const path = tempLog();
    let moved = 0;
    const log = new AuditLog(path, { onMoved: () => moved++ });
    await log.append(entry('a'));
    renameSync(path, `${path}.moved`);
    await log.append(entry('b'));
    await Promise.all([log.append(entry('c')), log.append(entry('d'))]);
    expect(targets(`${path}.moved`)).toEqual(['a']);
    expect(targets(path)).toEqual(['b', 'c', 'd']);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(moved).toBe(1);
    expect((await log.query({ limit: 10 })).map((e) => e.target)).toEqual(['d', 'c', 'b']);
    await log.close();
  });

  it('when audit.log is deleted, then the next append creates it anew', async () => {
    const path = tempLog();
    const log = new AuditLog(path);
    await log.append(entry('a'));
    rmSync(path);
    await log.append(entry('b'));
    expect(targets(path)).toEqual(['b']);
    await log.close();
  });

  it('when reopen() is called after a delete, then audit.log exists again at once, and appends racing it all land in it', async () => {
    const path = tempLog();
    const log = new AuditLog(path);
    await log.append(entry('a'));
    rmSync(path);
    await log.reopen();
    expect(existsSync(path)).toBe(true);
    renameSync(path, `${path}.old`);
    await Promise.all([log.append(entry('b')), log.reopen(), log.append(entry('c')), log.reopen()]);
    expect([...(existsSync(`${path}.old`) ? targets(`${path}.old`) : []), ...targets(path)].sort()).toEqual(['b', 'c']);
    await log.close();
  });

  it('when an outside tool copies and truncates audit.log, then appends continue at its start with no hole and rotation counts from there', async () => {
    const path = tempLog();
    const log = new AuditLog(path, { maxBytes: 600 });
    for (const n of ['a', 'b', 'c']) await log.append(entry(n));
    copyFileSync(path, `${path}.copy`);
    truncateSync(path, 0);
    await log.append(entry('d'));
    await log.append(entry('e'));
    expect(readFileSync(path, 'utf8')).not.toContain('\0');
    expect(targets(path)).toEqual(['d', 'e']);
    expect(existsSync(`${path}.1`)).toBe(false); // the stale size (3 lines) would have rotated here
    await log.close();
  });
});

describe('audit.log moved or deleted under a running server (real process)', () => {
  it('when audit.log is moved, then deleted, then the next audited change is in a new audit.log and in GET /audit; kill -HUP reopens it at once', async () => {
    const home = makeHome();
    const path = join(home, 'audit.log');
    const srv = await startServerProcess(home);
    try {
      const change = async (name: string) => {
        const r = await call(srv.url, 'POST', '/enrollments', { name });
        expect(r.status).toBe(201);
        return r.body.node_id as string;
      };
      const inAudit = async (id: string) => (await call(srv.url, 'GET', `/audit?node=${id}`)).body.length;
      const first = await change('before-move');
      renameSync(path, `${path}.moved`);
      const second = await change('after-move');
      expect(targets(`${path}.moved`)).toEqual([first]);
      expect(targets(path)).toEqual([second]);
      expect(await inAudit(second)).toBe(1);

      rmSync(path);
      const third = await change('after-rm');
      expect(targets(path)).toEqual([third]);
      expect(await inAudit(third)).toBe(1);

      rmSync(path);
      srv.child.kill('SIGHUP');
      await eventually('audit.log recreated by SIGHUP', async () => (existsSync(path) ? true : undefined));
      expect(srv.output()).toMatch(/"msg":"audit.log reopened"/);
      const fourth = await change('after-hup');
      expect(targets(path)).toEqual([fourth]);
      expect(await inAudit(fourth)).toBe(1);
    } finally {
      await stop(srv.child);
    }
  });
});

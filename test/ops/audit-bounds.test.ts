/**
 * What a handler notes on its audit line is bounded like the request body: a fleet exec over
 * 10,000 nodes notes every node it reached, and the line keeps the first AUDIT_MAX_ITEMS of them.
 */
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { AUDIT_MAX_ITEMS, auditTrail } from '../../src/http/audit.js';
import type { AppEnv } from '../../src/http/env.js';
import { RequestRegistry } from '../../src/http/request-registry.js';
import { memoryLogger } from '../../src/log.js';
import type { AuditSink } from '../../src/persist/audit-log.js';
import type { AuditEntry } from '../../src/wire/audit.js';

function app() {
  const lines: AuditEntry[] = [];
  const sink: AuditSink = { append: async (e) => void lines.push(e), reopen: async () => {}, query: async () => [], close: async () => {} };
  const a = new Hono<AppEnv>();
  const requests = new RequestRegistry();
  a.use((c, next) => (c.set('inflight', requests.start(c.req.method, c.req.path)), next()));
  a.use(auditTrail(sink, new FakeClock(), memoryLogger()));
  a.post('/api/v1/things', (c) => {
    c.set('body', { command: 'true', api_token: 'hcx_never-recorded' });
    c.set('auditNote', { batch_id: 'batch-1', nodes: Array.from({ length: 2500 }, (_, i) => `node-${i}`), skipped: 0, session_key: 'never-recorded' });
    return c.json({ ok: true }, 202);
  });
  return { a, lines };
}

describe('audit line bounds', () => {
  it('when a handler notes more items than the bound, then the line keeps the first AUDIT_MAX_ITEMS and says how many more; secret-looking note keys are dropped', async () => {
    const { a, lines } = app();
    expect((await a.request('/api/v1/things', { method: 'POST' })).status).toBe(202);
    expect(lines).toHaveLength(1);
    const d = lines[0]!.detail as { nodes: string[]; batch_id: string; command: string };
    expect(d.batch_id).toBe('batch-1');
    expect(d.command).toBe('true');
    expect(d.nodes).toHaveLength(AUDIT_MAX_ITEMS + 1);
    expect(d.nodes[0]).toBe('node-0');
    expect(d.nodes[AUDIT_MAX_ITEMS - 1]).toBe(`node-${AUDIT_MAX_ITEMS - 1}`);
    expect(d.nodes[AUDIT_MAX_ITEMS]).toBe(`…[${2500 - AUDIT_MAX_ITEMS} more]`);
    expect(JSON.stringify(lines[0])).not.toContain('never-recorded');
  });
});

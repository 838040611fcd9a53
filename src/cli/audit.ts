/**
 * `hydracluster audit [--node ID] [--operator NAME] [--since 1h] [--limit N] [--json]`: the audit
 * log (docs/api.md#accountability), newest first, as a table (or the server's JSON).
 */
import { z } from 'zod';
import { auditEntry } from '../wire/audit.js';
import { table } from './admin.js';
import type { AuditCommand } from './args.js';
import type { Api } from './client.js';
import { CliError } from './errors.js';
import { EX_SOFTWARE } from '../sysexits.js';
import type { Out } from './output.js';
import { printableJson } from './printable.js';

/** The detail column shows this much (the command text of an exec, else the detail as JSON). */
const DETAIL_CHARS = 60;

const oneLine = (s: string): string => {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > DETAIL_CHARS ? `${flat.slice(0, DETAIL_CHARS - 1)}…` : flat;
};

export async function runAudit(c: AuditCommand, api: Api, out: Out): Promise<number> {
  const q = new URLSearchParams();
  for (const k of ['node', 'operator', 'since', 'limit'] as const) if (c[k] !== undefined) q.set(k, String(c[k]));
  const r = await api.call('GET', `/audit${q.size > 0 ? `?${q}` : ''}`);
  if (c.json) {
    out.write(printableJson(r.body));
    return 0;
  }
  const parsed = z.array(auditEntry).safeParse(r.body);
  if (!parsed.success) throw new CliError(EX_SOFTWARE, 'the server answered in an unexpected shape');
  const rows = parsed.data.map((e) => {
    const cmd = e.detail.command;
    const detail = typeof cmd === 'string' ? cmd : Object.keys(e.detail).length > 0 ? JSON.stringify(e.detail) : '';
    return [e.time, e.operator ?? '-', e.address, e.action, e.target ?? '-', String(e.status), oneLine(detail)];
  });
  out.write(table([['TIME', 'OPERATOR', 'ADDRESS', 'ACTION', 'TARGET', 'STATUS', 'DETAIL'], ...rows]));
  return 0;
}

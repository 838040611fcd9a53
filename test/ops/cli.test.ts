import { describe, expect, it } from 'vitest';
import { runAdmin } from '../../src/cli/admin.js';
import { parseClientArgs, UsageError } from '../../src/cli/args.js';
import { runAudit } from '../../src/cli/audit.js';
import type { Api, Reply } from '../../src/cli/client.js';
import { nodeView } from '../cli/fake-api.js';

const fakeApi = (body: unknown, calls: string[] = []): Api => ({
  async call(method, path): Promise<Reply> {
    calls.push(`${method} ${path}`);
    return { status: 200, body };
  },
  close() {},
});

const ENTRY = { time: '2026-01-01T00:00:00.000Z', operator: 'alice', address: '10.0.0.5', action: 'exec.submit', target: 'node-1', detail: { command: 'systemctl   restart\nlarkxr', exec_id: 'e1' }, status: 202 };

describe('hydracluster audit and nodes list (stalled)', () => {
  it('when audit runs with filters, then it asks for them and prints a table with the command text on one line', async () => {
    const { command } = parseClientArgs('audit', ['--node', 'node-1', '--since', '1h', '--operator', 'alice', '--limit', '5']);
    if (command.cmd !== 'audit') throw new Error('not audit');
    const calls: string[] = [];
    let out = '';
    expect(await runAudit(command, fakeApi([ENTRY, { ...ENTRY, operator: null, target: null, detail: {}, status: 401, action: 'node.delete' }], calls), { write: (s: string) => (out += s) })).toBe(0);
    expect(calls).toEqual(['GET /audit?node=node-1&operator=alice&since=1h&limit=5']);
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TIME\s+OPERATOR\s+ADDRESS\s+ACTION\s+TARGET\s+STATUS\s+DETAIL$/);
    expect(lines[1]).toMatch(/alice\s+10\.0\.0\.5\s+exec\.submit\s+node-1\s+202\s+systemctl restart larkxr$/);
    expect(lines[2]).toMatch(/-\s+10\.0\.0\.5\s+node\.delete\s+-\s+401\s*$/);
  });

  it('when audit gets a bad --since or --limit, then it is a usage error naming the flag', () => {
    expect(() => parseClientArgs('audit', ['--since', 'yesterday'])).toThrow(/--since/);
    expect(() => parseClientArgs('audit', ['--limit', '0'])).toThrow(UsageError);
    expect(() => parseClientArgs('audit', ['extra'])).toThrow(/unexpected argument/);
  });

  it('when a listed node is exec_stalled, then nodes list marks it', async () => {
    const { command } = parseClientArgs('nodes', ['list']);
    if (command.cmd !== 'nodes') throw new Error('not nodes');
    let out = '';
    const node = { ...nodeView(1), id: 'n1', name: 'a', state: 'online', exec_depth: 3, exec_stalled: true, last_seen: null };
    await runAdmin(command, fakeApi([node, { ...node, id: 'n2', exec_stalled: false }]), { write: (s: string) => (out += s) });
    const lines = out.split('\n');
    expect(lines[1]).toMatch(/^n1\s.*online\s.*\s1\.0\.0\s+3 STALLED\s/); // AGENT column right before exec
    expect(lines[2]).not.toMatch(/STALLED/);
  });
});

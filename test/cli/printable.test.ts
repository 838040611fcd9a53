/**
 * The CLI's one escape for the server's text (issue 18, item 4): controls, format characters and
 * separators become visible escapes in text and `\uXXXX` in JSON; readable Unicode is kept.
 */
import { describe, expect, it } from 'vitest';
import { printable, printableJson } from '../../src/cli/printable.js';
import { table } from '../../src/cli/admin.js';
import { reportFailure, CliError } from '../../src/cli/errors.js';
import type { Api, Reply } from '../../src/cli/client.js';
import { runFleetExec } from '../../src/cli/fleet-exec.js';
import { runAudit } from '../../src/cli/audit.js';

/** Anything a terminal would act on or not show (LF allowed: the CLI's own line ends). */
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u00ad\u061c\u200b\u200e\u200f\u2028-\u202e\u2060-\u2069\ufeff]/u;

describe('printable', () => {
  it('when text holds ESC, CR, C1, DEL, bidi overrides or invisible format characters, then each is shown as an escape', () => {
    expect(printable('printer\x1b[2K\r…\u202e')).toBe('printer\\x1b[2K\\x0d…\\u202e');
    expect(printable('a\x9b31mb\x7fc\x85d\x00')).toBe('a\\x9b31mb\\x7fc\\x85d\\x00');
    expect(printable('x\u2066y\u2069\u200ez\u200b\ufeff\u00ad\u2028')).toBe('x\\u2066y\\u2069\\u200ez\\u200b\\ufeff\\xad\\u2028');
    expect(printable('tag\u{e0041}\ud800')).toBe('tag\\u{e0041}\\ud800');
    expect(printable('line\nbreak\ttab')).toBe('line\\x0abreak\\x09tab');
  });

  it('when text is ordinary Unicode (accents, CJK, RTL letters, emoji with ZWJ), then it is unchanged', () => {
    for (const s of ['Wien Süd', '東京 3F', 'עברית', '👨\u200d👩\u200d👧', 'DOMAIN\\host', 'a b']) expect(printable(s)).toBe(s);
  });

  it('when JSON is printed, then C1, DEL and bidi characters are \\u escapes, the layout is kept and it reads back as the same value', () => {
    const v = { name: 'evil\x1b[2K\x9b1m\u202e', owner: 'o\x7f\u2066', list: ['\u{e0001}'], n: 1 };
    const text = printableJson(v);
    expect(text).not.toMatch(RAW);
    expect(text).toContain('\\u009b1m\\u202e');
    expect(text).toContain('"\\udb40\\udc01"');
    expect(JSON.parse(text)).toEqual(v);
    expect(text).toBe(`${JSON.stringify(v, null, 2).replace('\x9b', '\\u009b').replace('\u202e', '\\u202e').replace('\x7f', '\\u007f').replace('\u2066', '\\u2066').replace('\u{e0001}', '\\udb40\\udc01')}\n`);
    expect(printableJson({ id: 'x\u202e' }, 0)).toBe('{"id":"x\\u202e"}\n');
  });

  it('when a table or a failure message carries the server text, then it is printed escaped and the columns line up', () => {
    const out = table([['ID', 'NAME'], ['n1', 'a\x1b[2Kb'], ['n2', 'plain']]);
    expect(out).toBe('ID  NAME\nn1  a\\x1b[2Kb\nn2  plain\n');
    let err = '';
    reportFailure('nodes', new CliError(66, 'no node named "x\x1b]0;t\x07\u202e"'), { write: (s: string) => (err += s) });
    expect(err).toBe('hydracluster: no node named "x\\x1b]0;t\\x07\\u202e"\n');
  });

  it('when fleet exec prints members and skips, then node names in prefixes are escaped and the command\'s own output stays byte for byte', async () => {
    const bad = 'n\x1b[2K\u202e';
    const member = { node_id: 'node-a', name: bad, id: 'exec-a', status: 'done', exit_code: 3, stdout: 'colour \x1b[31mred\n', stderr: '', duration_ms: 1 };
    const view = { batch_id: 'b', command: 'c', created_at: '', finished_at: null, counts: { ok: 0, failed: 1, timed_out: 0, cancelled: 0, expired: 0, pending: 0 }, results: [member], skipped: [], cursor: 1, finished: 1, total: 1, state: 'finished' };
    const api: Api = {
      async call(method): Promise<Reply> {
        return method === 'POST' ? { status: 202, body: { batch_id: 'b', execs: [{ node_id: 'node-a', name: bad, id: 'exec-a' }], skipped: [{ node_id: 'node-i', name: `ipad${bad}`, reason: 'no_exec_channel' }] } } : { status: 200, body: view };
      },
      close() {},
    };
    let stdout = '';
    let stderr = '';
    const io = { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) }, now: () => 0, sleep: async () => {} };
    expect(await runFleetExec({ cmd: 'fleet-exec', target: { all: true }, command: 'c', json: false }, api, io)).toBe(1);
    expect(stdout).toContain('n\\x1b[2K\\u202e: colour \x1b[31mred\n');
    expect(stderr).toBe('hydracluster: batch b sent to 1 node(s): n\\x1b[2K\\u202e\nipadn\\x1b[2K\\u202e: skipped (no_exec_channel)\nn\\x1b[2K\\u202e: (exit 3)\n');
  });

  it('when the audit table shows an entry with such text, then it is escaped', async () => {
    const entry = { time: '2026-01-01T00:00:00.000Z', operator: 'op\x9b', address: '127.0.0.1', action: 'node.patch', target: 'node-a', detail: { name: 'x\u202ey' }, status: 400 };
    const api: Api = { call: async () => ({ status: 200, body: [entry] }), close() {} };
    let out = '';
    expect(await runAudit({ cmd: 'audit', json: false }, api, { write: (t: string) => (out += t) })).toBe(0);
    expect(out).not.toMatch(RAW);
    expect(out).toContain('op\\x9b');
    expect(out).toContain('{"name":"x\\u202ey"}');
  });
});

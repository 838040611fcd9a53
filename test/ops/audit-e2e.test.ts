/**
 * The audit log across a kill -9, and `hydracluster audit` against the real server (child processes).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli/e2e-helpers.js';
import { ADMIN, FLEET } from '../support/harness.js';
import { call, makeHome, startServerProcess } from '../support/process.js';

const ALICE = 'hco_alice-token-0123456789abcdef';
const BOB = 'hco_bob-token-0123456789abcdefgh';

describe('audit log (real server)', () => {
  it('when a change is acknowledged right before kill -9, then after the restart the audit API and the CLI show it with its operator', async () => {
    const home = makeHome((d) => (d.operators = { alice: ALICE, bob: BOB }));
    let srv = await startServerProcess(home);
    const e = await call(srv.url, 'POST', '/enrollments', { name: 'render-01' }, ALICE);
    expect(e.status).toBe(201);
    const nodeId: string = e.body.node_id;
    expect((await call(srv.url, 'POST', `/nodes/${nodeId}/drain`, { drain: true, reason: 'gpu swap' }, ALICE)).status).toBe(200);
    expect((await call(srv.url, 'PATCH', `/nodes/${nodeId}`, { venue: 'hall-b' }, BOB)).status).toBe(200);
    await call(srv.url, 'GET', `/nodes/${nodeId}`, undefined, BOB); // a read: never recorded
    const ex = await call(srv.url, 'POST', `/nodes/${nodeId}/exec`, { command: 'systemctl restart larkxr' }, ALICE);
    expect(ex.status).toBe(202);
    srv.child.kill('SIGKILL'); // at once after the acknowledgment
    await srv.exited;

    srv = await startServerProcess(home);
    try {
      const r = await call(srv.url, 'GET', `/audit?node=${nodeId}`, undefined, ADMIN);
      expect(r.body.map((x: any) => [x.action, x.operator, x.status])).toEqual([
        ['exec.submit', 'alice', 202],
        ['node.update', 'bob', 200],
        ['node.drain', 'alice', 200],
        ['enrollment.create', 'alice', 201],
      ]);
      expect(r.body[0]).toMatchObject({ address: '127.0.0.1', target: nodeId, detail: { command: 'systemctl restart larkxr', exec_id: ex.body.id } });
      expect(r.body[1]).toMatchObject({ address: '127.0.0.1', detail: { venue: 'hall-b' } });

      const cli = await runCli(['audit', '--server', srv.url, '--admin-token', BOB, '--node', nodeId, '--since', '1h']);
      expect(cli.stderr).toBe('');
      expect(cli.code).toBe(0);
      const lines = cli.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^TIME\s+OPERATOR\s+ADDRESS\s+ACTION\s+TARGET\s+STATUS\s+DETAIL$/);
      expect(lines[1]).toMatch(new RegExp(`alice\\s+127\\.0\\.0\\.1\\s+exec\\.submit\\s+${nodeId}\\s+202\\s+systemctl restart larkxr$`));
      expect(lines[2]).toMatch(new RegExp(`bob\\s+127\\.0\\.0\\.1\\s+node\\.update\\s+${nodeId}\\s+200\\s+\\{"venue":"hall-b"\\}`));
      expect(lines[3]).toMatch(/alice\s+127\.0\.0\.1\s+node\.drain\s+\S+\s+200\s+\{"drain":true,"reason":"gpu swap"\}/);
      expect(lines).toHaveLength(5);

      const json = await runCli(['audit', '--server', srv.url, '--admin-token', ADMIN, '--json', '--limit', '1']);
      expect(JSON.parse(json.stdout)).toMatchObject([{ action: 'exec.submit', operator: 'alice', detail: { command: 'systemctl restart larkxr' } }]);

      for (const f of readdirSync(home).filter((n) => n.startsWith('audit.log'))) {
        const text = readFileSync(join(home, f), 'utf8');
        for (const secret of [ADMIN, FLEET, ALICE, BOB, e.body.enrollment_token]) expect(text.includes(secret), `${f} holds a token`).toBe(false);
      }
    } finally {
      srv.child.kill('SIGKILL');
      await srv.exited;
    }
  });
});

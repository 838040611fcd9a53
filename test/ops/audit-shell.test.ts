/** docs/api.md#accountability: shell sessions opened and closed are audited under the operator who opened them. */
import { afterEach, describe, expect, it } from 'vitest';
import { call } from '../support/process.js';
import { connect, shellServer, type ShellServer } from '../shell/shell-helpers.js';

const ALICE = 'hco_alice-token-0123456789abcdef';
let srv: ShellServer | null = null;
afterEach(async () => {
  await srv?.stop();
  srv = null;
});

/** The node's audit lines once there are `n` (the close is recorded when the server's socket closes). */
async function auditLines(url: string, node: string, n: number): Promise<any[]> {
  for (let i = 0; i < 500; i++) {
    const r = await call(url, 'GET', `/audit?node=${node}`);
    if (r.body.length >= n) return r.body;
    await new Promise((res) => setImmediate(res));
  }
  return (await call(url, 'GET', `/audit?node=${node}`)).body;
}

describe('audit of shell sessions', () => {
  it('when an operator opens a shell and it ends, then the open (with its command) and the close are audited under the operator', async () => {
    srv = await shellServer((d) => (d.operators = { alice: ALICE }));
    const node = await srv.addNode();
    const client = connect(srv.url, `/nodes/${node.id}/shell?cols=80&rows=24&command=${encodeURIComponent('top -b')}`, ALICE);
    expect(await client.opened).toBe(101);
    const opened = await auditLines(srv.url, node.id, 3);
    expect(opened[0]).toMatchObject({ action: 'shell.open', operator: 'alice', status: 101, detail: { command: 'top -b', cols: 80, rows: 24, session_id: expect.stringMatching(/^shell-/) } });

    const check = await call(srv.url, 'GET', '/body/shell/check?wait=5', undefined, node.token);
    const agent = connect(srv.url, `/body/shell/${check.body.sessions[0].id}`, node.token);
    expect(await agent.opened).toBe(101);
    agent.ws.send(JSON.stringify({ type: 'exit', code: 0 }));
    agent.ws.close();
    expect((await client.closed).code).toBe(1000);
    const lines = await auditLines(srv.url, node.id, 4);
    expect(lines[0]).toMatchObject({ action: 'shell.close', operator: 'alice', status: 200, detail: { session_id: opened[0].detail.session_id } });

    // Refused opens are recorded with their status; the open that went through was recorded once.
    const refused = connect(srv.url, `/nodes/${node.id}/shell?command=id`, 'hco_wrong-token-0123456789abcdef');
    expect(await refused.opened).toBe(401);
    const after = await auditLines(srv.url, node.id, 5);
    expect(after[0]).toMatchObject({ action: 'shell.open', operator: null, status: 401, detail: { command: 'id' } });
    expect(after.filter((e: any) => e.action === 'shell.open')).toHaveLength(2);
  });
});

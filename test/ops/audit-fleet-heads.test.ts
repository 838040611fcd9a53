/** The audit of the changes other parts added: fleet exec (its command and the nodes it reached) and heads. */
import { describe, expect, it } from 'vitest';
import { FLEET, harness, testConfig } from '../support/harness.js';

const ALICE = 'hco_alice-token-0123456789abcdef';

describe('audit of fleet exec and heads', () => {
  it('when an operator runs a fleet exec, then one line holds the command, the target and the nodes it reached', async () => {
    const h = await harness({ config: testConfig((d) => (d.operators = { alice: ALICE })) });
    const a = await h.addNode({ name: 'a' });
    const b = await h.addNode({ name: 'b' });
    for (const n of [a, b]) await h.heartbeat(n.token);
    const r = await h.json('POST', '/exec', { token: ALICE, body: { command: 'systemctl is-active larkxr', target: { all: true } } });
    expect(r.status).toBe(202);
    const [line] = (await h.json('GET', '/audit?limit=1')).body;
    expect(line).toMatchObject({ action: 'exec.fleet', operator: 'alice', status: 202, target: null, detail: { command: 'systemctl is-active larkxr', target: { all: true }, batch_id: r.body.batch_id } });
    expect([...line.detail.nodes].sort()).toEqual([a.id, b.id].sort());
  });

  it('when an iPad registers and reports, then the registration is recorded and its own reports are not; an admin change to it is', async () => {
    const h = await harness();
    const reg = await h.json('POST', '/heads', { token: FLEET, body: { name: 'ipad-1' } });
    expect(reg.status).toBe(201);
    const id = reg.body.head_id;
    expect((await h.json('PUT', `/heads/${id}`, { token: reg.body.token, body: { status: 'idle' } })).status).toBe(200);
    expect((await h.json('PUT', `/heads/${id}`, { body: { status: 'idle' } })).status).toBe(200);
    const lines = (await h.json('GET', `/audit?node=${id}`)).body;
    expect(lines.map((e: any) => [e.action, e.operator])).toEqual([['head.update', 'admin'], ['head.register', null]]);
    expect(JSON.stringify(lines)).not.toContain(reg.body.token);
  });
});

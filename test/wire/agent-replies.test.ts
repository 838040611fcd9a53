import { describe, expect, it } from 'vitest';
import { heartbeatReply, provisionReply } from '../../src/wire/agent.js';
import { readExecDelivery, readHeartbeatReply, readNoShellSessions, readProvisionReply } from '../../src/wire/agent-replies.js';
import { execDelivery } from '../../src/wire/exec.js';

/** Reply-like values: the usual reply, each field swapped for odd values or dropped, extra keys, non-objects. */
function* variants(base: Record<string, unknown>, fields: Record<string, unknown[]>): Generator<unknown> {
  yield base;
  for (const [k, values] of Object.entries(fields)) {
    for (const v of values) yield { ...base, [k]: v };
    const { [k]: _dropped, ...without } = base;
    yield without;
  }
  yield { ...base, extra_key: 1 };
  yield [base];
  yield null;
  yield 'text';
}

const odd = [null, 1, -1, 1.5, 0, 'x', '', true, [], {}, ['a'], [1], { a: 1 }, Number.MAX_SAFE_INTEGER + 2];

function holdsEqual(name: string, fast: (d: unknown) => unknown, schema: { safeParse(d: unknown): { success: boolean; data?: unknown } }, samples: Iterable<unknown>): number {
  let answered = 0;
  for (const s of samples) {
    const f = fast(s);
    if (f === null) continue;
    answered++;
    const z = schema.safeParse(s);
    expect(z.success, `${name}: the reader accepted what zod refuses: ${JSON.stringify(s)}`).toBe(true);
    expect(f, `${name}: ${JSON.stringify(s)}`).toEqual(z.data);
  }
  return answered;
}

const fieldsOf = (base: Record<string, unknown>) => Object.fromEntries(Object.keys(base).map((k) => [k, odd])) as Record<string, unknown[]>;

describe('the agent reads its common replies without zod, exactly as the zod schemas do', () => {
  it('when heartbeat replies vary, then the reader answers only as heartbeatReply does, and answers the usual reply', () => {
    const base = { node_id: 'node-1', state: 'online', roles: ['r'], district: 'd', venue: 'v', owner: 'o', flags: { update_node: false, update_services: true, reprovision: false }, exec_pending: 0, shell_pending: 1, heartbeat_interval_s: 30, server_time: '2026-01-01T00:00:00Z', limits: { max_output_bytes: 1024 } };
    const fields = fieldsOf(base);
    fields.flags = [...odd, { update_node: true }, { update_node: 'yes' }, { reprovision: true, other: 1 }];
    fields.limits = [...odd, { max_output_bytes: 0 }, { max_output_bytes: 5, other: 'x' }];
    const answered = holdsEqual('heartbeat', readHeartbeatReply, heartbeatReply, variants(base, fields));
    expect(readHeartbeatReply(base)).not.toBeNull();
    expect(readHeartbeatReply({ node_id: 'n', state: 'online' })).toEqual(heartbeatReply.parse({ node_id: 'n', state: 'online' }));
    expect(answered).toBeGreaterThan(20);
  });

  it('when provision replies vary, then the reader answers only as provisionReply does', () => {
    const base = { roles: ['a', 'b'], recipes: { a: { bash: 'x', check_bash: 'y', powershell: 'p', check_powershell: 'q' } }, providers: { a: 'larkxr' }, reprovision: false, limits: { max_output_bytes: 10 } };
    const fields = fieldsOf(base);
    fields.recipes = [...odd, { a: { bash: 1 } }, { a: { bash: 'x', extra: 'y' } }, { a: 'x' }, JSON.parse('{"__proto__": {"bash": "x"}}')];
    fields.providers = [...odd, { a: 1 }];
    const answered = holdsEqual('provision', readProvisionReply, provisionReply, variants(base, fields));
    expect(readProvisionReply(base)).not.toBeNull();
    expect(answered).toBeGreaterThan(10);
  });

  it('when exec deliveries vary, then the reader answers only as execDelivery does; an empty shell check is read without zod', () => {
    const base = { id: 'exec-1', command: 'echo hi', interpreter: 'cmd', timeout_s: 60, queued_at: '2026-01-01T00:00:00Z' };
    expect(holdsEqual('exec', readExecDelivery, execDelivery, variants(base, fieldsOf(base)))).toBeGreaterThan(5);
    expect(readNoShellSessions({ sessions: [] })).toEqual([]);
    expect(readNoShellSessions({ sessions: [{ id: 's' }] })).toBeNull();
  });
});

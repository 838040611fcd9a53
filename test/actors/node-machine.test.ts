/**
 * The node lifecycle machine driven through the kernel's step() with plain contexts: no actor, no
 * store, no clock. Time is the context's `now` and `mono` (a test event may name its `mono`); every
 * rule is a guard of the machine.
 */
import { describe, expect, it } from 'vitest';
import { step, type Step } from '../../src/actors/kernel/machine.js';
import { nodeMachine, type HeartbeatReport, type NodeContext, type NodeEvent, type NodeSettings } from '../../src/actors/node/machine.js';
import { nodeRecordSchema, type NodeRecord } from '../../src/actors/node/record.js';
import type { NodeState } from '../../src/wire/constants.js';

const OFFLINE_AFTER_MS = 90_000;
const SETTINGS: NodeSettings = { providerRoles: ['render-node'], offlineAfterMs: OFFLINE_AFTER_MS };
const AT = '2026-01-01T00:00:00.000Z';
const LATER = '2026-01-01T00:01:00.000Z';
const NODE_ID = 'node-01JABCDEFGHJKMNPQRSTVWXYZ0';

function record(state: NodeState, over: Partial<NodeRecord> = {}): NodeRecord {
  return nodeRecordSchema.parse({ id: NODE_ID, name: 'n1', kind: 'body', state, created_at: AT, last_seen: state === 'enrolling' ? null : AT, ...over });
}

function context(rec: NodeRecord, over: Partial<NodeContext> = {}): NodeContext {
  return { record: rec, settings: SETTINGS, now: Date.parse(LATER), mono: 0, lastBeat: 0, enrollDeadline: null, beatDurable: false, ...over };
}

/** An event, optionally with the monotonic time it is handled at. */
type TestEvent = NodeEvent & { mono?: number };

/** One event from `ctx`, in the state its record holds (as the node actor runs it). */
const run = (ctx: NodeContext, ev: TestEvent): Step<NodeContext> => {
  const { mono, ...event } = ev;
  const c = mono === undefined ? ctx : { ...ctx, mono };
  return step(nodeMachine, c.record.state, c, event as NodeEvent);
};

/** The context after `s`, as the node actor adopts it: the record carries the new state. */
const adopt = (s: Step<NodeContext>): NodeContext => ({ ...s.context, record: { ...s.context.record, state: s.value as NodeState }, beatDurable: false });

const beat = (over: Partial<HeartbeatReport> = {}): NodeEvent => ({ type: 'heartbeat', report: { reported: {}, ack: [], ...over } });

describe('node machine: registration', () => {
  const enrolling = (over: Partial<NodeRecord> = {}) =>
    record('enrolling', { enrollment: { id: 'enr-1', token_hash: 'eh', expires_at: AT, used_at: null }, ...over });
  const register = (mono: number): TestEvent => ({ type: 'register', tokenHash: 'th', reported: { hostname: 'h1' }, mono });

  it('when the enrollment is open and its monotonic deadline not reached, then the node registers into provisioning, durably', () => {
    // expires_at (wall) is already past: only the monotonic deadline counts.
    const s = run(context(enrolling(), { enrollDeadline: 10_000 }), register(9_999));
    expect(s).toMatchObject({ value: 'provisioning', rejected: null, persist: 'durable' });
    expect(s.context.record).toMatchObject({ token_hash: 'th', enrollment: { used_at: LATER }, reported: { hostname: 'h1' } });
    expect(s.context).toMatchObject({ lastBeat: 9_999, enrollDeadline: null });
  });

  it('when the monotonic deadline is reached, then registration is refused unauthorized and nothing changes', () => {
    const ctx = context(enrolling({ enrollment: { id: 'enr-1', token_hash: 'eh', expires_at: '2099-01-01T00:00:00.000Z', used_at: null } }), { enrollDeadline: 10_000 });
    const s = run(ctx, register(10_000));
    expect(s).toMatchObject({ value: 'enrolling', changed: false, persist: null, rejected: { code: 'unauthorized' } });
    expect(s.context.record).toBe(ctx.record);
  });

  it('when the enrollment has no deadline or was already used, then registration is refused unauthorized', () => {
    expect(run(context(enrolling(), { enrollDeadline: null }), register(0)).rejected).toMatchObject({ code: 'unauthorized' });
    const used = enrolling({ enrollment: { id: 'enr-1', token_hash: 'eh', expires_at: AT, used_at: AT } });
    expect(run(context(used, { enrollDeadline: 10_000 }), register(0)).rejected).toMatchObject({ code: 'unauthorized' });
    expect(run(context({ ...used, state: 'provisioning' }), register(0)).rejected).toMatchObject({ code: 'unauthorized', message: expect.stringContaining('already used') });
  });

  it('when expire_due comes before the deadline, then nothing changes; at the deadline, then the node expires (lazily persisted)', () => {
    const ctx = context(enrolling(), { enrollDeadline: 10_000 });
    expect(run(ctx, { type: 'expire_due', mono: 9_999 })).toMatchObject({ value: 'enrolling', changed: false });
    expect(run(ctx, { type: 'expire_due', mono: 10_000 })).toMatchObject({ value: 'expired', persist: 'lazy', context: { enrollDeadline: null } });
  });
});

describe('node machine: offline', () => {
  for (const state of ['online', 'provisioning'] as const) {
    it(`when an ${state} node has been silent for just under offlineAfterMs, then offline_due changes nothing; at offlineAfterMs, then it goes offline`, () => {
      const ctx = context(record(state), { lastBeat: 5_000 });
      expect(run(ctx, { type: 'offline_due', mono: 5_000 + OFFLINE_AFTER_MS - 1 })).toMatchObject({ value: state, changed: false, persist: null });
      expect(run(ctx, { type: 'offline_due', mono: 5_000 + OFFLINE_AFTER_MS })).toMatchObject({ value: 'offline', changed: true, persist: 'lazy' });
    });
  }

  it('when an offline node heartbeats, then it comes back online and the change is durable', () => {
    expect(run(context(record('offline')), beat())).toMatchObject({ value: 'online', persist: 'durable' });
  });
});

describe('node machine: admin changes', () => {
  it('when a head is drained, then it is refused wrong_kind; when a body is, then drain and reason are set durably', () => {
    const head = context(record('online', { kind: 'flatscreen' }));
    const s = run(head, { type: 'drain', drain: true, reason: 'maintenance' });
    expect(s).toMatchObject({ changed: false, rejected: { code: 'wrong_kind' } });
    expect(s.context.record.drain).toBe(false);
    const body = run(context(record('online')), { type: 'drain', drain: true, reason: 'maintenance' });
    expect(body).toMatchObject({ persist: 'durable', rejected: null, context: { record: { drain: true, drain_reason: 'maintenance' } } });
    expect(run(adopt(body), { type: 'drain', drain: false, reason: 'ignored' }).context.record).toMatchObject({ drain: false, drain_reason: null });
  });

  it('when an update changes the kind from body to flatscreen, then it is refused wrong_kind and nothing changes', () => {
    const ctx = context(record('online', { kind: 'body' }));
    const s = run(ctx, { type: 'update', changes: { kind: 'flatscreen', name: 'renamed' } });
    expect(s).toMatchObject({ changed: false, persist: null, rejected: { code: 'wrong_kind' } });
    expect(s.context.record).toMatchObject({ kind: 'body', name: 'n1' });
  });

  it('when an update changes the kind from flatscreen to windows (both heads), then it is applied durably', () => {
    const s = run(context(record('online', { kind: 'flatscreen' })), { type: 'update', changes: { kind: 'windows', venue: 'hall' } });
    expect(s).toMatchObject({ value: 'online', rejected: null, persist: 'durable', context: { record: { kind: 'windows', venue: 'hall' } } });
  });

  it('when roles are assigned to an online node that has not applied them, then it provisions; when roles are removed down to the applied ones, then it is online', () => {
    const online = context(record('online', { roles: ['plain-role'], reported: { roles_applied: ['plain-role'] } as NodeRecord['reported'] }));
    const more = run(online, { type: 'set_roles', roles: ['plain-role', 'other'] });
    expect(more).toMatchObject({ value: 'provisioning', persist: 'durable' });
    expect(run(adopt(more), { type: 'set_roles', roles: ['plain-role'] })).toMatchObject({ value: 'online', persist: 'durable' });
  });

  it('when a role with a provider is reported applied, then the node is online whatever provider_status says (docs/api.md#node-lifecycle: state is roles applied)', () => {
    const ctx = context(record('provisioning', { roles: ['render-node'] }));
    expect(run(ctx, beat({ reported: { roles_applied: [], provider_status: 'running' } })).value).toBe('provisioning');
    expect(run(ctx, beat({ reported: { roles_applied: ['render-node'], provider_status: 'installing' } })).value).toBe('online');
    expect(run(ctx, beat({ reported: { roles_applied: ['render-node'], provider_status: 'running' } })).value).toBe('online');
  });

  it('when a provisioned node reports provider_status stopped, then it stays online (telemetry, lazily persisted); running again, still online', () => {
    const ctx = context(record('online', { roles: ['render-node'], reported: { roles_applied: ['render-node'], provider_status: 'running' } as NodeRecord['reported'] }));
    const stopped = run(ctx, beat({ reported: { roles_applied: ['render-node'], provider_status: 'stopped' } }));
    expect(stopped).toMatchObject({ value: 'online', persist: 'lazy', context: { record: { reported: { provider_status: 'stopped' } } } });
    const back = run(adopt(stopped), beat({ reported: { provider_status: 'running' } }));
    expect(back).toMatchObject({ value: 'online', context: { record: { reported: { provider_status: 'running' } } } });
  });
});

describe('node machine: flags and acks', () => {
  it('when a flag is acked that no reply has carried yet, then it stays set (stale ack), and this reply now carries it', () => {
    const ctx = context(record('online', { flags: { update_node: true, update_services: false, reprovision: false } }));
    const s = run(ctx, beat({ ack: ['update_node'] }));
    expect(s.context.record.flags.update_node).toBe(true);
    expect(s.context.record.flags_sent).toEqual(['update_node']);
  });

  it('when a flag a reply carried is acked, then it is cleared and the heartbeat asks for a durable persist', () => {
    const ctx = context(record('online', { flags: { update_node: true, update_services: false, reprovision: false }, flags_sent: ['update_node'] }));
    const s = run(ctx, beat({ ack: ['update_node'] }));
    expect(s.context.record.flags.update_node).toBe(false);
    expect(s.context.record.flags_sent).toBeUndefined();
    expect(s.persist).toBe('durable');
  });

  it('when a flag is set again after a reply carried it, then it leaves flags_sent and an ack of the old delivery does not clear it', () => {
    const ctx = context(record('online', { flags: { update_node: true, update_services: true, reprovision: false }, flags_sent: ['update_node', 'update_services'] }));
    const set = run(ctx, { type: 'set_flag', flag: 'update_node' });
    expect(set).toMatchObject({ persist: 'durable', context: { record: { flags: { update_node: true }, flags_sent: ['update_services'] } } });
    const acked = run(adopt(set), beat({ ack: ['update_node'] }));
    expect(acked.context.record.flags.update_node).toBe(true);
    const again = run(adopt(acked), beat({ ack: ['update_node'] }));
    expect(again.context.record.flags.update_node).toBe(false);
  });
});

describe('node machine: reprovision', () => {
  const onlineWithRole = () =>
    context(record('online', { roles: ['plain-role'], reported: { roles_applied: ['plain-role'] } as NodeRecord['reported'] }));
  const applied = { roles_applied: ['plain-role'] };

  it('when a reprovision is requested, then the node provisions with the flag set, durably', () => {
    const s = run(onlineWithRole(), { type: 'reprovision' });
    expect(s).toMatchObject({ value: 'provisioning', persist: 'durable', context: { record: { reprovision_pending: true, reprovision_acked: false, flags: { reprovision: true } } } });
  });

  it('when the agent reports every role but has not acked, or acked before a reply carried the flag, then the reprovision is not done', () => {
    const requested = adopt(run(onlineWithRole(), { type: 'reprovision' }));
    // The ack arrives before any reply carried the flag: premature, ignored.
    const premature = run(requested, beat({ reported: applied, ack: ['reprovision'] }));
    expect(premature).toMatchObject({ value: 'provisioning', context: { record: { reprovision_pending: true, reprovision_acked: false, flags: { reprovision: true } } } });
    const noAck = run(adopt(premature), beat({ reported: applied }));
    expect(noAck.value).toBe('provisioning');
  });

  it('when the agent acks a carried reprovision, then it is done only at the heartbeat that reports every role applied', () => {
    const carried = adopt(run(adopt(run(onlineWithRole(), { type: 'reprovision' })), beat({ reported: { roles_applied: [] } })));
    expect(carried.record.flags_sent).toEqual(['reprovision']);
    const acked = run(carried, beat({ reported: { roles_applied: [] }, ack: ['reprovision'] }));
    expect(acked).toMatchObject({
      value: 'provisioning',
      persist: 'durable',
      context: { record: { reprovision_pending: true, reprovision_acked: true, flags: { reprovision: false } } },
    });
    const done = run(adopt(acked), beat({ reported: applied }));
    expect(done).toMatchObject({ value: 'online', persist: 'durable', context: { record: { reprovision_pending: false, reprovision_acked: false } } });
  });

  it('when a reprovisioned role has a provider, then the reprovision is done only at the heartbeat that also reports provider_status running', () => {
    const render = context(record('online', { roles: ['render-node'], reported: { roles_applied: ['render-node'], provider_status: 'running' } as NodeRecord['reported'] }));
    const carried = adopt(run(adopt(run(render, { type: 'reprovision' })), beat({ reported: { roles_applied: [], provider_status: 'installing' } })));
    const acked = adopt(run(carried, beat({ reported: { roles_applied: ['render-node'], provider_status: 'starting' }, ack: ['reprovision'] })));
    expect(acked.record).toMatchObject({ state: 'provisioning', reprovision_pending: true, reprovision_acked: true });
    const stopped = run(acked, beat({ reported: { roles_applied: ['render-node'], provider_status: 'stopped' } }));
    expect(stopped).toMatchObject({ value: 'provisioning', context: { record: { reprovision_pending: true } } });
    const running = run(adopt(stopped), beat({ reported: { roles_applied: ['render-node'], provider_status: 'running' } }));
    expect(running).toMatchObject({ value: 'online', persist: 'durable', context: { record: { reprovision_pending: false, reprovision_acked: false } } });
  });
});

describe('node machine: heartbeat persistence', () => {
  it('when a provisioning node heartbeats telemetry only, then it stays provisioning and asks for a lazy persist', () => {
    const ctx = context(record('provisioning', { roles: ['plain-role'] }));
    const s = run(ctx, beat({ reported: { hostname: 'h2', roles_applied: [] } }));
    expect(s).toMatchObject({ value: 'provisioning', persist: 'lazy', context: { record: { reported: { hostname: 'h2' }, last_seen: LATER } } });
  });

  it('when a heartbeat changes the state (provisioning to online), then it asks for a durable persist', () => {
    const s = run(context(record('provisioning', { roles: ['plain-role'] })), beat({ reported: { roles_applied: ['plain-role'] } }));
    expect(s).toMatchObject({ value: 'online', persist: 'durable' });
  });

  it('when a heartbeat acks a carried flag while provisioning, then it asks for a durable persist', () => {
    const ctx = context(record('provisioning', { roles: ['plain-role'], flags: { update_node: false, update_services: true, reprovision: false }, flags_sent: ['update_services'] }));
    expect(run(ctx, beat({ ack: ['update_services'] }))).toMatchObject({ value: 'provisioning', persist: 'durable' });
  });

  it('when an enrolling node gets a heartbeat, then the event does not apply', () => {
    expect(run(context(record('enrolling')), beat())).toMatchObject({ value: 'enrolling', changed: false, persist: null });
  });
});

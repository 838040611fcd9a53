/**
 * The node lifecycle statechart (SPEC §4):
 *
 *   enrolling ─REGISTER─▶ provisioning ─all roles applied─▶ online
 *       │ EXPIRE               ▲  │ OFFLINE                 │ OFFLINE
 *       ▼                      │  ▼                         ▼
 *    expired          roles / reprovision ◀──HEARTBEAT── offline
 *
 * A machine instance is created from nodes.yaml data at boot: the transient `boot` state routes
 * to the persisted state (no xstate snapshot restore). Time never enters the machine: the fleet's
 * sweeper decides when OFFLINE and EXPIRE are due and sends them.
 */
import { assign, setup } from 'xstate';
import type { FlagName, NodeRecord, NodeState, Reported } from './node-record.js';

export interface NodeContext {
  record: NodeRecord;
  /** Roles whose catalog entry names a provider: those also need `provider_status: running`. */
  providerRoles: readonly string[];
}

export type NodeEvent =
  | { type: 'REGISTER'; tokenHash: string; reported: Partial<Reported>; at: string }
  | { type: 'HEARTBEAT'; reported: Partial<Reported>; ack: FlagName[]; at: string }
  | { type: 'OFFLINE' }
  | { type: 'EXPIRE' }
  | { type: 'SET_ROLES'; roles: string[] }
  | { type: 'REPROVISION' }
  | { type: 'SET_FLAG'; flag: 'update_node' | 'update_services' }
  | { type: 'UPDATE'; changes: Partial<Pick<NodeRecord, 'name' | 'owner' | 'district' | 'venue' | 'kind' | 'drain' | 'drain_reason'>> };

/** Every assigned role reported applied, providers running, no reprovision outstanding. */
export function isProvisioned(ctx: NodeContext): boolean {
  const r = ctx.record;
  if (r.last_seen === null || r.reprovision_pending) return false;
  const applied = new Set(r.reported.roles_applied);
  for (const role of r.roles) {
    if (!applied.has(role)) return false;
    if (ctx.providerRoles.includes(role) && r.reported.provider_status !== 'running') return false;
  }
  return true;
}

function applyHeartbeat(ctx: NodeContext, ev: Extract<NodeEvent, { type: 'HEARTBEAT' }>): NodeRecord {
  const prev = ctx.record;
  const flags = { ...prev.flags };
  let acked = prev.reprovision_acked;
  for (const f of ev.ack) {
    if (f === 'reprovision' && prev.reprovision_pending) acked = true;
    flags[f] = false;
  }
  const next: NodeRecord = { ...prev, flags, reprovision_acked: acked, last_seen: ev.at, reported: { ...prev.reported, ...ev.reported } };
  // A reprovision is done once the agent acked it and then reports every role applied again.
  if (next.reprovision_pending && acked && isProvisioned({ ...ctx, record: { ...next, reprovision_pending: false } })) {
    return { ...next, reprovision_pending: false, reprovision_acked: false };
  }
  return next;
}

const routeFromBoot = (state: NodeState) => ({
  guard: ({ context }: { context: NodeContext }) => context.record.state === state,
  target: state,
});

export const nodeMachine = setup({
  types: {
    context: {} as NodeContext,
    events: {} as NodeEvent,
    input: {} as NodeContext,
  },
  guards: {
    provisioned: ({ context }) => isProvisioned(context),
  },
  actions: {
    heartbeat: assign({
      record: ({ context, event }) => (event.type === 'HEARTBEAT' ? applyHeartbeat(context, event) : context.record),
    }),
    setRoles: assign({
      record: ({ context, event }) => (event.type === 'SET_ROLES' ? { ...context.record, roles: event.roles } : context.record),
    }),
    setFlag: assign({
      record: ({ context, event }) =>
        event.type === 'SET_FLAG' ? { ...context.record, flags: { ...context.record.flags, [event.flag]: true } } : context.record,
    }),
    reprovision: assign({
      record: ({ context }) => ({
        ...context.record,
        flags: { ...context.record.flags, reprovision: true },
        reprovision_pending: true,
        reprovision_acked: false,
      }),
    }),
    update: assign({
      record: ({ context, event }) => (event.type === 'UPDATE' ? { ...context.record, ...event.changes } : context.record),
    }),
    register: assign({
      record: ({ context, event }) => {
        if (event.type !== 'REGISTER') return context.record;
        const r = context.record;
        return {
          ...r,
          token_hash: event.tokenHash,
          enrollment: r.enrollment ? { ...r.enrollment, used_at: event.at } : null,
          reported: { ...r.reported, ...event.reported },
        };
      },
    }),
  },
}).createMachine({
  id: 'node',
  context: ({ input }) => input,
  initial: 'boot',
  on: {
    SET_FLAG: { actions: 'setFlag' },
    UPDATE: { actions: 'update' },
  },
  states: {
    boot: {
      always: [
        routeFromBoot('enrolling'),
        routeFromBoot('provisioning'),
        routeFromBoot('online'),
        routeFromBoot('offline'),
        routeFromBoot('expired'),
      ],
    },
    enrolling: {
      on: {
        REGISTER: { target: 'provisioning', actions: 'register' },
        EXPIRE: { target: 'expired' },
        SET_ROLES: { actions: 'setRoles' },
        REPROVISION: { actions: 'reprovision' },
      },
    },
    provisioning: {
      on: {
        HEARTBEAT: { target: 'evaluating', actions: 'heartbeat' },
        SET_ROLES: { target: 'evaluating', actions: 'setRoles' },
        REPROVISION: { actions: 'reprovision' },
        OFFLINE: { target: 'offline' },
      },
    },
    online: {
      on: {
        HEARTBEAT: { target: 'evaluating', actions: 'heartbeat' },
        SET_ROLES: { target: 'evaluating', actions: 'setRoles' },
        REPROVISION: { target: 'provisioning', actions: 'reprovision' },
        OFFLINE: { target: 'offline' },
      },
    },
    offline: {
      on: {
        HEARTBEAT: { target: 'evaluating', actions: 'heartbeat' },
        SET_ROLES: { actions: 'setRoles' },
        REPROVISION: { actions: 'reprovision' },
      },
    },
    /** Transient: decides provisioning vs online from the context just updated. */
    evaluating: {
      always: [{ guard: 'provisioned', target: 'online' }, { target: 'provisioning' }],
    },
    expired: {
      on: { SET_ROLES: { actions: 'setRoles' } },
    },
  },
});

export type NodeMachine = typeof nodeMachine;

/**
 * The node lifecycle statechart (docs/api.md#node-lifecycle), run by the kernel's `step()` (pure `transition()`,
 * seeded from the node's data with `resolveState`: no interpreter, no routing state):
 *
 *   enrolling ─register─▶ provisioning ─all roles applied─▶ online
 *       │ expire_due           ▲  │ offline_due              │ offline_due
 *       ▼                      │  ▼                          ▼
 *    expired          roles / reprovision ◀──heartbeat──── offline
 *
 * The rules live here as guards: a registration needs an unused, unexpired enrollment; only
 * bodies are drained; a node never changes between body and head kinds; an ack clears only a
 * flag a reply has carried; a node goes offline only when it has been silent long enough. The
 * events are the node actor's messages as sent; time enters through the context (`mono`: the
 * monotonic clock, what is counted; `now`: wall time, for stored stamps).
 * A re-enrollment (`reenroll`, docs/api.md#re-enrollment) opens a single-use token on a registered node; `register`
 * with it takes the node to provisioning with a new token and everything else kept
 * (./reenroll-fields.ts); before a first registration it simply replaces the enrollment's token.
 * Effects are actions the kernel runs by key: `persist` (durable before the reply, or lazy),
 * `reject` (the refusal and its error code).
 */
import { assign, setup } from 'xstate';
import { isoCached } from '../../clock.js';
import { kernelActions, persist, reject } from '../kernel/machine.js';
import { applyHeadChanges, type HeadChanges } from './head-fields.js';
import { reenrollmentDropped, reenrollmentOpened, reissued, reregistered, type Reenrollment } from './reenroll-fields.js';
import { FLAG_NAMES, isHeadKind, type FlagName, type NodeKind, type NodeRecord, type Reported } from './record.js';

/** Fleet-wide settings the guards need (one shared object). */
export interface NodeSettings {
  /** Roles whose catalog entry names a provider: a reprovision of those also waits for `provider_status: running`. */
  providerRoles: readonly string[];
  offlineAfterMs: number;
}

export interface NodeContext {
  /** The durable record; `record.state` is the state before the event. */
  record: NodeRecord;
  settings: NodeSettings;
  /** When the event is handled: wall ms (what is shown and stored) and monotonic ms (what is counted). */
  now: number;
  mono: number;
  /** Monotonic instant the offline clock counts from (last heartbeat, registration, or boot). */
  lastBeat: number;
  /** Monotonic instant an unredeemed enrollment expires, or null. */
  enrollDeadline: number | null;
  /** Set by a heartbeat that changed flags or the reprovision: its reply must wait for the disk. */
  beatDurable: boolean;
}

export type { HeadChanges };

export type UpdateChanges = Partial<Pick<NodeRecord, 'name' | 'owner' | 'district' | 'venue' | 'kind'>>;

/** A heartbeat as the agent sent it: telemetry, diagnostics, and the flags it acknowledges. */
export interface HeartbeatReport {
  reported: Partial<Reported>;
  diagnostics?: Record<string, unknown>;
  ack: readonly FlagName[];
}

/**
 * The node actor's messages, which are its machine's events (one vocabulary). Senders say only what
 * they know; the time of handling is in the context (`now`, `mono`).
 */
export type NodeEvent =
  | { type: 'heartbeat'; report: HeartbeatReport }
  | { type: 'register'; tokenHash: string; reported: Partial<Reported> }
  /** docs/api.md#re-enrollment: a new single-use enrollment for this node (its id, the token's hash, its lifetime). */
  | { type: 'reenroll'; enrollmentId: string; tokenHash: string; ttlS: number }
  | { type: 'set_roles'; roles: string[] }
  | { type: 'update'; changes: UpdateChanges }
  | { type: 'drain'; drain: boolean; reason: string | null }
  /** From the node's head actor: its durable side (assignment, allowed experiences). */
  | { type: 'set_head'; changes: HeadChanges }
  | { type: 'set_flag'; flag: 'update_node' | 'update_services' }
  | { type: 'reprovision' }
  | { type: 'offline_due' }
  | { type: 'expire_due' };

/** The node has heartbeated and reports every assigned role applied. */
function rolesApplied(record: NodeRecord): boolean {
  if (record.last_seen === null) return false;
  const applied = new Set(record.reported.roles_applied);
  return record.roles.every((role) => applied.has(role));
}

/**
 * Provisioned (docs/api.md#node-lifecycle): every assigned role reported applied and no reprovision outstanding.
 * The provider's health is not part of it (docs/api.md#providers): a provisioned node whose provider stopped stays
 * `online` with `provider_status: stopped`, and eligibility (docs/api.md#heads-and-eligibility) leaves it out.
 */
export function isProvisioned(record: NodeRecord): boolean {
  return !record.reprovision_pending && rolesApplied(record);
}

/** A reprovision is done once every role is applied again and, where a role has a provider, it runs. */
function reprovisionDone(record: NodeRecord, settings: NodeSettings): boolean {
  if (!rolesApplied(record)) return false;
  const needsProvider = record.roles.some((role) => settings.providerRoles.includes(role));
  return !needsProvider || record.reported.provider_status === 'running';
}

/** Flags currently set. */
const setFlags = (r: NodeRecord): FlagName[] => FLAG_NAMES.filter((f) => r.flags[f]);

/** True when this heartbeat's reply would carry a flag no reply has carried since it was set. */
export function hasUnsentFlag(r: NodeRecord): boolean {
  for (const f of FLAG_NAMES) if (r.flags[f] && !(r.flags_sent ?? []).includes(f)) return true;
  return false;
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * The record after a heartbeat: acks applied (only to flags a reply carried), telemetry merged,
 * the reprovision completed when acked and every role is applied again, and every flag still set
 * marked as carried by this heartbeat's reply.
 */
function applyHeartbeat(ctx: NodeContext, report: HeartbeatReport): NodeRecord {
  const prev = ctx.record;
  const sent = new Set(prev.flags_sent ?? []);
  const flags = { ...prev.flags };
  let acked = prev.reprovision_acked;
  for (const f of report.ack) {
    if (!flags[f] || !sent.has(f)) continue; // stale or premature: a newer request stands
    flags[f] = false;
    sent.delete(f);
    if (f === 'reprovision' && prev.reprovision_pending) acked = true;
  }
  let next: NodeRecord = { ...prev, flags, reprovision_acked: acked, last_seen: isoCached(ctx.now), reported: { ...prev.reported, ...report.reported } };
  if (next.awaiting_report) delete next.awaiting_report; // the head has reported back
  // A reprovision is done once the agent acked it and then reports every role applied (and running) again.
  if (next.reprovision_pending && acked && reprovisionDone(next, ctx.settings)) {
    next = { ...next, reprovision_pending: false, reprovision_acked: false };
  }
  const nowSent = setFlags(next); // this reply carries every flag still set
  next.flags_sent = nowSent.length > 0 ? nowSent : undefined;
  return next;
}

/** A heartbeat whose effect must be on disk before its reply (docs/api.md#node-lifecycle): flags or reprovision moved. */
function heartbeatIsDurable(prev: NodeRecord, next: NodeRecord): boolean {
  return (
    FLAG_NAMES.some((f) => prev.flags[f] !== next.flags[f]) ||
    !sameList(prev.flags_sent ?? [], next.flags_sent ?? []) ||
    prev.reprovision_pending !== next.reprovision_pending ||
    prev.reprovision_acked !== next.reprovision_acked
  );
}

const MS_PER_S = 1000;

/** The enrollment a `reenroll` opens: its id and token hash, expiring `ttlS` from now. */
const reenrollmentOf = (c: NodeContext, e: Extract<NodeEvent, { type: 'reenroll' }>): Reenrollment => ({
  id: e.enrollmentId,
  token_hash: e.tokenHash,
  expires_at: new Date(c.now + e.ttlS * MS_PER_S).toISOString(),
});

const kindClass = (k: NodeKind) => (isHeadKind(k) ? 'head' : 'body');

/** Persist after the evaluation that follows a heartbeat: durable if the state changes too. */
const persistBeat = (target: 'online' | 'provisioning') => ({
  type: 'persist' as const,
  params: ({ context }: { context: NodeContext }) => ({ durable: context.beatDurable || context.record.state !== target }),
});

/** What a registered node (provisioning or online) does alike; each state adds its own reprovision and offline. */
const REGISTERED = {
  reenroll: { guard: 'notIpad', actions: ['openReenrollment', persist(true)] },
  register: [
    { guard: 'reenrollmentOpen', target: 'provisioning', actions: ['reregister', persist(true)] },
    { guard: 'reenrollmentPending', actions: reject('unauthorized', 'the enrollment token has expired') },
  ],
  expire_due: { guard: 'enrollmentOver', actions: ['dropReenrollment', persist(false)] },
  heartbeat: { target: 'evaluating', actions: 'heartbeat' },
  set_roles: { target: 'evaluating', actions: ['setRoles', persist(true)] },
} as const;

export const nodeMachine = setup({
  types: {
    context: {} as NodeContext,
    events: {} as NodeEvent,
  },
  guards: {
    provisioned: ({ context }) => isProvisioned(context.record),
    enrollmentOpen: ({ context, event }) => {
      const e = context.record.enrollment;
      return event.type === 'register' && !!e && !e.used_at && context.enrollDeadline !== null && context.mono < context.enrollDeadline;
    },
    enrollmentUsed: ({ context }) => !!context.record.enrollment?.used_at,
    reenrollmentOpen: ({ context, event }) =>
      event.type === 'register' && !!context.record.reenrollment && context.enrollDeadline !== null && context.mono < context.enrollDeadline,
    reenrollmentPending: ({ context }) => !!context.record.reenrollment,
    notIpad: ({ context }) => context.record.kind !== 'ipad',
    silentTooLong: ({ context }) => context.mono - context.lastBeat >= context.settings.offlineAfterMs,
    enrollmentOver: ({ context }) => context.enrollDeadline !== null && context.mono >= context.enrollDeadline,
    isBody: ({ context }) => context.record.kind === 'body',
    isHead: ({ context }) => isHeadKind(context.record.kind),
    kindChangeAllowed: ({ context, event }) =>
      event.type !== 'update' || event.changes.kind === undefined || kindClass(event.changes.kind) === kindClass(context.record.kind),
  },
  actions: {
    ...kernelActions,
    heartbeat: assign(({ context, event }) => {
      if (event.type !== 'heartbeat') return {};
      const record = applyHeartbeat(context, event.report);
      return { record, beatDurable: heartbeatIsDurable(context.record, record) };
    }),
    setRoles: assign({
      record: ({ context, event }) => (event.type === 'set_roles' ? { ...context.record, roles: event.roles } : context.record),
    }),
    setFlag: assign({
      record: ({ context, event }) => {
        if (event.type !== 'set_flag') return context.record;
        const r = context.record;
        // Set again: delivered again, and only an ack of the new delivery clears it.
        const sent = (r.flags_sent ?? []).filter((f) => f !== event.flag);
        return { ...r, flags: { ...r.flags, [event.flag]: true }, flags_sent: sent.length > 0 ? sent : undefined };
      },
    }),
    reprovision: assign({
      record: ({ context }) => {
        const r = context.record;
        const sent = (r.flags_sent ?? []).filter((f) => f !== 'reprovision');
        return {
          ...r,
          flags: { ...r.flags, reprovision: true },
          flags_sent: sent.length > 0 ? sent : undefined,
          reprovision_pending: true,
          reprovision_acked: false,
        };
      },
    }),
    update: assign({
      record: ({ context, event }) => (event.type === 'update' ? { ...context.record, ...event.changes } : context.record),
    }),
    drain: assign({
      record: ({ context, event }) =>
        event.type === 'drain' ? { ...context.record, drain: event.drain, drain_reason: event.drain ? event.reason : null } : context.record,
    }),
    setHead: assign({
      record: ({ context, event }) => (event.type === 'set_head' ? applyHeadChanges(context.record, event.changes) : context.record),
    }),
    register: assign(({ context, event }) => {
      if (event.type !== 'register') return {};
      const r = context.record;
      return {
        record: {
          ...r,
          token_hash: event.tokenHash,
          enrollment: r.enrollment ? { ...r.enrollment, used_at: isoCached(context.now) } : null,
          reported: { ...r.reported, ...event.reported },
        },
        lastBeat: context.mono,
        enrollDeadline: null,
      };
    }),
    closeEnrollment: assign({ enrollDeadline: null }),
    reissueEnrollment: assign(({ context, event }) =>
      event.type === 'reenroll' ? { record: reissued(context.record, reenrollmentOf(context, event)), enrollDeadline: context.mono + event.ttlS * MS_PER_S } : {},
    ),
    openReenrollment: assign(({ context, event }) =>
      event.type === 'reenroll' ? { record: reenrollmentOpened(context.record, reenrollmentOf(context, event)), enrollDeadline: context.mono + event.ttlS * MS_PER_S } : {},
    ),
    dropReenrollment: assign(({ context }) => ({ record: reenrollmentDropped(context.record), enrollDeadline: null })),
    reregister: assign(({ context, event }) =>
      event.type === 'register' ? { record: reregistered(context.record, event.tokenHash, event.reported, isoCached(context.now)), lastBeat: context.mono, enrollDeadline: null } : {},
    ),
  },
}).createMachine({
  id: 'node',
  context: ({ input }) => input as NodeContext,
  initial: 'enrolling',
  on: {
    set_flag: { actions: ['setFlag', persist(true)] },
    update: [
      { guard: 'kindChangeAllowed', actions: ['update', persist(true)] },
      { actions: reject('wrong_kind', 'a node cannot change between a body kind and a head kind; delete it and enroll it again') },
    ],
    drain: [
      { guard: 'isBody', actions: ['drain', persist(true)] },
      { actions: reject('wrong_kind', 'only bodies are drained; this node is a head') },
    ],
    set_head: [
      { guard: 'isHead', actions: ['setHead', persist(true)] },
      { actions: reject('wrong_kind', 'this node is a body; only heads have assignments and allowed experiences') },
    ],
    reenroll: { actions: reject('wrong_kind', 'an iPad enrolls again with the fleet enrollment QR, not with an install command') },
    register: [
      { guard: 'enrollmentUsed', actions: reject('unauthorized', 'the enrollment token was already used') },
      { actions: reject('unauthorized', 'the enrollment token is not valid') },
    ],
  },
  states: {
    enrolling: {
      on: {
        register: [
          { guard: 'enrollmentOpen', target: 'provisioning', actions: ['register', persist(true)] },
          { actions: reject('unauthorized', 'the enrollment token has expired') },
        ],
        expire_due: { guard: 'enrollmentOver', target: 'expired', actions: ['closeEnrollment', persist(false)] },
        reenroll: { guard: 'notIpad', actions: ['reissueEnrollment', persist(true)] },
        set_roles: { actions: ['setRoles', persist(true)] },
        reprovision: { actions: ['reprovision', persist(true)] },
      },
    },
    provisioning: {
      on: {
        ...REGISTERED,
        reprovision: { actions: ['reprovision', persist(true)] },
        offline_due: { guard: 'silentTooLong', target: 'offline', actions: persist(false) },
      },
    },
    online: {
      on: {
        ...REGISTERED,
        reprovision: { target: 'provisioning', actions: ['reprovision', persist(true)] },
        offline_due: { guard: 'silentTooLong', target: 'offline', actions: persist(false) },
      },
    },
    offline: {
      on: {
        reenroll: { guard: 'notIpad', actions: ['openReenrollment', persist(true)] },
        register: [
          { guard: 'reenrollmentOpen', target: 'provisioning', actions: ['reregister', persist(true)] },
          { guard: 'reenrollmentPending', actions: reject('unauthorized', 'the enrollment token has expired') },
        ],
        expire_due: { guard: 'enrollmentOver', actions: ['dropReenrollment', persist(false)] },
        heartbeat: { target: 'evaluating', actions: 'heartbeat' },
        set_roles: { actions: ['setRoles', persist(true)] },
        reprovision: { actions: ['reprovision', persist(true)] },
      },
    },
    /** Transient: decides provisioning vs online from the context just updated. */
    evaluating: {
      always: [
        { guard: 'provisioned', target: 'online', actions: persistBeat('online') },
        { target: 'provisioning', actions: persistBeat('provisioning') },
      ],
    },
    expired: {
      on: {
        set_roles: { actions: ['setRoles', persist(true)] },
        register: { actions: reject('unauthorized', 'the enrollment token has expired') },
        reenroll: { guard: 'notIpad', target: 'enrolling', actions: ['reissueEnrollment', persist(true)] },
      },
    },
  },
});

export type NodeMachine = typeof nodeMachine;

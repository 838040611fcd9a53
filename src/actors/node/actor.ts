/**
 * NodeActor: one per node, on the kernel. Owns the node's record (its lifecycle state included)
 * and live telemetry. Every change is decided by the lifecycle machine (./machine.ts), stepped by
 * the kernel from the actor's data; the actor applies the result, publishes what changed to the
 * fleet's indexes, and pushes the record to the store — before its reply when the machine asked
 * for `persist: durable`, rolling the change back if the write fails (503 `persist_failed`, no
 * trace in memory). A heartbeat that changes nothing the machine cares about (the steady state of
 * a healthy fleet) skips the machine: it refreshes last_seen and answers synchronously.
 */
import { isoCached, wallOf, type Clock } from '../../clock.js';
import { fail, ok, type Result } from '../../errors.js';
import { asker } from '../kernel/ask.js';
import { ActorCell, Committing, type Answer, type CellObserver } from '../kernel/cell.js';
import { step, type Step } from '../kernel/machine.js';
import type { PersistPort } from '../kernel/store.js';
import type { AgentLimits, HeartbeatReplyOut } from '../../wire/agent.js';
import { hasUnsentFlag, nodeMachine, type HeadChanges, type NodeContext, type NodeEvent, type NodeSettings, type UpdateChanges } from './machine.js';
import { toView, type FlagName, type NodeRecord, type NodeState, type NodeView, type Reported } from './record.js';

export interface HeartbeatReport {
  reported: Partial<Reported>;
  diagnostics?: Record<string, unknown>;
  ack: readonly FlagName[];
}

export type HeartbeatReply = HeartbeatReplyOut;

export type NodeMsg =
  | { type: 'heartbeat'; report: HeartbeatReport }
  | { type: 'register'; tokenHash: string; reported: Partial<Reported> }
  /** SPEC §16.3: a new single-use enrollment for this node (its id, the token's hash, its lifetime). */
  | { type: 'reenroll'; enrollmentId: string; tokenHash: string; ttlS: number }
  | { type: 'set_roles'; roles: string[] }
  | { type: 'update'; changes: UpdateChanges }
  | { type: 'drain'; drain: boolean; reason: string | null }
  /** From the node's head actor: its durable side (assignment, allowed experiences). */
  | { type: 'set_head'; changes: HeadChanges }
  | { type: 'set_flag'; flag: 'update_node' | 'update_services' }
  | { type: 'reprovision' }
  | { type: 'offline_due' }
  | { type: 'expire_due' }
  | { type: 'delete' };

export interface NodeReplies {
  heartbeat: HeartbeatReply;
  register: NodeView;
  reenroll: NodeView;
  set_roles: NodeView;
  update: NodeView;
  drain: NodeView;
  set_head: NodeView;
  set_flag: NodeView;
  reprovision: NodeView;
  offline_due: null;
  expire_due: null;
  delete: null;
}

/** Where a node actor publishes what the fleet indexes (token → node, counts per state). */
export interface NodeIndexPort {
  /** The node's record changed from `prev` (null: new) to `next` (null: gone). */
  changed(id: string, prev: NodeRecord | null, next: NodeRecord | null): void;
}

/** What a node actor needs from the rest of the server (ports, injected by the fleet). */
export interface NodeActorDeps {
  clock: Clock;
  observer: CellObserver;
  store: PersistPort;
  index: NodeIndexPort;
  settings: NodeSettings;
  heartbeatIntervalS: number;
  /** The limits every heartbeat reply tells the agent (one shared object, not one per reply). */
  limits: Readonly<AgentLimits>;
  /** Queue counts from the node's exec-queue actor (published, read without a message). */
  execCounts(nodeId: string): { pending: number; depth: number; stalled?: boolean };
  shellPending(nodeId: string): number;
  /** The node is gone: its other actors (exec queue …) stop with it. */
  onDeleted(nodeId: string): void;
}

/** last_seen on disk is refreshed at least this often (a steady heartbeat changes nothing else). */
export const LAST_SEEN_REFRESH_MS = 60_000;

const REPORTED_KEYS: Array<keyof Reported> = [
  'provider_status', 'provider_version', 'agent_version', 'hostname', 'os', 'arch', 'lan_ip', 'wg_ip',
];

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

const sameUpdate = (a: Reported['agent_update'], b: Reported['agent_update']): boolean =>
  a === b || (a !== undefined && b !== undefined && a.state === b.state && a.at === b.at && a.target_version === b.target_version && a.message === b.message);
/** Provision errors as reported: most often {} on both sides (no serialization then). */
function sameErrors(a: Reported['provision_errors'] = {}, b: Reported['provision_errors'] = {}): boolean {
  for (const _ in a) return JSON.stringify(a) === JSON.stringify(b);
  for (const _ in b) return false;
  return true;
}

/** True when the report would change something the record holds. */
function changesRecord(prev: Reported, next: Partial<Reported>): boolean {
  if (next.roles_applied !== undefined && !sameList(prev.roles_applied, next.roles_applied)) return true;
  if (next.agent_update !== undefined && !sameUpdate(prev.agent_update, next.agent_update)) return true;
  for (const k of REPORTED_KEYS) if (next[k] !== undefined && next[k] !== prev[k]) return true;
  return next.provision_errors !== undefined && !sameErrors(prev.provision_errors, next.provision_errors);
}

export class NodeActor extends ActorCell<NodeMsg, Result<unknown>> {
  private rec: NodeRecord;
  // Number fields start as numbers, never null or undefined: V8 then stores each new value into
  // the field's own box instead of allocating one per heartbeat (measured: three boxes a
  // heartbeat, each outliving young-generation GCs until the node's next beat).
  /** Monotonic: last heartbeat, registration, or the actor's start (boot grace). */
  private lastBeat = 0;
  /** Monotonic: when an unredeemed enrollment expires, else null. */
  private enrollDeadline: number | null;
  /** Wall ms of the last heartbeat (shown and stored), and monotonic ms of the last push. */
  private lastSeenMs = NaN; // NaN: never seen
  private pushedAt = 0;
  private diagnostics: Record<string, unknown> = {};
  /**
   * SPEC §16.7: restored from nodes.yaml at boot and not heard from since, so its state is the one
   * it had before the restart (a dead node still shows `online` for offline_after_s). Memory only.
   */
  private isCarriedOver: boolean;

  constructor(record: NodeRecord, private readonly deps: NodeActorDeps, opts: { restored?: boolean } = {}) {
    super(record.id, 'node', deps.clock, deps.observer);
    const mono = deps.clock.mono();
    this.rec = record;
    this.isCarriedOver = opts.restored === true && record.state !== 'enrolling' && record.state !== 'expired';
    this.lastBeat = mono;
    this.pushedAt = mono;
    this.lastSeenMs = record.last_seen ? Date.parse(record.last_seen) : NaN;
    const e = record.reenrollment ?? (record.state === 'enrolling' && record.enrollment && !record.enrollment.used_at ? record.enrollment : null);
    // Stored as wall time; from here on counted on the monotonic clock.
    this.enrollDeadline = e ? mono + (Date.parse(e.expires_at) - deps.clock.now()) : null;
    deps.store.put(record.id, record);
    deps.index.changed(record.id, null, record);
  }

  get record(): NodeRecord {
    return this.rec;
  }

  stateName(): NodeState {
    return this.rec.state;
  }

  /** SPEC §16.7: restored at boot and not heard from since (the node object's `carried_over`). */
  get carriedOver(): boolean {
    return this.isCarriedOver;
  }

  /** Monotonic instant an unredeemed enrollment (or re-enrollment) expires, else null; read by the fleet's sweeper. */
  get enrollmentDeadline(): number | null {
    return this.rec.state === 'enrolling' || this.rec.reenrollment ? this.enrollDeadline : null;
  }

  /** Monotonic offline clock start; read by the fleet's sweeper. */
  get offlineClock(): number {
    return this.lastBeat;
  }

  private lastSeenIso(): string | null {
    return Number.isNaN(this.lastSeenMs) ? null : new Date(this.lastSeenMs).toISOString();
  }

  view(): NodeView {
    const execs = this.deps.execCounts(this.id);
    // SPEC §15: stalled means the node still heartbeats (online) while its work waits unfetched.
    const execStalled = execs.stalled === true && this.rec.state === 'online';
    return toView(this.rec, { lastSeen: this.lastSeenIso(), diagnostics: this.diagnostics, execDepth: execs.depth, execStalled, carriedOver: this.isCarriedOver });
  }

  debugContext(): Record<string, unknown> {
    const { token_hash, enrollment, reenrollment, ...rest } = this.rec;
    const open = reenrollment && { ...reenrollment, token_hash: undefined };
    return {
      record: { ...rest, last_seen: this.lastSeenIso(), has_token: token_hash !== null, enrollment: enrollment && { ...enrollment, token_hash: undefined }, reenrollment: open },
      offline_clock_started_at: new Date(wallOf(this.clock, this.lastBeat)).toISOString(),
      diagnostics: this.diagnostics,
    };
  }

  /** The nodes.yaml form: the record with the live last_seen. */
  private persisted(): NodeRecord {
    const lastSeen = this.lastSeenIso();
    return lastSeen === this.rec.last_seen ? this.rec : { ...this.rec, last_seen: lastSeen };
  }

  private push(): void {
    this.pushedAt = this.clock.mono();
    this.deps.store.put(this.id, this.persisted());
  }

  /** One event through the lifecycle machine, from this actor's data. */
  private run(ev: NodeEvent): Step<NodeContext> {
    const context: NodeContext = {
      record: this.rec,
      settings: this.deps.settings,
      lastBeat: this.lastBeat,
      enrollDeadline: this.enrollDeadline,
      beatDurable: false,
    };
    return step(nodeMachine, this.rec.state, context, ev, {});
  }

  /** Takes the machine's result as the actor's own, and tells the indexes. */
  private adopt(s: Step<NodeContext>): void {
    const prev = this.rec;
    const state = s.value as NodeState;
    this.rec = s.context.record.state === state ? s.context.record : { ...s.context.record, state };
    this.lastBeat = s.context.lastBeat;
    this.enrollDeadline = s.context.enrollDeadline;
    if (this.rec !== prev) this.deps.index.changed(this.id, prev, this.rec);
  }

  /**
   * Applies a step and answers: the refusal; or, for a durable change, the decided reply while the
   * store writes it (the mailbox waits; a failed write rolls the change back and answers 503
   * instead); or at once, the store written within seconds.
   */
  private conclude<T>(s: Step<NodeContext>, reply: () => T): Result<T> | Committing<Result<T>> {
    if (s.rejected) return s.rejected;
    const before = { rec: this.rec, lastBeat: this.lastBeat, enrollDeadline: this.enrollDeadline };
    this.adopt(s);
    const after = this.rec;
    if (s.persist === null) return ok(reply());
    this.push();
    if (s.persist === 'lazy') return ok(reply());
    const decided = ok(reply());
    return new Committing(decided, this.deps.store.commit().then(
      () => decided,
      (e: unknown) => {
        // Leave no trace: the record, the indexes and the store go back to what they were.
        this.rec = before.rec;
        this.lastBeat = before.lastBeat;
        this.enrollDeadline = before.enrollDeadline;
        if (after !== before.rec) this.deps.index.changed(this.id, after, before.rec);
        this.push();
        return fail('persist_failed', `nodes.yaml could not be written, nothing was changed: ${(e as Error).message}`);
      },
    ));
  }

  protected handle(msg: NodeMsg): Answer<Result<unknown>> {
    switch (msg.type) {
      case 'heartbeat':
        return this.heartbeat(msg.report);
      case 'register': {
        this.isCarriedOver = false;
        const mono = this.clock.mono();
        const ev: NodeEvent = { type: 'REGISTER', tokenHash: msg.tokenHash, reported: msg.reported, at: new Date(this.clock.now()).toISOString(), mono };
        return this.conclude(this.run(ev), () => this.view());
      }
      case 'reenroll': {
        const now = this.clock.now();
        const enrollment = { id: msg.enrollmentId, token_hash: msg.tokenHash, expires_at: new Date(now + msg.ttlS * 1000).toISOString() };
        return this.conclude(this.run({ type: 'REENROLL', enrollment, deadline: this.clock.mono() + msg.ttlS * 1000 }), () => this.view());
      }
      case 'set_roles':
        return this.conclude(this.run({ type: 'SET_ROLES', roles: msg.roles }), () => this.view());
      case 'update':
        return this.conclude(this.run({ type: 'UPDATE', changes: msg.changes }), () => this.view());
      case 'drain':
        return this.conclude(this.run({ type: 'DRAIN', drain: msg.drain, reason: msg.reason }), () => this.view());
      case 'set_head':
        return this.conclude(this.run({ type: 'SET_HEAD', changes: msg.changes }), () => this.view());
      case 'set_flag':
        return this.conclude(this.run({ type: 'SET_FLAG', flag: msg.flag }), () => this.view());
      case 'reprovision':
        return this.conclude(this.run({ type: 'REPROVISION' }), () => this.view());
      case 'offline_due':
        // The machine re-checks: a heartbeat may have been handled since the sweeper looked.
        return this.conclude(this.run({ type: 'OFFLINE_DUE', mono: this.clock.mono() }), () => null);
      case 'expire_due':
        return this.conclude(this.run({ type: 'EXPIRE_DUE', mono: this.clock.mono() }), () => null);
      case 'delete':
        return this.delete();
    }
  }

  private heartbeat(report: HeartbeatReport): Result<HeartbeatReply> | Committing<Result<HeartbeatReply>> {
    const mono = this.clock.mono();
    const now = this.clock.now();
    this.lastBeat = mono;
    this.lastSeenMs = now;
    this.isCarriedOver = false;
    if (report.diagnostics) this.diagnostics = report.diagnostics;
    const rec = this.rec;
    if (rec.state === 'online' && report.ack.length === 0 && !hasUnsentFlag(rec) && !rec.awaiting_report && !changesRecord(rec.reported, report.reported)) {
      // Steady state: nothing for the machine; last_seen reaches the disk once a minute.
      if (mono - this.pushedAt >= LAST_SEEN_REFRESH_MS) this.push();
      return ok(this.beatReply(now));
    }
    const s = this.run({ type: 'HEARTBEAT', reported: report.reported, ack: report.ack, at: new Date(now).toISOString() });
    if (!s.changed) return ok(this.beatReply(now)); // enrolling/expired: nothing to do
    return this.conclude(s, () => this.beatReply(now));
  }

  private beatReply(now: number): HeartbeatReply {
    const r = this.rec;
    return {
      node_id: this.id,
      state: r.state,
      roles: r.roles,
      district: r.district,
      venue: r.venue,
      owner: r.owner,
      flags: r.flags,
      exec_pending: this.deps.execCounts(this.id).pending,
      shell_pending: this.deps.shellPending(this.id),
      heartbeat_interval_s: this.deps.heartbeatIntervalS,
      server_time: isoCached(now),
      limits: this.deps.limits,
    };
  }

  /** Removes the node once nodes.yaml no longer holds it; a failed write leaves it as it was. */
  private delete(): Committing<Result<null>> {
    this.deps.store.remove(this.id);
    const decided = ok(null);
    return new Committing(decided, this.deps.store.commit().then(
      () => {
        this.deps.index.changed(this.id, this.rec, null);
        this.stopCell();
        this.deps.onDeleted(this.id);
        return decided;
      },
      (e: unknown) => {
        this.push();
        return fail('persist_failed', `nodes.yaml could not be written, the node was not deleted: ${(e as Error).message}`);
      },
    ));
  }
}

/** ask() for a node actor, typed by message: the reply value, or the AppError of its code. */
export const askNode = asker<NodeMsg, NodeReplies>();

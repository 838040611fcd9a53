/**
 * NodeActor: one per node, on the kernel path (../kernel/machine-actor.ts). Owns the node's record
 * (its lifecycle state included) and live telemetry. Every change is decided by the lifecycle
 * machine (./machine.ts); adopting its result publishes what changed to the fleet's indexes, and
 * `persist` pushes the record to the store (durable before the reply when the machine asked for
 * it; the kernel undoes a change whose write failed: 503 `persist_failed`, no trace in memory). A
 * heartbeat that changes nothing the machine cares about (the steady state of a healthy fleet)
 * skips the machine: it refreshes last_seen and answers synchronously.
 */
import { isoCached, wallOf, type Clock } from '../../clock.js';
import { AppError, ok, type Result } from '../../errors.js';
import { asker } from '../kernel/ask.js';
import type { CellObserver } from '../kernel/cell.js';
import type { Commit } from '../kernel/commit.js';
import { MachineActor } from '../kernel/machine-actor.js';
import type { Snapshot } from '../kernel/machine.js';
import type { PersistPort } from '../kernel/store.js';
import type { AgentLimits, HeartbeatReplyOut } from '../../wire/agent.js';
import { hasUnsentFlag, nodeMachine, type HeartbeatReport, type NodeContext, type NodeEvent, type NodeSettings } from './machine.js';
import { toView, type NodeRecord, type NodeState, type NodeView, type Reported } from './record.js';

export type { HeartbeatReport, NodeEvent } from './machine.js';

export type HeartbeatReply = HeartbeatReplyOut;

/** The node actor's messages: its machine's events, and its removal. */
export type NodeMsg = NodeEvent | { type: 'delete' };

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

/** The config a node actor reads: one immutable value, replaced whole by a reload. */
export interface NodeConfig {
  readonly settings: NodeSettings;
  readonly heartbeatIntervalS: number;
  /** The limits every heartbeat reply tells the agent (one shared object, not one per reply). */
  readonly limits: Readonly<AgentLimits>;
}

/** What a node actor needs from the rest of the server (ports, injected by the fleet at construction). */
export interface NodeActorDeps {
  clock: Clock;
  observer: CellObserver;
  store: PersistPort;
  index: NodeIndexPort;
  /** The config now (a reload replaces the value). */
  config(): NodeConfig;
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

export class NodeActor extends MachineActor<NodeMsg, typeof nodeMachine> {
  protected readonly machine = nodeMachine;
  /** Every node effect is publishing (adopt) and persisting: no other port. */
  protected readonly ports = {};
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
   * docs/api.md#exec: restored from nodes.yaml at boot and not heard from since, so its state is the one
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

  /**
   * The node's record as the actor last published it: an immutable value (replaced whole at every
   * change, never mutated), for the fleet's read models. Changes go through messages.
   */
  get published(): Readonly<NodeRecord> {
    return this.rec;
  }

  stateName(): NodeState {
    return this.rec.state;
  }

  /** docs/api.md#exec: restored at boot and not heard from since (the node object's `carried_over`). */
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
    // docs/api.md#accountability: stalled means the node still heartbeats (online) while its work waits unfetched.
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

  protected current(): Snapshot<NodeContext> {
    const context: NodeContext = {
      record: this.rec,
      settings: this.deps.config().settings,
      now: this.clock.now(),
      mono: this.clock.mono(),
      lastBeat: this.lastBeat,
      enrollDeadline: this.enrollDeadline,
      beatDurable: false,
    };
    return { value: this.rec.state, context };
  }

  /** Takes a snapshot as the actor's own, and tells the indexes what changed. */
  protected adopt(s: Snapshot<NodeContext>): void {
    const prev = this.rec;
    const state = s.value as NodeState;
    this.rec = s.context.record.state === state ? s.context.record : { ...s.context.record, state };
    this.lastBeat = s.context.lastBeat;
    this.enrollDeadline = s.context.enrollDeadline;
    if (this.rec !== prev) this.deps.index.changed(this.id, prev, this.rec);
  }

  protected persist(durable: boolean): Promise<void> | void {
    this.push();
    if (!durable) return;
    return this.deps.store.commit().catch((e: unknown) => {
      throw new AppError('persist_failed', `nodes.yaml could not be written, nothing was changed: ${(e as Error).message}`);
    });
  }

  protected handle(msg: NodeMsg): Result<unknown> | Commit<Result<unknown>> {
    switch (msg.type) {
      case 'heartbeat':
        return this.heartbeat(msg);
      case 'register':
        this.isCarriedOver = false;
        return this.run(msg, () => this.view());
      case 'offline_due': // the machine re-checks: a heartbeat may have been handled since the sweeper looked
      case 'expire_due':
        return this.run(msg, () => null);
      case 'delete':
        return this.delete();
      default:
        return this.run(msg, () => this.view());
    }
  }

  private heartbeat(msg: Extract<NodeEvent, { type: 'heartbeat' }>): Result<HeartbeatReply> | Commit<Result<HeartbeatReply>> {
    const report: HeartbeatReport = msg.report;
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
    return this.run(msg, () => this.beatReply(now));
  }

  private beatReply(now: number): HeartbeatReply {
    const r = this.rec;
    const config = this.deps.config();
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
      heartbeat_interval_s: config.heartbeatIntervalS,
      server_time: isoCached(now),
      limits: config.limits,
    };
  }

  /** Removes the node once nodes.yaml no longer holds it (a durable commit); a failed write leaves it as it was. */
  private delete(): Commit<Result<null>> {
    this.deps.store.remove(this.id);
    const write = this.deps.store.commit().then(
      () => {
        this.deps.index.changed(this.id, this.rec, null);
        this.stopCell();
        this.deps.onDeleted(this.id);
      },
      (e: unknown) => {
        throw new AppError('persist_failed', `nodes.yaml could not be written, the node was not deleted: ${(e as Error).message}`);
      },
    );
    return this.commit(ok(null), write, () => this.push());
  }
}

/** ask() for a node actor, typed by message: the reply value, or the AppError of its code. */
export const askNode = asker<NodeMsg, NodeReplies>();

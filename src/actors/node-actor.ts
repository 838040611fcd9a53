/**
 * NodeActor: one per node. Owns the node's record and lifecycle state, and its live telemetry.
 * Every state change is decided by the xstate lifecycle machine (node-machine.ts): for each event
 * the machine is interpreted from the actor's current record and state, and its result becomes
 * the actor's state. Between events no xstate actor is kept (a started one is ~4 KB; with 100,000
 * nodes that was 70% of the heap and a third of the boot time), and no snapshot is restored: the
 * machine starts from data, as at boot. Admin changes are durable (nodes.yaml committed) before the reply; heartbeat
 * telemetry is written a little later. A heartbeat that changes nothing the statechart cares
 * about (the steady state of a healthy fleet) skips the machine: it only refreshes last_seen.
 */
import { createActor } from 'xstate';
import type { Clock } from '../clock.js';
import { fail, ok, unwrap, type Result } from '../errors.js';
import { awaitReply, type Waiter } from './ask.js';
import type { NodeStore } from '../persist/nodes-store.js';
import { ActorCell, type CellObserver } from './cell.js';
import { nodeMachine, type NodeEvent } from './node-machine.js';
import { toView, type FlagName, type Flags, type NodeRecord, type NodeState, type NodeView, type Reported } from './node-record.js';

export interface HeartbeatReport {
  reported: Partial<Reported>;
  diagnostics?: Record<string, unknown>;
  ack: FlagName[];
}

export interface HeartbeatReply {
  node_id: string;
  state: NodeState;
  roles: string[];
  district: string;
  venue: string;
  owner: string;
  flags: Flags;
  exec_pending: number;
  shell_pending: number;
  heartbeat_interval_s: number;
  server_time: string;
}

export type NodeMsg =
  | { type: 'heartbeat'; report: HeartbeatReport }
  | { type: 'register'; tokenHash: string; reported: Partial<Reported> }
  | { type: 'set_roles'; roles: string[] }
  | { type: 'update'; changes: Extract<NodeEvent, { type: 'UPDATE' }>['changes'] }
  | { type: 'set_flag'; flag: 'update_node' | 'update_services' }
  | { type: 'reprovision' }
  | { type: 'offline_due' }
  | { type: 'expire_due' }
  | { type: 'delete' };

export interface NodeReplies {
  heartbeat: HeartbeatReply;
  register: NodeView;
  set_roles: NodeView;
  update: NodeView;
  set_flag: NodeView;
  reprovision: NodeView;
  offline_due: null;
  expire_due: null;
  delete: null;
}

/** What a node actor needs from the rest of the server (ports, injected by the fleet). */
export type TokenKind = 'node' | 'enrollment';

export interface NodeActorDeps {
  clock: Clock;
  observer: CellObserver;
  store: NodeStore;
  providerRoles: readonly string[];
  heartbeatIntervalS: number;
  offlineAfterMs: number;
  /** Queue counts from the node's exec-queue actor (published, read without a message). */
  execCounts(nodeId: string): { pending: number; depth: number };
  shellPending(nodeId: string): number;
  /** Told when the node's credential or state changes, so indexes and counters follow. */
  onTokenChange(nodeId: string, kind: TokenKind, oldHash: string | null, newHash: string | null): void;
  onStateChange(nodeId: string, from: NodeState | null, to: NodeState | null): void;
  onDeleted(nodeId: string): void;
}

const REPORTED_KEYS: Array<keyof Reported> = [
  'provider_status', 'provider_version', 'agent_version', 'hostname', 'os', 'arch', 'lan_ip', 'wg_ip',
];

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** True when the report would change something the record holds. */
function changesRecord(prev: Reported, next: Partial<Reported>): boolean {
  if (next.roles_applied !== undefined && !sameList(prev.roles_applied, next.roles_applied)) return true;
  for (const k of REPORTED_KEYS) if (next[k] !== undefined && next[k] !== prev[k]) return true;
  return false;
}

export class NodeActor extends ActorCell<NodeMsg, Result<unknown>> {
  private rec: NodeRecord;
  private state: NodeState;
  /** Last heartbeat, or the actor's start (boot grace): what the offline clock counts from. */
  private lastBeatMs: number;
  private lastSeenMs: number | null;
  private diagnostics: Record<string, unknown> = {};

  constructor(record: NodeRecord, private readonly deps: NodeActorDeps) {
    super(record.id, 'node', deps.clock, deps.observer);
    this.rec = record;
    this.state = record.state;
    this.lastBeatMs = deps.clock.now();
    this.lastSeenMs = record.last_seen ? Date.parse(record.last_seen) : null;
    deps.store.track(record.id, () => this.persisted());
    deps.onStateChange(this.id, null, this.state);
    if (record.token_hash) deps.onTokenChange(this.id, 'node', null, record.token_hash);
    if (record.enrollment && !record.enrollment.used_at && record.state === 'enrolling') {
      deps.onTokenChange(this.id, 'enrollment', null, record.enrollment.token_hash);
    }
  }

  get record(): NodeRecord {
    return this.rec;
  }

  stateName(): NodeState {
    return this.state;
  }

  /** When an unredeemed enrollment expires (ms), else null; read by the fleet's sweeper. */
  get enrollmentExpiresMs(): number | null {
    const e = this.rec.enrollment;
    return this.state === 'enrolling' && e && !e.used_at ? Date.parse(e.expires_at) : null;
  }

  /** Offline clock start; read by the fleet's sweeper. */
  get offlineClockMs(): number {
    return this.lastBeatMs;
  }

  view(): NodeView {
    return toView(this.record, {
      state: this.state,
      lastSeen: this.lastSeenMs === null ? null : new Date(this.lastSeenMs).toISOString(),
      diagnostics: this.diagnostics,
      execDepth: this.deps.execCounts(this.id).depth,
    });
  }

  debugContext(): Record<string, unknown> {
    const { token_hash, enrollment, ...rest } = this.record;
    return {
      record: { ...rest, has_token: token_hash !== null, enrollment: enrollment && { ...enrollment, token_hash: undefined } },
      offline_clock_started_at: new Date(this.lastBeatMs).toISOString(),
      diagnostics: this.diagnostics,
    };
  }

  /** The nodes.yaml form: the record with the live state and last_seen. */
  private persisted(): NodeRecord {
    const lastSeen = this.lastSeenMs === null ? null : new Date(this.lastSeenMs).toISOString();
    return { ...this.record, state: this.state, last_seen: lastSeen };
  }

  private transition(ev: NodeEvent): void {
    const before = this.state;
    const oldHash = this.rec.token_hash;
    const machine = createActor(nodeMachine, { input: { record: { ...this.rec, state: before }, providerRoles: this.deps.providerRoles } });
    machine.start();
    machine.send(ev);
    const snap = machine.getSnapshot();
    machine.stop();
    this.rec = snap.context.record;
    this.state = snap.value as NodeState;
    if (before !== this.state) this.deps.onStateChange(this.id, before, this.state);
    const newHash = this.record.token_hash;
    if (oldHash !== newHash) this.deps.onTokenChange(this.id, 'node', oldHash, newHash);
  }

  /** Applies an admin change and replies once nodes.yaml has it. */
  private async durable(ev: NodeEvent): Promise<Result<NodeView>> {
    this.transition(ev);
    this.deps.store.markDirty(this.id);
    try {
      await this.deps.store.commit();
    } catch (e) {
      return fail('persist_failed', `the change is applied in memory but nodes.yaml could not be written: ${(e as Error).message}`);
    }
    return ok(this.view());
  }

  protected handle(msg: NodeMsg): Result<unknown> | Promise<Result<unknown>> {
    const now = this.clock.now();
    switch (msg.type) {
      case 'heartbeat':
        return ok(this.heartbeat(msg.report, now));
      case 'register': {
        const enr = this.record.enrollment;
        if (this.state !== 'enrolling' || !enr || enr.used_at) return fail('unauthorized', 'the enrollment token was already used');
        if (Date.parse(enr.expires_at) <= now) return fail('unauthorized', 'the enrollment token has expired');
        this.deps.onTokenChange(this.id, 'enrollment', enr.token_hash, null);
        this.lastBeatMs = now;
        return this.durable({ type: 'REGISTER', tokenHash: msg.tokenHash, reported: msg.reported, at: new Date(now).toISOString() });
      }
      case 'set_roles':
        return this.durable({ type: 'SET_ROLES', roles: msg.roles });
      case 'update':
        return this.durable({ type: 'UPDATE', changes: msg.changes });
      case 'set_flag':
        return this.durable({ type: 'SET_FLAG', flag: msg.flag });
      case 'reprovision':
        return this.durable({ type: 'REPROVISION' });
      case 'offline_due':
        // Re-checked here: a heartbeat may have been handled since the sweeper looked.
        if ((this.state === 'online' || this.state === 'provisioning') && now - this.lastBeatMs >= this.deps.offlineAfterMs) {
          this.transition({ type: 'OFFLINE' });
          this.deps.store.markDirty(this.id);
        }
        return ok(null);
      case 'expire_due': {
        const enr = this.record.enrollment;
        if (this.state === 'enrolling' && enr && Date.parse(enr.expires_at) <= now) {
          this.deps.onTokenChange(this.id, 'enrollment', enr.token_hash, null);
          this.transition({ type: 'EXPIRE' });
          this.deps.store.markDirty(this.id);
        }
        return ok(null);
      }
      case 'delete':
        return this.delete();
    }
  }

  private heartbeat(report: HeartbeatReport, now: number): HeartbeatReply {
    this.lastBeatMs = now;
    this.lastSeenMs = now;
    if (report.diagnostics) this.diagnostics = report.diagnostics;
    const rec = this.record;
    if (this.state !== 'online' || report.ack.length > 0 || changesRecord(rec.reported, report.reported)) {
      this.transition({ type: 'HEARTBEAT', reported: report.reported, ack: report.ack, at: new Date(now).toISOString() });
      this.deps.store.markDirty(this.id);
    }
    const r = this.record;
    return {
      node_id: this.id,
      state: this.state,
      roles: r.roles,
      district: r.district,
      venue: r.venue,
      owner: r.owner,
      flags: r.flags,
      exec_pending: this.deps.execCounts(this.id).pending,
      shell_pending: this.deps.shellPending(this.id),
      heartbeat_interval_s: this.deps.heartbeatIntervalS,
      server_time: new Date(now).toISOString(),
    };
  }

  private async delete(): Promise<Result<null>> {
    const r = this.record;
    this.deps.onTokenChange(this.id, 'node', r.token_hash, null);
    if (r.enrollment && !r.enrollment.used_at) this.deps.onTokenChange(this.id, 'enrollment', r.enrollment.token_hash, null);
    this.deps.onStateChange(this.id, this.state, null);
    this.deps.store.remove(this.id);
    this.stopCell();
    this.deps.onDeleted(this.id);
    try {
      await this.deps.store.commit();
    } catch (e) {
      return fail('persist_failed', `the node is removed in memory but nodes.yaml could not be written: ${(e as Error).message}`);
    }
    return ok(null);
  }
}

/** ask() for a node actor, typed by message: the reply value, or the AppError of its code. */
export async function askNode<T extends NodeMsg['type']>(
  node: NodeActor,
  msg: Extract<NodeMsg, { type: T }>,
  waiter?: Waiter,
): Promise<NodeReplies[T]> {
  const reply = node.deliver(msg);
  const r = reply instanceof Promise ? await awaitReply(node.id, msg.type, reply, { waiter }) : reply;
  return unwrap(r) as NodeReplies[T];
}

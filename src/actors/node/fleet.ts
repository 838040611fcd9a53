/**
 * Fleet: the supervisor of node actors. It creates them (at enrollment and from nodes.yaml at
 * boot), keeps the indexes they report into (token hash -> node, counts per state), and runs the
 * one sweeper that tells overdue nodes they are offline and unredeemed enrollments they expired.
 * It never changes a node itself: every change is a message to that node's actor.
 */
import type { Clock, TimerHandle } from '../../clock.js';
import type { RoleCatalog } from '../../config.js';
import { fail, ok } from '../../errors.js';
import { hashToken, newEnrollmentId, newNodeId, newToken } from '../../ids.js';
import type { Logger } from '../../log.js';
import { committed, tell, type Waiter } from '../kernel/ask.js';
import { Commit } from '../kernel/commit.js';
import type { PersistPort } from '../kernel/store.js';
import type { ActorSystem } from '../kernel/system.js';
import { NodeActor, type NodeActorDeps, type NodeConfig, type NodeIndexPort, type NodeMsg } from './actor.js';
import { NodeChangeLog } from './change-log.js';
import { EMPTY_REPORTED, NODE_STATES, nodeRecordSchema, type NodeKind, type NodeRecord, type NodeState } from './record.js';

export type TokenKind = 'node' | 'enrollment';

export interface FleetSettings {
  heartbeatIntervalS: number;
  offlineAfterS: number;
  enrollmentTtlS: number;
  sweepIntervalMs: number;
  maxOutputBytes: number;
}

/** What the fleet needs of the node's other actor families (exec queue, shells), injected at construction. */
export interface FleetPorts {
  /** Queue counts from the node's exec-queue actor (published, read without a message). */
  execCounts(nodeId: string): { pending: number; depth: number; stalled?: boolean };
  /** Shell sessions waiting for the node's agent. */
  shellPending(nodeId: string): number;
  /** The node was deleted: what it had elsewhere (exec queue, batch members, shell sessions) goes with it. */
  nodeGone(nodeId: string): void;
}

export interface FleetDeps {
  clock: Clock;
  system: ActorSystem;
  store: PersistPort;
  catalog: RoleCatalog;
  log: Logger;
  settings: Readonly<FleetSettings>;
  ports: FleetPorts;
  /** Other indexes fed by the node actors' changes (the heads and the eligible bodies). */
  watchers?: readonly NodeIndexPort[];
}

export interface TokenEntry {
  kind: TokenKind;
  nodeId: string;
}

export interface NewEnrollment {
  name: string;
  owner: string;
  kind: NodeKind;
  os: string | null;
  /** This enrollment's own lifetime (1 … enrollment_ttl_s); default enrollment_ttl_s. */
  ttlS?: number;
}

/** The token an unredeemed enrollment (or a registered node's re-enrollment) still answers to, if any. */
const openEnrollmentHash = (r: NodeRecord): string | null =>
  r.reenrollment?.token_hash ?? (r.state === 'enrolling' && r.enrollment && !r.enrollment.used_at ? r.enrollment.token_hash : null);

/** Roles whose catalog entry names a provider: those also need `provider_status: running`. */
const providerRolesOf = (catalog: RoleCatalog): string[] => Object.entries(catalog).filter(([, r]) => r.provider).map(([name]) => name);

/** What every node actor reads of the config (one frozen value per reload). */
const nodeConfigOf = (catalog: RoleCatalog, s: Readonly<FleetSettings>): NodeConfig =>
  Object.freeze({
    settings: Object.freeze({ providerRoles: providerRolesOf(catalog), offlineAfterMs: s.offlineAfterS * 1000 }),
    heartbeatIntervalS: s.heartbeatIntervalS,
    limits: Object.freeze({ max_output_bytes: s.maxOutputBytes }),
  });

export const DEFAULT_SWEEP_INTERVAL_MS = 1000;
/** Nodes told per event-loop turn by the sweeper. */
const SWEEP_SLICE = 500;
/** Above this many nodes in one sweep, one summary log line instead of one per node. */
const SWEEP_LOG_DETAIL_MAX = 20;

export class Fleet implements NodeIndexPort {
  private readonly nodes = new Map<string, NodeActor>();
  private readonly tokens = new Map<string, TokenEntry>();
  private readonly counts = Object.fromEntries(NODE_STATES.map((s) => [s, 0])) as Record<NodeState, number>;
  private readonly nodeDeps: NodeActorDeps;
  private sweeper: TimerHandle | null = null;
  /** The settings now: an immutable value, replaced whole by a reload. */
  private settings: Readonly<FleetSettings>;
  private nodeConfig: NodeConfig;
  /** The journal's node-change lines, then the indexes given at construction (the heads). */
  private readonly watchers: readonly NodeIndexPort[];

  constructor(private readonly deps: FleetDeps) {
    this.settings = deps.settings;
    this.nodeConfig = nodeConfigOf(deps.catalog, deps.settings);
    this.watchers = [new NodeChangeLog(deps.log), ...(deps.watchers ?? [])];
    this.nodeDeps = {
      clock: deps.clock,
      observer: deps.system,
      store: deps.store,
      index: this,
      config: () => this.nodeConfig,
      execCounts: deps.ports.execCounts,
      shellPending: deps.ports.shellPending,
      onDeleted: (id) => this.forget(id),
    };
  }

  /**
   * A config reload: the new catalog and settings hold for every node from its next message on
   * (the node actors read them from the shared deps). Nodes holding a role in `refreshed` (its
   * recipe or package changed) are asked to apply it afresh, as `update_services` does, so a
   * failed install's backoff does not hold them; returns how many nodes were asked.
   */
  reconfigure(catalog: RoleCatalog, settings: Omit<FleetSettings, 'sweepIntervalMs'>, refreshed: readonly string[]): number {
    this.settings = Object.freeze({ ...settings, sweepIntervalMs: this.settings.sweepIntervalMs });
    this.nodeConfig = nodeConfigOf(catalog, this.settings);
    if (refreshed.length === 0) return 0;
    const due: Array<readonly [NodeActor, { type: 'set_flag'; flag: 'update_services' }]> = [];
    for (const node of this.nodes.values()) {
      const state = node.stateName();
      if (state === 'enrolling' || state === 'expired') continue;
      if (node.published.roles.some((r) => refreshed.includes(r))) due.push([node, { type: 'set_flag', flag: 'update_services' }]);
    }
    this.tellInSlices(due);
    return due.length;
  }

  /** NodeIndexPort: a node actor published a change; the token index and the counts follow. */
  changed(id: string, prev: NodeRecord | null, next: NodeRecord | null): void {
    if (prev?.state !== next?.state) {
      if (prev) this.counts[prev.state]--;
      if (next) this.counts[next.state]++;
    }
    this.retoken(id, 'node', prev?.token_hash ?? null, next?.token_hash ?? null);
    this.retoken(id, 'enrollment', prev ? openEnrollmentHash(prev) : null, next ? openEnrollmentHash(next) : null);
    for (const w of this.watchers) w.changed(id, prev, next);
  }

  private retoken(nodeId: string, kind: TokenKind, oldHash: string | null, newHash: string | null): void {
    if (oldHash === newHash) return;
    if (oldHash !== null && this.tokens.get(oldHash)?.nodeId === nodeId) this.tokens.delete(oldHash);
    if (newHash !== null) this.tokens.set(newHash, { kind, nodeId });
  }

  /** Drops a node actor from the registries (after its delete, or a refused enrollment). */
  private forget(id: string): void {
    const node = this.nodes.get(id);
    this.nodes.delete(id);
    if (node) this.deps.system.unregister(node);
    this.deps.ports.nodeGone(id);
  }

  /** Re-creates node actors from nodes.yaml records; a bad record stops the start with its id. */
  restore(records: unknown[]): number {
    records.forEach((raw, i) => {
      const r = nodeRecordSchema.safeParse(raw);
      if (!r.success) {
        const issue = r.error.issues[0]!;
        const id = typeof raw === 'object' && raw && 'id' in raw ? String((raw as { id: unknown }).id) : `#${i + 1}`;
        throw new Error(`nodes.yaml: node ${id}: ${issue.path.join('.') || 'record'}: ${issue.message}`);
      }
      if (this.nodes.has(r.data.id)) throw new Error(`nodes.yaml: node ${r.data.id} appears twice`);
      this.spawn(r.data, true);
    });
    return this.nodes.size;
  }

  start(): void {
    this.sweeper ??= this.deps.clock.every(this.settings.sweepIntervalMs, () => this.sweep());
  }

  stop(): void {
    this.sweeper?.cancel();
    this.sweeper = null;
  }

  /**
   * Issues an enrollment: a node in `enrolling` with a single-use token. Durable on return; if
   * nodes.yaml cannot be written the node is dropped again (503 `persist_failed`, no trace).
   */
  async enroll(input: NewEnrollment, waiter?: Waiter): Promise<{ node: NodeActor; token: string }> {
    const now = this.deps.clock.now();
    const ttlS = input.ttlS ?? this.settings.enrollmentTtlS;
    const token = newToken('hce');
    const record: NodeRecord = {
      ...nodeRecordSchema.parse({
        id: newNodeId(),
        name: input.name,
        kind: input.kind,
        state: 'enrolling',
        owner: input.owner,
        created_at: new Date(now).toISOString(),
        reported: { ...EMPTY_REPORTED, os: input.os },
      }),
      enrollment: {
        id: newEnrollmentId(),
        token_hash: hashToken(token),
        expires_at: new Date(now + ttlS * 1000).toISOString(),
        used_at: null,
      },
    };
    const node = await this.admit(record, 'no enrollment was issued', waiter, () =>
      this.deps.log.info('enrollment issued', { node_id: record.id, enrollment_id: record.enrollment!.id, name: input.name, ttl_s: ttlS }),
    );
    return { node, token };
  }

  /**
   * Creates a node actor from a complete record (an enrollment, an iPad's self-registration): a
   * durable commit like any actor's change, answered once nodes.yaml holds it (or at once, its
   * write handed to the request: see `Waiter.durable`); if it cannot be written the node is dropped
   * again (503 `persist_failed`, no trace). `what` ends the error message; `done` runs once the
   * record is durable.
   */
  async admit(record: NodeRecord, what: string, waiter: Waiter | undefined, done: () => void): Promise<NodeActor> {
    const node = this.spawn(record);
    const final = this.deps.store.commit().then(
      () => (done(), ok(null)),
      (e: unknown) => {
        this.deps.store.remove(record.id);
        this.changed(record.id, record, null);
        this.forget(record.id);
        return fail('persist_failed', `nodes.yaml could not be written, ${what}: ${(e as Error).message}`);
      },
    );
    await committed(record.id, 'admit', new Commit(ok(null), final), { waiter });
    return node;
  }

  get(id: string): NodeActor | undefined {
    return this.nodes.get(id);
  }

  /** Who a bearer token belongs to, by its hex SHA-256 (the plain token is never stored). */
  lookupHash(hash: string): TokenEntry | undefined {
    return this.tokens.get(hash);
  }

  all(): IterableIterator<NodeActor> {
    return this.nodes.values();
  }

  get size(): number {
    return this.nodes.size;
  }

  stateCounts(): Record<NodeState, number> & { total: number } {
    return { total: this.nodes.size, ...this.counts };
  }

  /**
   * One pass of the offline and expiry clocks (monotonic: a wall-clock jump changes nothing).
   * Public so tests can drive it with a fake clock. It only finds candidates; each node's machine
   * decides when told.
   */
  sweep(): void {
    const now = this.deps.clock.mono();
    const offlineAfterMs = this.settings.offlineAfterS * 1000;
    const offline: NodeActor[] = [];
    const expired: NodeActor[] = [];
    for (const node of this.nodes.values()) {
      const state = node.stateName();
      if ((state === 'online' || state === 'provisioning') && now - node.offlineClock >= offlineAfterMs) offline.push(node);
      else if (node.enrollmentDeadline !== null && node.enrollmentDeadline <= now) expired.push(node);
    }
    // The common sweep finds nothing: it ends here. (Spreading the two empty arrays into one made
    // V8 throw away this function's optimized code on every sweep: `--trace-deopt`, "wrong map".)
    if (offline.length === 0 && expired.length === 0) return;
    this.logDue('node offline', offline, (n) => ({ silent_s: Math.round((now - n.offlineClock) / 1000) }));
    this.logDue('enrollment expired', expired, () => ({}));
    const due: Array<readonly [NodeActor, 'offline_due' | 'expire_due']> = [];
    for (const n of offline) due.push([n, 'offline_due']);
    for (const n of expired) due.push([n, 'expire_due']);
    this.tellInSlices(due);
  }

  /** One line per node, or one summary line when many go at once (an outage, a restart). */
  private logDue(msg: string, nodes: NodeActor[], fields: (n: NodeActor) => Record<string, unknown>): void {
    if (nodes.length > SWEEP_LOG_DETAIL_MAX) {
      this.deps.log.warn(`${msg}: many at once`, { count: nodes.length, first: nodes.slice(0, SWEEP_LOG_DETAIL_MAX).map((n) => n.id) });
    } else for (const n of nodes) this.deps.log.info(msg, { node_id: n.id, ...fields(n) });
  }

  /** Sends in slices so that thousands of nodes going offline together never hold the event loop. */
  private tellInSlices(due: ReadonlyArray<readonly [NodeActor, 'offline_due' | 'expire_due' | NodeMsg]>, from = 0): void {
    const end = Math.min(due.length, from + SWEEP_SLICE);
    for (let i = from; i < end; i++) {
      const [node, msg] = due[i]!;
      tell(node, typeof msg === 'string' ? { type: msg } : msg);
    }
    if (end < due.length) setImmediate(() => this.tellInSlices(due, end));
  }

  private spawn(record: NodeRecord, restored = false): NodeActor {
    const node = new NodeActor(record, this.nodeDeps, { restored });
    this.nodes.set(record.id, node);
    this.deps.system.register(node);
    return node;
  }
}

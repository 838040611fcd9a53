/**
 * ShellSessions: the supervisor of the shell session actors (docs/api.md#shell-sessions). It opens a session when
 * an admin's WebSocket is up, finds one by id for the agent's attach, answers the agents'
 * `shell/check` long-polls (a reply parked per node with the kernel's {@link Parking}, answered
 * the moment a session opens for that node), and enforces the per-node session limit. A closed
 * session leaves the registry and the actor system at once. It never touches an exec queue.
 */
import type { WebSocket } from 'ws';
import type { Clock } from '../../clock.js';
import type { Logger } from '../../log.js';
import { fail, ok, type Result } from '../../errors.js';
import { newShellId } from '../../ids.js';
import type { ShellSession } from '../../wire/shell.js';
import { tell } from '../kernel/ask.js';
import { Parking } from '../kernel/parking.js';
import type { ActorSystem } from '../kernel/system.js';
import { ShellSessionActor, type ShellSettings } from './session-actor.js';

export interface ShellSessionsSettings extends ShellSettings {
  maxSessionsPerNode: number;
}

export interface ShellOpen {
  cols: number;
  rows: number;
  command: string | null;
}

const NONE: ShellSession[] = [];

export class ShellSessions {
  private readonly sessions = new Map<string, ShellSessionActor>();
  private readonly byNode = new Map<string, Set<ShellSessionActor>>();
  private readonly checks: Parking<ShellSession[]>;
  private closing = false;

  /** The settings now: an immutable value, replaced whole by {@link reconfigure}. */
  private settings: Readonly<ShellSessionsSettings>;

  constructor(private readonly deps: { clock: Clock; system: ActorSystem; settings: ShellSessionsSettings; log?: Logger }) {
    this.checks = new Parking(deps.clock);
    this.settings = Object.freeze({ ...deps.settings });
  }

  /** A config reload: new sessions and every session's next message read the new settings. */
  reconfigure(settings: ShellSessionsSettings): void {
    this.settings = Object.freeze({ ...settings });
  }

  get size(): number {
    return this.sessions.size;
  }

  get(id: string): ShellSessionActor | undefined {
    return this.sessions.get(id);
  }

  /** Refuses a session past the node's limit (and during shutdown) before any socket is opened. */
  mayOpen(nodeId: string): Result<null> {
    if (this.closing) return fail('shutting_down', 'the server is shutting down; retry in a few seconds');
    const open = this.byNode.get(nodeId)?.size ?? 0;
    const max = this.settings.maxSessionsPerNode;
    if (open >= max) return fail('too_many_sessions', `node ${nodeId} already has ${open} open shell sessions (server.shell.max_sessions_per_node ${max}); close one first`);
    return ok(null);
  }

  /** A client's socket is open: the session starts waiting, and a waiting agent hears of it now. */
  open(nodeId: string, opts: ShellOpen, client: WebSocket): Result<ShellSessionActor> {
    const allowed = this.mayOpen(nodeId);
    if (!allowed.ok) return allowed;
    const { clock, system } = this.deps;
    const deps = { clock, observer: system, settings: () => this.settings, onClosed: (s: ShellSessionActor) => this.closed(s) };
    const session = new ShellSessionActor(newShellId(), { nodeId, ...opts, client }, deps);
    this.sessions.set(session.id, session);
    let set = this.byNode.get(nodeId);
    if (!set) this.byNode.set(nodeId, (set = new Set()));
    set.add(session);
    system.register(session);
    this.checks.answerAll(nodeId, () => this.waiting(nodeId));
    return ok(session);
  }

  /** Sessions of the node waiting for its agent to attach (the heartbeat's `shell_pending`). */
  pending(nodeId: string): number {
    const set = this.byNode.get(nodeId);
    if (!set) return 0;
    let n = 0;
    for (const s of set) if (s.state === 'waiting') n++;
    return n;
  }

  waiting(nodeId: string): ShellSession[] {
    const set = this.byNode.get(nodeId);
    if (!set) return NONE;
    return [...set].filter((s) => s.state === 'waiting').map((s) => s.offer);
  }

  /** The agent's `shell/check`: sessions now, or parked up to `waitMs` until one opens. */
  check(nodeId: string, waitMs: number, signal?: AbortSignal): ShellSession[] | Promise<ShellSession[]> {
    const now = this.waiting(nodeId);
    if (now.length > 0 || waitMs <= 0 || this.closing) return now;
    // A newer check from the node replaces a parked one.
    this.checks.answerAll(nodeId, NONE);
    return this.checks.park(nodeId, waitMs, NONE, signal);
  }

  /** The node was deleted: its sessions end. */
  removeNode(nodeId: string): void {
    for (const s of this.byNode.get(nodeId) ?? []) tell(s, { type: 'end', reason: 'agent_closed' });
    this.checks.answerAll(nodeId, NONE);
  }

  /** Shutdown: every session ends (its client is told), every parked check is answered. */
  closeAll(): void {
    this.closing = true;
    this.checks.releaseAll();
    for (const s of this.sessions.values()) tell(s, { type: 'end', reason: 'shutting_down' });
  }

  private closed(s: ShellSessionActor): void {
    this.sessions.delete(s.id);
    const set = this.byNode.get(s.nodeId);
    set?.delete(s);
    if (set?.size === 0) this.byNode.delete(s.nodeId);
    this.deps.system.unregister(s);
    const c = s.debugContext();
    this.deps.log?.info('shell session closed', { session_id: s.id, node_id: s.nodeId, reason: c.reason, bytes_to_client: c.bytes_to_client, bytes_to_agent: c.bytes_to_agent });
  }
}

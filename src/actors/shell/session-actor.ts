/**
 * ShellSessionActor: one WebSocket PTY session (actor id `shell-<ULID>`, kind `shell`), on the
 * kernel path. Its statechart (machine.ts) holds the rules; its mailbox sees only the few events of a
 * session's life (attach, the agent's socket, timeouts, the end) — the PTY bytes go through the
 * {@link ShellBridge} outside it. Two timers on the injected clock: the attach timeout (the agent
 * must attach and connect by then, else the client gets `agent_unavailable`) and the idle
 * timeout (no byte either way for `idleMs`).
 */
import type { WebSocket } from 'ws';
import { wallOf, type Clock, type TimerHandle } from '../../clock.js';
import { CLOSE_POLICY, type ShellSession } from '../../wire/shell.js';
import { asker, tell } from '../kernel/ask.js';
import type { CellObserver } from '../kernel/cell.js';
import { MachineActor } from '../kernel/machine-actor.js';
import type { Snapshot } from '../kernel/machine.js';
import { ShellBridge } from './bridge.js';
import { shellMachine, type ShellContext, type ShellEvent, type ShellState } from './machine.js';

/** The session actor's messages: its machine's events. */
export type ShellMsg = ShellEvent;

export interface ShellReplies {
  attach: null;
  agent_socket: null;
  attach_timeout: null;
  idle_check: null;
  end: null;
}

export interface ShellSettings {
  attachTimeoutMs: number;
  idleTimeoutMs: number;
}

export interface ShellSessionDeps {
  clock: Clock;
  observer: CellObserver;
  /** The settings now (a reload replaces the value whole). */
  settings(): Readonly<ShellSettings>;
  /** Told once, when the session has closed. */
  onClosed(session: ShellSessionActor): void;
}

export class ShellSessionActor extends MachineActor<ShellMsg, typeof shellMachine> {
  protected readonly machine = shellMachine;
  protected readonly ports = {
    connectAgent: (p: { socket: WebSocket | null }) => {
      this.attachTimer?.cancel();
      this.attachTimer = null;
      this.lastActivity = this.ctx.now;
      this.bridge.attachAgent(p.socket!);
    },
    refuseSocket: (p: { socket: WebSocket | null }) => p.socket?.close(CLOSE_POLICY, 'this shell session has no place for another agent'),
    rearmIdle: () => this.armIdle(this.lastActivity + this.deps.settings().idleTimeoutMs - this.ctx.now),
    teardown: () => this.teardown(),
  };
  private value: ShellState = 'waiting';
  private ctx: ShellContext;
  private readonly bridge: ShellBridge;
  private attachTimer: TimerHandle | null;
  private idleTimer: TimerHandle | null = null;
  private lastActivity: number;

  constructor(
    id: string,
    init: { nodeId: string; cols: number; rows: number; command: string | null; client: WebSocket },
    private readonly deps: ShellSessionDeps,
  ) {
    super(id, 'shell', deps.clock, deps.observer);
    const now = deps.clock.mono();
    this.ctx = {
      id, nodeId: init.nodeId, cols: init.cols, rows: init.rows, command: init.command,
      openedAt: now, attachedAt: null, connectedAt: null, closedAt: null, reason: null,
      idleMs: deps.settings().idleTimeoutMs, now, lastActivity: now,
    };
    this.lastActivity = now;
    this.bridge = new ShellBridge(init.client, {
      end: (reason) => tell(this, { type: 'end', reason }),
      activity: () => (this.lastActivity = this.clock.mono()),
    });
    this.attachTimer = deps.clock.after(deps.settings().attachTimeoutMs, () => tell(this, { type: 'attach_timeout' }));
    this.armIdle(deps.settings().idleTimeoutMs);
  }

  get nodeId(): string {
    return this.ctx.nodeId;
  }

  get state(): ShellState {
    return this.value;
  }

  /** What the node's agent sees in `shell/check`. */
  get offer(): ShellSession {
    return { id: this.id, cols: this.ctx.cols, rows: this.ctx.rows, command: this.ctx.command };
  }

  stateName(): string {
    return this.value;
  }

  override ownerNodeId(): string | null {
    return this.ctx.nodeId;
  }

  debugContext(): Record<string, unknown> {
    const c = this.ctx;
    const wall = (m: number | null) => (m === null ? null : new Date(wallOf(this.clock, m)).toISOString());
    return {
      node_id: c.nodeId,
      cols: c.cols,
      rows: c.rows,
      command: c.command,
      opened_at: wall(c.openedAt),
      attached_at: wall(c.attachedAt),
      agent_connected: this.bridge.agentConnected,
      idle_ms: Math.round(this.clock.mono() - this.lastActivity),
      bytes_to_client: this.bridge.bytesToClient,
      bytes_to_agent: this.bridge.bytesToAgent,
      reason: c.reason,
    };
  }

  protected handle(msg: ShellMsg) {
    return this.run(msg, () => null);
  }

  protected current(): Snapshot<ShellContext> {
    return { value: this.value, context: { ...this.ctx, now: this.clock.mono(), lastActivity: this.lastActivity, idleMs: this.deps.settings().idleTimeoutMs } };
  }

  protected adopt(s: Snapshot<ShellContext>): void {
    this.value = s.value as ShellState;
    this.ctx = s.context;
  }

  /** The `teardown` port: sockets closed, timers off, registry told. */
  private teardown(): void {
    this.attachTimer?.cancel();
    this.idleTimer?.cancel();
    this.attachTimer = this.idleTimer = null;
    this.bridge.teardown(this.ctx.reason ?? 'agent_closed');
    this.stopCell();
    this.deps.onClosed(this);
  }

  private armIdle(ms: number): void {
    this.idleTimer = this.clock.after(ms, () => tell(this, { type: 'idle_check' }));
  }
}

/** ask() for a shell session, typed by message. */
export const askShell = asker<ShellMsg, ShellReplies>();

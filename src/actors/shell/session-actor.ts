/**
 * ShellSessionActor: one WebSocket PTY session (actor id `shell-<ULID>`, kind `shell`), on the
 * kernel. Its statechart (machine.ts) holds the rules; its mailbox sees only the few events of a
 * session's life (attach, the agent's socket, timeouts, the end) — the PTY bytes go through the
 * {@link ShellBridge} outside it. Two timers on the injected clock: the attach timeout (the agent
 * must attach and connect by then, else the client gets `agent_unavailable`) and the idle
 * timeout (no byte either way for `idleMs`).
 */
import type { WebSocket } from 'ws';
import { wallOf, type Clock, type TimerHandle } from '../../clock.js';
import { fail, ok, type Result } from '../../errors.js';
import { CLOSE_POLICY, type ShellSession } from '../../wire/shell.js';
import { asker } from '../kernel/ask.js';
import { ActorCell, type CellObserver } from '../kernel/cell.js';
import { ShellBridge } from './bridge.js';
import { stepShell, type CloseReason, type ShellContext, type ShellEvent, type ShellState } from './machine.js';

export type ShellMsg =
  /** The agent asks to attach (before its WebSocket upgrade): the machine's rules decide. */
  | { type: 'attach'; nodeId: string }
  /** The attached agent's socket is open. */
  | { type: 'agent_socket'; socket: WebSocket }
  | { type: 'attach_timeout' }
  | { type: 'idle_check' }
  | { type: 'end'; reason: CloseReason };

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
  settings: ShellSettings;
  /** Told once, when the session has closed. */
  onClosed(session: ShellSessionActor): void;
}

export class ShellSessionActor extends ActorCell<ShellMsg, Result<unknown>> {
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
    this.ctx = { id, nodeId: init.nodeId, cols: init.cols, rows: init.rows, command: init.command, openedAt: now, attachedAt: null, closedAt: null, reason: null };
    this.lastActivity = now;
    this.bridge = new ShellBridge(init.client, {
      end: (reason) => void this.send({ type: 'end', reason }).catch(() => {}),
      activity: () => (this.lastActivity = this.clock.mono()),
    });
    this.attachTimer = deps.clock.after(deps.settings.attachTimeoutMs, () => void this.send({ type: 'attach_timeout' }).catch(() => {}));
    this.armIdle(deps.settings.idleTimeoutMs);
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

  protected handle(msg: ShellMsg): Result<unknown> {
    const at = this.clock.mono();
    switch (msg.type) {
      case 'attach':
        return this.apply({ type: 'ATTACH', nodeId: msg.nodeId, at });
      case 'agent_socket':
        if (this.value !== 'attached' || this.bridge.agentConnected) {
          msg.socket.close(CLOSE_POLICY, 'this shell session has no place for another agent');
          return ok(null);
        }
        this.attachTimer?.cancel();
        this.attachTimer = null;
        this.lastActivity = at;
        this.bridge.attachAgent(msg.socket);
        return ok(null);
      case 'attach_timeout':
        // Waiting: no agent came. Attached but its socket never opened: the same for the client.
        if (this.value === 'waiting') return this.apply({ type: 'ATTACH_TIMEOUT', at });
        if (this.value === 'attached' && !this.bridge.agentConnected) return this.apply({ type: 'END', reason: 'agent_unavailable', at });
        return ok(null);
      case 'idle_check': {
        const left = this.lastActivity + this.deps.settings.idleTimeoutMs - at;
        if (left > 0) return (this.armIdle(left), ok(null));
        return this.apply({ type: 'END', reason: 'idle_timeout', at });
      }
      case 'end':
        return this.apply({ type: 'END', reason: msg.reason, at });
    }
  }

  private apply(event: ShellEvent): Result<unknown> {
    if (this.value === 'closed') return event.type === 'ATTACH' ? fail('not_found', 'this shell session has ended') : ok(null);
    let ended = false;
    const s = stepShell(this.value, this.ctx, event, { teardown: () => (ended = true) });
    if (s.rejected) return s.rejected;
    this.value = s.value as ShellState;
    this.ctx = s.context;
    if (ended) this.teardown();
    return ok(null);
  }

  /** The `teardown` port's work, after the step: sockets closed, timers off, registry told. */
  private teardown(): void {
    this.attachTimer?.cancel();
    this.idleTimer?.cancel();
    this.attachTimer = this.idleTimer = null;
    this.bridge.teardown(this.ctx.reason ?? 'agent_closed');
    this.stopCell();
    this.deps.onClosed(this);
  }

  private armIdle(ms: number): void {
    this.idleTimer = this.clock.after(ms, () => void this.send({ type: 'idle_check' }).catch(() => {}));
  }
}

/** ask() for a shell session, typed by message. */
export const askShell = asker<ShellMsg, ShellReplies>();

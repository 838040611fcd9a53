/**
 * The life of one shell session (docs/api.md#shell-sessions), as an explicit statechart:
 *
 *   waiting ──attach (its own node)──▶ attached ──agent_socket (the first)──▶ attached, connected
 *     │ attach_timeout, end              │ end (client or agent gone, exit, shutdown), idle_check
 *     ▼                                  ▼   (idle too long), attach_timeout (no socket came)
 *   closed ◀─────────────────────────────┘
 *
 * The session actor runs it on the kernel path. Rules are guards: only the session's own node may
 * attach (403), and only once, while the session waits (409); only the first agent socket of an
 * attached session is taken (any other is closed); a session closes idle only when no byte passed
 * for `idleMs`. Effects are ports by key: `connectAgent` (pipe the agent's socket), `refuseSocket`
 * (close an extra one), `rearmIdle` (check again later), `teardown` (entering `closed`: both
 * sockets closed, telling the client `context.reason`). Time enters through the context (`now`,
 * `lastActivity`), set by the actor at each message.
 */
import { assign, setup } from 'xstate';
import type { WebSocket } from 'ws';
import { kernelActions, reject } from '../kernel/machine.js';
import type { ShellError } from '../../wire/shell.js';

export type ShellState = 'waiting' | 'attached' | 'closed';
/** Why a session closed: an error code for the client, or a plain end. */
export type CloseReason = ShellError | 'exit' | 'client_closed';

export interface ShellContext {
  id: string;
  nodeId: string;
  cols: number;
  rows: number;
  command: string | null;
  openedAt: number;
  attachedAt: number | null;
  /** When the agent's socket was taken, else null. */
  connectedAt: number | null;
  closedAt: number | null;
  reason: CloseReason | null;
  idleMs: number;
  /** Monotonic: the message's time, and the last byte either way (kept by the bridge). */
  now: number;
  lastActivity: number;
}

/** The session actor's messages, which are its machine's events (one vocabulary). */
export type ShellEvent =
  /** The agent asks to attach (before its WebSocket upgrade): the machine's rules decide. */
  | { type: 'attach'; nodeId: string }
  /** The attached agent's socket is open. */
  | { type: 'agent_socket'; socket: WebSocket }
  | { type: 'attach_timeout' }
  | { type: 'idle_check' }
  | { type: 'end'; reason: CloseReason };

const socketOf = ({ event }: { event: ShellEvent }) => ({ socket: event.type === 'agent_socket' ? event.socket : null });
const closing = (reason: CloseReason | null) => ({ type: 'close' as const, params: { reason } });

export const shellMachine = setup({
  types: { context: {} as ShellContext, events: {} as ShellEvent },
  guards: {
    ownNode: ({ context, event }) => event.type === 'attach' && event.nodeId === context.nodeId,
    noAgentYet: ({ context }) => context.connectedAt === null,
    idleTooLong: ({ context }) => context.now - context.lastActivity >= context.idleMs,
  },
  actions: {
    ...kernelActions,
    markAttached: assign({ attachedAt: ({ context }) => context.now }),
    markConnected: assign({ connectedAt: ({ context }) => context.now }),
    /** Closes the session for `reason` (null: the reason the `end` event gives). */
    close: assign(({ context, event }, p: { reason: CloseReason | null }) => ({
      closedAt: context.now,
      reason: p.reason ?? (event.type === 'end' ? event.reason : 'agent_closed'),
    })),
    // Ports: the actor does these.
    connectAgent: (_, _p: { socket: WebSocket | null }) => {},
    refuseSocket: (_, _p: { socket: WebSocket | null }) => {},
    rearmIdle: () => {},
    teardown: () => {},
  },
}).createMachine({
  id: 'shell',
  initial: 'waiting',
  context: {} as ShellContext,
  on: {
    agent_socket: { actions: { type: 'refuseSocket', params: socketOf } },
    idle_check: [{ guard: 'idleTooLong', target: '.closed', actions: [closing('idle_timeout'), 'teardown'] }, { actions: 'rearmIdle' }],
  },
  states: {
    waiting: {
      on: {
        attach: [
          { guard: 'ownNode', target: 'attached', actions: 'markAttached' },
          { actions: reject('forbidden', 'this node may attach only to its own shell sessions') },
        ],
        attach_timeout: { target: 'closed', actions: [closing('agent_unavailable'), 'teardown'] },
        end: { target: 'closed', actions: [closing(null), 'teardown'] },
      },
    },
    attached: {
      on: {
        attach: [
          { guard: 'ownNode', actions: reject('wrong_state', 'an agent is already attached to this shell session') },
          { actions: reject('forbidden', 'this node may attach only to its own shell sessions') },
        ],
        agent_socket: [
          { guard: 'noAgentYet', actions: ['markConnected', { type: 'connectAgent', params: socketOf }] },
          { actions: { type: 'refuseSocket', params: socketOf } },
        ],
        // Attached but its socket never opened: the same for the client as no agent at all.
        attach_timeout: { guard: 'noAgentYet', target: 'closed', actions: [closing('agent_unavailable'), 'teardown'] },
        end: { target: 'closed', actions: [closing(null), 'teardown'] },
      },
    },
    closed: {
      on: {
        attach: { actions: reject('not_found', 'this shell session has ended') },
        agent_socket: { actions: { type: 'refuseSocket', params: socketOf } },
        idle_check: {},
      },
    },
  },
});

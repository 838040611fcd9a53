/**
 * The life of one shell session (SPEC §7), as an explicit statechart:
 *
 *   waiting ──ATTACH (its own node)──▶ attached
 *     │ ATTACH_TIMEOUT, END              │ END (client or agent gone, exit, idle, shutdown)
 *     ▼                                  ▼
 *   closed ◀─────────────────────────────┘
 *
 * The session actor steps it with the kernel's `step()`. Rules are guards: only the session's own
 * node may attach (403), and only once, while the session waits (409). Entering `closed` asks for
 * the `teardown` port (the reason is in the context); the actor closes both sockets there. Time never enters the
 * machine: the actor's timers send ATTACH_TIMEOUT and END (idle).
 */
import { assign, setup } from 'xstate';
import { kernelActions, reject, step, type Ports } from '../kernel/machine.js';
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
  closedAt: number | null;
  reason: CloseReason | null;
}

export type ShellEvent =
  | { type: 'ATTACH'; nodeId: string; at: number }
  | { type: 'ATTACH_TIMEOUT'; at: number }
  | { type: 'END'; reason: CloseReason; at: number };

export const shellMachine = setup({
  types: { context: {} as ShellContext, events: {} as ShellEvent },
  guards: {
    ownNode: ({ context, event }) => event.type === 'ATTACH' && event.nodeId === context.nodeId,
  },
  actions: {
    ...kernelActions,
    markAttached: assign({ attachedAt: ({ event }) => event.at }),
    close: assign({
      closedAt: ({ event }) => event.at,
      reason: ({ event }) => (event.type === 'END' ? event.reason : 'agent_unavailable'),
    }),
    /** A port: the actor closes both sockets, telling the client `context.reason`. */
    teardown: () => {},
  },
}).createMachine({
  id: 'shell',
  initial: 'waiting',
  context: {} as ShellContext,
  states: {
    waiting: {
      on: {
        ATTACH: [
          { guard: 'ownNode', target: 'attached', actions: 'markAttached' },
          { actions: reject('forbidden', 'this node may attach only to its own shell sessions') },
        ],
        ATTACH_TIMEOUT: { target: 'closed', actions: ['close', 'teardown'] },
        END: { target: 'closed', actions: ['close', 'teardown'] },
      },
    },
    attached: {
      on: {
        ATTACH: [
          { guard: 'ownNode', actions: reject('wrong_state', 'an agent is already attached to this shell session') },
          { actions: reject('forbidden', 'this node may attach only to its own shell sessions') },
        ],
        END: { target: 'closed', actions: ['close', 'teardown'] },
      },
    },
    closed: {
      on: { ATTACH: { actions: reject('not_found', 'this shell session has ended') } },
    },
  },
});

/** One step of a session; `ports.teardown` runs when it closes. */
export function stepShell(value: ShellState, context: ShellContext, event: ShellEvent, ports: Ports) {
  return step(shellMachine, value, context, event, ports);
}

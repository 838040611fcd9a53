/**
 * Stepping a statechart with xstate's pure API — the one way every actor runs its machine.
 *
 * An actor keeps only data (its state name and context); for each event the kernel seeds a
 * snapshot from that data with `machine.resolveState({ value, context })`, takes the next snapshot
 * and the actions to run from `transition()`, and runs those actions by key through ports the
 * actor was given. No interpreter is started, none is kept between events (a started xstate actor
 * is ~4 KB: with 100,000 nodes that was most of the heap), and no snapshot is ever restored.
 *
 * Two action keys are the kernel's own vocabulary, shared by every machine:
 * - `reject` `{ code, message }`: the event is refused (the machine's guards decided); the
 *   actor's reply is that error and nothing changed.
 * - `persist` `{ durable }`: what changed must reach the store; `durable: true` means before the
 *   reply (an admin change, an acknowledged flag), `false` within a few seconds (telemetry).
 * Any other key is looked up in the actor's ports (indexes, notifications); a key nobody provides
 * is a bug and throws.
 */
import { transition, type AnyStateMachine, type ContextFrom, type EventFromLogic, type SnapshotFrom } from 'xstate';
import type { ErrorCode, Fail } from '../../errors.js';

/** An action the machine asked for, with its resolved params. */
export interface PortCall {
  type: string;
  params: unknown;
}

/** Where an actor's machine actions go, by key. */
export type Ports = Record<string, (params: never) => void>;

/** What one step decided. */
export interface Step<C> {
  value: string;
  context: C;
  /** False when the event did not apply in the current state (nothing changed, nothing ran). */
  changed: boolean;
  /** Set when the machine refused the event. */
  rejected: Fail | null;
  /** 'durable': the store must hold the change before the reply; 'lazy': soon; null: nothing to store. */
  persist: 'durable' | 'lazy' | null;
}

export interface RejectParams {
  code: ErrorCode;
  message: string;
}

/**
 * One event through `machine` from the state `value` with `context`: the next state and context,
 * with every action run through `ports` (in the order the machine gave them).
 */
export function step<M extends AnyStateMachine>(
  machine: M,
  value: string,
  context: ContextFrom<M>,
  event: EventFromLogic<M>,
  ports: Ports,
): Step<ContextFrom<M>> {
  const snapshot = machine.resolveState({ value, context }) as SnapshotFrom<M>;
  const [next, actions] = transition(machine, snapshot, event) as [{ value: unknown; context: unknown }, PortCall[]];
  // Refused: nothing ran, nothing changed (ports never see a refused event).
  const refusal = actions.find((a) => a.type === 'reject');
  if (refusal) {
    const p = refusal.params as RejectParams;
    return { value, context, changed: false, rejected: { ok: false, code: p.code, message: p.message }, persist: null };
  }
  const out: Step<ContextFrom<M>> = {
    value: next.value as string,
    context: next.context as ContextFrom<M>,
    // A transition was taken when the snapshot moved or it asked for anything.
    changed: next !== snapshot || actions.length > 0,
    rejected: null,
    persist: null,
  };
  for (const a of actions) {
    if (a.type === 'persist') {
      const durable = (a.params as { durable?: boolean } | undefined)?.durable === true;
      if (durable || out.persist === null) out.persist = durable ? 'durable' : 'lazy';
    } else {
      const port = ports[a.type];
      if (!port) throw new Error(`machine ${machine.id}: no port for action ${JSON.stringify(a.type)}`);
      (port as (p: unknown) => void)(a.params);
    }
  }
  return out;
}

/** A `reject` action for a machine's transition: `{ type: 'reject', params: { code, message } }`. */
export const reject = (code: ErrorCode, message: string) => ({ type: 'reject' as const, params: { code, message } });
/** A `persist` action: durable (before the reply) or lazy (soon). */
export const persist = (durable: boolean) => ({ type: 'persist' as const, params: { durable } });

/**
 * The kernel's own actions, to spread into a machine's `setup({ actions })`: declared so the
 * machine type-checks; the kernel handles them itself (their bodies never run).
 */
export const kernelActions = {
  persist: (_: unknown, _params: { durable: boolean }) => {},
  reject: (_: unknown, _params: RejectParams) => {},
};

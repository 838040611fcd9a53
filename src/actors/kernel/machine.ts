/**
 * Stepping a statechart with xstate's pure API — the one way every actor runs its machine.
 *
 * An actor keeps only data (its state name and context); for each event the kernel seeds a
 * snapshot from that data with `machine.resolveState({ value, context })` and takes the next
 * snapshot and the actions to run from `transition()`; the actor adopts the snapshot, then runs
 * those actions by key through its ports (machine-actor.ts is that path). No interpreter is
 * started, none is kept between events (a started xstate actor is ~4 KB: with 100,000 nodes that
 * was most of the heap), and no snapshot is ever restored.
 *
 * Two action keys are the kernel's own vocabulary, shared by every machine:
 * - `reject` `{ code, message }`: the event is refused (the machine's guards decided); the
 *   actor's reply is that error and nothing changed.
 * - `persist` `{ durable }`: what changed must reach the store; `durable: true` means before the
 *   reply (an admin change, an acknowledged flag), `false` within a few seconds (telemetry).
 * Any other key is an effect, looked up in the actor's ports (notifications, timers, sockets); a
 * key nobody provides is a bug and throws.
 */
import { transition, type AnyStateMachine, type ContextFrom, type EventFromLogic, type SnapshotFrom } from 'xstate';
import type { ErrorCode, Fail } from '../../errors.js';

/** An action the machine asked for, with its resolved params: an effect, run by key. */
export interface PortCall {
  type: string;
  params: unknown;
}

/** Where an actor's machine actions go, by key. */
export type Ports = Record<string, (params: never) => void>;

/** A machine's state name and context: all an actor keeps of it. */
export interface Snapshot<C> {
  value: string;
  context: C;
}

/** What one step decided. */
export interface Step<C> extends Snapshot<C> {
  /** False when the event did not apply in the current state (nothing changed, nothing to run). */
  changed: boolean;
  /** Set when the machine refused the event (then nothing else is set). */
  rejected: Fail | null;
  /** 'durable': the store must hold the change before the reply; 'lazy': soon; null: nothing to store. */
  persist: 'durable' | 'lazy' | null;
  /** The actions to run by key through the actor's ports, in the machine's order, once the new state is adopted. */
  effects: PortCall[];
}

export interface RejectParams {
  code: ErrorCode;
  message: string;
}

const NO_EFFECTS: PortCall[] = [];

/**
 * One event through `machine` from the state `value` with `context`: the next state and context,
 * and what the machine asked for (a refusal, a persist, effects). Pure: nothing runs here.
 */
export function step<M extends AnyStateMachine>(machine: M, value: string, context: ContextFrom<M>, event: EventFromLogic<M>): Step<ContextFrom<M>> {
  const snapshot = machine.resolveState({ value, context }) as SnapshotFrom<M>;
  const [next, actions] = transition(machine, snapshot, event) as [{ value: unknown; context: unknown }, PortCall[]];
  let persist: Step<unknown>['persist'] = null;
  let effects = NO_EFFECTS;
  for (const a of actions) {
    if (a.type === 'reject') {
      // Refused: nothing changed, nothing to run (ports never see a refused event).
      const p = a.params as RejectParams;
      return { value, context, changed: false, rejected: { ok: false, code: p.code, message: p.message }, persist: null, effects: NO_EFFECTS };
    }
    if (a.type === 'persist') {
      const durable = (a.params as { durable?: boolean } | undefined)?.durable === true;
      if (durable || persist === null) persist = durable ? 'durable' : 'lazy';
    } else {
      if (effects === NO_EFFECTS) effects = [];
      effects.push({ type: a.type, params: a.params });
    }
  }
  // A transition was taken when the snapshot moved or it asked for anything.
  const changed = next !== snapshot || actions.length > 0;
  return { value: next.value as string, context: next.context as ContextFrom<M>, changed, rejected: null, persist, effects };
}

/** Runs a step's effects by key through `ports`; a key nobody provides is a bug and throws. */
export function runEffects(machineId: string, effects: readonly PortCall[], ports: Ports): void {
  for (const a of effects) {
    const port = ports[a.type];
    if (!port) throw new Error(`machine ${machineId}: no port for action ${JSON.stringify(a.type)}`);
    (port as (p: unknown) => void)(a.params);
  }
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

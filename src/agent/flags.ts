/**
 * The admin flags of docs/api.md#agents-heartbeat-flags-and-the-provision-poll on the agent's side. A flag arrives in every heartbeat reply until the
 * agent acknowledges it, so each one moves through: wanted (a heartbeat reply carried it) →
 * running (its work started) → done (work finished; ack owed) → acknowledged in the next
 * heartbeat's `ack_flags`, then forgotten. A flag seen again while its work runs or its ack is owed
 * is the same request, not a new one; seen again after the ack, it is a new request.
 *
 * Only heartbeat replies feed {@link FlagTracker.observe}: the server clears a flag on an ack only
 * when a heartbeat reply has carried it since it was last set, so the agent acks nothing else.
 *
 * Every owed ack is kept in `<home>/pending-acks.json` until a heartbeat carrying it is accepted,
 * so an agent restarted between the work and the ack sends the ack instead of doing the work
 * again. The update hook's ack is written before the hook runs, because the hook usually restarts
 * hydranode.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { FLAG_NAMES, type FlagName, type Flags } from '../wire/constants.js';

/** Acks owed across a restart, in the agent's home folder. */
export const PENDING_ACKS_FILE = 'pending-acks.json';

type FlagState = 'wanted' | 'running' | 'done';

const isFlag = (x: unknown): x is FlagName => typeof x === 'string' && (FLAG_NAMES as readonly string[]).includes(x);

/** Where each admin flag stands on this agent (see the module comment). */
export class FlagTracker {
  private readonly states = new Map<FlagName, FlagState>();

  /** @param ackFile where owed acks are kept across restarts (none: in memory only). */
  constructor(private readonly ackFile?: string) {
    for (const f of this.readOwed()) this.states.set(f, 'done');
  }

  /** Records the flags a reply carries; returns the ones that are new requests. */
  observe(flags: Partial<Flags>): FlagName[] {
    const fresh: FlagName[] = [];
    for (const f of FLAG_NAMES) {
      if (flags[f] && !this.states.has(f)) {
        this.states.set(f, 'wanted');
        fresh.push(f);
      }
    }
    return fresh;
  }

  /** Starts the work of those of `names` that are wanted; returns them. */
  take(names: readonly FlagName[]): FlagName[] {
    const taken = names.filter((f) => this.states.get(f) === 'wanted');
    for (const f of taken) this.states.set(f, 'running');
    return taken;
  }

  /** The work of `names` finished: their acks are owed, on disk too. */
  done(names: readonly FlagName[]): void {
    const finished = names.filter((f) => this.states.get(f) === 'running');
    for (const f of finished) this.states.set(f, 'done');
    if (finished.length > 0) this.owe(finished);
  }

  /** Makes the ack of `name` owed on disk now, so it is sent even if the agent restarts meanwhile. */
  oweAcrossRestart(name: FlagName): void {
    this.owe([name]);
  }

  /** Acks to send in the next heartbeat. */
  pendingAcks(): FlagName[] {
    return FLAG_NAMES.filter((f) => this.states.get(f) === 'done');
  }

  /** A heartbeat carrying `names` was accepted: those requests are finished. */
  acked(names: readonly FlagName[]): void {
    for (const f of names) if (this.states.get(f) === 'done') this.states.delete(f);
    const owed = this.readOwed();
    if (owed.some((f) => names.includes(f))) this.writeOwed(owed.filter((f) => !names.includes(f)));
  }

  private owe(names: readonly FlagName[]): void {
    const owed = this.readOwed();
    if (names.some((f) => !owed.includes(f))) this.writeOwed([...new Set([...owed, ...names])]);
  }

  private readOwed(): FlagName[] {
    if (!this.ackFile || !existsSync(this.ackFile)) return [];
    try {
      const data: unknown = JSON.parse(readFileSync(this.ackFile, 'utf8'));
      return Array.isArray(data) ? data.filter(isFlag) : [];
    } catch {
      return [];
    }
  }

  private writeOwed(flags: FlagName[]): void {
    if (!this.ackFile) return;
    if (flags.length === 0) {
      rmSync(this.ackFile, { force: true });
      return;
    }
    const tmp = `${this.ackFile}.tmp`;
    writeFileSync(tmp, JSON.stringify(flags));
    renameSync(tmp, this.ackFile);
  }
}

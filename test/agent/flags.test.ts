/**
 * Admin flags on the agent's side: one request per flag until acknowledged, acks owed across a
 * restart, and the backoff arithmetic the agent's retries rely on.
 */
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Backoff, jittered } from '../../src/agent/backoff.js';
import { FlagTracker, PENDING_ACKS_FILE } from '../../src/agent/flags.js';
import { tempDir } from './agent-process.js';

const none = { update_node: false, update_services: false, reprovision: false };

describe('flag tracker', () => {
  it('when a flag keeps arriving while its work runs and its ack is owed, then it is one request, acked once', () => {
    const f = new FlagTracker();
    expect(f.observe({ ...none, reprovision: true })).toEqual(['reprovision']);
    expect(f.take(['reprovision'])).toEqual(['reprovision']);
    expect(f.observe({ ...none, reprovision: true })).toEqual([]);
    expect(f.pendingAcks()).toEqual([]);
    f.done(['reprovision']);
    expect(f.observe({ ...none, reprovision: true })).toEqual([]);
    expect(f.take(['reprovision'])).toEqual([]);
    expect(f.pendingAcks()).toEqual(['reprovision']);
    f.acked(['reprovision']);
    expect(f.pendingAcks()).toEqual([]);
    // Set again by an admin after the ack: a new request.
    expect(f.observe({ ...none, reprovision: true })).toEqual(['reprovision']);
  });

  it('when the update hook restarts the agent before its ack, then the ack is sent after the restart and not run again', () => {
    const file = join(tempDir('hn-flags-'), PENDING_ACKS_FILE);
    const before = new FlagTracker(file);
    before.observe({ ...none, update_node: true });
    before.take(['update_node']);
    before.oweAcrossRestart('update_node');
    // The process dies here; a new agent starts.
    const after = new FlagTracker(file);
    expect(after.pendingAcks()).toEqual(['update_node']);
    expect(after.observe({ ...none, update_node: true })).toEqual([]);
    after.acked(['update_node']);
    expect(existsSync(file)).toBe(false);
    expect(new FlagTracker(file).pendingAcks()).toEqual([]);
  });

  it('when a reinstall finished and the agent restarts before its ack was accepted, then the restarted agent owes the ack and treats the flag as the same request', () => {
    const file = join(tempDir('hn-flags-'), PENDING_ACKS_FILE);
    const before = new FlagTracker(file);
    before.observe({ ...none, update_services: true });
    before.take(['update_services']);
    expect(existsSync(file)).toBe(false);
    before.done(['update_services']);
    // The process dies here, before a heartbeat carrying the ack was accepted.
    const after = new FlagTracker(file);
    expect(after.pendingAcks()).toEqual(['update_services']);
    expect(after.observe({ ...none, update_services: true })).toEqual([]);
    expect(after.take(['update_services'])).toEqual([]);
    after.acked(['update_services']);
    expect(after.pendingAcks()).toEqual([]);
    expect(existsSync(file)).toBe(false);
  });
});

describe('backoff', () => {
  it('when attempts keep failing, then delays double from the initial one up to the cap, each jittered within [base/2, base]', () => {
    const low = new Backoff({ initialMs: 1000, maxMs: 60_000, random: () => 0 });
    const high = new Backoff({ initialMs: 1000, maxMs: 60_000, random: () => 0.999999 });
    const lows = Array.from({ length: 9 }, () => low.next());
    const highs = Array.from({ length: 9 }, () => high.next());
    expect(lows).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(highs).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
    low.reset();
    expect(low.next()).toBe(500);
  });

  it('when an interval is jittered by 20 %, then it stays within ±20 %', () => {
    expect(jittered(30_000, 0.2, () => 0)).toBe(24_000);
    expect(jittered(30_000, 0.2, () => 0.5)).toBe(30_000);
    expect(jittered(30_000, 0.2, () => 0.999999)).toBe(36_000);
  });
});

/**
 * parseHeartbeatFast is a shortcut for heartbeatBody's common case: wherever it answers, its answer
 * must be exactly zod's (same fields, same order); wherever it is unsure, it must say null.
 */
import { describe, expect, it } from 'vitest';
import { heartbeatBody, parseHeartbeatFast } from '../../src/wire/agent.js';

/** A small deterministic PRNG, so a failure names a seed that reproduces it. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

const TEXT = ['agent_version', 'hostname', 'os', 'arch', 'lan_ip', 'wg_ip', 'provider_status', 'provider_version'];
const LIMIT: Record<string, number> = { agent_version: 64, hostname: 255, os: 32, arch: 32, lan_ip: 64, wg_ip: 64, provider_status: 32, provider_version: 64 };

function body(r: () => number): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const str = (max: number) => 'é日x'.repeat(Math.ceil(max / 3) + 2).slice(0, pick([0, 1, max - 1, max, max + 1]));
  const value = (max: number): unknown => (r() < 0.85 ? str(max) : pick([null, 7, true, [], {}, ['a']]));
  const b: Record<string, unknown> = {};
  for (const k of TEXT) if (r() < 0.5) b[k] = value(LIMIT[k]!);
  if (r() < 0.5) b.roles_applied = r() < 0.9 ? Array.from({ length: pick([0, 1, 2, 64, 65]) }, () => (r() < 0.95 ? str(64) : 5)) : 'render-node';
  if (r() < 0.4) b.ack_flags = r() < 0.9 ? Array.from({ length: pick([0, 1, 3, 12, 13]) }, () => pick(['reprovision', 'update_node', 'update_services', 'bogus'])) : {};
  if (r() < 0.1) b.diagnostics = { uptime_s: 12 };
  if (r() < 0.1) b.agent_update = pick([{ state: 'failed', target_version: '0.2.0', message: 'checksum mismatch', at: '2025-01-01T00:00:00Z' }, { state: 'bogus' }]);
  if (r() < 0.1) b.provision_errors = pick([{}, { 'render-node': { step: 'verify', message: 'x', at: 'now' } }, { r: 1 }]);
  if (r() < 0.1) b.unknown_field = 'x';
  if (r() < 0.03) return pick([null, [], 'text', 42]);
  return b;
}

describe('parseHeartbeatFast', () => {
  it('when it answers, then zod accepts the same body and gives exactly the same output; 5,000 generated bodies', () => {
    let answered = 0;
    let declined = 0;
    for (let seed = 1; seed <= 5000; seed++) {
      const b = body(rng(seed));
      const fast = parseHeartbeatFast(b);
      const slow = heartbeatBody.safeParse(b);
      if (fast === null) {
        declined++;
        continue;
      }
      answered++;
      expect(slow.success, `seed ${seed}: zod refused what the shortcut accepted`).toBe(true);
      expect(JSON.stringify(fast), `seed ${seed}`).toBe(JSON.stringify(slow.data));
    }
    // Both paths are exercised: the shortcut answers the common bodies and declines the rest.
    expect(answered).toBeGreaterThan(300);
    expect(declined).toBeGreaterThan(300);
  });

  it('when the body is the agent\u2019s everyday heartbeat, then it answers', () => {
    const b = { agent_version: '1.0.0', hostname: 'render-000001', os: 'linux', provider_status: 'running', roles_applied: ['render-node'], ack_flags: ['reprovision'] };
    expect(parseHeartbeatFast(b)).toEqual(heartbeatBody.parse(b));
  });

  it('when the body has diagnostics, agent_update, an unknown key or a value over its limit, then it leaves the decision to zod', () => {
    expect(parseHeartbeatFast({ hostname: 'a', diagnostics: { x: 1 } })).toBeNull();
    const update = { state: 'swapped', target_version: '0.2.0', message: 'updated', at: '2025-01-01T00:00:00Z' };
    expect(parseHeartbeatFast({ hostname: 'a', agent_update: update })).toBeNull();
    expect(heartbeatBody.parse({ hostname: 'a', agent_update: update }).agent_update).toEqual(update);
    expect(parseHeartbeatFast({ hostname: 'a', extra: 1 })).toBeNull();
    expect(parseHeartbeatFast({ os: 'x'.repeat(33) })).toBeNull();
    expect(parseHeartbeatFast({ roles_applied: Array.from({ length: 65 }, () => 'r') })).toBeNull();
    expect(parseHeartbeatFast({ ack_flags: ['bogus'] })).toBeNull();
    expect(parseHeartbeatFast(JSON.parse('{"__proto__": {"hostname": "x"}}'))).toBeNull();
  });
});

/**
 * The heartbeat's two hand-written paths (src/wire/agent.ts) against the one contract they stand
 * in for: steadyHeartbeat() accepts only what heartbeatBody accepts, with an equal output, and
 * heartbeatReplyJson() writes exactly JSON.stringify of the reply, which the agent's schema reads.
 */
import { describe, expect, it } from 'vitest';
import { heartbeatBody, heartbeatReply, heartbeatReplyJson, steadyHeartbeat, type HeartbeatReplyOut } from '../../src/wire/agent.js';
import { heartbeatBody as benchBody } from '../../bench/fixtures.js';

const TEXT_FIELDS: Array<[string, number]> = [
  ['agent_version', 64], ['hostname', 255], ['os', 32], ['arch', 32], ['lan_ip', 64], ['wg_ip', 64], ['provider_status', 32], ['provider_version', 64],
];

/** A small deterministic PRNG (mulberry32): the same cases every run. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function cases(): unknown[] {
  const out: unknown[] = [{}, null, [], 'x', 3, { roles_applied: [] }, JSON.parse('{"__proto__":{"x":1}}'), JSON.parse(benchBody(7))];
  for (const [k, max] of TEXT_FIELDS) {
    out.push({ [k]: 'a'.repeat(max) }, { [k]: 'a'.repeat(max + 1) }, { [k]: '' }, { [k]: 1 }, { [k]: null }, { [k]: ['a'] }, { [k]: 'é'.repeat(max) });
  }
  out.push(
    { roles_applied: Array.from({ length: 64 }, (_, i) => `r${i}`) },
    { roles_applied: Array.from({ length: 65 }, (_, i) => `r${i}`) },
    { roles_applied: ['x'.repeat(64)] },
    { roles_applied: ['x'.repeat(65)] },
    { roles_applied: [1] },
    { roles_applied: 'render-node' },
    { roles_applied: null },
    { hostname: 'h', diagnostics: { cpu: 3 } },
    { hostname: 'h', ack_flags: ['reprovision'] },
    { hostname: 'h', ack_flags: [] },
    { hostname: 'h', surprise: true },
    { constructor: 'x' },
    { toString: 'x' },
  );
  const r = rng(42);
  const values = [() => 'v', () => 'x'.repeat(Math.floor(r() * 300)), () => Math.floor(r() * 10), () => null, () => true, () => ['a', 'b'], () => ({})];
  for (let i = 0; i < 2000; i++) {
    const o: Record<string, unknown> = {};
    const n = Math.floor(r() * 5);
    for (let j = 0; j < n; j++) {
      const k = r() < 0.85 ? TEXT_FIELDS[Math.floor(r() * TEXT_FIELDS.length)]![0] : ['roles_applied', 'diagnostics', 'ack_flags', 'other'][Math.floor(r() * 4)]!;
      o[k] = values[Math.floor(r() * values.length)]!();
    }
    out.push(o);
  }
  return out;
}

describe('steadyHeartbeat: the hand check of a steady heartbeat body', () => {
  it('when it accepts a body, then the schema accepts it too with an equal output; what the schema refuses it never accepts', () => {
    let accepted = 0;
    for (const c of cases()) {
      const fast = steadyHeartbeat(c);
      const slow = heartbeatBody.safeParse(c);
      if (fast === null) continue;
      accepted++;
      expect({ input: c, ok: slow.success }).toEqual({ input: c, ok: true });
      expect(fast).toEqual(slow.data);
    }
    expect(accepted).toBeGreaterThan(100); // it is exercised, not a check that refuses everything
  });

  it('when the agent sends its steady heartbeat (the bench body), then the hand check takes it; acks and diagnostics go to the schema', () => {
    expect(steadyHeartbeat(JSON.parse(benchBody(3)))).toEqual(JSON.parse(benchBody(3)));
    expect(steadyHeartbeat({ hostname: 'h', ack_flags: ['reprovision'] })).toBeNull();
    expect(steadyHeartbeat({ hostname: 'h', diagnostics: {} })).toBeNull();
  });
});

describe('heartbeatReplyJson: the heartbeat reply written by hand', () => {
  const reply = (over: Partial<HeartbeatReplyOut> = {}): HeartbeatReplyOut => ({
    node_id: 'node-01JBENCH',
    state: 'online',
    roles: [],
    district: 'bxl1',
    venue: 'grand-place',
    owner: 'ops',
    flags: { update_node: false, update_services: false, reprovision: false },
    exec_pending: 0,
    shell_pending: 0,
    heartbeat_interval_s: 10,
    server_time: '2026-11-30T05:00:00.000Z',
    limits: { max_output_bytes: 1_048_576 },
    ...over,
  });

  it('when replies vary in every field (escapes included), then the text is JSON.stringify of the reply and the agent schema reads it back', () => {
    const variants = [
      reply(),
      reply({ roles: ['render-node', 'larkxr'], flags: { update_node: true, update_services: false, reprovision: true } }),
      reply({ district: 'quote " back \\ slash', venue: 'line\nbreak\ttab', owner: 'ünïcødé \u2028 \u0001' }),
      reply({ state: 'provisioning', exec_pending: 12, shell_pending: 3, heartbeat_interval_s: 2.5 }),
      reply({ limits: { max_output_bytes: 64 } }),
      reply({ limits: { max_output_bytes: 1_048_576 } }),
    ];
    for (const r of variants) {
      const text = heartbeatReplyJson(r);
      expect(text).toBe(JSON.stringify(r));
      expect(heartbeatReply.parse(JSON.parse(text))).toEqual(r);
    }
  });
});

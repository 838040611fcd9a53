/**
 * Liveness on the monotonic clock (issue [robust] 8): moving the wall clock an hour forward or back
 * changes no node's state, and uptime stays right; timestamps shown to people follow the wall clock.
 */
import { describe, expect, it } from 'vitest';
import { harness, testConfig } from '../support/harness.js';

const HOUR = 3_600_000;

async function fleet() {
  const h = await harness({ config: testConfig((d) => ((d.server.heartbeat_interval_s = 10), (d.server.offline_after_s = 30))) });
  const live = await Promise.all(Array.from({ length: 5 }, (_, i) => h.addNode({ name: `live-${i}` })));
  for (const n of live) await h.heartbeat(n.token, {});
  const dead = await h.addNode({ name: 'dead' });
  await h.heartbeat(dead.token, {});
  const pending = await h.enroll({ name: 'pending', ttl_s: 60 });
  return { h, live, dead, pending };
}

const states = async (h: Awaited<ReturnType<typeof harness>>) =>
  Object.fromEntries(((await h.json('GET', '/nodes')).body as any[]).map((n) => [n.name, n.state]));

describe('wall-clock jumps', () => {
  for (const jump of [HOUR, -HOUR]) {
    it(`when the wall clock moves ${jump > 0 ? 'forward' : 'back'} one hour, then no node changes state and uptime stays right`, async () => {
      const { h, live, dead } = await fleet();
      h.clock.advance(5_000);
      const before = await states(h);
      h.clock.jumpWall(jump);
      for (let s = 0; s < 20; s++) {
        h.clock.advance(1_000);
        for (const n of live) await h.heartbeat(n.token, {});
      }
      expect(await states(h)).toEqual(before);
      const health = (await h.json('GET', '/health')).body;
      expect(health.uptime_s).toBe(25);
      // The dead node goes offline by the monotonic clock: 30 s after its last heartbeat, not before.
      h.clock.advance(4_000); // 29 s of silence
      expect((await h.json('GET', `/nodes/${dead.id}`)).body.state).toBe('online');
      h.clock.advance(1_000);
      expect((await h.json('GET', `/nodes/${dead.id}`)).body.state).toBe('offline');
      // Shown timestamps are wall-clock.
      const lastSeen = Date.parse((await h.json('GET', `/nodes/${live[0]!.id}`)).body.last_seen);
      expect(Math.abs(lastSeen - h.clock.now())).toBeLessThan(10_000);
    });
  }

  it('when the wall clock moves forward past an enrollment\'s expiry, then it still expires only after its ttl', async () => {
    const { h, pending } = await fleet();
    h.clock.jumpWall(HOUR);
    h.clock.advance(2_000);
    expect((await h.json('GET', `/nodes/${pending.node_id}`)).body.state).toBe('enrolling');
    h.clock.advance(60_000);
    expect((await h.json('GET', `/nodes/${pending.node_id}`)).body.state).toBe('expired');
  });
});

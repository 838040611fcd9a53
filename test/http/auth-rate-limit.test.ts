/**
 * The failed-authentication limiter: a fixed window per client, bounded memory that can't be used
 * to reset one's own window, IPv6 clients counted by /64, and real sockets keyed by address.
 */
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { memoryLogger } from '../../src/log.js';
import { addressKey, RateLimiter } from '../../src/http/rate-limit.js';
import { startServer } from '../../src/server.js';
import { ADMIN } from '../support/harness.js';
import { makeHome } from '../support/process.js';

describe('RateLimiter', () => {
  it('when a key has used its limit, then further hits fail until its minute ends', () => {
    const clock = new FakeClock();
    const rl = new RateLimiter(3, clock);
    expect([rl.hit('a'), rl.hit('a'), rl.hit('a'), rl.hit('a')]).toEqual([true, true, true, false]);
    expect(rl.hit('b')).toBe(true);
    expect(rl.retryAfterS('a')).toBe(60);
    clock.advance(59_000);
    expect(rl.hit('a')).toBe(false);
    expect(rl.retryAfterS('a')).toBe(1);
    clock.advance(1_000);
    expect(rl.hit('a')).toBe(true);
  });

  it('when the table is full of running windows, then none is evicted: a new key is refused until the oldest window ends', () => {
    const clock = new FakeClock();
    const rl = new RateLimiter(2, clock, 3);
    rl.hit('attacker');
    rl.hit('attacker');
    expect(rl.hit('attacker')).toBe(false);
    clock.advance(10_000);
    expect(rl.hit('x1')).toBe(true);
    expect(rl.hit('x2')).toBe(true);
    // Full: flooding with more addresses does not push the attacker's window out.
    for (let i = 0; i < 100; i++) expect(rl.hit(`flood-${i}`)).toBe(false);
    expect(rl.size).toBe(3);
    expect(rl.hit('attacker')).toBe(false);
    expect(rl.retryAfterS('flood-0')).toBe(50);
    clock.advance(50_000);
    // The attacker's window ended: it is dropped first and room is made.
    expect(rl.hit('newcomer')).toBe(true);
    expect(rl.size).toBe(3);
    clock.advance(10_000);
    expect(rl.hit('attacker')).toBe(true);
  });

  it('when a window is renewed, then it moves behind the running ones (ended windows are dropped from the front)', () => {
    const clock = new FakeClock();
    const rl = new RateLimiter(1, clock, 2);
    rl.hit('a');
    clock.advance(30_000);
    rl.hit('b');
    clock.advance(31_000);
    rl.hit('a'); // a's window ended and starts again: now the newest
    clock.advance(30_000); // b's window has ended, a's has not
    expect(rl.hit('c')).toBe(true);
    expect(rl.hit('a')).toBe(false);
  });
});

describe('addressKey', () => {
  it('keeps IPv4 addresses, unwraps IPv4-mapped IPv6, and counts IPv6 clients by their /64', () => {
    expect(addressKey('192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:3::1')).not.toBe(addressKey('2001:db8:1:2::1'));
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey(undefined)).toBe('unknown');
  });
});

describe('failed authentications over real sockets', () => {
  it('when one loopback address has used its limit, then another address still gets 401, not 429', async () => {
    const srv = await startServer({ home: makeHome((d) => (d.server.rate_limit_per_min = 2)), listen: '127.0.0.1:0', log: memoryLogger() });
    const { port } = new URL(srv.url);
    const get = (localAddress: string, token: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/api/v1/nodes', localAddress, agent: false, headers: { authorization: `Bearer ${token}` } }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        });
        req.on('error', reject);
        req.end();
      });
    try {
      expect([await get('127.0.0.1', 'x'), await get('127.0.0.1', 'x'), await get('127.0.0.1', 'x')]).toEqual([401, 401, 429]);
      expect(await get('127.0.0.2', 'x')).toBe(401);
      expect(await get('127.0.0.1', ADMIN)).toBe(200);
    } finally {
      await srv.stop();
    }
  });
});

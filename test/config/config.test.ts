/**
 * config.yaml validation (src/config.ts, src/listen.ts): the defaults, every refusal with the key
 * named, and the first-start file.
 */
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigError, defaultConfigDocument, loadConfig, looseMode, parseConfig, writeFirstConfig } from '../../src/config.js';
import { listenProblem, parseListen, publicUrlFor } from '../../src/listen.js';
import { tempDir } from '../support/temp.js';

const ADMIN = 'hca_config-test-admin-0123456789abcdef';
const FLEET = 'hcf_config-test-fleet-0123456789abcdef';

/** A minimal document with `server` fields merged in. */
const doc = (server: Record<string, unknown> = {}, rest: Record<string, unknown> = {}) => ({
  server: { admin_token: ADMIN, fleet_enrollment_token: FLEET, ...server },
  ...rest,
});

function refusal(d: unknown): string {
  try {
    parseConfig(d);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('the config was accepted');
}

describe('config defaults', () => {
  it('when only the tokens are given, then every other key takes its documented default', () => {
    const s = parseConfig(doc()).server;
    expect(s.listen).toBe('127.0.0.1:8080');
    expect(s.public_url).toBe('http://127.0.0.1:8080');
    expect([s.heartbeat_interval_s, s.offline_after_s, s.enrollment_ttl_s]).toEqual([30, 90, 86_400]);
    expect([s.max_body_bytes, s.max_connections, s.max_connections_per_address]).toEqual([1_048_576, 50_000, 1000]);
    expect(s.exec).toEqual({ max_queue: 100, default_timeout_s: 60, result_ttl_s: 3600, max_output_bytes: 1_048_576 });
    expect([s.rate_limit_per_min, s.max_pending_enrollments, s.max_pending_heads]).toEqual([60, 1000, 1000]);
  });

  it('when public_url is not given, then it is the URL of server.listen', () => {
    expect(parseConfig(doc({ listen: '10.0.0.5:9000' })).server.public_url).toBe('http://10.0.0.5:9000');
    expect(parseConfig(doc({ listen: '[::1]:9000' })).server.public_url).toBe('http://[::1]:9000');
    expect(parseConfig(doc({ listen: '10.0.0.5:9000', public_url: 'https://hydra.example.com' })).server.public_url).toBe('https://hydra.example.com');
  });

  it('when there is no config at all, then the embedded default listens on 127.0.0.1:8080 with fresh tokens that differ', () => {
    const s = parseConfig(defaultConfigDocument()).server;
    expect(s.listen).toBe('127.0.0.1:8080');
    expect(s.public_url).toBe('http://127.0.0.1:8080');
    expect(s.admin_token).not.toBe(s.fleet_enrollment_token);
  });
});

describe('config refusals name the key', () => {
  it('when server.listen is not a usable HOST:PORT, then the error names server.listen and says why', () => {
    expect(refusal(doc({ listen: '999.1.1.1:99999' }))).toMatch(/server\.listen: host 999\.1\.1\.1 is not an IPv4 address/);
    expect(refusal(doc({ listen: '127.0.0.1:99999' }))).toMatch(/server\.listen: port 99999 is out of range/);
    expect(refusal(doc({ listen: 'foo' }))).toMatch(/server\.listen: must be HOST:PORT/);
  });

  it('when offline_after_s is under 2 × heartbeat_interval_s, then it is refused; exactly 2 × is accepted', () => {
    expect(refusal(doc({ heartbeat_interval_s: 30, offline_after_s: 59 }))).toMatch(/server\.offline_after_s: must be at least 2 × heartbeat_interval_s \(60\)/);
    expect(refusal(doc({ heartbeat_interval_s: 90 }))).toMatch(/server\.offline_after_s/);
    expect(parseConfig(doc({ heartbeat_interval_s: 30, offline_after_s: 60 })).server.offline_after_s).toBe(60);
    expect(parseConfig(doc({ heartbeat_interval_s: 1, offline_after_s: 2 })).server.offline_after_s).toBe(2);
  });

  it('when the fleet enrollment token equals the admin token, then it is refused without showing the token', () => {
    const msg = refusal(doc({ fleet_enrollment_token: ADMIN }));
    expect(msg).toMatch(/server\.fleet_enrollment_token: must differ from server\.admin_token/);
    expect(msg).not.toContain(ADMIN);
  });

  it('when a value is below its minimum, then it is refused; the documented minimums are accepted', () => {
    expect(parseConfig(doc({ enrollment_ttl_s: 1 })).server.enrollment_ttl_s).toBe(1);
    expect(refusal(doc({ enrollment_ttl_s: 0 }))).toMatch(/server\.enrollment_ttl_s/);
    expect(parseConfig(doc({ exec: { max_output_bytes: 16 } })).server.exec.max_output_bytes).toBe(16);
    expect(refusal(doc({ exec: { max_output_bytes: 15 } }))).toMatch(/server\.exec\.max_output_bytes/);
    expect(parseConfig(doc({ max_connections_per_address: 1 })).server.max_connections_per_address).toBe(1);
    expect(refusal(doc({ max_connections_per_address: 0 }))).toMatch(/server\.max_connections_per_address/);
    expect(refusal(doc({ admin_token: 'short' }))).toMatch(/server\.admin_token: must be at least 16 characters/);
  });

  it('when keys are unknown, then the first few are named and the rest counted', () => {
    const extra = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`typo_${i}`, 1]));
    expect(refusal(doc(extra))).toMatch(/server: unknown fields `typo_0`, `typo_1`, `typo_2`, `typo_3`, `typo_4` and 7 more$/);
    expect(refusal(doc({}, { srever: {} }))).toMatch(/\(top level\): unknown field `srever`$/);
  });
});

describe('listen addresses', () => {
  it('accepts IPv4 dotted quads, bracketed IPv6 and hostnames with a port 0–65535', () => {
    for (const ok of ['127.0.0.1:8080', '0.0.0.0:0', '255.255.255.255:65535', '[::1]:8080', '[::]:443', '[fe80::1]:1', 'localhost:8080', 'hydra-01.example.com:80']) {
      expect(listenProblem(ok), ok).toBeNull();
    }
    expect(parseListen('[::1]:8080')).toEqual({ host: '::1', port: 8080 });
  });

  it('refuses anything else, saying why', () => {
    const cases: Array<[string, RegExp]> = [
      ['foo', /must be HOST:PORT/],
      ['127.0.0.1:99999', /port 99999 is out of range \(0–65535\)/],
      ['127.0.0.1:', /port "" is not a number/],
      ['127.0.0.1:-1', /port "-1" is not a number/],
      ['256.0.0.1:80', /not an IPv4 address/],
      ['1.2.3:80', /not an IPv4 address/],
      ['::1:8080', /IPv6 address goes in brackets/],
      ['[nope]:80', /is not an IPv6 address/],
      [':8080', /HOST is missing/],
      ['bad_host!:80', /not an IPv4 address, an \[IPv6\] address or a hostname/],
      ['-lead.example:80', /hostname/],
    ];
    for (const [text, why] of cases) expect(listenProblem(text), text).toMatch(why);
  });

  it('gives the public URL of a listen address; one listening everywhere is not advertised as 0.0.0.0', () => {
    expect(publicUrlFor('127.0.0.1:18555')).toBe('http://127.0.0.1:18555');
    expect(publicUrlFor('[::1]:8080')).toBe('http://[::1]:8080');
    expect(publicUrlFor('localhost:80')).toBe('http://localhost:80');
    expect(publicUrlFor('0.0.0.0:8080')).toMatch(/^http:\/\/\d+\.\d+\.\d+\.\d+:8080$/);
    expect(publicUrlFor('0.0.0.0:8080')).not.toContain('0.0.0.0');
  });
});

describe('config.yaml on disk', () => {
  it('when there is none, then loading writes nothing; the first config is written 0600 with the address served', () => {
    const home = tempDir('hc-config-');
    const loaded = loadConfig(home, '127.0.0.1:0');
    expect(loaded.created).toBe(true);
    expect(existsSync(join(home, 'config.yaml'))).toBe(false);
    if (!loaded.created) throw new Error('unreachable');
    const served = writeFirstConfig(loaded, '127.0.0.1:18555');
    expect(served.server.public_url).toBe('http://127.0.0.1:18555');
    expect(loaded.config.server.public_url).not.toBe('http://127.0.0.1:18555'); // the loaded value is never patched
    const path = join(home, 'config.yaml');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const written = parse(readFileSync(path, 'utf8'));
    expect(written.server.listen).toBe('127.0.0.1:18555');
    expect(written.server.public_url).toBe('http://127.0.0.1:18555');
    const again = loadConfig(home);
    expect(again.created).toBe(false);
    expect(again.config.server.admin_token).toBe(loaded.config.server.admin_token);
    expect(again.created === false && again.mode).toBe(0o600);
  });

  it('when config.yaml is readable by group or others, then its mode is reported loose', () => {
    const home = tempDir('hc-config-');
    writeFileSync(join(home, 'config.yaml'), `server:\n  admin_token: ${ADMIN}\n  fleet_enrollment_token: ${FLEET}\n`);
    chmodSync(join(home, 'config.yaml'), 0o644);
    const loaded = loadConfig(home);
    expect(loaded.created === false && loaded.mode).toBe(0o644);
    expect(looseMode(0o644)).toBe(true);
    expect(looseMode(0o640)).toBe(true);
    expect(looseMode(0o602)).toBe(true);
    expect(looseMode(0o600)).toBe(false);
    expect(looseMode(0o400)).toBe(false);
  });
});

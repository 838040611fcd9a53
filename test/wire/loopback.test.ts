import { describe, expect, it } from 'vitest';
import { isLoopbackUrl } from '../../src/wire/constants.js';

describe('isLoopbackUrl', () => {
  it('when the host is 127.0.0.0/8, ::1 or localhost, then loopback; another address or a bad URL, then not', () => {
    for (const u of ['http://127.0.0.1:8080', 'http://127.1.2.3', 'http://[::1]:8080', 'http://LOCALHOST:80/', 'https://app.localhost']) expect(isLoopbackUrl(u), u).toBe(true);
    for (const u of ['http://10.0.0.5:8080', 'https://hc.example.org', 'http://[2001:db8::1]', 'http://128.0.0.1', 'not a url']) expect(isLoopbackUrl(u), u).toBe(false);
  });
});

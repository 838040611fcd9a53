import { describe, expect, it } from 'vitest';
import { RequestRegistry } from '../../src/http/request-registry.js';

const ids = (reg: RequestRegistry) => reg.list().map((r) => r.path);

describe('RequestRegistry (the requests in flight)', () => {
  it('lists requests oldest first and removes them from the middle, the head and the tail', () => {
    const reg = new RequestRegistry();
    const [a, b, c, d] = ['/a', '/b', '/c', '/d'].map((p) => reg.start('GET', p));
    expect(ids(reg)).toEqual(['/a', '/b', '/c', '/d']);
    expect(reg.size).toBe(4);
    reg.end(b!);
    expect(ids(reg)).toEqual(['/a', '/c', '/d']);
    reg.end(a!);
    expect(ids(reg)).toEqual(['/c', '/d']);
    reg.end(d!);
    expect(ids(reg)).toEqual(['/c']);
    const e = reg.start('POST', '/e');
    expect(ids(reg)).toEqual(['/c', '/e']);
    reg.end(c!);
    reg.end(e);
    expect(ids(reg)).toEqual([]);
    expect(reg.size).toBe(0);
  });

  it('ignores a second end() of the same request, also of the only one', () => {
    const reg = new RequestRegistry();
    const a = reg.start('GET', '/a');
    const b = reg.start('GET', '/b');
    reg.end(a);
    reg.end(a);
    expect(ids(reg)).toEqual(['/b']);
    expect(reg.size).toBe(1);
    reg.end(b);
    reg.end(b);
    expect(reg.size).toBe(0);
    reg.start('GET', '/c');
    expect(ids(reg)).toEqual(['/c']);
  });

  it('gives each request its own id and reports what it waits on', () => {
    const reg = new RequestRegistry();
    const a = reg.start('GET', '/a');
    const b = reg.start('GET', '/b');
    expect(a.id).not.toBe(b.id);
    b.waitingOn = 'node-1';
    expect(reg.list().map((r) => r.waiting_on)).toEqual([null, 'node-1']);
  });
});

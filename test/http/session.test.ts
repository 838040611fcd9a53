import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { SessionStore } from '../../src/http/session.js';

describe('web session store', () => {
  it('when more sessions are created than the bound, then the oldest are dropped and the size stays at the bound', () => {
    const store = new SessionStore(new FakeClock(), 3600, 3);
    const ids = Array.from({ length: 5 }, () => store.create('admin').id);
    expect(store.size).toBe(3);
    expect(store.get(ids[0])).toBeNull();
    expect(store.get(ids[1])).toBeNull();
    expect(store.get(ids[4])?.operator).toBe('admin');
  });

  it('when a session reaches its lifetime, then it is gone; ended sessions and unknown ids find nothing', () => {
    const clock = new FakeClock();
    const store = new SessionStore(clock, 10);
    const a = store.create('admin').id;
    const b = store.create('admin').id;
    store.end(b);
    expect(store.get(b)).toBeNull();
    expect(store.get('x'.repeat(500))).toBeNull();
    clock.advance(9_999);
    expect(store.get(a)).not.toBeNull();
    clock.advance(1);
    expect(store.get(a)).toBeNull();
  });
});

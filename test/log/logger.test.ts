/**
 * The JSON logger: the request log's pre-serialized fast path writes exactly what info() writes.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger, FLUSH_MS } from '../../src/log.js';

function capture() {
  let out = '';
  const log = createLogger({ format: 'json', sink: { write: (s) => void (out += s) } });
  return { log, text: () => (log.flush(), out) };
}

describe('JSON logger', () => {
  it('when a line is logged through raw(), then it parses to the same object info() writes', () => {
    const a = capture();
    const b = capture();
    const fields = { req_id: 'req-1z', method: 'POST', path: '/api/v1/nodes/"x"\n', status: 200, duration_ms: 0.4 };
    a.log.info('response', fields);
    b.log.raw('info', 'response', `"req_id":"req-1z","method":"POST","path":${JSON.stringify(fields.path)},"status":200,"duration_ms":0.4`, () => fields);
    const [la, lb] = [JSON.parse(a.text()), JSON.parse(b.text())];
    expect({ ...lb, time: null }).toEqual({ ...la, time: null });
    expect(lb).toMatchObject({ level: 'info', msg: 'response', ...fields });
  });

  it('when the format is pretty, then raw() uses the fields', () => {
    let out = '';
    const log = createLogger({ format: 'pretty', sink: { write: (s) => void (out += s) } });
    log.raw('info', 'request', '"ignored":true', () => ({ path: '/x' }));
    log.flush();
    expect(out).toContain('request path=/x');
    expect(out).not.toContain('ignored');
  });

  describe('the batch', () => {
    afterEach(() => void vi.useRealTimers());

    const lines = (out: string) => out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

    it('when lines fill several batches and carry multi-byte UTF-8, then every line comes out whole and in order', () => {
      const writes: string[] = [];
      const log = createLogger({ format: 'json', sink: { write: (s) => void writes.push(s) } });
      const text = 'é 日本 🚀 ';
      for (let i = 0; i < 3000; i++) log.info('line', { i, text: text.repeat(i % 7) });
      log.flush();
      expect(writes.length).toBeGreaterThan(1); // more than one batch was needed
      const got = lines(writes.join(''));
      expect(got.map((l) => l.i)).toEqual(Array.from({ length: 3000 }, (_, i) => i));
      expect(got.every((l) => l.text === text.repeat((l.i as number) % 7))).toBe(true);
    });

    it('when a line is longer than a batch, then it is written on its own between its neighbours', () => {
      const writes: string[] = [];
      const log = createLogger({ format: 'json', sink: { write: (s) => void writes.push(s) } });
      log.info('before');
      log.info('huge', { blob: 'x'.repeat(100_000) });
      log.info('after');
      log.flush();
      const got = lines(writes.join(''));
      expect(got.map((l) => l.msg)).toEqual(['before', 'huge', 'after']);
      expect((got[1]!.blob as string).length).toBe(100_000);
    });

    it('when nothing flushes it, then the batch is written after FLUSH_MS', () => {
      vi.useFakeTimers();
      let out = '';
      const log = createLogger({ format: 'json', sink: { write: (s) => void (out += s) } });
      log.info('one');
      log.info('two');
      expect(out).toBe('');
      vi.advanceTimersByTime(FLUSH_MS);
      expect(lines(out).map((l) => l.msg)).toEqual(['one', 'two']);
    });

    it('when the sink holds more than maxPendingBytes unwritten, then new lines are dropped and counted, and the count is logged once it has room', () => {
      let out = '';
      const sink = { writableLength: 0, write: (s: string) => void (out += s) };
      const log = createLogger({ format: 'json', sink, maxPendingBytes: 1000 });
      log.info('kept 1');
      sink.writableLength = 5000; // the reader fell behind
      for (let i = 0; i < 7; i++) log.info('lost');
      sink.writableLength = 0;
      log.info('kept 2');
      log.flush();
      const got = lines(out);
      expect(got.map((l) => l.msg)).toEqual(['kept 1', 'log lines dropped', 'kept 2']);
      expect(got[1]).toMatchObject({ level: 'warn', dropped: 7 });
    });
  });
});

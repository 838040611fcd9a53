import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { guardedOut } from '../../src/cli/output.js';

/** A stream that records writes and fails when told to. */
function fakeStream() {
  const s = Object.assign(new EventEmitter(), {
    written: [] as string[],
    write(text: string) {
      s.written.push(text);
      return true;
    },
    fail(code: string) {
      s.emit('error', Object.assign(new Error(`write ${code}`), { code }));
    },
  });
  return s;
}

describe('CLI output guard', () => {
  it('when the reader leaves (EPIPE), then later writes are dropped and nothing is reported', () => {
    const stream = fakeStream();
    const failures: string[] = [];
    const out = guardedOut(stream, (e) => failures.push(e.code!));
    out.write('first\n');
    stream.fail('EPIPE');
    stream.fail('ERR_STREAM_DESTROYED');
    out.write('second\n');
    expect(stream.written).toEqual(['first\n']);
    expect(out.closed).toBe(true);
    expect(failures).toEqual([]);
  });

  it('when a write fails otherwise (a full disk), then it is reported once and later writes are dropped', () => {
    const stream = fakeStream();
    const failures: string[] = [];
    const out = guardedOut(stream, (e) => failures.push(e.code!));
    stream.fail('ENOSPC');
    stream.fail('ENOSPC');
    out.write('lost\n');
    expect(failures).toEqual(['ENOSPC']);
    expect(stream.written).toEqual([]);
  });
});

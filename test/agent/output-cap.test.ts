/**
 * One captured stream: bounded in memory, cut at the cap in bytes of UTF-8 (never inside a
 * character), flagged when cut, and never given marker text.
 */
import { describe, expect, it } from 'vitest';
import { CappedOutput } from '../../src/agent/output-cap.js';

const utf8Bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

describe('captured output', () => {
  it('when a stream writes far more than the cap in small chunks, then the first cap bytes are kept and the rest only counted', () => {
    const out = new CappedOutput(1000);
    for (let i = 0; i < 10_000; i++) out.push(Buffer.from('0123456789'));
    const r = out.result();
    expect(r).toEqual({ text: '0123456789'.repeat(100), truncated: true });
    expect(out.droppedBytes).toBe(99_000);
  });

  it('when the cap falls inside a multi-byte character, then the cut is before that character and nothing replaces it', () => {
    const out = new CappedOutput(5);
    out.push(Buffer.from('aé€€', 'utf8')); // 1 + 2 + 3 + 3 bytes: a cap of 5 falls inside the first €
    expect(out.result()).toEqual({ text: 'aé', truncated: true });
  });

  it('when a chunk boundary falls inside a character and nothing is cut, then the character is whole', () => {
    const out = new CappedOutput(100);
    const euro = Buffer.from('€', 'utf8');
    out.push(euro.subarray(0, 1));
    out.push(euro.subarray(1));
    expect(out.result()).toEqual({ text: '€', truncated: false });
  });

  it('when the output is not UTF-8, then the text posted still holds at most the cap in bytes and says it was cut', () => {
    const out = new CappedOutput(10);
    out.push(Buffer.alloc(10, 0xff)); // each byte becomes U+FFFD, 3 bytes of UTF-8
    const r = out.result();
    expect(utf8Bytes(r.text)).toBeLessThanOrEqual(10);
    expect(r).toEqual({ text: '\uFFFD'.repeat(3), truncated: true });
  });

  it('when the output is exactly the cap, then it is whole and not flagged', () => {
    const out = new CappedOutput(4);
    out.push(Buffer.from('abcd'));
    expect(out.result()).toEqual({ text: 'abcd', truncated: false });
  });
});

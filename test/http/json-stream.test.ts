/**
 * The piecewise JSON writer behind the fleet-exec answers: the same text as JSON.stringify, with
 * no piece longer than the longest single value.
 */
import { describe, expect, it } from 'vitest';
import { jsonPieces, jsonStreamResponse } from '../../src/http/json-stream.js';

const samples: unknown[] = [
  { a: 1, b: 'x"\n\u0000\u2028é😀', c: [1, null, undefined, { d: true }], e: undefined, f: { g: [] }, h: {} },
  [],
  [[], [[1]], 'a'],
  'plain',
  null,
  0,
  { lone: '\ud800', neg: -1.5, big: 1e21 },
];

describe('jsonPieces and jsonStreamResponse', () => {
  it('when joined, the pieces are exactly JSON.stringify of the value', () => {
    for (const v of samples) expect(Array.from(jsonPieces(v)).join('')).toBe(JSON.stringify(v));
  });

  it('when a value holds long strings, then no piece is longer than the longest one (quoted), and the response reads back equal', async () => {
    const long = 'o'.repeat(200_000);
    const v = { results: Array.from({ length: 5 }, (_, i) => ({ name: `n${i}`, stdout: long, stderr: long })), more: false };
    const pieces = Array.from(jsonPieces(v));
    expect(Math.max(...pieces.map((p) => p.length))).toBe(long.length + 2);
    const res = jsonStreamResponse(v);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.text()).toBe(JSON.stringify(v));
  });
});

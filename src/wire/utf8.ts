/** The UTF-8 cut shared by the agent and the server, without zod (the agent's idle path loads no schema). */
const UTF8_CONTINUATION_MASK = 0xc0;
const UTF8_CONTINUATION = 0x80;

/**
 * The one rule for an exec stream over `max_output_bytes` (docs/api.md#agents-heartbeat-flags-and-the-provision-poll, docs/api.md#exec), applied by the agent and
 * again by the server: keep its first `maxBytes` bytes of UTF-8, never cut inside a character, add
 * no marker text, and say whether anything was cut.
 */
export function capUtf8(text: string, maxBytes: number): { text: string; truncated: boolean; bytes: number } {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= maxBytes) return { text, truncated: false, bytes };
  const buf = Buffer.from(text, 'utf8');
  let end = maxBytes;
  while (end > 0 && (buf[end]! & UTF8_CONTINUATION_MASK) === UTF8_CONTINUATION) end--;
  return { text: buf.toString('utf8', 0, end), truncated: true, bytes: end };
}

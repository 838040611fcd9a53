/**
 * Streams a JSON array in chunks so that listing 100,000 nodes never holds the event loop for
 * the whole serialization.
 */
const CHUNK = 500;

export function jsonArrayResponse<T>(items: readonly T[], map: (item: T) => unknown, status = 200): Response {
  let i = 0;
  const enc = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i >= items.length) {
        controller.enqueue(enc.encode(i === 0 ? '[]' : ']'));
        controller.close();
        return;
      }
      const end = Math.min(items.length, i + CHUNK);
      const parts: string[] = [];
      for (; i < end; i++) parts.push(JSON.stringify(map(items[i]!)));
      const prefix = end - parts.length === 0 ? '[' : ',';
      controller.enqueue(enc.encode(prefix + parts.join(',')));
    },
  });
  return new Response(stream, { status, headers: { 'content-type': 'application/json' } });
}

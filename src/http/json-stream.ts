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

/** Pieces are gathered into chunks of about this many characters before being encoded. */
const PIECE_CHUNK_CHARS = 64 * 1024;

/**
 * The JSON text of `value` in pieces: every array item, object member and string is a piece of its
 * own, so no piece is longer than the longest single value (a 64 MiB stdout), however large the
 * whole. Plain data only (objects, arrays, strings, numbers, booleans, null; undefined members
 * are left out, as JSON.stringify does).
 */
export function* jsonPieces(value: unknown): Generator<string> {
  if (Array.isArray(value)) {
    yield '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) yield ',';
      yield* jsonPieces(value[i] === undefined ? null : value[i]);
    }
    yield ']';
  } else if (value !== null && typeof value === 'object') {
    let first = true;
    yield '{';
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      yield `${first ? '' : ','}${JSON.stringify(k)}:`;
      first = false;
      yield* jsonPieces(v);
    }
    yield '}';
  } else {
    yield JSON.stringify(value) ?? 'null';
  }
}

/**
 * A JSON response written piece by piece as the client reads it: an answer of hundreds of MiB is
 * never one string (V8 refuses strings over ~512 Mi characters: RangeError, a 500), and the event
 * loop serializes one chunk per turn.
 */
export function jsonStreamResponse(value: unknown, status = 200): Response {
  const pieces = jsonPieces(value);
  const enc = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      let text = '';
      for (;;) {
        const next = pieces.next();
        if (next.done) {
          if (text !== '') controller.enqueue(enc.encode(text));
          controller.close();
          return;
        }
        text += next.value;
        if (text.length >= PIECE_CHUNK_CHARS) break;
      }
      controller.enqueue(enc.encode(text));
    },
  });
  return new Response(stream, { status, headers: { 'content-type': 'application/json' } });
}

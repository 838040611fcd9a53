/**
 * The CLI's stdout and stderr when the reader may go away: `hydracluster nodes list | head -1`
 * closes the pipe early, and a write then fails with EPIPE. The CLI stops writing to that stream,
 * quietly, and finishes with the exit code it would have used (the remote one for `exec`), so
 * `set -o pipefail` still sees the command's own outcome. No stack trace, no "Unhandled 'error'".
 */

/** Where the CLI writes text. */
export interface Out {
  write(text: string): unknown;
}

/** The part of a Writable the guard needs (process.stdout, process.stderr, a test's stream). */
export interface WritableLike {
  write(text: string): unknown;
  on(event: 'error', listener: (err: NodeJS.ErrnoException) => void): unknown;
}

/** The reader went away (EPIPE), or a write raced with the stream being torn down after that. */
const READER_GONE = new Set(['EPIPE', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END']);

/**
 * An Out over `stream` that drops writes once the stream has failed. A reader that left is not an
 * error; any other failure (a full disk) is passed to `onFailure`, once, to be said on stderr.
 */
export function guardedOut(stream: WritableLike, onFailure: (err: NodeJS.ErrnoException) => void = () => {}): Out & { readonly closed: boolean } {
  let closed = false;
  stream.on('error', (err) => {
    if (!closed && !READER_GONE.has(err.code ?? '')) onFailure(err);
    closed = true;
  });
  return {
    get closed() {
      return closed;
    },
    write(text: string) {
      if (closed || text === '') return true;
      return stream.write(text);
    },
  };
}

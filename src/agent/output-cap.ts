/**
 * One output stream of a running command, bounded in memory however much the command writes: the
 * first `max` bytes are kept, the rest only counted. The text it yields is at most `max` bytes of
 * UTF-8, never cut inside a character, with no marker text; the cut is reported as a flag
 * (docs/api.md#exec: each stream is kept up to `max_output_bytes`, the rest is cut and flagged).
 */
import { StringDecoder } from 'node:string_decoder';
import { capUtf8 } from '../wire/utf8.js';

/** What is left of a stream: its text and whether anything was cut. */
export interface CappedText {
  text: string;
  truncated: boolean;
}

/** Keeps the first `max` bytes of a stream and counts the rest. */
export class CappedOutput {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  private dropped = 0;

  constructor(readonly max: number) {}

  push(chunk: Buffer): void {
    const room = Math.max(this.max - this.kept, 0);
    const keep = Math.min(room, chunk.length);
    if (keep > 0) {
      this.chunks.push(keep === chunk.length ? chunk : chunk.subarray(0, keep));
      this.kept += keep;
    }
    this.dropped += chunk.length - keep;
  }

  /** Bytes the command wrote beyond `max`. */
  get droppedBytes(): number {
    return this.dropped;
  }

  /** The kept output as text of at most `max` bytes of UTF-8. */
  result(): CappedText {
    const raw = Buffer.concat(this.chunks);
    // Cut at `max` raw bytes, the last character may be incomplete: leave it out rather than
    // turn it into U+FFFD. Bytes that are not UTF-8 become U+FFFD (3 bytes), so the text can
    // still be longer than `max`: capUtf8 applies the limit to what is actually posted.
    const text = this.dropped > 0 ? new StringDecoder('utf8').write(raw) : raw.toString('utf8');
    const capped = capUtf8(text, this.max);
    return { text: capped.text, truncated: this.dropped > 0 || capped.truncated };
  }
}

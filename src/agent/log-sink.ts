/**
 * Where the agent's JSON log lines go: `<home>/hydranode.log` (rotated to `hydranode.log.1` at a
 * size cap, so a node left alone for a year does not fill its disk) and stdout (journald or the
 * Windows task's output). Writes are small and synchronous: the logger batches lines per turn.
 */
import { closeSync, mkdirSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LogSink } from '../log.js';

/** The log file is rotated when it would grow past this. */
export const LOG_ROTATE_BYTES = 10 * 1024 * 1024;

/** An append-only file that moves itself to `<path>.1` when it reaches `maxBytes`. */
export class RotatingFileSink implements LogSink {
  private fd: number | null = null;
  private size = 0;
  private failed = false;

  constructor(
    private readonly path: string,
    private readonly maxBytes: number = LOG_ROTATE_BYTES,
  ) {}

  write(chunk: string): void {
    const bytes = Buffer.from(chunk, 'utf8');
    try {
      if (this.fd === null) this.open();
      if (this.size > 0 && this.size + bytes.length > this.maxBytes) this.rotate();
      writeSync(this.fd!, bytes);
      this.size += bytes.length;
    } catch (e) {
      // A full or read-only disk must not stop the agent; say so once on stderr.
      if (!this.failed) process.stderr.write(`hydranode: cannot write ${this.path}: ${(e as Error).message}\n`);
      this.failed = true;
    }
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private open(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    this.fd = openSync(this.path, 'a', 0o600);
    this.size = statSync(this.path).size;
  }

  private rotate(): void {
    this.close();
    renameSync(this.path, `${this.path}.1`);
    this.open();
  }
}

/** Writes every chunk to each sink. */
export function teeSink(...sinks: LogSink[]): LogSink {
  return { write: (chunk) => sinks.forEach((s) => s.write(chunk)) };
}

/** stdout that ignores a closed pipe (EPIPE) instead of crashing the agent. */
export function stdoutSink(): LogSink {
  process.stdout.on('error', () => {});
  return { write: (chunk) => void process.stdout.write(chunk) };
}

/**
 * Structured logger: one JSON object per line on stdout (journald collects it), or a readable
 * single-line form for terminals. Lines are batched and written at most every FLUSH_MS (or
 * sooner once about FLUSH_BYTES are buffered), so a burst of heartbeats costs one write syscall,
 * not two per request; a crash loses at most the last FLUSH_MS of lines.
 *
 * The batch is kept as UTF-8 bytes in a buffer outside the JS heap, not as strings: under load a
 * few hundred lines wait for each write, and as strings they were most of what every
 * young-generation GC had to copy (measured: half the survivors, and half the GC's time).
 */
import { isoCached } from './clock.js';

export type Level = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

const LEVELS: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
/** Buffered lines are written at least this often. */
export const FLUSH_MS = 20;
/** ...and as soon as about this many characters are buffered. */
const FLUSH_BYTES = 64 * 1024;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /**
   * A line with its fields already serialized as JSON members (`"a":1,"b":"x"`), for the request
   * log: no object to stringify. `fields()` serves the other formats.
   */
  raw(level: Level, msg: string, members: string, fields: () => LogFields): void;
  /** Whether a line at `level` would be written now (the request log asks before building one). */
  enabled(level: Level): boolean;
  /** Writes out anything still buffered (call before exit). */
  flush(): void;
  /** A config reload changed `server.log_level`: lines below `level` are dropped from now on. */
  setLevel(level: Level): void;
}

export interface LogSink {
  write(chunk: string): void;
  /** Bytes the sink holds that are not yet written (a Node stream's own count), if it has one. */
  readonly writableLength?: number;
}

export interface LoggerOptions {
  format?: 'json' | 'pretty';
  level?: Level;
  sink?: LogSink;
  /**
   * While the sink holds more than this many unwritten bytes (a stdout pipe nobody reads fast
   * enough), new lines are dropped and counted instead of growing memory; a `log lines dropped`
   * line tells how many once it has room again. Default 8 MiB.
   */
  maxPendingBytes?: number;
}

function pretty(time: string, level: Level, msg: string, fields: LogFields): string {
  const rest = Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${time.slice(11, 23)} ${level.toUpperCase().padEnd(5)} ${msg}${rest ? ' ' + rest : ''}\n`;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const format = opts.format ?? (process.stdout.isTTY ? 'pretty' : 'json');
  let min = LEVELS[opts.level ?? 'info'];
  const sink: LogSink = opts.sink ?? process.stdout;
  const maxPending = opts.maxPendingBytes ?? 8 * 1024 * 1024;
  const batch = Buffer.allocUnsafeSlow(FLUSH_BYTES); // reused: flush() copies it out as a string
  let used = 0;
  let timer: NodeJS.Timeout | null = null;
  let dropped = 0;
  // Many lines share a millisecond under load: its timestamp is formatted once (isoCached).
  const isoNow = (): string => isoCached(Date.now());

  const flush = (): void => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (used === 0) return;
    const out = batch.toString('utf8', 0, used);
    used = 0;
    sink.write(out);
  };

  /** Appends a line to the batch (a line too long for it is written on its own, in order). */
  const append = (line: string): void => {
    // At most 3 bytes of UTF-8 per UTF-16 unit: checked by length, no byte count per line.
    const worst = line.length * 3;
    if (used + worst > FLUSH_BYTES) flush();
    if (worst > FLUSH_BYTES) return sink.write(line);
    used += batch.write(line, used, 'utf8'); // with the encoding named: ~30% cheaper than write(line, used)
    if (!timer) {
      timer = setTimeout(flush, FLUSH_MS);
      timer.unref();
    }
  };

  const emit = (level: Level, msg: string, fields?: LogFields, members?: string): void => {
    if (LEVELS[level] < min) return;
    if ((sink.writableLength ?? 0) > maxPending) {
      dropped++;
      return;
    }
    if (dropped > 0) {
      const n = dropped;
      dropped = 0;
      append(JSON.stringify({ time: isoNow(), level: 'warn', msg: 'log lines dropped', dropped: n }) + '\n');
    }
    const time = isoNow();
    if (format !== 'json') return append(pretty(time, level, msg, fields ?? {}));
    // Same as JSON.stringify({ time, level, msg, ...fields }) without building the merged object.
    const head = `{"time":"${time}","level":"${level}","msg":${JSON.stringify(msg)}`;
    if (members) return append(`${head},${members}}\n`);
    const rest = fields === undefined ? '{}' : JSON.stringify(fields);
    append(rest.length > 2 ? `${head},${rest.slice(1)}\n` : `${head}}\n`);
  };

  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    raw: (level, m, members, fields) => (format === 'json' ? emit(level, m, undefined, members) : emit(level, m, fields())),
    enabled: (level) => LEVELS[level] >= min,
    flush,
    setLevel: (level) => void (min = LEVELS[level]),
  };
}

/**
 * A logger that keeps lines in memory: for tests that assert what an operator would read. It keeps
 * every level unless given one (then it drops what the real logger at that level would).
 */
export function memoryLogger(level: Level = 'debug'): Logger & { lines: Array<LogFields & { level: Level; msg: string }> } {
  const lines: Array<LogFields & { level: Level; msg: string }> = [];
  let min = LEVELS[level];
  const at = (l: Level) => (msg: string, fields: LogFields = {}) => void (LEVELS[l] >= min && lines.push({ level: l, msg, ...fields }));
  return {
    lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'),
    raw: (l, m, _members, f) => at(l)(m, f()),
    enabled: (l) => LEVELS[l] >= min,
    flush: () => {},
    setLevel: (l) => void (min = LEVELS[l]),
  };
}

/**
 * Structured logger: one JSON object per line on stdout (journald collects it), or a readable
 * single-line form for terminals. Lines are batched and written at most every FLUSH_MS (or
 * sooner once FLUSH_BYTES are buffered), so a burst of heartbeats costs one write syscall, not two
 * per request; a crash loses at most the last FLUSH_MS of lines.
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
   * info() with the fields already serialized as JSON members (`"a":1,"b":"x"`), for the request
   * log's two lines per request: no object to stringify. `fields()` serves the other formats.
   */
  infoRaw(msg: string, members: string, fields: () => LogFields): void;
  /** Writes out anything still buffered (call before exit). */
  flush(): void;
}

export interface LogSink {
  write(chunk: string): void;
}

export interface LoggerOptions {
  format?: 'json' | 'pretty';
  level?: Level;
  sink?: LogSink;
  /** Lines kept in memory at most while the sink is busy; older ones are dropped and counted. */
  maxBuffered?: number;
}

function pretty(time: string, level: Level, msg: string, fields: LogFields): string {
  const rest = Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${time.slice(11, 23)} ${level.toUpperCase().padEnd(5)} ${msg}${rest ? ' ' + rest : ''}\n`;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const format = opts.format ?? (process.stdout.isTTY ? 'pretty' : 'json');
  const min = LEVELS[opts.level ?? 'info'];
  const sink: LogSink = opts.sink ?? process.stdout;
  const maxBuffered = opts.maxBuffered ?? 10_000;
  let buffer: string[] = [];
  let timer: NodeJS.Timeout | null = null;
  let dropped = 0;
  let bufferedChars = 0;
  // Many lines share a millisecond under load: its timestamp is formatted once (isoCached).
  const isoNow = (): string => isoCached(Date.now());

  const flush = (): void => {
    if (timer) clearTimeout(timer);
    timer = null;
    bufferedChars = 0;
    if (dropped > 0) {
      buffer.push(JSON.stringify({ time: new Date().toISOString(), level: 'warn', msg: 'log lines dropped', dropped }) + '\n');
      dropped = 0;
    }
    if (buffer.length === 0) return;
    const out = buffer.join('');
    buffer = [];
    sink.write(out);
  };

  const emit = (level: Level, msg: string, fields: LogFields = {}, members?: string): void => {
    if (LEVELS[level] < min) return;
    if (buffer.length >= maxBuffered) {
      dropped++;
      return;
    }
    const time = isoNow();
    let line: string;
    if (format === 'json') {
      // Same as JSON.stringify({ time, level, msg, ...fields }) without building the merged object.
      const head = `{"time":"${time}","level":"${level}","msg":${JSON.stringify(msg)}`;
      if (members) line = `${head},${members}}\n`;
      else {
        const rest = JSON.stringify(fields);
        line = rest.length > 2 ? `${head},${rest.slice(1)}\n` : `${head}}\n`;
      }
    } else line = pretty(time, level, msg, fields);
    buffer.push(line);
    bufferedChars += line.length;
    if (bufferedChars >= FLUSH_BYTES) flush();
    else if (!timer) {
      timer = setTimeout(flush, FLUSH_MS);
      timer.unref();
    }
  };

  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    infoRaw: (m, members, fields) => (format === 'json' ? emit('info', m, undefined, members) : emit('info', m, fields())),
    flush,
  };
}

/** A logger that keeps lines in memory: for tests that assert what an operator would read. */
export function memoryLogger(): Logger & { lines: Array<LogFields & { level: Level; msg: string }> } {
  const lines: Array<LogFields & { level: Level; msg: string }> = [];
  const at = (level: Level) => (msg: string, fields: LogFields = {}) => void lines.push({ level, msg, ...fields });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), infoRaw: (m, _members, f) => at('info')(m, f()), flush: () => {} };
}

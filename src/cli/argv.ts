/**
 * What every client command's parser shares (docs/operations.md#the-cli): the connection flags, the option set they
 * all take, strict parsing into a UsageError, positional checks and durations. Pure.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors.js';

/** Where to reach the server, from flags; env and config.yaml fill the gaps later. */
export interface ConnectionFlags {
  server?: string;
  adminToken?: string;
  home?: string;
}

/** The longest exec timeout the server accepts (`timeout_s`, docs/api.md#exec). */
export const MAX_TIMEOUT_S = 86_400;
const UNIT_S: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** `30s`, `2m`, `1h`, or a bare number of seconds; whole seconds from 1 s to 24 h. */
export function parseDuration(text: string): number {
  const m = /^(\d+)([smh]?)$/.exec(text.trim());
  const seconds = m ? Number(m[1]) * UNIT_S[m[2] || 's']! : NaN;
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_TIMEOUT_S) {
    throw new UsageError(`bad duration ${JSON.stringify(text)}: use e.g. 30s, 2m, 1h (1 s to 24 h)`);
  }
  return seconds;
}

export const COMMON = {
  server: { type: 'string' },
  'admin-token': { type: 'string' },
  home: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const satisfies ParseArgsConfig['options'];

export function parse<O extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export const connOf = (v: { server?: string; 'admin-token'?: string; home?: string }): ConnectionFlags => ({
  server: v.server,
  adminToken: v['admin-token'],
  home: v.home,
});

export function need(positionals: string[], index: number, what: string): string {
  const v = positionals[index];
  if (v === undefined || v === '') throw new UsageError(`missing ${what}`);
  return v;
}

export function noMore(positionals: string[], count: number): void {
  if (positionals.length > count) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[count])}`);
}

/**
 * The operator commands' argument parser: pure (argv in, a typed command out, or a UsageError),
 * so every form of every command is unit-tested without a server.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { AUDIT_MAX_LIMIT, parseSince } from '../wire/constants.js';
import { parseWhere, type FleetExecCommand } from './where.js';
import { UsageError } from './errors.js';

export type Interpreter = 'powershell' | 'bash' | 'cmd';

/** Where to reach the server, from flags; env and config.yaml fill the gaps later. */
export interface ConnectionFlags {
  server?: string;
  adminToken?: string;
  home?: string;
}

export type ExecSource = { kind: 'text'; text: string } | { kind: 'file'; path: string };

export interface ExecCommand {
  cmd: 'exec';
  nodeId: string;
  source: ExecSource;
  timeoutS?: number;
  interpreter?: Interpreter;
  json: boolean;
  async: boolean;
}

export type NodesAction =
  | { action: 'list' }
  | { action: 'show' | 'drain' | 'undrain' | 'update-node' | 'update-services' | 'reprovision' | 'reenroll' | 'rm'; id: string; reason?: string }
  | { action: 'roles'; id: string; roles: string[] };

/** `hydracluster audit` (SPEC §15). */
export interface AuditCommand {
  cmd: 'audit';
  node?: string;
  operator?: string;
  /** A duration back from now (`1h`) or an RFC 3339 time; the server reads both. */
  since?: string;
  limit?: number;
  json: boolean;
}

/** `hydracluster cancel EXEC_ID` (cli/exec-control.ts runs it). */
export interface CancelCommand {
  cmd: 'cancel';
  execId: string;
  json: boolean;
}

/** `hydracluster result EXEC_ID [--wait]`. */
export interface ResultCommand {
  cmd: 'result';
  execId: string;
  wait: boolean;
  json: boolean;
}

export type ClientCommand =
  | ExecCommand
  | FleetExecCommand
  | { cmd: 'queue'; nodeId: string; action: 'show' | 'clear'; json: boolean }
  | ({ cmd: 'nodes'; json: boolean } & NodesAction)
  | { cmd: 'debug'; action: 'actors' | 'requests' } | { cmd: 'debug'; action: 'actor'; id: string }
  | { cmd: 'reload'; json: boolean }
  | AuditCommand
  | CancelCommand
  | ResultCommand;

export interface ParsedCli {
  command: ClientCommand;
  conn: ConnectionFlags;
}

export { UsageError } from './errors.js';

/** The longest exec timeout the server accepts (SPEC: timeout_s). */
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

const COMMON = {
  server: { type: 'string' },
  'admin-token': { type: 'string' },
  home: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const satisfies ParseArgsConfig['options'];

const EXEC_OPTIONS = {
  ...COMMON,
  timeout: { type: 'string' },
  async: { type: 'boolean', default: false },
  interpreter: { type: 'string' },
  file: { type: 'string' },
  where: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

const NODES_OPTIONS = { ...COMMON, reason: { type: 'string' } } as const satisfies ParseArgsConfig['options'];

function parse<O extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

const connOf = (v: { server?: string; 'admin-token'?: string; home?: string }): ConnectionFlags => ({
  server: v.server,
  adminToken: v['admin-token'],
  home: v.home,
});

function need(positionals: string[], index: number, what: string): string {
  const v = positionals[index];
  if (v === undefined || v === '') throw new UsageError(`missing ${what}`);
  return v;
}

function noMore(positionals: string[], count: number): void {
  if (positionals.length > count) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[count])}`);
}

function parseExec(argv: string[]): ParsedCli {
  const { values: v, positionals: p } = parse(argv, EXEC_OPTIONS);
  if (v.where !== undefined) return parseFleetExec(v, p);
  const nodeId = need(p, 0, 'node id: hydracluster exec <nodeId> "<command>"');
  let source: ExecSource;
  if (v.file !== undefined) {
    noMore(p, 1);
    source = { kind: 'file', path: v.file };
  } else {
    source = { kind: 'text', text: need(p, 1, 'command (or --file PATH)') };
    noMore(p, 2);
  }
  const interpreter = v.interpreter;
  if (interpreter !== undefined && interpreter !== 'bash' && interpreter !== 'powershell' && interpreter !== 'cmd') {
    throw new UsageError(`--interpreter must be bash, powershell or cmd, not ${JSON.stringify(interpreter)}`);
  }
  const timeoutS = v.timeout === undefined ? undefined : parseDuration(v.timeout);
  return { command: { cmd: 'exec', nodeId, source, timeoutS, interpreter, json: v.json, async: v.async }, conn: connOf(v) };
}

/** `exec --where KEY=VALUE "<command>"`: a fleet exec (SPEC §6b). */
function parseFleetExec(v: ReturnType<typeof parse<typeof EXEC_OPTIONS>>['values'], p: string[]): ParsedCli {
  if (v.file !== undefined || v.async) throw new UsageError('--where takes a command text; --file and --async go with one node');
  const command = need(p, 0, 'command: hydracluster exec --where KEY=VALUE "<command>"');
  noMore(p, 1);
  const interpreter = v.interpreter;
  if (interpreter !== undefined && interpreter !== 'bash' && interpreter !== 'powershell' && interpreter !== 'cmd') {
    throw new UsageError(`--interpreter must be bash, powershell or cmd, not ${JSON.stringify(interpreter)}`);
  }
  const timeoutS = v.timeout === undefined ? undefined : parseDuration(v.timeout);
  return { command: { cmd: 'fleet-exec', target: parseWhere(v.where ?? ''), command, timeoutS, interpreter, json: v.json }, conn: connOf(v) };
}

const NODE_ACTIONS_WITH_ID = ['show', 'drain', 'undrain', 'update-node', 'update-services', 'reprovision', 'reenroll', 'rm'] as const;

function parseNodes(argv: string[]): ParsedCli {
  const { values: v, positionals: p } = parse(argv, NODES_OPTIONS);
  const action = p[0] ?? 'list';
  const conn = connOf(v);
  if (action === 'list') {
    noMore(p, 1);
    return { command: { cmd: 'nodes', action, json: v.json }, conn };
  }
  if (action === 'roles') {
    return { command: { cmd: 'nodes', action, id: need(p, 1, 'node id'), roles: p.slice(2), json: v.json }, conn };
  }
  const withId = NODE_ACTIONS_WITH_ID.find((a) => a === action);
  if (!withId) throw new UsageError(`unknown nodes action ${JSON.stringify(action)}`);
  noMore(p, 2);
  if (v.reason !== undefined && withId !== 'drain') throw new UsageError('--reason goes with drain only');
  return { command: { cmd: 'nodes', action: withId, id: need(p, 1, 'node id'), reason: v.reason, json: v.json }, conn };
}

function parseQueue(argv: string[]): ParsedCli {
  const { values: v, positionals: p } = parse(argv, COMMON);
  const nodeId = need(p, 0, 'node id: hydracluster queue <nodeId> [show|clear]');
  const action = p[1] ?? 'show';
  if (action !== 'show' && action !== 'clear') throw new UsageError(`unknown queue action ${JSON.stringify(action)}`);
  noMore(p, 2);
  return { command: { cmd: 'queue', nodeId, action, json: v.json }, conn: connOf(v) };
}

function parseDebug(argv: string[]): ParsedCli {
  const { values: v, positionals: p } = parse(argv, COMMON);
  const action = p[0] ?? 'actors';
  const conn = connOf(v);
  if (action === 'actor') {
    noMore(p, 2);
    return { command: { cmd: 'debug', action, id: need(p, 1, 'actor id') }, conn };
  }
  if (action !== 'actors' && action !== 'requests') throw new UsageError(`unknown debug action ${JSON.stringify(action)}`);
  noMore(p, 1);
  return { command: { cmd: 'debug', action }, conn };
}

const AUDIT_OPTIONS = { ...COMMON, node: { type: 'string' }, operator: { type: 'string' }, since: { type: 'string' }, limit: { type: 'string' } } as const satisfies ParseArgsConfig['options'];

function parseAudit(argv: string[]): ParsedCli {
  const { values: v, positionals: p } = parse(argv, AUDIT_OPTIONS);
  noMore(p, 0);
  if (v.since !== undefined && parseSince(v.since, 0) === null) throw new UsageError(`bad --since ${JSON.stringify(v.since)}: use e.g. 30m, 1h, 7d or an RFC 3339 time`);
  const limit = v.limit === undefined ? undefined : Number(v.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > AUDIT_MAX_LIMIT)) throw new UsageError(`--limit must be 1 to ${AUDIT_MAX_LIMIT}`);
  return { command: { cmd: 'audit', node: v.node, operator: v.operator, since: v.since, limit, json: v.json }, conn: connOf(v) };
}

function parseReload(argv: string[]): ParsedCli {
  const { values: v, positionals: p } = parse(argv, COMMON);
  noMore(p, 0);
  return { command: { cmd: 'reload', json: v.json }, conn: connOf(v) };
}

/** `cancel EXEC_ID` and `result EXEC_ID [--wait]` (SPEC §16.7). */
function parseCancel(argv: string[]): ParsedCli {
  const { values: v, positionals: p } = parse(argv, COMMON);
  noMore(p, 1);
  return { command: { cmd: 'cancel', execId: need(p, 0, 'exec id: hydracluster cancel EXEC_ID'), json: v.json }, conn: connOf(v) };
}

function parseResult(argv: string[]): ParsedCli {
  const { values: v, positionals: p } = parse(argv, { ...COMMON, wait: { type: 'boolean', default: false } });
  noMore(p, 1);
  return { command: { cmd: 'result', execId: need(p, 0, 'exec id: hydracluster result EXEC_ID [--wait]'), wait: v.wait, json: v.json }, conn: connOf(v) };
}

const PARSERS: Record<string, (argv: string[]) => ParsedCli> = {
  exec: parseExec,
  nodes: parseNodes,
  queue: parseQueue,
  debug: parseDebug,
  audit: parseAudit,
  reload: parseReload,
  cancel: parseCancel,
  result: parseResult,
};

/** `heads` and `enroll-qr`: parsed and run by ./heads.ts, loaded only for them. */
export const HEADS_COMMANDS = ['heads', 'enroll-qr'];

/** Every client command (`main` hands them to ./run.ts); named here so that `main` loads no more. */
export const CLIENT_COMMANDS = [...Object.keys(PARSERS), ...HEADS_COMMANDS];

/** Parses `hydracluster <cmd> ...argv` for a client command; throws UsageError on bad usage. */
export function parseClientArgs(cmd: string, argv: string[]): ParsedCli {
  const parser = PARSERS[cmd];
  if (!parser) throw new UsageError(`unknown command ${JSON.stringify(cmd)}`);
  return parser(argv);
}

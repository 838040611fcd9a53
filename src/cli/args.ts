/**
 * The operator commands' argument parser: pure (argv in, a typed command out, or a UsageError),
 * so every form of every command is unit-tested without a server.
 */
import type { ParseArgsConfig } from 'node:util';
import { AUDIT_MAX_LIMIT, parseSince } from '../wire/constants.js';
import { isAbsolutePath } from '../backup-path.js';
import { parseWhere, type FleetExecCommand } from './where.js';
import { UsageError } from './errors.js';
import { COMMON, connOf, need, noMore, parse, parseDuration, type ConnectionFlags } from './argv.js';
import { parseEnroll, parseNodes, type EnrollCommand, type NodesAction } from './nodes-args.js';

export type Interpreter = 'powershell' | 'bash' | 'cmd';

export type { ConnectionFlags } from './argv.js';
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

export type { EnrollCommand, NodeChanges, NodeListFilters, NodesAction } from './nodes-args.js';
export { SETTABLE } from './nodes-args.js';
/** `hydracluster audit` (docs/api.md#accountability). */
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
  | { cmd: 'backup'; out?: string; json: boolean }
  | AuditCommand
  | EnrollCommand
  | CancelCommand
  | ResultCommand;

export interface ParsedCli {
  command: ClientCommand;
  conn: ConnectionFlags;
}

export { UsageError } from './errors.js';

export { MAX_TIMEOUT_S, parseDuration } from './argv.js';

const EXEC_OPTIONS = {
  ...COMMON,
  timeout: { type: 'string' },
  async: { type: 'boolean', default: false },
  interpreter: { type: 'string' },
  file: { type: 'string' },
  where: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];


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

/** `exec --where KEY=VALUE "<command>"`: a fleet exec (docs/api.md#fleet-exec). */
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

/** `backup [--out FILE]`: FILE is a path on the server's host, so it must be absolute (the CLI's folder means nothing there). */
function parseBackup(argv: string[]): ParsedCli {
  const { values: v, positionals: p } = parse(argv, { ...COMMON, out: { type: 'string' } });
  noMore(p, 0);
  if (v.out !== undefined && !isAbsolutePath(v.out)) throw new UsageError(`--out ${JSON.stringify(v.out)}: give an absolute path on the server's host`);
  return { command: { cmd: 'backup', out: v.out, json: v.json }, conn: connOf(v) };
}

/** `cancel EXEC_ID` and `result EXEC_ID [--wait]` (docs/api.md#exec). */
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
  enroll: parseEnroll,
  cancel: parseCancel,
  result: parseResult,
  backup: parseBackup,
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

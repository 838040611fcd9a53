/**
 * `hydracluster nodes …` and `hydracluster enroll …` parsed (docs/operations.md#the-cli, docs/api.md#exec): the node actions,
 * the list filters (query parameters of `GET /nodes`), `nodes set ID KEY=VALUE…` and the enrollment
 * options. Pure: argv in, a typed command out, or a UsageError.
 */
import type { ParseArgsConfig } from 'node:util';
import { COMMON, connOf, need, noMore, parse, parseDuration, type ConnectionFlags } from './argv.js';
import { UsageError } from './errors.js';
import { KIND_FILTERS, NODE_STATES } from '../wire/constants.js';

/** `nodes list` filters: query parameters of `GET /nodes` (docs/api.md#exec). */
export interface NodeListFilters {
  state?: string;
  kind?: string;
  role?: string;
  district?: string;
  venue?: string;
}

/** `nodes set ID key=value…`: what `PATCH /nodes/{id}` changes. */
export const SETTABLE = ['name', 'owner', 'district', 'venue'] as const;
export type NodeChanges = Partial<Record<(typeof SETTABLE)[number], string>>;

export type NodesAction =
  | { action: 'list'; filters: NodeListFilters }
  | { action: 'show' | 'drain' | 'undrain' | 'update-node' | 'update-services' | 'reprovision' | 'reenroll' | 'rm'; id: string; reason?: string; yes?: boolean }
  | { action: 'roles'; id: string; roles: string[] }
  | { action: 'set'; id: string; changes: NodeChanges };

/** `hydracluster enroll NAME` (docs/api.md#exec): an enrollment and its install commands. */
export interface EnrollCommand {
  cmd: 'enroll';
  name: string;
  os?: 'windows' | 'linux' | 'macos';
  kind?: 'body' | 'flatscreen' | 'windows';
  owner?: string;
  ttlS?: number;
  json: boolean;
}


const NODES_OPTIONS = {
  ...COMMON,
  reason: { type: 'string' },
  yes: { type: 'boolean', default: false },
  state: { type: 'string' },
  kind: { type: 'string' },
  role: { type: 'string' },
  district: { type: 'string' },
  venue: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];
const FILTERS = ['state', 'kind', 'role', 'district', 'venue'] as const;

const NODE_ACTIONS_WITH_ID = ['show', 'drain', 'undrain', 'update-node', 'update-services', 'reprovision', 'reenroll', 'rm'] as const;

/** The list filters, `state` and `kind` checked here (64), the rest by the server. */
function listFilters(v: Partial<Record<(typeof FILTERS)[number], string>>): NodeListFilters {
  if (v.state !== undefined && !(NODE_STATES as readonly string[]).includes(v.state)) throw new UsageError(`--state must be one of ${NODE_STATES.join(', ')}`);
  if (v.kind !== undefined && !(KIND_FILTERS as readonly string[]).includes(v.kind)) throw new UsageError(`--kind must be one of ${KIND_FILTERS.join(', ')}`);
  return Object.fromEntries(FILTERS.filter((f) => v[f] !== undefined).map((f) => [f, v[f]]));
}

/** `name=render-07 owner=ops` → the PATCH body; an unknown key or a missing `=` is a usage error. */
function parseChanges(pairs: string[]): NodeChanges {
  if (pairs.length === 0) throw new UsageError(`nodes set ID KEY=VALUE…: name at least one of ${SETTABLE.join(', ')}`);
  const changes: NodeChanges = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const key = SETTABLE.find((k) => k === pair.slice(0, eq));
    if (eq < 0 || !key) throw new UsageError(`nodes set: ${JSON.stringify(pair)} is not KEY=VALUE with KEY one of ${SETTABLE.join(', ')}`);
    changes[key] = pair.slice(eq + 1);
  }
  return changes;
}

/** A parsed command with its connection flags (a ParsedCli of args.ts, which imports this module). */
interface Parsed<C> {
  command: C;
  conn: ConnectionFlags;
}

export function parseNodes(argv: string[]): Parsed<{ cmd: 'nodes'; json: boolean } & NodesAction> {
  const { values: v, positionals: p } = parse(argv, NODES_OPTIONS);
  const action = p[0] ?? 'list';
  const conn = connOf(v);
  if (action !== 'list' && FILTERS.some((f) => v[f] !== undefined)) throw new UsageError('--state, --kind, --role, --district and --venue go with nodes list');
  if (v.yes && action !== 'rm' && action !== 'reprovision') throw new UsageError('--yes goes with nodes rm and nodes reprovision');
  if (action === 'list') {
    noMore(p, 1);
    return { command: { cmd: 'nodes', action, filters: listFilters(v), json: v.json }, conn };
  }
  if (action === 'set') {
    return { command: { cmd: 'nodes', action, id: need(p, 1, 'node id: hydracluster nodes set ID KEY=VALUE…'), changes: parseChanges(p.slice(2)), json: v.json }, conn };
  }
  if (action === 'roles') {
    return { command: { cmd: 'nodes', action, id: need(p, 1, 'node id'), roles: p.slice(2), json: v.json }, conn };
  }
  const withId = NODE_ACTIONS_WITH_ID.find((a) => a === action);
  if (!withId) throw new UsageError(`unknown nodes action ${JSON.stringify(action)}`);
  noMore(p, 2);
  if (v.reason !== undefined && withId !== 'drain') throw new UsageError('--reason goes with drain only');
  return { command: { cmd: 'nodes', action: withId, id: need(p, 1, 'node id'), reason: v.reason, yes: v.yes, json: v.json }, conn };
}

const ENROLL_OPTIONS = { ...COMMON, os: { type: 'string' }, kind: { type: 'string' }, owner: { type: 'string' }, ttl: { type: 'string' } } as const satisfies ParseArgsConfig['options'];
const ENROLL_OS = ['windows', 'linux', 'macos'] as const;
const ENROLL_KINDS = ['body', 'flatscreen', 'windows'] as const;

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  const hit = allowed.find((a) => a === value);
  if (!hit) throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}`);
  return hit;
}

/** `enroll NAME [--os windows|linux|macos] [--kind body|flatscreen|windows] [--owner O] [--ttl 15m]`. */
export function parseEnroll(argv: string[]): Parsed<EnrollCommand> {
  const { values: v, positionals: p } = parse(argv, ENROLL_OPTIONS);
  const name = need(p, 0, 'node name: hydracluster enroll NAME [--os linux] [--ttl 15m]');
  noMore(p, 1);
  const command: EnrollCommand = {
    cmd: 'enroll', name, os: oneOf('os', v.os, ENROLL_OS), kind: oneOf('kind', v.kind, ENROLL_KINDS), owner: v.owner,
    ttlS: v.ttl === undefined ? undefined : parseDuration(v.ttl), json: v.json,
  };
  return { command, conn: connOf(v) };
}

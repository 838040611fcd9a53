/**
 * `hydracluster exec --where KEY=VALUE[,KEY=VALUE]`: the target of a fleet exec (docs/api.md#fleet-exec, docs/operations.md#the-cli),
 * parsed without a server so a typo is a usage error (64), never a fleet-wide run.
 * Keys: `role`, `district`, `venue`, `kind`, `state`, `id` (repeatable: several nodes), and `all`
 * (the whole fleet, as `all` or `all=true`).
 */
import type { BatchTarget, Interpreter, NodeState } from '../wire/index.js';
import { UsageError } from './errors.js';

// The wire's plain values (no zod: every `exec` is parsed with this module); `kind=head`: any head.
export { KIND_FILTERS as KINDS, NODE_STATES as STATES } from '../wire/constants.js';
import { KIND_FILTERS as KINDS, NODE_STATES as STATES } from '../wire/constants.js';

export interface FleetExecCommand {
  cmd: 'fleet-exec';
  target: BatchTarget;
  command: string;
  timeoutS?: number;
  interpreter?: Interpreter;
  json: boolean;
}

const SINGLE_KEYS = ['role', 'district', 'venue', 'kind', 'state'] as const;
type SingleKey = (typeof SINGLE_KEYS)[number];
const KNOWN = 'role, district, venue, kind, state, id, all';

function oneOf<T extends string>(key: string, value: string, allowed: readonly T[]): T {
  const hit = allowed.find((a) => a === value);
  if (!hit) throw new UsageError(`--where ${key}=${value}: ${key} must be one of ${allowed.join(', ')}`);
  return hit;
}

/** Parses the `--where` text into a target; throws UsageError naming the bad pair. */
export function parseWhere(text: string): BatchTarget {
  const target: { -readonly [K in keyof BatchTarget]: BatchTarget[K] } = {};
  const ids: string[] = [];
  for (const raw of text.split(',')) {
    const pair = raw.trim();
    if (pair === '') throw new UsageError(`--where ${JSON.stringify(text)}: an empty KEY=VALUE pair`);
    if (pair === 'all' || pair === 'all=true') {
      target.all = true;
      continue;
    }
    const eq = pair.indexOf('=');
    const key = eq < 0 ? pair : pair.slice(0, eq).trim();
    const value = eq < 0 ? '' : pair.slice(eq + 1).trim();
    if (key === 'id' || key === 'ids') {
      if (value === '') throw new UsageError(`--where ${pair}: a node id is required`);
      ids.push(value);
      continue;
    }
    if (!(SINGLE_KEYS as readonly string[]).includes(key)) throw new UsageError(`--where: unknown key ${JSON.stringify(key)} (known: ${KNOWN})`);
    if (value === '') throw new UsageError(`--where ${pair}: a value is required (KEY=VALUE)`);
    const k = key as SingleKey;
    if (target[k] !== undefined) throw new UsageError(`--where: ${k} given twice (every filter must match; run two commands for two values)`);
    if (k === 'kind') target.kind = oneOf(k, value, KINDS);
    else if (k === 'state') target.state = oneOf(k, value, STATES);
    else target[k] = value;
  }
  if (ids.length > 0) target.ids = ids;
  const narrows = target.all || SINGLE_KEYS.some((k) => k !== 'state' && target[k] !== undefined) || target.ids;
  if (!narrows) throw new UsageError('--where must name role, district, venue, kind or id, or say all (no accidental fleet-wide run)');
  return target;
}

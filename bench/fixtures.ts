/**
 * Bench fixtures: a temp home with a config.yaml and a nodes.yaml of N registered, online nodes,
 * each holding the hash of a node token the bench keeps (so it can heartbeat as every node).
 * nodes.yaml is written through the real store (NodesFile), so the bench follows its format.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monotonicFactory } from 'ulid';
import { stringify } from 'yaml';
import { type NodeRecord, nodeRecordSchema } from '../src/actors/node/record.js';
import { systemClock } from '../src/clock.js';
import { defaultConfigDocument, parseConfig, type Config } from '../src/config.js';
import { hashToken, newToken } from '../src/ids.js';
import { memoryLogger } from '../src/log.js';
import { NodesFile } from '../src/persist/nodes-file.js';

// Monotonic: the plain ulid() draws fresh randomness per character (~0.1 ms each here).
const ulid = monotonicFactory();

/** What every bench heartbeat reports for node `i`; the records hold the same, so beats are steady-state. */
export function heartbeatBody(i: number): string {
  return JSON.stringify({ agent_version: '1.0.0', hostname: hostOf(i), provider_status: 'running', roles_applied: [] });
}

const hostOf = (i: number): string => `render-${String(i).padStart(6, '0')}`;

export interface Fleet {
  records: NodeRecord[];
  tokens: string[];
}

/** N registered online body nodes and their plain node tokens. */
export function makeFleet(n: number, now = Date.now()): Fleet {
  const records: NodeRecord[] = [];
  const tokens: string[] = [];
  const created = new Date(now - 86_400_000).toISOString();
  const seen = new Date(now - 5_000).toISOString();
  for (let i = 0; i < n; i++) {
    const token = newToken('hcn');
    tokens.push(token);
    const rec = {
      id: `node-${ulid()}`,
      name: `render ${i}`,
      kind: 'body',
      state: 'online',
      owner: 'bench',
      district: `district-${i % 20}`,
      venue: `venue-${i % 200}`,
      roles: [],
      drain: false,
      drain_reason: null,
      flags: { update_node: false, update_services: false, reprovision: false },
      reprovision_pending: false,
      reprovision_acked: false,
      created_at: created,
      last_seen: seen,
      token_hash: hashToken(token),
      enrollment: { id: `enr-${ulid()}`, token_hash: hashToken(newToken('hce')), expires_at: seen, used_at: created },
      reported: {
        roles_applied: [],
        provider_status: 'running',
        provider_version: '3.3.1',
        agent_version: '1.0.0',
        hostname: hostOf(i),
        os: 'windows',
        arch: 'amd64',
        lan_ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
        wg_ip: `100.64.${(i >> 8) & 255}.${i & 255}`,
      },
    };
    // The generated shape must be one the server accepts; checked once, not per record.
    records.push(i === 0 ? nodeRecordSchema.parse(rec) : (rec as NodeRecord));
  }
  return { records, tokens };
}

/** Writes `<home>/nodes.yaml` through the real store. */
export async function writeNodesYaml(home: string, records: readonly NodeRecord[]): Promise<void> {
  mkdirSync(home, { recursive: true });
  const store = new NodesFile({ path: join(home, 'nodes.yaml'), clock: systemClock, log: memoryLogger() });
  for (const r of records) store.put(r.id, r);
  await store.commit();
  await store.close();
}

/** The default config with JSON log lines (what journald gets). */
export function benchConfigDocument(): Record<string, unknown> {
  const doc = defaultConfigDocument() as { server: Record<string, unknown> };
  // One loopback address plays a whole fleet here: the per-address connection cap (meant for one
  // site behind a NAT) would refuse the simulated nodes' connections.
  Object.assign(doc.server, { log_format: 'json', log_level: 'info', max_connections_per_address: 1_000_000 });
  return doc;
}

export function benchConfig(): Config {
  return parseConfig(benchConfigDocument());
}

/** Writes `<home>/config.yaml` (mode 0600, like the server's own). */
export function writeConfig(home: string, configure: (doc: Record<string, any>) => void = () => {}): Config {
  mkdirSync(home, { recursive: true });
  const doc = benchConfigDocument();
  configure(doc);
  const config = parseConfig(doc);
  writeFileSync(join(home, 'config.yaml'), stringify(doc), { mode: 0o600 });
  return config;
}

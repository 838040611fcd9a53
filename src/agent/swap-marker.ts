/**
 * The marker a self-update's swap leaves in the agent's home for the process its service starts
 * next (`update-swapped.json`: `{"from","to","at"}`), read once at start to report how the swap
 * ended. Imports nothing that loads zod: every agent start reads it.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentUpdate } from '../wire/agent.js';
import { AGENT_UPDATE_MESSAGE_MAX } from '../wire/constants.js';

export const SWAP_MARKER_FILE = 'update-swapped.json';

/** A message cut to what `agent_update.message` may hold. */
export const cutMessage = (s: string): string => (s.length > AGENT_UPDATE_MESSAGE_MAX ? `${s.slice(0, AGENT_UPDATE_MESSAGE_MAX - 1)}…` : s);

export function writeSwapMarker(home: string, m: { from: string; to: string }): void {
  const path = join(home, SWAP_MARKER_FILE);
  writeFileSync(`${path}.tmp`, JSON.stringify({ ...m, at: new Date().toISOString() }));
  renameSync(`${path}.tmp`, path);
}

/**
 * At start: the outcome of a swap the previous process made (then forgotten on disk), or null.
 * `swapped` when this process runs the version swapped in, `failed` when it does not.
 */
export function takeSwapMarker(home: string, version: string): AgentUpdate | null {
  const path = join(home, SWAP_MARKER_FILE);
  if (!existsSync(path)) return null;
  let m: { from?: unknown; to?: unknown } = {};
  try {
    m = JSON.parse(readFileSync(path, 'utf8')) as typeof m;
  } catch {
    // an unreadable marker still means a swap happened
  }
  rmSync(path, { force: true });
  const to = typeof m.to === 'string' ? m.to : null;
  const from = typeof m.from === 'string' ? m.from : 'the previous version';
  const at = new Date().toISOString();
  if (to === version) return { state: 'swapped', target_version: to, message: cutMessage(`updated from ${from} to ${to}; running`), at };
  return { state: 'failed', target_version: to, message: cutMessage(`restarted after the swap to ${to}, but this process runs ${version} (hydranode rollback, or a service that starts another file?)`), at };
}

/**
 * docs/api.md#exec: an iPad has no exec channel (its app heartbeats and reports; it fetches no command),
 * so anything that would run a command there (an exec, a fleet-exec member, a screenshot, its
 * logs) is refused at once with 409 `no_exec_channel` instead of waiting for its timeout.
 */
import { AppError } from '../../errors.js';
import { hasExecChannel } from '../../wire/constants.js';
import type { NodeRecord } from './record.js';

export const NO_EXEC_CHANNEL_MESSAGE = 'an iPad has no exec channel: it runs no command (no exec, screenshot or logs through the server)';

/** Throws 409 `no_exec_channel` for a node whose kind runs no command. */
export function requireExecChannel(r: Pick<NodeRecord, 'id' | 'kind'>): void {
  if (!hasExecChannel(r.kind)) throw new AppError('no_exec_channel', `node ${r.id}: ${NO_EXEC_CHANNEL_MESSAGE}`);
}

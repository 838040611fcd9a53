/**
 * The server's limits this agent honours (docs/api.md#agents-heartbeat-flags-and-the-provision-poll), learned from the `limits` field of the provision
 * poll and of the heartbeat reply (an addition to the contract; see the README). Until the server
 * has told them, the defaults are the server's own defaults.
 */
import type { Logger } from '../log.js';
import type { AgentLimits } from '../wire/agent.js';

/** The server's default `exec.max_output_bytes`, used until the server tells its own. */
export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;

/** Where a limit was learned from, for the log line. */
export type LimitSource = 'heartbeat' | 'provision';

/** The limits in force now; {@link learn} updates them from a reply. */
export class ServerLimits {
  private maxOutput = DEFAULT_MAX_OUTPUT_BYTES;

  constructor(private readonly log?: Logger) {}

  /** Each exec stream is cut at this many bytes of UTF-8 and flagged `*_truncated`. */
  get maxOutputBytes(): number {
    return this.maxOutput;
  }

  /** Takes the limits a reply carried (absent: an older server, nothing changes). */
  learn(limits: AgentLimits | undefined, from: LimitSource): void {
    if (!limits || limits.max_output_bytes === this.maxOutput) return;
    this.log?.info('server limits', { max_output_bytes: limits.max_output_bytes, previous: this.maxOutput, from });
    this.maxOutput = limits.max_output_bytes;
  }
}

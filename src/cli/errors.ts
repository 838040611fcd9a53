/** The CLI's own failures: one line on stderr and a sysexits code (docs/operations.md#the-cli). */
import { EX_USAGE } from '../sysexits.js';
import { printable } from './printable.js';

/** A command line that does not parse: exit 64 with the reason. */
export class UsageError extends Error {}

/** A failure of the CLI itself: its message (one line) and its exit code. */
export class CliError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
    /** Lines printed under the message (candidates, reasons), each escaped on its own line. */
    readonly lines: readonly string[] = [],
  ) {
    super(message);
  }
}

/**
 * The exit code of a command that failed with `e`, after one line on `stderr`: 64 for a usage
 * error, the CliError's own code; anything else is a bug and is thrown on.
 */
export function reportFailure(cmd: string, e: unknown, stderr: { write(s: string): unknown }): number {
  if (e instanceof UsageError) {
    stderr.write(`hydracluster ${printable(cmd)}: ${printable(e.message)} (see hydracluster help)\n`);
    return EX_USAGE;
  }
  if (e instanceof CliError) {
    stderr.write(`hydracluster: ${printable(e.message)}\n`);
    for (const line of e.lines) stderr.write(`  ${printable(line)}\n`);
    return e.exitCode;
  }
  throw e;
}
